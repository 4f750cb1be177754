/**
 * Layer: the base of every Keras-style layer, and the contract for writing your own.
 *
 * A layer is applied to a symbolic tensor (from `input()`) to build a model graph, or to a
 * tensor with data to compute at once:
 *
 *   const x = input({ shape: [10, 20] });            // (None, 10, 20)
 *   const y = lstm({ units: 32 }).apply(x);          // (None, 32)
 *   lstm({ units: 32 }).apply(randn([2, 10, 20]));   // a Tensor (2, 32)
 *
 * Writing a custom layer (the whole contract; see examples/seed002-keras-shapes.ts):
 *
 *   class TimeAverageLayer extends Layer {
 *     // (batch, time, features) -> (batch, features)
 *     override call(x: Tensor): Tensor { return x.mean(1); }
 *   }
 *
 * - `call(inputs, { training, mask })` computes the output from tensors with differentiable
 *   ops, so gradients flow and `fit` trains it. `inputs` is one Tensor, or a list when the
 *   layer was applied to a list.
 * - `build(inputShape)` (optional) creates weights with `addWeight(name, shape, initializer)`
 *   once the input shape is known; `inputShape` has `null` for the batch.
 * - `computeOutputShape(inputShape)` (optional): without it the output shape is found by
 *   running `call` on zeros twice, with the unknown sizes set to 2 and then 3; sizes that
 *   change between the two runs become `null`.
 * - `supportsMasking = true` passes the input's mask on unchanged; override
 *   `computeMask(inputs, mask)` to make or consume one.
 * - The name defaults to the class name in snake_case with a counter: `time_average_layer`,
 *   `time_average_layer_1`, ... (`clearSession()` resets the counters).
 */
import { ShapeError, ValueError } from '../errors.js';
import { Module } from '../nn/module.js';
import { noGrad } from '../tensor/autograd.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { initialize, type Initializer } from './initializers.js';
import {
  checkInputSpec,
  type Dim,
  formatSymbolicShape,
  type InputSpec,
  isShapeList,
  type SymbolicShape,
  withUnknownBatch,
} from './shape.js';
import { attachMask, LayerNode, maskOf, SymbolicTensor } from './symbolic.js';

const counters = new Map<string, number>();

