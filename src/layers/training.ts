/**
 * Keras's `compile` / `fit` / `predict` / `evaluate`, on top of the library's training loop
 * (`train/loop.ts`), losses and optimizers.
 *
 * Losses by name (Keras's formulas; `yPred` holds probabilities unless said otherwise):
 *   'mse' (meanSquaredError)  mean((yPred - yTrue)²)          'mae' (meanAbsoluteError)  mean|yPred - yTrue|
 *   'huber'                   Huber with δ = 1
 *   'binaryCrossentropy'      -mean(y·log p + (1-y)·log(1-p)), p clipped to [1e-7, 1 - 1e-7]
 *   'categoricalCrossentropy' one-hot yTrue (..., C): -mean Σ_c y_c·log p_c, p normalised to sum 1 and clipped
 *   'sparseCategoricalCrossentropy'  class ids yTrue (...) for yPred (..., C), the same formula
 * `losses.sparseCategoricalCrossentropy({ fromLogits: true })` (and the categorical/binary ones)
 * take logits instead. Any `(yTrue, yPred) => scalar Tensor` works too.
 * Metrics: 'accuracy' (sparse, categorical or binary, chosen from the loss as Keras does),
 * 'mae', 'mse', or `{ name, fn }`.
 * Optimizers by name use PyTorch's update rules with Keras's default hyperparameters:
 * 'adam' (lr 1e-3, eps 1e-7), 'adamw' (lr 1e-3, weight decay 4e-3), 'sgd' (lr 1e-2),
 * 'rmsprop' (lr 1e-3, rho 0.9, eps 1e-7); or pass an optimizer, or a function of the parameters.
 * Differences from Keras: the epoch loss is the sample-weighted mean of the batch losses (as
 * Keras), but regularization losses do not exist; `verbose` defaults to 0 (silent).
 */
import { ValueError } from '../errors.js';
import { type LoopOptimizer, fit as loopFit } from '../train/loop.js';
import { crossEntropy, huberLoss, l1Loss, mseLoss, nllLoss } from '../train/losses.js';
import { Adam, AdamW } from '../train/optimizers/adam.js';
import { RMSprop } from '../train/optimizers/rmsprop.js';
import { SGD } from '../train/optimizers/sgd.js';
import { noGrad } from '../tensor/autograd.js';
import { concat } from '../tensor/ops/layout.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Arity } from './layer.js';
import type { Data, Model } from './model.js';

/** `(yTrue, yPred) => scalar loss`, differentiable in yPred. */
export type LossFunction = (yTrue: Tensor, yPred: Tensor) => Tensor;
export type LossName =
  | 'mse'
  | 'meanSquaredError'
  | 'mae'
  | 'meanAbsoluteError'
  | 'huber'
  | 'binaryCrossentropy'
  | 'categoricalCrossentropy'
  | 'sparseCategoricalCrossentropy';
export type OptimizerName = 'adam' | 'adamw' | 'sgd' | 'rmsprop';
export type MetricName = 'accuracy' | 'acc' | 'mae' | 'mse';
/** A custom metric: a number per batch, averaged over samples. */
export interface MetricFunction {
  name: string;
  fn: (yTrue: Tensor, yPred: Tensor) => number;
}

export interface CompileOptions {
  /** A name, an optimizer over `model.parameters()`, or a function making one from the parameters. */
  optimizer: OptimizerName | LoopOptimizer | ((parameters: Tensor[]) => LoopOptimizer);
  /** One loss for every output, or one per output (summed). */
  loss: LossName | LossFunction | readonly (LossName | LossFunction)[];
  /** Reported per epoch (first output only for multi-output models). */
  metrics?: readonly (MetricName | MetricFunction)[];
}

export interface CompiledModel {
  optimizer: LoopOptimizer | null;
  optimizerSpec: CompileOptions['optimizer'];
  losses: { name: string; fn: LossFunction }[];
  metrics: MetricFunction[];
}

