/**
 * Wrappers: `bidirectional(layer)` and `timeDistributed(layer)`.
 *
 * bidirectional(rnn, { mergeMode }): two copies of `rnn` with their own weights,
 * `forward_<name>` reading the sequence forward and `backward_<name>` reading it backward
 * (`goBackwards` flipped). With returnSequences the backward outputs are put back in time order
 * before merging, so output[:, t] pairs both directions at input step t.
 *   mergeMode 'concat' (default): (..., 2U), forward first;  'sum' | 'mul' | 'ave': (..., U);
 *   null: the two outputs as a list [forward, backward].
 *   returnState adds the final states of the forward layer, then of the backward one:
 *   [output(s), h_f, (c_f), h_b, (c_b)]. Trap: the backward layer's final state is its state
 *   after reading input step 0, so it is NOT the last step of the backward output.
 *   Weights (getWeights): the forward layer's, then the backward layer's.
 *
 * timeDistributed(layer): applies `layer` to every time step: (batch, time, ...) ->
 * (batch, time, ...layer's output), the same weights at every step. The input's mask passes on.
 */
import { ValueError } from '../errors.js';
import { concat } from '../tensor/ops/layout.js';
import type { Tensor } from '../tensor/tensor.js';
import { type Arity, type CallContext, firstMask, Layer, type LayerOptions, type Mask, onlyTensor } from './layer.js';
import type { RecurrentLayer } from './recurrent/base.js';
import { flip } from './recurrent/fused-path.js';
import { isShapeList, type SymbolicShape } from './shape.js';

export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave' | null;

export interface BidirectionalOptions extends LayerOptions {
  /** How the two directions combine (default 'concat'); null returns both. */
  mergeMode?: MergeMode;
}

export class Bidirectional<A extends Arity = Arity> extends Layer<A> {
  readonly forwardLayer: RecurrentLayer;
  readonly backwardLayer: RecurrentLayer;
  readonly mergeMode: MergeMode;
  protected override readonly acceptsInitialState = true;

  constructor(layer: RecurrentLayer, options: BidirectionalOptions = {}) {
    // An inputShape given to the wrapped layer declares the wrapper's (for sequential models).
    const declared = layer?.declaredInputShape;
    super(
      declared && options.inputShape === undefined
        ? { ...options, inputShape: declared.slice(1), batchSize: declared[0] ?? undefined }
        : options,
    );
    if (!layer || typeof (layer as Partial<RecurrentLayer>).cloneWith !== 'function') {
      throw new ValueError(this.name, 'bidirectional() wraps a recurrent layer (simpleRNN, lstm or gru)');
    }
    this.mergeMode = options.mergeMode === undefined ? 'concat' : options.mergeMode;
    if (!['concat', 'sum', 'mul', 'ave', null].includes(this.mergeMode)) {
      throw new ValueError(
        this.name,
        `mergeMode must be 'concat', 'sum', 'mul', 'ave' or null, got ${String(this.mergeMode)}`,
      );
    }
    this.forwardLayer = this.registerModule(
      `forward_${layer.name}`,
      layer.cloneWith({ name: `forward_${layer.name}` }),
    );
    this.backwardLayer = this.registerModule(
      `backward_${layer.name}`,
      layer.cloneWith({ name: `backward_${layer.name}`, goBackwards: !layer.goBackwards }),
    );
    this.supportsMasking = true;
  }

  get returnSequences(): boolean {
    return this.forwardLayer.returnSequences;
  }

  get returnState(): boolean {
    return this.forwardLayer.returnState;
  }

  get stateful(): boolean {
    return this.forwardLayer.stateful;
  }

  override build(inputShape: SymbolicShape | readonly SymbolicShape[]): void {
    const x = isShapeList(inputShape) ? inputShape[0]! : (inputShape as SymbolicShape);
    this.forwardLayer.ensureBuilt(x);
    this.backwardLayer.ensureBuilt(x);
  }

  override computeOutputShape(inputShape: SymbolicShape | readonly SymbolicShape[]): SymbolicShape | SymbolicShape[] {
    const x = isShapeList(inputShape) ? inputShape[0]! : (inputShape as SymbolicShape);
    const inner = this.forwardLayer.computeOutputShape(x);
    const [output, ...states] = isShapeList(inner) ? inner : [inner as SymbolicShape];
    const last = output!.length - 1;
    const merged =
      this.mergeMode === 'concat' ? output!.map((d, i) => (i === last && d !== null ? 2 * d : d)) : output!;
    const outputs = this.mergeMode === null ? [output!, output!] : [merged];
    if (this.returnState) return [...outputs, ...states, ...states];
    return outputs.length === 1 ? outputs[0]! : outputs;
  }