/** `base` the first time, then `base_1`, `base_2`, ... (Keras's automatic names). */
export function uniqueName(base: string): string {
  const n = counters.get(base) ?? 0;
  counters.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

/** Resets the automatic layer-name counters, as `keras.backend.clear_session()` does. */
export function clearSession(): void {
  counters.clear();
}

/** `SimpleRNN` -> `simple_rnn`, `GlobalAveragePooling1D` -> `global_average_pooling1d` (Keras's rule). */
export function toSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** Whether a layer returns one tensor or a list (a recurrent layer with `returnState` returns a list). */
export type Arity = 'one' | 'many';
export type SymbolicOutput<A extends Arity> = A extends 'one' ? SymbolicTensor : SymbolicTensor[];
export type EagerOutput<A extends Arity> = A extends 'one' ? Tensor : Tensor[];

/** A mask: `(batch, time)` of 0/1 (1 = a real step), or null for none. */
export type Mask = Tensor | null;

/** What `call` receives besides the inputs. */
export interface CallContext {
  /** True inside `fit` (dropout active); false for `predict`, `evaluate` and direct calls. */
  training: boolean;
  /** The input's mask, or one per input when the layer was applied to a list. */
  mask: Mask | Mask[];
}

export interface LayerOptions {
  /** The layer's name (default: the class name in snake_case with a counter, e.g. `lstm_1`). */
  name?: string;
  /** Shape of one sample, without the batch: lets a `sequential` model build before seeing data. */
  inputShape?: SymbolicShape;
  /** Fixed batch size to go with `inputShape` (stateful recurrent layers use it). */
  batchSize?: number;
  /** Whether `fit` updates the weights (default true). */
  trainable?: boolean;
}

export interface ApplyOptions {
  /** Eager calls only: run in training mode (dropout active). Default false. */
  training?: boolean;
  /** Eager calls only: the mask of the (first) input, overriding one attached by the previous layer. */
  mask?: Tensor | null;
  /** Recurrent layers: the initial states (`[h]`, LSTM `[h, c]`), each `(batch, units)`. */
  initialState?: readonly SymbolicTensor[] | readonly Tensor[];
}

/** What one run of a layer produced. */
export interface LayerResult {
  outputs: Tensor[];
  masks: Mask[];
  /** Whether the layer returns one tensor (rather than a list). */
  single: boolean;
}

type AnyInput = SymbolicTensor | Tensor;

function asList<T>(value: T | readonly T[]): T[] {
  return Array.isArray(value) ? [...(value as readonly T[])] : [value as T];
}

export abstract class Layer<A extends Arity = 'one'> extends Module {
  /** Unique name within a model, e.g. `lstm_1`. */
  readonly name: string;
  /** Shape of the input this layer was declared for (`inputShape` with the batch), or null. */
  readonly declaredInputShape: SymbolicShape | null;
  /** Symbolic applications of this layer, in order. */
  readonly inboundNodes: LayerNode[] = [];
  /** Whether the input's mask passes through to the output (default false: it is dropped). */
  supportsMasking = false;
  /** Checked against the (first) input on every application; set it in the constructor or `build`. */
  protected inputSpec: InputSpec | null = null;
  /** Whether `apply` accepts `initialState` (recurrent layers). */
  protected readonly acceptsInitialState: boolean = false;
  /** Generator for weight initialization. */
  protected generator: Generator = defaultGenerator;
  private isBuilt = false;
  private isTrainable: boolean;

  constructor(options: LayerOptions = {}) {
    super();
    if (
      options.name !== undefined &&
      (typeof options.name !== 'string' || options.name === '' || /[./\s]/.test(options.name))
    ) {
      throw new ValueError(
        this.className,
        `name must be a non-empty string without '.', '/' or spaces, got ${JSON.stringify(options.name)}`,
      );
    }
    this.name = options.name ?? uniqueName(toSnakeCase(this.className));
    this.isTrainable = options.trainable ?? true;
    if (options.inputShape !== undefined) {
      const shape = [...options.inputShape];
      if (shape.some((d) => d !== null && (!Number.isInteger(d) || d <= 0))) {
        throw new ValueError(this.name, `inputShape must hold positive integers or null, got [${shape.join(', ')}]`);
      }
      this.declaredInputShape = [options.batchSize ?? null, ...shape];
    } else {
      this.declaredInputShape = null;
    }
  }

  /** The class name shown by `summary()`, e.g. `LSTM`. */
  get className(): string {
    return this.constructor.name;
  }

  /** Whether `build` has run (weights exist). */
  get built(): boolean {
    return this.isBuilt;
  }

  /** Whether `fit` updates this layer's weights. Setting it freezes or unfreezes every weight. */
  get trainable(): boolean {
    return this.isTrainable;
  }

  set trainable(value: boolean) {
    this.isTrainable = value;
    for (const p of this.parameters()) p.requiresGrad = value;
  }

  override describe(): string {
    return `${this.name} (${this.className})`;
  }

  /** Creates the weights once the input shape is known (`null` for the batch). Default: none. */
  build(_inputShape: SymbolicShape | readonly SymbolicShape[]): void {}

  /** Computes the output; see the contract in the file comment. */
  abstract call(inputs: Tensor | Tensor[], context: CallContext): Tensor | Tensor[];

  /**
   * The output shape (or shapes) for an input shape, batch first with `null` for unknown sizes.
   * Default: found by running `call` on zeros (see the file comment).
   */
  computeOutputShape(inputShape: SymbolicShape | readonly SymbolicShape[]): SymbolicShape | SymbolicShape[] {
    return this.inferOutputShape(inputShape);
  }

  /** The mask of the output(s). Default: the input's mask when `supportsMasking`, else none. */
  computeMask(_inputs: Tensor | Tensor[], mask: Mask | Mask[]): Mask | Mask[] {
    if (!this.supportsMasking) return null;
    return Array.isArray(mask) ? (mask[0] ?? null) : mask;
  }

  /**
   * Adds a weight (a trainable tensor unless `trainable` is false) under a Keras name such as
   * `kernel`. Call it from `build`.
   */
  addWeight(
    name: string,
    shape: readonly number[],
    initializer: Initializer = 'glorotUniform',
    trainable = true,
  ): Tensor {
    const value = new Tensor(initialize(initializer, shape, this.generator), shape);
    const param = this.registerParameter(name, value);
    param.requiresGrad = trainable && this.isTrainable;
    return param;
  }

  /** Copies of the weights in Keras order (e.g. kernel, recurrent_kernel, bias). */
  getWeights(): Tensor[] {
    return this.parameters().map((p) => new Tensor(Float32Array.from(p.data), p.shape));
  }

  /** The weights with their names (`kernel`, `forward_lstm.bias`, ...), in Keras order. */
  weightNames(): string[] {
    return this.namedParameters().map(([n]) => n);
  }

  /**
   * Sets the weights from tensors in Keras order and layout (as `getWeights` returns them, or as
   * Keras/TF.js `get_weights()` gives them). Everything is checked before anything changes.
   */
  setWeights(weights: readonly Tensor[]): void {
    const named = this.namedParameters();
    if (weights.length !== named.length) {
      throw new ValueError(
        this.name,
        `setWeights got ${weights.length} weights, expected ${named.length} (${named.map(([n, p]) => `${n} ${formatSymbolicShape(p.shape)}`).join(', ')})`,
      );
    }
    named.forEach(([n, p], i) => {
      const w = weights[i]!;
      if (
        !(w instanceof Tensor) ||
        w.size !== p.size ||
        w.rank !== p.rank ||
        w.shape.some((d, k) => d !== p.shape[k])
      ) {
        throw new ShapeError({
          where: this.name,
          what: `weight ${i} (${n}) shape`,
          expected: p.shape,
          actual: w instanceof Tensor ? w.shape : String(w),
          hint: 'weights follow the Keras layout, e.g. kernel (inputDim, units * gates)',
        });
      }
    });
    named.forEach(([, p], i) => p.data.set(weights[i]!.data));
  }

  /** Number of weights' elements (trainable and not). */
  countParams(): number {
    return this.parameterCount();
  }

  /** Applies the layer to symbolic tensors (building a graph) ... */
  apply(inputs: SymbolicTensor | readonly SymbolicTensor[], options?: ApplyOptions): SymbolicOutput<A>;
  /** ... or to tensors with data (computing at once; masks attached by earlier layers are used). */
  apply(inputs: Tensor | readonly Tensor[], options?: ApplyOptions): EagerOutput<A>;
  apply(
    inputs: AnyInput | readonly AnyInput[],
    options: ApplyOptions = {},
  ): SymbolicTensor | SymbolicTensor[] | Tensor | Tensor[] {
    const states: AnyInput[] = options.initialState ? [...options.initialState] : [];
    if (states.length > 0 && !this.acceptsInitialState) {
      throw new ValueError(this.name, 'initialState is only accepted by recurrent layers');
    }
    const all = [...asList<AnyInput>(inputs), ...states];
    const single = !Array.isArray(inputs) && states.length === 0;
    if (all.length === 0) throw new ValueError(this.name, 'apply() needs at least one input');
    if (all.every((t) => t instanceof SymbolicTensor)) {
      const out = this.applySymbolic(all as SymbolicTensor[], single);
      return out.single ? out.tensors[0]! : out.tensors;
    }
    if (all.every((t) => t instanceof Tensor)) {
      const result = this.applyEager(all as Tensor[], single, options);
      return result.single ? result.outputs[0]! : result.outputs;
    }
    throw new ValueError(this.name, 'inputs mix symbolic tensors (from input()) and tensors with data; pass one kind');
  }

  /** Builds the graph node of an application to symbolic tensors. */
  private applySymbolic(inputs: SymbolicTensor[], single: boolean): { tensors: SymbolicTensor[]; single: boolean } {
    const shapes = inputs.map((t) => t.shape);
    const shapeArg = single ? shapes[0]! : shapes;
    this.prepare(shapeArg, shapeArg);
    const out = this.computeOutputShape(shapeArg);
    const outShapes = isShapeList(out) ? out : [out as SymbolicShape];
    const node = new LayerNode(this, inputs, single, !isShapeList(out));
    outShapes.forEach((s, i) => node.outputs.push(new SymbolicTensor([...s], node, i)));
    this.inboundNodes.push(node);
    return { tensors: [...node.outputs], single: node.singleOutput };
  }

  private applyEager(inputs: Tensor[], single: boolean, options: ApplyOptions): LayerResult {
    const masks = inputs.map((t) => maskOf(t));
    if (options.mask !== undefined) masks[0] = options.mask;
    const result = this.run(single ? inputs[0]! : inputs, {
      training: options.training ?? false,
      mask: single ? (masks[0] ?? null) : masks,
    });
    result.outputs.forEach((t, i) => attachMask(t, result.masks[i] ?? null));
    return result;
  }

  /**
   * Builds (first time) and checks the input shape, then runs `call` and `computeMask`. The model
   * executor calls this for every node; `invoke` is what subclasses such as models override.
   */
  run(inputs: Tensor | Tensor[], context: CallContext): LayerResult {
    const list = asList(inputs);
    const concrete = list.map((t) => t.shape as SymbolicShape);
    const unknownBatch = list.map((t) => withUnknownBatch(t.shape));
    this.prepare(
      Array.isArray(inputs) ? unknownBatch : unknownBatch[0]!,
      Array.isArray(inputs) ? concrete : concrete[0]!,
    );
    return this.invoke(inputs, context);
  }

  /** Runs `call` and `computeMask`. Models override it to compute both in one pass. */
  protected invoke(inputs: Tensor | Tensor[], context: CallContext): LayerResult {
    const out = this.call(inputs, context);
    const outputs = Array.isArray(out) ? out : [out];
    const mask = this.computeMask(inputs, context.mask);
    const masks = Array.isArray(mask)
      ? outputs.map((_, i) => mask[i] ?? null)
      : outputs.map((_, i) => (i === 0 ? mask : null));
    return { outputs, masks, single: !Array.isArray(out) };
  }

  /** Builds on first use (from `buildShape`) and checks `checkShape` against the input spec. */
  private prepare(
    buildShape: SymbolicShape | readonly SymbolicShape[],
    checkShape: SymbolicShape | readonly SymbolicShape[],
  ): void {
    const first = isShapeList(checkShape) ? checkShape[0]! : (checkShape as SymbolicShape);
    if (this.declaredInputShape) this.checkDeclared(first);
    // Checked before `build` (which may need the rank) and after (build may add sizes).
    if (this.inputSpec) checkInputSpec(this.name, this.inputSpec, first);
    this.ensureBuilt(buildShape);
    if (this.inputSpec) checkInputSpec(this.name, this.inputSpec, first);
  }

  /** Runs `build` once (wrappers use it to build the layers they hold). */
  ensureBuilt(inputShape: SymbolicShape | readonly SymbolicShape[]): void {
    if (this.isBuilt) return;
    this.build(inputShape);
    this.isBuilt = true;
  }

  private checkDeclared(shape: SymbolicShape): void {
    const declared = this.declaredInputShape!;
    checkInputSpec(
      this.name,
      { rank: declared.length, sizes: Object.fromEntries(declared.flatMap((d, i) => (d === null ? [] : [[i, d]]))) },
      shape,
      `it was declared with inputShape ${formatSymbolicShape(declared.slice(1))}`,
    );
  }

  /** The default `computeOutputShape`: runs `call` on zeros with unknown sizes 2, then 3. */
  private inferOutputShape(inputShape: SymbolicShape | readonly SymbolicShape[]): SymbolicShape | SymbolicShape[] {
    const listed = isShapeList(inputShape);
    const shapes = listed ? inputShape : [inputShape as SymbolicShape];
    const probe = (fill: number): { outputs: Tensor[]; list: boolean } => {
      const zeros = shapes.map((s) => {
        const concrete = s.map((d) => d ?? fill);
        return new Tensor(new Float32Array(concrete.reduce((a, b) => a * b, 1)), concrete);
      });
      try {
        const out = noGrad(() =>
          this.call(listed ? zeros : zeros[0]!, { training: false, mask: listed ? zeros.map(() => null) : null }),
        );
        return Array.isArray(out) ? { outputs: out, list: true } : { outputs: [out], list: false };
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        throw new ValueError(
          this.name,
          `could not infer the output shape by running call() on zeros of shape ${shapes.map((s) => formatSymbolicShape(s.map((d) => d ?? fill))).join(', ')} (${reason}); override computeOutputShape()`,
        );
      }
    };
    const a = probe(2);
    const b = probe(3);
    const merged = a.outputs.map((t, i) => t.shape.map((d, k): Dim => (d === b.outputs[i]!.shape[k] ? d : null)));
    return a.list ? merged : merged[0]!;
  }
}

/** The single tensor of `inputs`, or a ValueError naming the layer. */
export function onlyTensor(layer: string, inputs: Tensor | Tensor[]): Tensor {
  if (!Array.isArray(inputs)) return inputs;
  if (inputs.length === 1) return inputs[0]!;
  throw new ValueError(layer, `expected one input tensor, received ${inputs.length}`);
}

/** The first mask of a mask or list of masks. */
export function firstMask(mask: Mask | Mask[]): Mask {
  return Array.isArray(mask) ? (mask[0] ?? null) : mask;
}
