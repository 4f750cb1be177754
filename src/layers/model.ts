/**
 * Models: a graph of layers from symbolic inputs to outputs.
 *
 *   Functional:  const x = input({ shape: [10, 20] });
 *                const [seq, h, c] = lstm({ units: 32, returnSequences: true, returnState: true }).apply(x);
 *                const m = model({ inputs: x, outputs: [dense({ units: 1 }).apply(h), seq] });
 *   Sequential:  sequential([input({ shape: [10, 20] }), simpleRNN({ units: 32 }), dense({ units: 16 })])
 *
 * A model is a layer too (apply it to symbolic tensors or data, nest it in another model). Run
 * it on data with `predict(x)` or `apply(x)`; train it with `compile` and `fit`; print it with
 * `summary()`. Weights are the layers' weights in layer order (`getWeights`/`setWeights`), and
 * the model's `namedParameters()` are `layer_name.weight_name` (e.g. `lstm_1.kernel`).
 */
import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { input, InputLayer } from './core.js';
import { type Arity, type CallContext, type EagerOutput, Layer, type LayerResult, type Mask } from './layer.js';
import { isShapeList, type SymbolicShape } from './shape.js';
import { summary, type SummaryOptions } from './summary.js';
import type { LayerNode, SymbolicTensor } from './symbolic.js';
import {
  type CompileOptions,
  type CompiledModel,
  compileModel,
  evaluateModel,
  type EvaluateOptions,
  fitModel,
  type ModelFitOptions,
  type History,
  predictModel,
  type PredictOptions,
} from './training.js';

export interface ModelOptions<O extends SymbolicTensor | readonly SymbolicTensor[]> {
  /** The model's input(s), from `input()`. */
  inputs: SymbolicTensor | readonly SymbolicTensor[];
  /** The output(s): symbolic tensors computed from the inputs. */
  outputs: O;
  /** Default `functional`, `functional_1`, ... */
  name?: string;
}

/** The data for a model's input(s) or output(s): one tensor or one per input/output. */
export type Data = Tensor | readonly Tensor[];

export class Model<A extends Arity = Arity> extends Layer<A> {
  /** The symbolic inputs (from `input()`). */
  inputs: SymbolicTensor[] = [];
  /** The symbolic outputs. */
  outputs: SymbolicTensor[] = [];
  /** Nodes in execution order (input nodes excluded). */
  protected nodes: LayerNode[] = [];
  /** Every layer, inputs first, in execution order. */
  protected layerList: Layer<Arity>[] = [];
  protected singleInput = true;
  protected singleOutput = true;
  /** Set by `compile`. */
  compiled: CompiledModel | null = null;

  /** Without inputs and outputs the graph is set later (sequential models). */
  constructor(options: Partial<ModelOptions<SymbolicTensor | readonly SymbolicTensor[]>> = {}) {
    super({ name: options.name });
    if (options.inputs !== undefined || options.outputs !== undefined) {
      if (!options.inputs || !options.outputs) throw new ValueError(this.name, 'model() needs { inputs, outputs }');
      const inputs = Array.isArray(options.inputs)
        ? [...(options.inputs as readonly SymbolicTensor[])]
        : [options.inputs as SymbolicTensor];
      const outputs = Array.isArray(options.outputs)
        ? [...(options.outputs as readonly SymbolicTensor[])]
        : [options.outputs as SymbolicTensor];
      this.setGraph(inputs, outputs, !Array.isArray(options.inputs), !Array.isArray(options.outputs));
    }
  }

  override get className(): string {
    return 'Functional';
  }

  /** Every layer in execution order (the input layers first). */
  get layers(): Layer<Arity>[] {
    return [...this.layerList];
  }

  /** The layer called `name`; throws a ValueError listing the names otherwise. */
  getLayer(name: string): Layer<Arity> {
    const found = this.layerList.find((l) => l.name === name);
    if (!found)
      throw new ValueError(
        this.name,
        `has no layer '${name}'; its layers are ${this.layerList.map((l) => l.name).join(', ')}`,
      );
    return found;
  }