export interface ModelFitOptions {
  /** Passes over the data (default 1). */
  epochs?: number;
  /** Samples per gradient step (default 32). */
  batchSize?: number;
  /** Data evaluated after each epoch: `[x, y]`. */
  validationData?: readonly [Data, Data];
  /** Fraction of the samples (the last ones, before shuffling) held out for validation (default 0). */
  validationSplit?: number;
  /** Shuffle the samples every epoch (default true; use false for stateful layers). */
  shuffle?: boolean;
  /** 1 prints one line per epoch (default 0). */
  verbose?: 0 | 1;
  /** Generator for shuffling (default: the global one). */
  generator?: Generator;
  /** Called after each epoch with its logs (`loss`, metrics, `val_` entries). */
  onEpochEnd?: (epoch: number, logs: Record<string, number>) => void;
}

export interface PredictOptions {
  /** Samples per forward pass (default 32). */
  batchSize?: number;
}

export type EvaluateOptions = PredictOptions;

/** What `fit` returns: the epoch numbers (0-based, as Keras) and each log per epoch. */
export interface History {
  epoch: number[];
  history: Record<string, number[]>;
}

const EPSILON = 1e-7;

function sameShape(where: string, yTrue: Tensor, yPred: Tensor): Tensor {
  if (yTrue.size !== yPred.size) {
    throw new ValueError(
      where,
      `yTrue has ${yTrue.size} values (shape [${yTrue.shape.join(', ')}]) but yPred has ${yPred.size} (shape [${yPred.shape.join(', ')}])`,
    );
  }
  return yTrue.reshape(yPred.shape);
}

/** Class ids of `yTrue` for `yPred (..., C)`, flattened. */
function classIds(where: string, yTrue: Tensor, yPred: Tensor): Float32Array {
  const rows = yPred.size / yPred.shape[yPred.rank - 1]!;
  if (yTrue.size !== rows) {
    throw new ValueError(
      where,
      `yTrue needs one class id per prediction row: ${rows} for yPred of shape [${yPred.shape.join(', ')}], got ${yTrue.size}`,
    );
  }
  return yTrue.data;
}

const probabilities = (p: Tensor) => p.div(p.sum(-1, true)).clamp(EPSILON, 1 - EPSILON);

/** Keras losses that take logits (`fromLogits: true`) or probabilities. */
export const losses = {
  meanSquaredError: (): LossFunction => (t, p) => mseLoss(p, sameShape('meanSquaredError', t, p)),
  meanAbsoluteError: (): LossFunction => (t, p) => l1Loss(p, sameShape('meanAbsoluteError', t, p)),
  huber:
    (delta = 1): LossFunction =>
    (t, p) =>
      huberLoss(p, sameShape('huber', t, p), { delta }),
  binaryCrossentropy:
    ({ fromLogits = false } = {}): LossFunction =>
    (t, p) => {
      const y = sameShape('binaryCrossentropy', t, p);
      const prob = (fromLogits ? p.sigmoid() : p).clamp(EPSILON, 1 - EPSILON);
      return y
        .mul(prob.log())
        .add(y.neg().add(1).mul(prob.neg().add(1).log()))
        .mean()
        .neg();
    },
  categoricalCrossentropy:
    ({ fromLogits = false } = {}): LossFunction =>
    (t, p) => {
      const y = sameShape('categoricalCrossentropy', t, p);
      const logp = fromLogits ? p.logSoftmax(-1) : probabilities(p).log();
      return y.mul(logp).sum(-1).mean().neg();
    },
  sparseCategoricalCrossentropy:
    ({ fromLogits = false } = {}): LossFunction =>
    (t, p) => {
      const classes = p.shape[p.rank - 1]!;
      const ids = classIds('sparseCategoricalCrossentropy', t, p);
      const rows = p.reshape([-1, classes]);
      return fromLogits ? crossEntropy(rows, ids) : nllLoss(probabilities(rows).log(), ids);
    },
};

function lossByName(name: LossName | LossFunction): { name: string; fn: LossFunction } {
  if (typeof name === 'function') return { name: name.name || 'custom', fn: name };
  switch (name) {
    case 'mse':
    case 'meanSquaredError':
      return { name, fn: losses.meanSquaredError() };
    case 'mae':
    case 'meanAbsoluteError':
      return { name, fn: losses.meanAbsoluteError() };
    case 'huber':
      return { name, fn: losses.huber() };
    case 'binaryCrossentropy':
      return { name, fn: losses.binaryCrossentropy() };
    case 'categoricalCrossentropy':
      return { name, fn: losses.categoricalCrossentropy() };
    case 'sparseCategoricalCrossentropy':
      return { name, fn: losses.sparseCategoricalCrossentropy() };
    default:
      throw new ValueError(
        'compile',
        `unknown loss '${String(name)}'; use 'mse', 'mae', 'huber', 'binaryCrossentropy', 'categoricalCrossentropy', 'sparseCategoricalCrossentropy' or a function (yTrue, yPred) => Tensor`,
      );
  }
}