  override computeMask(_inputs: Tensor | Tensor[], mask: Mask | Mask[]): Mask | Mask[] {
    const m = this.returnSequences ? firstMask(mask) : null;
    const outputs = this.mergeMode === null ? [m, m] : [m];
    const states: Mask[] = this.returnState ? new Array<Mask>(2 * this.forwardLayer.stateCount).fill(null) : [];
    const all = [...outputs, ...states];
    return all.length === 1 ? all[0]! : all;
  }

  override call(inputs: Tensor | Tensor[], context: CallContext): Tensor | Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const x = list[0]!;
    const given = list.slice(1);
    const perLayer = this.forwardLayer.stateCount;
    if (given.length !== 0 && given.length !== 2 * perLayer) {
      throw new ValueError(
        this.name,
        `expects ${2 * perLayer} initial states (the forward layer's, then the backward layer's), received ${given.length}`,
      );
    }
    const sub: CallContext = { training: context.training, mask: firstMask(context.mask) };
    const run = (layer: RecurrentLayer, states: Tensor[]) => layer.run(states.length ? [x, ...states] : x, sub).outputs;
    const [yForward, ...statesForward] = run(this.forwardLayer, given.slice(0, perLayer));
    let [yBackward, ...statesBackward] = run(this.backwardLayer, given.slice(perLayer));
    if (this.returnSequences) yBackward = flip(yBackward!, 1);
    const outputs = this.merge(yForward!, yBackward!);
    if (this.returnState) return [...outputs, ...statesForward, ...statesBackward];
    return outputs.length === 1 ? outputs[0]! : outputs;
  }

  private merge(f: Tensor, b: Tensor): Tensor[] {
    switch (this.mergeMode) {
      case 'concat':
        return [concat([f, b], f.rank - 1)];
      case 'sum':
        return [f.add(b)];
      case 'mul':
        return [f.mul(b)];
      case 'ave':
        return [f.add(b).mul(0.5)];
      default:
        return [f, b];
    }
  }

  /** Stateful layers: both directions restart from zeros. */
  resetStates(): void {
    this.forwardLayer.resetStates();
    this.backwardLayer.resetStates();
  }
}

/**
 * Runs a recurrent layer in both directions. Returns one tensor unless `mergeMode` is null or
 * the layer has `returnState` (then a list; see the file comment).
 */
export function bidirectional(
  layer: RecurrentLayer<'one'>,
  options?: BidirectionalOptions & { mergeMode?: 'concat' | 'sum' | 'mul' | 'ave' },
): Bidirectional<'one'>;
export function bidirectional(layer: RecurrentLayer, options?: BidirectionalOptions): Bidirectional<'many'>;
export function bidirectional(layer: RecurrentLayer, options: BidirectionalOptions = {}): Bidirectional {
  return new Bidirectional(layer, options);
}

// ---------------------------------------------------------------------------------------------

export class TimeDistributed extends Layer {
  readonly layer: Layer;

  constructor(layer: Layer, options: LayerOptions = {}) {
    super(options);
    if (!(layer instanceof Layer))
      throw new ValueError(this.name, 'timeDistributed() wraps a layer, e.g. timeDistributed(dense({ units: 16 }))');
    this.layer = this.registerModule(layer.name, layer);
    this.supportsMasking = true;
    this.inputSpec = { minRank: 3, rankText: '>= 3 (batch, time, ...)' };
  }

  private innerShape(shape: SymbolicShape): SymbolicShape {
    const [batch, time] = [shape[0] ?? null, shape[1] ?? null];
    return [batch === null || time === null ? null : batch * time, ...shape.slice(2)];
  }

  override build(inputShape: SymbolicShape): void {
    if (inputShape.length < 3) return; // the input spec reports it
    this.layer.ensureBuilt([inputShape[0] ?? null, ...inputShape.slice(2)]);
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    const inner = this.layer.computeOutputShape(this.innerShape(inputShape));
    if (isShapeList(inner))
      throw new ValueError(
        this.name,
        `the wrapped layer ${this.layer.name} returns several tensors; timeDistributed needs one`,
      );
    return [inputShape[0] ?? null, inputShape[1] ?? null, ...(inner as SymbolicShape).slice(1)];
  }

  override call(inputs: Tensor | Tensor[], context: CallContext): Tensor {
    const x = onlyTensor(this.name, inputs);
    const [batch, time] = x.shape as [number, number];
    const result = this.layer.run(x.reshape([batch * time, ...x.shape.slice(2)]), {
      training: context.training,
      mask: null,
    });
    if (result.outputs.length !== 1)
      throw new ValueError(
        this.name,
        `the wrapped layer ${this.layer.name} returns several tensors; timeDistributed needs one`,
      );
    const y = result.outputs[0]!;
    return y.reshape([batch, time, ...y.shape.slice(1)]);
  }
}

/** Applies `layer` to every time step: (batch, time, ...) -> (batch, time, ...layer output). */
export const timeDistributed = (layer: Layer, options: LayerOptions = {}): TimeDistributed =>
  new TimeDistributed(layer, options);
