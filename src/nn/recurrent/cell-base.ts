/**
 * RecurrentCellBase: one time step of RNN/LSTM/GRU, for step-by-step loops (decoders,
 * autoregressive forecasting). It runs the same fused kernel as the layers, over one step.
 *   x (N, H_in) or unbatched (H_in)
 *   h, c (N, H) or unbatched (H); zeros when omitted
 * Parameters (PyTorch names): weight_ih (G*H, H_in), weight_hh (G*H, H), bias_ih, bias_hh (G*H).
 */
import { ShapeError, ValueError } from '../../errors.js';
import { CELL_KINDS, type CellKind, FAMILIES } from '../../families.js';
import type { Generator } from '../../tensor/random.js';
import { Tensor } from '../../tensor/tensor.js';
import { uniformParameter } from '../init.js';
import { Module } from '../module.js';
import { fusedRecurrentLayer } from './fused.js';
import { WeightPacking } from './packing.js';

export interface CellOptions {
  /** Features of x (H_in). */
  inputSize: number;
  /** Features of h (H). */
  hiddenSize: number;
  /** Use bias_ih and bias_hh (default true). */
  bias?: boolean;
  generator?: Generator;
}

export abstract class RecurrentCellBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  readonly weight_ih: Tensor;
  readonly weight_hh: Tensor;
  readonly bias_ih: Tensor | null;
  readonly bias_hh: Tensor | null;
  /** Packed weights for calls without a graph (checked against the weights at each call). */
  private readonly inferencePacking = WeightPacking.canCheck ? new WeightPacking(true) : null;

  protected constructor(
    private readonly typeName: string,
    protected readonly kind: CellKind,
    options: CellOptions,
  ) {
    super();
    for (const key of ['inputSize', 'hiddenSize'] as const) {
      const v = options[key];
      if (!Number.isInteger(v) || v <= 0)
        throw new ValueError(typeName, `${key} must be a positive integer, got ${String(v)}`);
    }
    this.inputSize = options.inputSize;
    this.hiddenSize = options.hiddenSize;
    this.bias = options.bias ?? true;
    const gates = CELL_KINDS[kind].gates;
    const H = this.hiddenSize;
    const bound = 1 / Math.sqrt(H);
    const param = (name: string, shape: number[]) =>
      this.registerParameter(name, uniformParameter(shape, bound, options.generator));
    this.weight_ih = param('weight_ih', [gates * H, this.inputSize]);
    this.weight_hh = param('weight_hh', [gates * H, H]);
    this.bias_ih = this.bias ? param('bias_ih', [gates * H]) : null;
    this.bias_hh = this.bias ? param('bias_hh', [gates * H]) : null;
  }

  override describe(): string {
    return `${this.typeName}(inputSize=${this.inputSize}, hiddenSize=${this.hiddenSize})`;
  }

  private checkState(name: 'h' | 'c', state: Tensor, batched: boolean, batch: number): Tensor {
    const expected = batched ? [batch, this.hiddenSize] : [this.hiddenSize];
    const names = batched ? ['batch', 'hidden'] : ['hidden'];
    if (!(state instanceof Tensor))
      throw new ValueError(this.describe(), `${name} must be a Tensor of shape (${names.join(', ')})`);
    if (state.rank !== expected.length) {
      throw new ShapeError({
        where: this.describe(),
        what: `${name} rank`,
        expected: `${expected.length} (${names.join(', ')})`,
        actual: state.rank,
      });
    }
    expected.forEach((e, i) => {
      if (state.shape[i] !== e)
        throw new ShapeError({
          where: this.describe(),
          what: `${name} dim ${i} (${names[i]})`,
          expected: e,
          actual: state.shape[i]!,
        });
    });
    return batched ? state : state.unsqueeze(0);
  }

  /** One step: returns the new h and, for LSTM, c, in the input's batching. */
  protected step(x: Tensor, h?: Tensor, c?: Tensor): { h: Tensor; c: Tensor | null } {
    if (!(x instanceof Tensor)) throw new ValueError(this.describe(), 'input must be a Tensor');
    if (x.rank !== 1 && x.rank !== 2) {
      throw new ShapeError({
        where: this.describe(),
        what: 'input rank',
        expected: '2 (batch, features) or 1 (features)',
        actual: x.rank,
      });
    }
    const featureDim = x.rank - 1;
    if (x.shape[featureDim] !== this.inputSize) {
      throw new ShapeError({
        where: this.describe(),
        what: `input dim ${featureDim} (features)`,
        expected: this.inputSize,
        actual: x.shape[featureDim]!,
      });
    }
    const batched = x.rank === 2;
    const batch = batched ? x.shape[0]! : 1;
    const zeros = () => new Tensor(new Float32Array(batch * this.hiddenSize), [batch, this.hiddenSize]);
    const h0 = h ? this.checkState('h', h, batched, batch) : zeros();
    const hasCell = FAMILIES[CELL_KINDS[this.kind].family].hasCell;
    const c0 = hasCell ? (c ? this.checkState('c', c, batched, batch) : zeros()) : null;
    const x3 = (batched ? x : x.unsqueeze(0)).unsqueeze(0); // (1, batch, features)
    const result = fusedRecurrentLayer({
      kind: this.kind,
      x: x3,
      h0,
      c0,
      wIh: this.weight_ih,
      wHh: this.weight_hh,
      bIh: this.bias_ih,
      bHh: this.bias_hh,
      wHr: null,
      lengths: null,
      reverse: false,
      inferencePacking: this.inferencePacking,
    });
    const unbatch = (t: Tensor) => (batched ? t : t.squeeze(0));
    return { h: unbatch(result.h), c: result.c ? unbatch(result.c) : null };
  }
}
