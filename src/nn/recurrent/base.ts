/**
 * RecurrentBase: the multi-layer, bidirectional sequence driver shared by RNN, LSTM and GRU.
 * It is written once and never branches on the cell's class: the cell family only chooses the
 * kernel (`kind`), the number of gates and whether there is a cell state.
 *
 * Notation (as in PyTorch's docs): N batch, L time, D directions (2 if bidirectional else 1),
 * H_in inputSize, H hiddenSize, H_out = projSize || H.
 *   input  (N, L, H_in) with batchFirst, (L, N, H_in) without, (L, H_in) unbatched
 *   h0     (numLayers*D, N, H_out)      c0 (numLayers*D, N, H)          [optional, zeros]
 *   output (N, L, D*H_out) / (L, N, D*H_out): the LAST layer's h at EVERY step; forward
 *          direction first, then reverse
 *   h      (numLayers*D, N, H_out): EVERY layer's final state, row layer*D + direction
 *   c      (numLayers*D, N, H)
 * Trap: `h[-1]` equals `output[:, -1]` only for one direction without padding; the reverse
 * direction's final state sits at `output[:, 0, H_out:]`, and with lengths each sequence's
 * final state is at its own last valid step.
 */
import { ValueError } from '../../errors.js';
import { CELL_KINDS, type CellFamily, type CellKind, FAMILIES } from '../../families.js';
import { concat, stack } from '../../tensor/ops/layout.js';
import type { Generator } from '../../tensor/random.js';
import type {
  BatchFirstOf,
  IsAny,
  RecurrentFeaturesOf,
  SequenceInput,
  SequenceOutputShape,
  StateRowsOf,
  StateShape,
} from '../../tensor/shape-types.js';
import { Tensor } from '../../tensor/tensor.js';
import { dropout } from '../dropout.js';
import { uniformParameter } from '../init.js';
import { Module } from '../module.js';
import { PackedSequence, packPaddedSequence, padPackedSequence } from '../../sequence/packed.js';
import { fusedRecurrentLayer } from './fused.js';
import { WeightPacking } from './packing.js';
import { type Lengths, prepareInput, prepareState, type StateSpec } from './inputs.js';
import { parameterName, type RecurrentOptions, resolveOptions, type ResolvedRecurrentOptions } from './options.js';

/** What forward accepts besides the input. */
export interface RecurrentForwardOptions {
  /** Initial hidden state (numLayers*D, N, H_out); zeros when omitted. */
  h?: Tensor;
  /** Initial cell state (numLayers*D, N, H), LSTM only; zeros when omitted. */
  c?: Tensor;
  /**
   * Valid steps of each sequence, in batch order (any order, no sorting needed), each in
   * [1, time]. Padded steps give zero outputs and get no gradient.
   */
  lengths?: Lengths;
}

/** Weights of one layer and direction. */
interface LayerWeights {
  wIh: Tensor;
  wHh: Tensor;
  bIh: Tensor | null;
  bHh: Tensor | null;
  wHr: Tensor | null;
}

export interface RecurrentResult<Output = Tensor> {
  output: Output;
  h: Tensor;
  c: Tensor | null;
}

/** Initial states only: with a PackedSequence the lengths come from the packing. */
export type RecurrentStateOptions = Omit<RecurrentForwardOptions, 'lengths'>;

// Typed shapes of forward (docs/typed-shapes.md). `X` is the type of forward's argument and `O`
// the layer's options type. They are types only; forward checks every shape at run time.

/**
 * What forward accepts for an argument of type `X`: a PackedSequence, or a Tensor whose shape
 * type fits the layer (see SequenceInput: rank 2 or 3, last dim H_in or not a literal).
 */
export type RecurrentInput<X, In extends number> = X extends PackedSequence
  ? X
  : X extends Tensor<infer S>
    ? SequenceInput<S, In>
    : Tensor | PackedSequence;

