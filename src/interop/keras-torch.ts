/**
 * Keras weights <-> PyTorch state dicts: the layout conversions between the Keras-style layers
 * (`layers.simpleRNN`/`lstm`/`gru`/`dense`/`embedding`, `bidirectional`, `timeDistributed`) and
 * the PyTorch-style modules (`nn.RNN`/`LSTM`/`GRU`/`Linear`/`Embedding`).
 *
 *   const torchLike = kerasToTorchModule(kerasLstm);            // an nn.LSTM, batchFirst
 *   torchLike.forward(x).output                                  // == kerasLstm's sequence output
 *   gruModule.loadStateDict(kerasToTorchStateDict(kerasGru));    // the state dict alone
 *   kerasLayer.setWeights(torchToKerasWeights(nnModule));        // and back
 *
 * The layouts (U units, F input features, G gate blocks):
 *   Keras    kernel (F, G*U)   recurrent_kernel (U, G*U)   bias (G*U), GRU resetAfter (2, G*U)
 *   PyTorch  weight_ih (G*U, F) weight_hh (G*U, U)          bias_ih, bias_hh (G*U)
 * so the kernels are transposed and the gate blocks reordered:
 *   LSTM  Keras i, f, c, o  ==  PyTorch i, f, g, o  (same order)
 *   GRU   Keras z, r, h     ->  PyTorch r, z, n
 * Keras's single bias (LSTM, SimpleRNN) becomes bias_ih with bias_hh = 0 (the two are only ever
 * added), and back, bias = bias_ih + bias_hh. A GRU resetAfter bias (2, 3U) splits into its rows:
 * row 0 (input) -> bias_ih, row 1 (recurrent) -> bias_hh. A bidirectional layer's backward
 * direction gets PyTorch's `_reverse` names.
 *
 * Conversions are exact or refused with a ValueError saying why:
 *   - Keras GRU with resetAfter false (Keras 2's and TF.js's GRU) applies the reset gate before
 *     the recurrent product, h̃ = act(x·W_h + b_h + (r ⊙ h)·U_h); PyTorch's GRU applies it after,
 *     n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)). No choice of weights makes the two agree
 *     for every input (r ⊙ h mixes through U_h in one and not in the other).
 *   - nn.LSTM/nn.GRU fix the activations to tanh and sigmoid (nn.RNN: tanh or relu); a Keras
 *     layer with others (TF.js's default recurrentActivation is 'hardSigmoid') is refused.
 *   - nn modules have no goBackwards: a Keras layer reading backwards is refused (its weights
 *     can still go into a bidirectional module's `_reverse` slot with `kerasRecurrentToTorch`).
 *   - an LSTM with projSize has no Keras counterpart.
 * Dense's activation is not part of nn.Linear: `kerasToTorchModule` refuses a Dense with one
 * unless `ignoreActivation` is set (then apply it yourself); the state dict holds weights only.
 */