  /** Whether the graph exists (a sequential model without an input shape builds on its first data). */
  get hasGraph(): boolean {
    return this.outputs.length > 0;
  }

  /** The graph nodes in execution order (used by `summary`). */
  graphNodes(): readonly LayerNode[] {
    return this.nodes;
  }

  /** Wires the graph: execution order, layers, and the layers as child modules. */
  protected setGraph(
    inputs: SymbolicTensor[],
    outputs: SymbolicTensor[],
    singleInput: boolean,
    singleOutput: boolean,
  ): void {
    if (inputs.length === 0 || outputs.length === 0)
      throw new ValueError(this.name, 'a model needs at least one input and one output');
    for (const t of inputs) {
      if (!(t.node.layer instanceof InputLayer))
        throw new ValueError(
          this.name,
          `its inputs must come from input(); ${t.name} comes from layer ${t.node.layer.name}`,
        );
    }
    const inputNodes = new Set(inputs.map((t) => t.node));
    const order: LayerNode[] = [];
    const visited = new Set<LayerNode>();
    const visit = (node: LayerNode, path: string[]) => {
      if (visited.has(node)) return;
      visited.add(node);
      if (node.inputs.length === 0 && !inputNodes.has(node)) {
        throw new ValueError(
          this.name,
          `graph disconnected: ${path.join(' <- ')} needs ${node.layer.name}, which is not among the model's inputs (${inputs.map((t) => t.node.layer.name).join(', ')})`,
        );
      }
      for (const t of node.inputs) visit(t.node, [...path, node.layer.name]);
      order.push(node);
    };
    for (const t of outputs) visit(t.node, []);
    const layers: Layer<Arity>[] = [];
    for (const node of order) {
      const layer = node.layer as Layer<Arity>;
      if (layers.includes(layer)) continue;
      const clash = layers.find((l) => l.name === layer.name);
      if (clash)
        throw new ValueError(
          this.name,
          `two different layers are named '${layer.name}'; layer names in a model must be unique`,
        );
      layers.push(layer);
    }
    // Inputs listed but unused still belong to the model.
    for (const t of inputs)
      if (!layers.includes(t.node.layer as Layer<Arity>)) layers.unshift(t.node.layer as Layer<Arity>);
    this.inputs = inputs;
    this.outputs = outputs;
    this.singleInput = singleInput;
    this.singleOutput = singleOutput;
    this.nodes = order.filter((n) => n.inputs.length > 0);
    this.layerList = layers;
    for (const layer of layers) this.registerModule(layer.name, layer);
  }

  override computeOutputShape(): SymbolicShape | SymbolicShape[] {
    const shapes = this.outputs.map((t) => t.shape);
    return this.singleOutput ? shapes[0]! : shapes;
  }

  override call(inputs: Tensor | Tensor[], context: CallContext): Tensor | Tensor[] {
    const { outputs } = this.execute(inputs, context);
    return this.singleOutput ? outputs[0]! : outputs;
  }

  protected override invoke(inputs: Tensor | Tensor[], context: CallContext): LayerResult {
    const { outputs, masks } = this.execute(inputs, context);
    return { outputs, masks, single: this.singleOutput };
  }