/** Forward's options for an argument of type `X`: no `lengths` with a PackedSequence. */
export type RecurrentOptionsFor<X> = X extends PackedSequence ? RecurrentStateOptions : RecurrentForwardOptions;

/**
 * forward's `output` for an argument of type `X`: `(..., D*H_out)`, or a PackedSequence.
 * An argument of type `any` gives a Tensor of unknown shape.
 */
export type RecurrentOutputFor<X, O> =
  IsAny<X> extends true
    ? Tensor
    : X extends Tensor<infer S>
      ? Tensor<SequenceOutputShape<S, RecurrentFeaturesOf<O>>>
      : PackedSequence;

/** forward's `h` (F = H_out) or `c` (F = H) for an argument of type `X`: `(numLayers*D, N, F)`. */
export type RecurrentStateFor<X, O, F extends number> =
  IsAny<X> extends true
    ? Tensor
    : X extends Tensor<infer S>
      ? Tensor<StateShape<S, StateRowsOf<O>, BatchFirstOf<O>, F>>
      : Tensor<[StateRowsOf<O>, number, F]>;

export abstract class RecurrentBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  /** 0 when there is no projection (LSTM only). */
  readonly projSize: number;
  private readonly weights: LayerWeights[][] = [];
  /** Packed weights for calls without a graph, by layer·D + direction (see inferencePacking). */
  private readonly inferencePackings = new Map<number, WeightPacking>();
  private readonly generator: Generator | undefined;

  protected constructor(
    /** The class name shown in messages. */
    private readonly typeName: string,
    /** Which fused kernel runs the steps. */
    protected readonly kind: CellKind,
    options: RecurrentOptions,
    projSize = 0,
  ) {
    super();
    const o: ResolvedRecurrentOptions = resolveOptions(typeName, options, projSize);
    this.inputSize = o.inputSize;
    this.hiddenSize = o.hiddenSize;
    this.numLayers = o.numLayers;
    this.bias = o.bias;
    this.batchFirst = o.batchFirst;
    this.dropout = o.dropout;
    this.bidirectional = o.bidirectional;
    this.projSize = o.projSize;
    this.generator = options.generator;
    const gates = CELL_KINDS[kind].gates;
    const H = this.hiddenSize;
    const hOut = this.outputSize;
    const bound = 1 / Math.sqrt(H);
    const param = (name: string, shape: number[]) =>
      this.registerParameter(name, uniformParameter(shape, bound, options.generator));
    for (let layer = 0; layer < this.numLayers; layer++) {
      const layerInput = layer === 0 ? this.inputSize : this.numDirections * hOut;
      const row: LayerWeights[] = [];
      for (let dir = 0; dir < this.numDirections; dir++) {
        const wIh = param(parameterName('weight_ih', layer, dir), [gates * H, layerInput]);
        const wHh = param(parameterName('weight_hh', layer, dir), [gates * H, hOut]);
        const bIh = this.bias ? param(parameterName('bias_ih', layer, dir), [gates * H]) : null;
        const bHh = this.bias ? param(parameterName('bias_hh', layer, dir), [gates * H]) : null;
        const wHr = this.projSize > 0 ? param(parameterName('weight_hr', layer, dir), [hOut, H]) : null;
        row.push({ wIh, wHh, bIh, bHh, wHr });
      }
      this.weights.push(row);
    }
  }

  /** The checked packing of one layer and direction's weights, where checked packings exist. */
  private inferencePacking(row: number): WeightPacking | null {
    if (!WeightPacking.canCheck) return null;
    let p = this.inferencePackings.get(row);
    if (!p) {
      p = new WeightPacking(true);
      this.inferencePackings.set(row, p);
    }
    return p;
  }

  /** D: 2 when bidirectional, else 1. */
  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** H_out: features of h and of each direction's output (projSize || hiddenSize). */
  get outputSize(): number {
    return this.projSize || this.hiddenSize;
  }

  /** The cell family (its row in the table of src/families.ts). */
  get family(): CellFamily {
    return CELL_KINDS[this.kind].family;
  }

  /** Whether this family carries a cell state c (LSTM). */
  protected get hasCellState(): boolean {
    return FAMILIES[this.family].hasCell;
  }

  override describe(): string {
    return `${this.typeName}(inputSize=${this.inputSize}, hiddenSize=${this.hiddenSize})`;
  }

  /**
   * Accepts a padded tensor or a PackedSequence (PyTorch porting): a packed input is padded,
   * run with its lengths, and the output packed again; h and c are in original batch order.
   */
  protected runAny(
    x: Tensor | PackedSequence,
    options: RecurrentForwardOptions = {},
  ): RecurrentResult<Tensor | PackedSequence> {
    if (!(x instanceof PackedSequence)) return this.run(x, options);
    if (options.lengths !== undefined)
      throw new ValueError(this.describe(), 'a PackedSequence carries its own lengths; do not pass lengths too');
    const { output: padded, lengths } = padPackedSequence(x, { batchFirst: this.batchFirst });
    const result = this.run(padded, { ...options, lengths });
    return { ...result, output: packPaddedSequence(result.output, lengths, { batchFirst: this.batchFirst }) };
  }

  /** Runs every layer and direction; see the class comment for shapes. */
  protected run(x: Tensor, options: RecurrentForwardOptions = {}): RecurrentResult {
    const where = this.describe();
    if (options.c !== undefined && !this.hasCellState) throw new ValueError(where, 'c is only for LSTM; pass h alone');
    if (this.hasCellState && (options.h === undefined) !== (options.c === undefined)) {
      throw new ValueError(where, 'pass h and c together (or neither, for zeros)');
    }
    const spec: StateSpec = {
      where,
      inputSize: this.inputSize,
      stateRows: this.numLayers * this.numDirections,
      hSize: this.outputSize,
      cSize: this.hasCellState ? this.hiddenSize : null,
      batchFirst: this.batchFirst,
    };
    const input = prepareInput(spec, x, options.lengths);
    const h0 = options.h !== undefined ? prepareState(spec, 'h0', options.h, input) : null;
    const c0 = options.c !== undefined ? prepareState(spec, 'c0', options.c, input) : null;
    const zerosH = () => new Tensor(new Float32Array(input.batch * this.outputSize), [input.batch, this.outputSize]);
    const zerosC = () => new Tensor(new Float32Array(input.batch * this.hiddenSize), [input.batch, this.hiddenSize]);

    let layerInput = input.x;
    const finalH: Tensor[] = [];
    const finalC: Tensor[] = [];
    for (let layer = 0; layer < this.numLayers; layer++) {
      const outputs: Tensor[] = [];
      for (let dir = 0; dir < this.numDirections; dir++) {
        const row = layer * this.numDirections + dir;
        const w = this.weights[layer]![dir]!;
        const result = fusedRecurrentLayer({
          kind: this.kind,
          x: layerInput,
          h0: h0 ? h0.select(0, row) : zerosH(),
          c0: this.hasCellState ? (c0 ? c0.select(0, row) : zerosC()) : null,
          ...w,
          lengths: input.lengths,
          reverse: dir === 1,
          inferencePacking: this.inferencePacking(row),
        });
        outputs.push(result.output);
        finalH.push(result.h);
        if (result.c) finalC.push(result.c);
      }
      layerInput = outputs.length === 1 ? outputs[0]! : concat(outputs, 2);
      if (this.training && this.dropout > 0 && layer < this.numLayers - 1) {
        layerInput = dropout(layerInput, this.dropout, true, this.generator);
      }
    }
    let output = layerInput; // (time, batch, D*H_out)
    let h = stack(finalH, 0); // (numLayers*D, batch, H_out)
    let c = this.hasCellState ? stack(finalC, 0) : null;
    if (!input.batched) {
      output = output.squeeze(1);
      h = h.squeeze(1);
      c = c ? c.squeeze(1) : null;
    } else if (this.batchFirst) {
      output = output.transpose(0, 1);
    }
    return { output, h, c };
  }
}