function argmaxRows(t: Tensor): Int32Array {
  return t.argmax(t.rank - 1);
}

function fraction(hits: number, count: number): number {
  return count === 0 ? Number.NaN : hits / count;
}

/** Keras's choice of accuracy: from the loss, else from the shapes. */
function accuracyFor(loss: string): MetricFunction {
  const sparse = (t: Tensor, p: Tensor) => {
    const pred = argmaxRows(p);
    const ids = classIds('accuracy', t, p);
    let hits = 0;
    for (let i = 0; i < pred.length; i++) if (pred[i] === ids[i]) hits++;
    return fraction(hits, pred.length);
  };
  const categorical = (t: Tensor, p: Tensor) => {
    const pred = argmaxRows(p);
    const truth = argmaxRows(sameShape('accuracy', t, p));
    let hits = 0;
    for (let i = 0; i < pred.length; i++) if (pred[i] === truth[i]) hits++;
    return fraction(hits, pred.length);
  };
  const binary = (t: Tensor, p: Tensor) => {
    const y = sameShape('accuracy', t, p);
    let hits = 0;
    for (let i = 0; i < p.size; i++) if (p.data[i]! > 0.5 === y.data[i]! > 0.5) hits++;
    return fraction(hits, p.size);
  };
  const fn =
    loss === 'sparseCategoricalCrossentropy'
      ? sparse
      : loss === 'categoricalCrossentropy'
        ? categorical
        : loss === 'binaryCrossentropy'
          ? binary
          : (t: Tensor, p: Tensor) =>
              p.shape[p.rank - 1] === 1 ? binary(t, p) : t.size === p.size ? categorical(t, p) : sparse(t, p);
  return { name: 'accuracy', fn };
}

function metricByName(metric: MetricName | MetricFunction, loss: string): MetricFunction {
  if (typeof metric === 'object' && metric !== null && typeof metric.fn === 'function') return metric;
  switch (metric) {
    case 'accuracy':
    case 'acc':
      return accuracyFor(loss);
    case 'mae':
      return { name: 'mae', fn: (t, p) => l1Loss(p, sameShape('mae', t, p)).item() };
    case 'mse':
      return { name: 'mse', fn: (t, p) => mseLoss(p, sameShape('mse', t, p)).item() };
    default:
      throw new ValueError(
        'compile',
        `unknown metric ${JSON.stringify(metric)}; use 'accuracy', 'mae', 'mse' or { name, fn }`,
      );
  }
}

function makeOptimizer(spec: CompileOptions['optimizer'], parameters: Tensor[]): LoopOptimizer {
  if (typeof spec === 'function') return spec(parameters);
  if (typeof spec === 'object' && spec !== null) return spec;
  switch (spec) {
    case 'adam':
      return new Adam(parameters, { lr: 1e-3, eps: 1e-7 });
    case 'adamw':
      return new AdamW(parameters, { lr: 1e-3, eps: 1e-7, weightDecay: 4e-3 });
    case 'sgd':
      return new SGD(parameters, { lr: 1e-2 });
    case 'rmsprop':
      return new RMSprop(parameters, { lr: 1e-3, alpha: 0.9, eps: 1e-7 });
    default:
      throw new ValueError(
        'compile',
        `unknown optimizer '${String(spec)}'; use 'adam', 'adamw', 'sgd', 'rmsprop', an optimizer or a function of the parameters`,
      );
  }
}

export function compileModel(model: Model<Arity>, options: CompileOptions): CompiledModel {
  if (!options || options.optimizer === undefined || options.loss === undefined)
    throw new ValueError(model.name, 'compile() needs { optimizer, loss }');
  const specs = Array.isArray(options.loss)
    ? [...(options.loss as readonly (LossName | LossFunction)[])]
    : [options.loss as LossName | LossFunction];
  const lossList = specs.map(lossByName);
  const firstLoss = lossList[0]!.name;
  return {
    optimizer: typeof options.optimizer === 'object' ? options.optimizer : null,
    optimizerSpec: options.optimizer,
    losses: lossList,
    metrics: (options.metrics ?? []).map((m) => metricByName(m, firstLoss)),
  };
}