  /** Runs the graph on data: every node in order, passing masks along. */
  execute(inputs: Tensor | readonly Tensor[], context: CallContext): { outputs: Tensor[]; masks: Mask[] } {
    const list = Array.isArray(inputs) ? [...(inputs as readonly Tensor[])] : [inputs as Tensor];
    if (list.length !== this.inputs.length) {
      throw new ValueError(
        this.name,
        `expects ${this.inputs.length} input tensor(s) (${this.inputs.map((t) => t.node.layer.name).join(', ')}), received ${list.length}`,
      );
    }
    const masks = Array.isArray(context.mask) ? context.mask : [context.mask];
    const values = new Map<SymbolicTensor, { value: Tensor; mask: Mask }>();
    this.inputs.forEach((t, i) => {
      const layer = t.node.layer as InputLayer;
      layer.run(list[i]!, { training: context.training, mask: null }); // checks the shape
      values.set(t, { value: list[i]!, mask: masks[i] ?? null });
    });
    for (const node of this.nodes) {
      const ins = node.inputs.map((t) => values.get(t)!);
      const layer = node.layer as Layer<Arity>;
      const result = layer.run(node.singleInput ? ins[0]!.value : ins.map((v) => v.value), {
        training: context.training,
        mask: node.singleInput ? ins[0]!.mask : ins.map((v) => v.mask),
      });
      if (result.outputs.length !== node.outputs.length) {
        throw new ValueError(
          this.name,
          `layer ${layer.name} returned ${result.outputs.length} tensors, but was applied as returning ${node.outputs.length}`,
        );
      }
      node.outputs.forEach((t, i) => values.set(t, { value: result.outputs[i]!, mask: result.masks[i] ?? null }));
    }
    return {
      outputs: this.outputs.map((t) => values.get(t)!.value),
      masks: this.outputs.map((t) => values.get(t)!.mask),
    };
  }

  /**
   * Prints (by default) and returns a table of the layers: name (type), output shape with
   * `None` for the batch, parameter count; then the totals. See `SummaryOptions`.
   */
  summary(options: SummaryOptions = {}): string {
    return summary(this, options);
  }

  /** Sets the optimizer, loss and metrics used by `fit` and `evaluate`. */
  compile(options: CompileOptions): void {
    this.compiled = compileModel(this, options);
  }

  /**
   * Trains for `epochs` over mini-batches of `batchSize` samples (dim 0 of every tensor), and
   * returns the history: `loss` and each metric per epoch, with `val_` versions when there is
   * validation data.
   */
  fit(x: Data, y: Data, options: ModelFitOptions = {}): Promise<History> {
    return fitModel(this, x, y, options);
  }

  /** Runs the model in inference mode on batches of `batchSize` and joins the results. */
  predict(x: Data, options: PredictOptions = {}): EagerOutput<A> {
    const outputs = predictModel(this, x, options);
    return (this.singleOutput ? outputs[0]! : outputs) as EagerOutput<A>;
  }

  /** The loss and metrics on `(x, y)`, averaged over samples, in inference mode. */
  evaluate(x: Data, y: Data, options: EvaluateOptions = {}): Record<string, number> {
    return evaluateModel(this, x, y, options);
  }

  /** Restarts every stateful recurrent layer from zeros. */
  resetStates(): void {
    for (const layer of this.layerList) {
      if (layer instanceof Model) layer.resetStates();
      else if (isStateful(layer)) layer.resetStates();
    }
  }

  /** Whether the model outputs one tensor (else a list). */
  get hasSingleOutput(): boolean {
    return this.singleOutput;
  }

  /** Whether the model takes one tensor (else a list). */
  get hasSingleInput(): boolean {
    return this.singleInput;
  }

  /** Builds the graph if it waits for data (sequential without an input shape); a no-op otherwise. */
  buildFromGraph(x?: Data): void {
    if (this.hasGraph) return;
    if (x === undefined)
      throw new ValueError(
        this.name,
        'is not built yet: give the first layer an inputShape, start with input({ shape }), or call it on data first',
      );
    const first = Array.isArray(x) ? (x as readonly Tensor[])[0]! : (x as Tensor);
    this.ensureBuilt(first.shape.map((d, i) => (i === 0 ? null : d)));
  }
}