import { ShapeError, ValueError } from '../errors.js';
import { type CellFamily, FAMILIES, type FamilySpec, inversePermutation } from '../families.js';
import { Bidirectional, TimeDistributed } from '../layers/wrappers.js';
import { Dense } from '../layers/core.js';
import { Embedding } from '../layers/embedding.js';
import type { Layer } from '../layers/layer.js';
import { GRU } from '../layers/recurrent/gru.js';
import { LSTM } from '../layers/recurrent/lstm.js';
import { SimpleRNN } from '../layers/recurrent/simple-rnn.js';
import type { RecurrentLayer } from '../layers/recurrent/base.js';
import { Embedding as TorchEmbedding } from '../nn/embedding.js';
import { Linear } from '../nn/linear.js';
import type { Module, StateDict } from '../nn/module.js';
import { GRU as TorchGRU } from '../nn/recurrent/gru.js';
import { LSTM as TorchLSTM } from '../nn/recurrent/lstm.js';
import { parameterName } from '../nn/recurrent/options.js';
import { RNN as TorchRNN } from '../nn/recurrent/rnn.js';
import { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';

/** One recurrent layer and direction in Keras's layout. */
export interface KerasRecurrentWeights {
  /** (F, G*U) */
  kernel: Tensor;
  /** (U, G*U) */
  recurrentKernel: Tensor;
  /** (G*U), or (2, 3U) for a GRU with resetAfter; null without biases. */
  bias: Tensor | null;
}

export interface RecurrentNameOptions {
  /** The `_l{k}` of PyTorch's names: which layer of a stacked module (default 0). */
  layerIndex?: number;
  /** The backward direction of a bidirectional module: `_reverse` names (default false). */
  reverse?: boolean;
}

export interface KerasRecurrentToTorchOptions extends RecurrentNameOptions {
  /**
   * GRU only: whether the Keras layer had resetAfter. Default: read from the bias shape
   * ((2, 3U) is resetAfter); required for a GRU without bias. false is refused (see the file comment).
   */
  resetAfter?: boolean;
}

/** The nn modules these conversions produce and read. */
export type TorchConvertible = TorchRNN | TorchLSTM | TorchGRU | Linear | TorchEmbedding;

/** The family's row, or a ValueError naming `where` for anything else. */
function familySpec(where: string, kind: CellFamily): FamilySpec {
  if (typeof kind !== 'string' || !Object.hasOwn(FAMILIES, kind)) {
    throw new ValueError(
      where,
      `kind must be ${Object.keys(FAMILIES)
        .map((f) => `'${f}'`)
        .join(', ')
        .replace(/, ([^,]*)$/, ' or $1')}, got ${String(kind)}`,
    );
  }
  return FAMILIES[kind];
}

/** 'SimpleRNN/RNN', 'LSTM', 'GRU': the Keras and PyTorch class names. */
const kindName = (f: FamilySpec) => (f.kerasClass === f.torchClass ? f.kerasClass : `${f.kerasClass}/${f.torchClass}`);

/** PyTorch block g comes from Keras block blocks[g] (and back: Keras block blocks[g] gets PyTorch block g). */
const torchFromKeras = (f: FamilySpec) => inversePermutation(f.kerasOrder);

const GRU_RESET_BEFORE =
  "a Keras GRU with resetAfter false (reset-before: Keras 2's and TF.js's GRU, h̃ = act(x·W_h + b_h + (r ⊙ h)·U_h)) has no exact PyTorch equivalent: " +
  "PyTorch's GRU is reset-after (n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))), and no weights make the two agree for every input. " +
  'Run it as layers.gru({ resetAfter: false }) instead, or retrain with resetAfter true';

// ---------------------------------------------------------------------------------------------
// Layout helpers (plain loops over the contiguous Float32Array data)

/** Keras (rows, G*U) -> PyTorch (G*U, rows): transposed, PyTorch block g taken from Keras block blocks[g]. */
function kerasMatrixToTorch(m: Tensor, blocks: readonly number[], units: number): Tensor {
  const [rows, cols] = m.shape as [number, number];
  const out = new Float32Array(rows * cols);
  blocks.forEach((from, g) => {
    for (let u = 0; u < units; u++) {
      const src = from * units + u;
      const dst = (g * units + u) * rows;
      for (let r = 0; r < rows; r++) out[dst + r] = m.data[r * cols + src]!;
    }
  });
  return new Tensor(out, [cols, rows]);
}

/** PyTorch (G*U, cols) -> Keras (cols, G*U): the inverse of kerasMatrixToTorch. */
function torchMatrixToKeras(w: Tensor, blocks: readonly number[], units: number): Tensor {
  const [rows, cols] = w.shape as [number, number]; // rows = G*U
  const out = new Float32Array(rows * cols);
  blocks.forEach((to, g) => {
    for (let u = 0; u < units; u++) {
      const src = (g * units + u) * cols;
      const dst = to * units + u;
      for (let c = 0; c < cols; c++) out[c * rows + dst] = w.data[src + c]!;
    }
  });
  return new Tensor(out, [cols, rows]);
}

/** A (G*U) vector (starting at `offset` in `data`), PyTorch block g from Keras block blocks[g]. */
function kerasVectorToTorch(data: Float32Array, offset: number, blocks: readonly number[], units: number): Tensor {
  const out = new Float32Array(blocks.length * units);
  blocks.forEach((from, g) => out.set(data.subarray(offset + from * units, offset + (from + 1) * units), g * units));
  return new Tensor(out, [blocks.length * units]);
}

/** A (G*U) PyTorch vector in Keras's block order, written into `out` at `offset`. */
function torchVectorToKeras(
  v: Tensor,
  blocks: readonly number[],
  units: number,
  out: Float32Array,
  offset: number,
): void {
  blocks.forEach((to, g) => out.set(v.data.subarray(g * units, (g + 1) * units), offset + to * units));
}

function sameShape(t: unknown, shape: readonly number[]): boolean {
  return (
    t instanceof Tensor &&
    t.rank === shape.length &&
    (t.shape as readonly number[]).every((d: number, i: number) => d === shape[i])
  );
}

function checkShape(
  where: string,
  what: string,
  t: unknown,
  shape: readonly number[],
  hint: string,
): asserts t is Tensor {
  if (!sameShape(t, shape)) {
    throw new ShapeError({ where, what, expected: shape, actual: t instanceof Tensor ? t.shape : String(t), hint });
  }
}

function checkIndex(where: string, layerIndex: number): void {
  if (!Number.isInteger(layerIndex) || layerIndex < 0)
    throw new ValueError(where, `layerIndex must be a non-negative integer, got ${String(layerIndex)}`);
}

// ---------------------------------------------------------------------------------------------
// One recurrent layer and direction

/**
 * Keras weights of one recurrent layer and direction -> PyTorch's entries for it
 * (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, `_reverse` with `reverse`).
 * The activations are not checked here (the layer-level functions check them): nn modules
 * compute tanh/sigmoid gates, so the Keras layer must have used those.
 */
export function kerasRecurrentToTorch(
  kind: CellFamily,
  weights: KerasRecurrentWeights,
  options: KerasRecurrentToTorchOptions = {},
): Record<string, Tensor> {
  const spec = familySpec('kerasRecurrentToTorch', kind);
  const where = `kerasRecurrentToTorch(${kindName(spec)})`;
  const gates = spec.gates;
  const layerIndex = options.layerIndex ?? 0;
  checkIndex(where, layerIndex);
  const { kernel, recurrentKernel, bias } = weights ?? ({} as KerasRecurrentWeights);
  if (!(kernel instanceof Tensor) || kernel.rank !== 2 || kernel.shape[1]! % gates !== 0 || kernel.shape[1] === 0) {
    throw new ShapeError({
      where,
      what: 'kernel shape',
      expected: `(features, ${gates} * units)`,
      actual: kernel instanceof Tensor ? kernel.shape : String(kernel),
    });
  }
  const units = kernel.shape[1]! / gates;
  checkShape(
    where,
    'recurrent_kernel shape',
    recurrentKernel,
    [units, gates * units],
    'Keras layout: recurrent_kernel (units, gates * units)',
  );
  let resetAfter = options.resetAfter;
  if (kind === 'gru') {
    if (resetAfter === undefined) {
      if (bias === null || bias === undefined)
        throw new ValueError(
          where,
          'a GRU without bias needs options.resetAfter (whether the Keras layer had resetAfter)',
        );
      resetAfter = bias.rank === 2;
    }
    if (!resetAfter) throw new ValueError(where, GRU_RESET_BEFORE);
  }
  const blocks = torchFromKeras(spec);
  const dir = options.reverse ? 1 : 0;
  const dict: Record<string, Tensor> = {
    [parameterName('weight_ih', layerIndex, dir)]: kerasMatrixToTorch(kernel, blocks, units),
    [parameterName('weight_hh', layerIndex, dir)]: kerasMatrixToTorch(recurrentKernel, blocks, units),
  };
  if (bias !== null && bias !== undefined) {
    const width = gates * units;
    if (kind === 'gru') {
      checkShape(
        where,
        'bias shape',
        bias,
        [2, width],
        'a resetAfter GRU bias is (2, 3 * units): row 0 the input bias, row 1 the recurrent bias',
      );
      dict[parameterName('bias_ih', layerIndex, dir)] = kerasVectorToTorch(bias.data, 0, blocks, units);
      dict[parameterName('bias_hh', layerIndex, dir)] = kerasVectorToTorch(bias.data, width, blocks, units);
    } else {
      checkShape(where, 'bias shape', bias, [width], `Keras layout: bias (${gates} * units)`);
      dict[parameterName('bias_ih', layerIndex, dir)] = kerasVectorToTorch(bias.data, 0, blocks, units);
      dict[parameterName('bias_hh', layerIndex, dir)] = new Tensor(new Float32Array(width), [width]);
    }
  }
  return dict;
}

function entry(dict: StateDict, key: string): Tensor | undefined {
  return dict instanceof Map ? dict.get(key) : (dict as Record<string, Tensor>)[key];
}

/**
 * PyTorch's entries for one recurrent layer and direction -> Keras weights (a GRU gets the
 * resetAfter layout, bias (2, 3U)). `dict` is a module's `stateDict()` or a loaded state dict.
 */
export function torchRecurrentToKeras(
  kind: CellFamily,
  dict: StateDict,
  options: RecurrentNameOptions = {},
): KerasRecurrentWeights {
  const spec = familySpec('torchRecurrentToKeras', kind);
  const where = `torchRecurrentToKeras(${kindName(spec)})`;
  const gates = spec.gates;
  const layerIndex = options.layerIndex ?? 0;
  checkIndex(where, layerIndex);
  const dir = options.reverse ? 1 : 0;
  const name = (k: 'weight_ih' | 'weight_hh' | 'bias_ih' | 'bias_hh' | 'weight_hr') =>
    parameterName(k, layerIndex, dir);
  if (entry(dict, name('weight_hr')) !== undefined)
    throw new ValueError(where, `${name('weight_hr')} is present: an LSTM with projSize has no Keras equivalent`);
  const wIh = entry(dict, name('weight_ih'));
  const wHh = entry(dict, name('weight_hh'));
  if (!(wHh instanceof Tensor) || wHh.rank !== 2 || wHh.shape[0] !== gates * wHh.shape[1]!) {
    throw new ShapeError({
      where,
      what: `${name('weight_hh')} shape`,
      expected: `(${gates} * hidden, hidden)`,
      actual: wHh instanceof Tensor ? wHh.shape : 'missing',
    });
  }
  const units = wHh.shape[1]!;
  const width = gates * units;
  if (!(wIh instanceof Tensor) || wIh.rank !== 2 || wIh.shape[0] !== width) {
    throw new ShapeError({
      where,
      what: `${name('weight_ih')} shape`,
      expected: `(${width}, features)`,
      actual: wIh instanceof Tensor ? wIh.shape : 'missing',
    });
  }
  const blocks = torchFromKeras(spec);
  const bIh = entry(dict, name('bias_ih'));
  const bHh = entry(dict, name('bias_hh'));
  let bias: Tensor | null = null;
  if (bIh !== undefined || bHh !== undefined) {
    checkShape(where, `${name('bias_ih')} shape`, bIh, [width], 'PyTorch layout: bias_ih (gates * hidden)');
    checkShape(where, `${name('bias_hh')} shape`, bHh, [width], 'PyTorch layout: bias_hh (gates * hidden)');
    if (kind === 'gru') {
      const out = new Float32Array(2 * width);
      torchVectorToKeras(bIh, blocks, units, out, 0);
      torchVectorToKeras(bHh, blocks, units, out, width);
      bias = new Tensor(out, [2, width]);
    } else {
      const sum = new Float32Array(width);
      for (let i = 0; i < width; i++) sum[i] = bIh.data[i]! + bHh.data[i]!;
      const out = new Float32Array(width);
      torchVectorToKeras(new Tensor(sum, [width]), blocks, units, out, 0);
      bias = new Tensor(out, [width]);
    }
  }
  return {
    kernel: torchMatrixToKeras(wIh, blocks, units),
    recurrentKernel: torchMatrixToKeras(wHh, blocks, units),
    bias,
  };
}

// ---------------------------------------------------------------------------------------------
// Keras layers -> nn

function kindOf(layer: RecurrentLayer): CellFamily {
  if (layer instanceof SimpleRNN || layer instanceof LSTM || layer instanceof GRU) return layer.family;
  throw new ValueError(layer.name, `${layer.className} has no nn counterpart (SimpleRNN, LSTM and GRU do)`);
}

const activationText = (a: unknown): string =>
  typeof a === 'function' ? `a function (${(a as { name?: string }).name || 'anonymous'})` : `'${String(a)}'`;

/** Throws unless the nn module of `kind` computes exactly what `layer` computes (goBackwards aside). */
function checkRecurrentMapping(layer: RecurrentLayer, kind: CellFamily): void {
  const where = layer.name;
  if (!layer.kernel || !layer.recurrentKernel)
    throw new ValueError(where, 'is not built yet (no weights): apply it to an input or a model first');
  if (kind === 'rnn') {
    if (layer.activation !== 'tanh' && layer.activation !== 'relu') {
      throw new ValueError(
        where,
        `SimpleRNN activation ${activationText(layer.activation)} has no nn.RNN equivalent (nn.RNN's nonlinearity is 'tanh' or 'relu')`,
      );
    }
    return;
  }
  const family = FAMILIES[kind].torchClass;
  if (layer.activation !== 'tanh')
    throw new ValueError(
      where,
      `${family} activation ${activationText(layer.activation)} has no nn.${family} equivalent (nn.${family} uses tanh)`,
    );
  const recurrentActivation = (layer as LSTM | GRU).recurrentActivation;
  if (recurrentActivation !== 'sigmoid') {
    throw new ValueError(
      where,
      `${family} recurrentActivation ${activationText(recurrentActivation)} has no nn.${family} equivalent (nn.${family} uses sigmoid gates; TF.js's default is 'hardSigmoid')`,
    );
  }
  if (kind === 'gru' && !(layer as GRU).resetAfter) throw new ValueError(where, GRU_RESET_BEFORE);
}

function recurrentWeights(layer: RecurrentLayer): KerasRecurrentWeights {
  return { kernel: layer.kernel!, recurrentKernel: layer.recurrentKernel!, bias: layer.bias };
}

/** A recurrent layer, or bidirectional around one, as (kind, directions). */
function recurrentParts(layer: Layer<'one' | 'many'>): { kind: CellFamily; directions: RecurrentLayer[] } | null {
  if (layer instanceof Bidirectional) {
    const kind = kindOf(layer.forwardLayer);
    if (layer.forwardLayer.goBackwards) {
      throw new ValueError(
        layer.name,
        'wraps a layer with goBackwards true, so its "forward" direction reads backwards; nn bidirectional modules have no such form',
      );
    }
    return { kind, directions: [layer.forwardLayer, layer.backwardLayer] };
  }
  if (layer instanceof SimpleRNN || layer instanceof LSTM || layer instanceof GRU) {
    if (layer.goBackwards) {
      throw new ValueError(
        layer.name,
        "has goBackwards true, which nn modules do not have: flip the input in time and the output back, or put its weights in a bidirectional module's _reverse slot with kerasRecurrentToTorch(kind, weights, { reverse: true })",
      );
    }
    return { kind: kindOf(layer), directions: [layer] };
  }
  return null;
}

export interface KerasToTorchOptions {
  /** Recurrent layers: the `_l{k}` of the names, to fill layer k of a stacked module (default 0). */
  layerIndex?: number;
}

/**
 * The PyTorch state dict of a Keras-style layer: SimpleRNN -> nn.RNN, LSTM -> nn.LSTM,
 * GRU (resetAfter) -> nn.GRU, Bidirectional(...) -> the bidirectional module (backward
 * direction under `_reverse` names), Dense or TimeDistributed(Dense) -> nn.Linear
 * (weight = kernelᵀ), Embedding -> nn.Embedding. Throws a ValueError where the nn module would
 * compute something else (see the file comment).
 */
export function kerasToTorchStateDict(
  layer: Layer<'one' | 'many'>,
  options: KerasToTorchOptions = {},
): Record<string, Tensor> {
  const target = layer instanceof TimeDistributed ? layer.layer : layer;
  if (target instanceof Dense) {
    if (!target.kernel)
      throw new ValueError(target.name, 'is not built yet (no weights): apply it to an input or a model first');
    const kernel = target.kernel;
    const dict: Record<string, Tensor> = { weight: kerasMatrixToTorch(kernel, [0], kernel.shape[1]!) };
    if (target.bias) dict.bias = new Tensor(Float32Array.from(target.bias.data), target.bias.shape);
    return dict;
  }
  if (target instanceof Embedding) {
    if (!target.embeddings)
      throw new ValueError(target.name, 'is not built yet (no weights): apply it to an input or a model first');
    return { weight: new Tensor(Float32Array.from(target.embeddings.data), target.embeddings.shape) };
  }
  if (layer instanceof TimeDistributed)
    throw new ValueError(layer.name, `wraps ${target.className}; only timeDistributed(dense) converts (to nn.Linear)`);
  const parts = recurrentParts(layer);
  if (!parts)
    throw new ValueError(
      layer.name,
      `${layer.className} has no nn counterpart; convertible: SimpleRNN, LSTM, GRU, Bidirectional, Dense, TimeDistributed(Dense), Embedding`,
    );
  const dict: Record<string, Tensor> = {};
  parts.directions.forEach((direction, d) => {
    checkRecurrentMapping(direction, parts.kind);
    Object.assign(
      dict,
      kerasRecurrentToTorch(parts.kind, recurrentWeights(direction), {
        layerIndex: options.layerIndex ?? 0,
        reverse: d === 1,
        resetAfter: true,
      }),
    );
  });
  return dict;
}

export interface KerasToTorchModuleOptions {
  /** Recurrent modules: (batch, time, features) input and output as Keras (default true). */
  batchFirst?: boolean;
  /** Dense with an activation: convert anyway, leaving the activation to the caller (default false: refuse). */
  ignoreActivation?: boolean;
}

/** A throwaway generator: the modules' initial weights are overwritten, and the global one stays untouched. */
const scratch = () => new Generator(0);

/**
 * The nn module that computes what a Keras-style layer computes, with its weights:
 * SimpleRNN -> nn.RNN, LSTM -> nn.LSTM, GRU (resetAfter) -> nn.GRU, Bidirectional -> the same
 * with `bidirectional: true`, Dense / TimeDistributed(Dense) -> nn.Linear, Embedding -> nn.Embedding.
 * Recurrent modules return the whole sequence and the final states: Keras's `returnSequences`
 * output is `output`; without it Keras returns `h[-1]` (bidirectional 'concat': h[0] and h[1]
 * joined). A bidirectional layer's mergeMode other than 'concat' is applied by the caller.
 */
export function kerasToTorchModule(layer: LSTM, options?: KerasToTorchModuleOptions): TorchLSTM;
export function kerasToTorchModule(layer: GRU, options?: KerasToTorchModuleOptions): TorchGRU;
export function kerasToTorchModule(layer: SimpleRNN, options?: KerasToTorchModuleOptions): TorchRNN;
export function kerasToTorchModule(layer: Dense, options?: KerasToTorchModuleOptions): Linear;
export function kerasToTorchModule(layer: Embedding, options?: KerasToTorchModuleOptions): TorchEmbedding;
export function kerasToTorchModule(layer: Layer<'one' | 'many'>, options?: KerasToTorchModuleOptions): TorchConvertible;
export function kerasToTorchModule(
  layer: Layer<'one' | 'many'>,
  options: KerasToTorchModuleOptions = {},
): TorchConvertible {
  const dict = kerasToTorchStateDict(layer);
  const target = layer instanceof TimeDistributed ? layer.layer : layer;
  let module: TorchConvertible;
  if (target instanceof Dense) {
    if (target.activation !== 'linear' && !options.ignoreActivation) {
      throw new ValueError(
        target.name,
        `Dense activation ${activationText(target.activation)} is not part of nn.Linear; pass { ignoreActivation: true } to convert the weights and apply the activation yourself`,
      );
    }
    const [inFeatures, outFeatures] = target.kernel!.shape as [number, number];
    module = new Linear({ inFeatures, outFeatures, bias: target.useBias, generator: scratch() });
  } else if (target instanceof Embedding) {
    module = new TorchEmbedding({
      numEmbeddings: target.inputDim,
      embeddingDim: target.outputDim,
      generator: scratch(),
    });
  } else {
    const parts = recurrentParts(layer)!;
    const first = parts.directions[0]!;
    const recurrentOptions = {
      inputSize: first.kernel!.shape[0]!,
      hiddenSize: first.units,
      bias: first.useBias,
      batchFirst: options.batchFirst ?? true,
      bidirectional: parts.directions.length === 2,
      generator: scratch(),
    };
    if (parts.kind === 'lstm') module = new TorchLSTM(recurrentOptions);
    else if (parts.kind === 'gru') module = new TorchGRU(recurrentOptions);
    else module = new TorchRNN({ ...recurrentOptions, nonlinearity: first.activation as 'tanh' | 'relu' });
  }
  module.loadStateDict(dict);
  return module;
}

// ---------------------------------------------------------------------------------------------
// nn -> Keras

function torchKind(module: Module): CellFamily | null {
  return module instanceof TorchLSTM || module instanceof TorchGRU || module instanceof TorchRNN ? module.family : null;
}

/**
 * The Keras-order weights of an nn module, ready for `setWeights` on the matching Keras-style
 * layer: nn.RNN/LSTM/GRU layer `layerIndex` -> [kernel, recurrent_kernel, bias] (bidirectional:
 * the forward direction's, then the backward one's, as `layers.bidirectional` orders them; a GRU
 * gives the resetAfter layout, for `layers.gru({ resetAfter: true })`), nn.Linear ->
 * [kernel (in, out), bias], nn.Embedding -> [embeddings]. Without biases there is no bias entry
 * (the Keras layer needs `useBias: false`).
 */
export function torchToKerasWeights(module: Module, options: { layerIndex?: number } = {}): Tensor[] {
  if (module instanceof Linear) {
    const weights = [torchMatrixToKeras(module.weight, [0], module.outFeatures)];
    if (module.bias) weights.push(new Tensor(Float32Array.from(module.bias.data), module.bias.shape));
    return weights;
  }
  if (module instanceof TorchEmbedding) return [new Tensor(Float32Array.from(module.weight.data), module.weight.shape)];
  const kind = torchKind(module);
  if (!kind)
    throw new ValueError(
      'torchToKerasWeights',
      `${module?.describe?.() ?? String(module)} has no Keras counterpart (nn.RNN, LSTM, GRU, Linear and Embedding do)`,
    );
  const recurrent = module as TorchRNN | TorchLSTM | TorchGRU;
  const layerIndex = options.layerIndex ?? 0;
  if (!Number.isInteger(layerIndex) || layerIndex < 0 || layerIndex >= recurrent.numLayers) {
    throw new ValueError(
      recurrent.describe(),
      `layerIndex must be an integer in [0, ${recurrent.numLayers}), got ${String(layerIndex)}`,
    );
  }
  if (recurrent instanceof TorchRNN && recurrent.nonlinearity !== 'tanh' && recurrent.nonlinearity !== 'relu')
    throw new ValueError(recurrent.describe(), 'unknown nonlinearity');
  const dict = recurrent.stateDict();
  const out: Tensor[] = [];
  for (let d = 0; d < recurrent.numDirections; d++) {
    const w = torchRecurrentToKeras(kind, dict, { layerIndex, reverse: d === 1 });
    out.push(w.kernel, w.recurrentKernel, ...(w.bias ? [w.bias] : []));
  }
  return out;
}

export interface TorchToKerasLayerOptions {
  /** Which layer of a stacked module (default 0). */
  layerIndex?: number;
  /** Recurrent layers: return the whole sequence (default true, as nn modules do). */
  returnSequences?: boolean;
  /** Recurrent layers: also return the final states (default false). */
  returnState?: boolean;
  /** The Keras layer's name (default: automatic). */
  name?: string;
}

/**
 * A built Keras-style layer computing what an nn module (one layer of it) computes, with its
 * weights: nn.RNN -> simpleRNN (activation = nonlinearity), nn.LSTM -> lstm (sigmoid gates),
 * nn.GRU -> gru (resetAfter, sigmoid gates), each wrapped in `bidirectional` (mergeMode 'concat')
 * for a bidirectional module; nn.Linear -> dense; nn.Embedding -> embedding.
 */
export function torchToKerasLayer(module: Module, options: TorchToKerasLayerOptions = {}): Layer<'one' | 'many'> {
  const weights = torchToKerasWeights(module, { layerIndex: options.layerIndex });
  const name = options.name;
  let layer: Layer<'one' | 'many'>;
  if (module instanceof Linear) {
    layer = new Dense({ units: module.outFeatures, useBias: module.bias !== null, name });
    layer.ensureBuilt([null, module.inFeatures]);
  } else if (module instanceof TorchEmbedding) {
    layer = new Embedding({ inputDim: module.numEmbeddings, outputDim: module.embeddingDim, name });
    layer.ensureBuilt([null, null]);
  } else {
    const recurrent = module as TorchRNN | TorchLSTM | TorchGRU;
    const kind = torchKind(module)!;
    const layerIndex = options.layerIndex ?? 0;
    const features = layerIndex === 0 ? recurrent.inputSize : recurrent.numDirections * recurrent.hiddenSize;
    const common = {
      units: recurrent.hiddenSize,
      useBias: recurrent.bias,
      returnSequences: options.returnSequences ?? true,
      returnState: options.returnState ?? false,
      name: recurrent.bidirectional ? undefined : name,
    };
    const inner: RecurrentLayer =
      kind === 'lstm'
        ? new LSTM({ ...common, activation: 'tanh', recurrentActivation: 'sigmoid' })
        : kind === 'gru'
          ? new GRU({ ...common, activation: 'tanh', recurrentActivation: 'sigmoid', resetAfter: true })
          : new SimpleRNN({ ...common, activation: (recurrent as TorchRNN).nonlinearity });
    layer = recurrent.bidirectional ? new Bidirectional(inner, { mergeMode: 'concat', name }) : inner;
    layer.ensureBuilt([null, null, features]);
  }
  layer.setWeights(weights);
  return layer;
}