const asList = (d: Data): Tensor[] => (Array.isArray(d) ? [...(d as readonly Tensor[])] : [d as Tensor]);

function sampleCount(where: string, tensors: Tensor[]): number {
  const n = tensors[0]!.shape[0] ?? 1;
  tensors.forEach((t, i) => {
    if (t.rank === 0 || t.shape[0] !== n)
      throw new ValueError(
        where,
        `every input and target needs the same number of samples in dim 0: tensor 0 has ${n}, tensor ${i} has ${t.shape[0] ?? 'none (a scalar)'}`,
      );
  });
  return n;
}

function take(t: Tensor, indices: ArrayLike<number>): Tensor {
  return noGrad(() => t.indexSelect(0, indices));
}

function range(start: number, end: number): Int32Array {
  return Int32Array.from({ length: end - start }, (_, i) => start + i);
}

/** Sum of the per-output losses of one batch (differentiable). */
function batchLoss(compiled: CompiledModel, targets: Tensor[], predictions: Tensor[]): Tensor {
  let total: Tensor | null = null;
  predictions.forEach((p, i) => {
    const loss = (compiled.losses[i] ?? compiled.losses[0]!).fn(targets[i]!, p);
    total = total ? total.add(loss) : loss;
  });
  return total!;
}

function checkData(model: Model<Arity>, xs: Tensor[], ys: Tensor[]): void {
  if (ys.length !== model.outputs.length) {
    throw new ValueError(
      model.name,
      `has ${model.outputs.length} output(s) but fit/evaluate got ${ys.length} target tensor(s)`,
    );
  }
  sampleCount(model.name, [...xs, ...ys]);
}

function requireCompiled(model: Model<Arity>): CompiledModel {
  if (!model.compiled) throw new ValueError(model.name, 'call compile({ optimizer, loss }) first');
  return model.compiled;
}

/** Sample-weighted sums of the loss and metrics over batches. */
class Tally {
  private readonly sums = new Map<string, number>();
  private count = 0;
  add(size: number, values: Record<string, number>): void {
    this.count += size;
    for (const [k, v] of Object.entries(values)) this.sums.set(k, (this.sums.get(k) ?? 0) + v * size);
  }
  means(prefix = ''): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of this.sums) out[prefix + k] = v / this.count;
    return out;
  }
}

function metricValues(compiled: CompiledModel, targets: Tensor[], predictions: Tensor[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of compiled.metrics) out[m.name] = noGrad(() => m.fn(targets[0]!, predictions[0]!));
  return out;
}

function evaluateLists(
  model: Model<Arity>,
  compiled: CompiledModel,
  xs: Tensor[],
  ys: Tensor[],
  batchSize: number,
): Record<string, number> {
  const n = sampleCount(model.name, [...xs, ...ys]);
  const tally = new Tally();
  noGrad(() => {
    for (let start = 0; start < n; start += batchSize) {
      const idx = range(start, Math.min(n, start + batchSize));
      const targets = ys.map((y) => take(y, idx));
      const predictions = model.execute(
        xs.map((x) => take(x, idx)),
        { training: false, mask: xs.map(() => null) },
      ).outputs;
      tally.add(idx.length, {
        loss: batchLoss(compiled, targets, predictions).item(),
        ...metricValues(compiled, targets, predictions),
      });
    }
  });
  return tally.means();
}

function positive(where: string, option: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0)
    throw new ValueError(where, `${option} must be a positive integer, got ${value}`);
  return value;
}