/** A layer that carries states across calls (a stateful recurrent layer, or bidirectional around one). */
function isStateful(layer: Layer<Arity>): layer is Layer<Arity> & { stateful: true; resetStates(): void } {
  const l = layer as unknown as { stateful?: unknown; resetStates?: unknown };
  return l.stateful === true && typeof l.resetStates === 'function';
}

/** A model from symbolic inputs to one output (a tensor) ... */
export function model(options: ModelOptions<SymbolicTensor>): Model<'one'>;
/** ... or to several (a list). */
export function model(options: ModelOptions<readonly SymbolicTensor[]>): Model<'many'>;
/** (When the kind of output is only known at run time.) */
export function model(options: ModelOptions<SymbolicTensor | readonly SymbolicTensor[]>): Model;
export function model(options: ModelOptions<SymbolicTensor | readonly SymbolicTensor[]>): Model {
  return new Model(options);
}

// ---------------------------------------------------------------------------------------------

export interface SequentialOptions {
  /** Default `sequential`, `sequential_1`, ... */
  name?: string;
}

/**
 * A stack of single-output layers, each reading the previous one's output. It builds as soon as
 * the input shape is known: from `input({ shape })` as the first item, from the first layer's
 * `inputShape`, or from the first data it sees.
 */
export class Sequential extends Model<'one'> {
  private readonly stack: Layer<Arity>[] = [];
  private current: SymbolicTensor | null = null;

  constructor(items: readonly (Layer<Arity> | SymbolicTensor)[] = [], options: SequentialOptions = {}) {
    super({ name: options.name });
    for (const item of items) this.add(item);
  }

  override get className(): string {
    return 'Sequential';
  }

  /** The layers in order, without the input layer (as Keras). */
  override get layers(): Layer<Arity>[] {
    return [...this.stack];
  }

  /** Appends a layer (or, first, an `input({ shape })`). */
  add(item: Layer<Arity> | SymbolicTensor): this {
    if (!(item instanceof Layer)) {
      if (this.current || this.stack.length > 0)
        throw new ValueError(this.name, 'an input({ shape }) can only be the first item of a sequential model');
      this.current = item;
      return this;
    }
    if (item instanceof InputLayer) throw new ValueError(this.name, 'pass input({ shape }) rather than an InputLayer');
    this.stack.push(item);
    if (!this.current && this.stack.length === 1 && item.declaredInputShape) {
      const declared = item.declaredInputShape;
      this.current = input({ shape: declared.slice(1), batchSize: declared[0] ?? undefined });
    }
    if (this.current) this.extend(item);
    return this;
  }

  private extend(layer: Layer<Arity>): void {
    const inputTensor = this.inputs[0] ?? this.current!;
    const out = layer.apply(this.current!);
    if (Array.isArray(out)) {
      throw new ValueError(
        this.name,
        `layer ${layer.name} returns ${out.length} tensors (e.g. returnState); a sequential model needs one output per layer, so use the functional API: model({ inputs, outputs })`,
      );
    }
    this.current = out as SymbolicTensor;
    this.setGraph([inputTensor], [this.current], true, true);
  }

  /** Builds the graph from an input shape (batch first) when it was not known before. */
  override build(inputShape: SymbolicShape | readonly SymbolicShape[]): void {
    if (this.hasGraph) return;
    if (this.stack.length === 0) throw new ValueError(this.name, 'has no layers');
    const shape = (isShapeList(inputShape) ? inputShape[0]! : inputShape) as SymbolicShape;
    // Sizes between the batch and the last dim (time) may vary from call to call.
    const sample = shape.slice(1).map((d, i, all) => (i === all.length - 1 || all.length === 1 ? d : null));
    this.current = input({ shape: sample });
    for (const layer of this.stack) this.extend(layer);
  }
}

/** A sequential model; see {@link Sequential}. */
export function sequential(
  items: readonly (Layer<Arity> | SymbolicTensor)[] = [],
  options: SequentialOptions = {},
): Sequential {
  return new Sequential(items, options);
}