export async function fitModel(model: Model<Arity>, x: Data, y: Data, options: ModelFitOptions): Promise<History> {
  model.buildFromGraph(x);
  const compiled = requireCompiled(model);
  let xs = asList(x);
  let ys = asList(y);
  checkData(model, xs, ys);
  const epochs = positive(model.name, 'epochs', options.epochs ?? 1);
  const batchSize = positive(model.name, 'batchSize', options.batchSize ?? 32);
  let validation: [Tensor[], Tensor[]] | null = options.validationData
    ? [asList(options.validationData[0]), asList(options.validationData[1])]
    : null;
  const split = options.validationSplit ?? 0;
  if (!(split >= 0 && split < 1)) throw new ValueError(model.name, `validationSplit must be in [0, 1), got ${split}`);
  if (split > 0) {
    if (validation) throw new ValueError(model.name, 'pass validationData or validationSplit, not both');
    const n = sampleCount(model.name, xs);
    const cut = Math.floor(n * (1 - split));
    validation = [xs.map((t) => take(t, range(cut, n))), ys.map((t) => take(t, range(cut, n)))];
    xs = xs.map((t) => take(t, range(0, cut)));
    ys = ys.map((t) => take(t, range(0, cut)));
  }
  if (validation) checkData(model, validation[0], validation[1]);
  compiled.optimizer ??= makeOptimizer(compiled.optimizerSpec, model.parameters());
  const n = sampleCount(model.name, xs);
  const generator = options.generator ?? defaultGenerator;
  const history: History = { epoch: [], history: {} };
  let tally = new Tally();
  let validationLogs: Record<string, number> = {};

  await loopFit<Int32Array>({
    model,
    optimizer: compiled.optimizer,
    epochs,
    restoreBest: false,
    batches: () => {
      tally = new Tally();
      const order = Array.from({ length: n }, (_, i) => i);
      if (options.shuffle ?? true) generator.shuffle(order);
      const batches: Int32Array[] = [];
      for (let start = 0; start < n; start += batchSize)
        batches.push(Int32Array.from(order.slice(start, start + batchSize)));
      return batches;
    },
    loss: (idx) => {
      const targets = ys.map((t) => take(t, idx));
      const predictions = model.execute(
        xs.map((t) => take(t, idx)),
        { training: true, mask: xs.map(() => null) },
      ).outputs;
      const loss = batchLoss(compiled, targets, predictions);
      tally.add(idx.length, { loss: loss.data[0]!, ...metricValues(compiled, targets, predictions) });
      return loss;
    },
    ...(validation
      ? {
          validate: () => {
            validationLogs = evaluateLists(model, compiled, validation![0], validation![1], batchSize);
            return validationLogs['loss']!;
          },
        }
      : {}),
    onEpoch: (info) => {
      const logs = {
        ...tally.means(),
        ...Object.fromEntries(Object.entries(validationLogs).map(([k, v]) => [`val_${k}`, v])),
      };
      history.epoch.push(info.epoch - 1);
      for (const [k, v] of Object.entries(logs)) (history.history[k] ??= []).push(v);
      if (options.verbose === 1) {
        console.log(
          `Epoch ${info.epoch}/${epochs} - ${info.seconds.toFixed(2)}s - ${Object.entries(logs)
            .map(([k, v]) => `${k}: ${v.toFixed(4)}`)
            .join(' - ')}`,
        );
      }
      options.onEpochEnd?.(info.epoch - 1, logs);
    },
  });
  return history;
}

export function predictModel(model: Model<Arity>, x: Data, options: PredictOptions): Tensor[] {
  model.buildFromGraph(x);
  const xs = asList(x);
  const n = sampleCount(model.name, xs);
  const batchSize = positive(model.name, 'batchSize', options.batchSize ?? 32);
  const parts: Tensor[][] = [];
  noGrad(() => {
    for (let start = 0; start < n; start += batchSize) {
      const idx = range(start, Math.min(n, start + batchSize));
      parts.push(
        model.execute(
          xs.map((t) => (idx.length === n ? t : take(t, idx))),
          { training: false, mask: xs.map(() => null) },
        ).outputs,
      );
    }
  });
  return parts[0]!.map((_, k) =>
    parts.length === 1
      ? parts[0]![k]!
      : concat(
          parts.map((p) => p[k]!),
          0,
        ),
  );
}

export function evaluateModel(model: Model<Arity>, x: Data, y: Data, options: EvaluateOptions): Record<string, number> {
  model.buildFromGraph(x);
  const compiled = requireCompiled(model);
  const xs = asList(x);
  const ys = asList(y);
  checkData(model, xs, ys);
  return evaluateLists(model, compiled, xs, ys, positive(model.name, 'batchSize', options.batchSize ?? 32));
}
