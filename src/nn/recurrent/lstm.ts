/**
 * LSTM, PyTorch's equations and gate order (i, f, g, o):
 *   i = σ(W_ii x + b_ii + W_hi h + b_hi)     f = σ(W_if x + b_if + W_hf h + b_hf)
 *   g = tanh(W_ig x + b_ig + W_hg h + b_hg)  o = σ(W_io x + b_io + W_ho h + b_ho)
 *   c' = f*c + i*g                            h' = o * tanh(c')
 * With projSize > 0: h' = W_hr (o * tanh(c')), so h has H_out = projSize features, c keeps H.
 * Weights: W_ih (4H, H_in) [layer 0] or (4H, D*H_out), W_hh (4H, H_out), b_ih, b_hh (4H),
 * W_hr (H_out, H). Shapes, lengths and traps: see RecurrentBase.
 */
import type { Tensor } from '../../tensor/tensor.js';
import type { Shape } from '../../tensor/shape.js';
import type {
  HiddenSizeOf,
  InputSizeOf,
  ProjectedSizeOf,
  StepInput,
  StepStateShape,
} from '../../tensor/shape-types.js';
import {
  RecurrentBase,
  type RecurrentForwardOptions,
  type RecurrentInput,
  type RecurrentOptionsFor,
  type RecurrentOutputFor,
  type RecurrentStateFor,
} from './base.js';
import type { PackedSequence } from '../../sequence/packed.js';
import { type CellOptions, RecurrentCellBase } from './cell-base.js';
import type { RecurrentOptions } from './options.js';

export interface LSTMOptions extends RecurrentOptions {
  /** If > 0, project h to this many features with W_hr; must be smaller than hiddenSize (default 0). */
  projSize?: number;
}

/**
 * `O` is the options object's type, inferred from the constructor: with literal options the
 * shapes of forward's results are computed in the types (see docs/typed-shapes.md).
 */
export class LSTM<const O extends LSTMOptions = LSTMOptions> extends RecurrentBase {
  constructor(options: O) {
    super('LSTM', 'lstm', options, options?.projSize ?? 0);
  }

  /**
   * x (N, L, H_in) | (L, N, H_in) | (L, H_in) -> output (N, L, D*H_out),
   * h (numLayers*D, N, H_out), c (numLayers*D, N, H).
   * `options.h`/`options.c` are h0/c0; `options.lengths` gives each sequence's valid steps.
   * A PackedSequence in gives a PackedSequence out (PyTorch porting); its lengths come from the packing.
   */
  forward<X extends Tensor | PackedSequence>(
    x: RecurrentInput<X, InputSizeOf<O>>,
    options?: RecurrentOptionsFor<X>,
  ): {
    output: RecurrentOutputFor<X, O>;
    h: RecurrentStateFor<X, O, ProjectedSizeOf<O>>;
    c: RecurrentStateFor<X, O, HiddenSizeOf<O>>;
  };
  forward(
    x: Tensor | PackedSequence,
    options?: RecurrentForwardOptions,
  ): { output: Tensor | PackedSequence; h: Tensor; c: Tensor } {
    const { output, h, c } = this.runAny(x, options);
    return { output, h, c: c! };
  }
}

/**
 * One LSTM step: x (N, H_in) or (H_in); h, c (N, H) or (H) -> { h, c } of the same shapes.
 * `In` and `H` are inputSize and hiddenSize as types (literals when the options are literals).
 */
export class LSTMCell<In extends number = number, H extends number = number> extends RecurrentCellBase {
  constructor(options: CellOptions & { inputSize: In; hiddenSize: H }) {
    super('LSTMCell', 'lstm', options);
  }

  forward<S extends Shape>(
    x: StepInput<S, In>,
    state?: { h: Tensor; c: Tensor },
  ): { h: Tensor<StepStateShape<S, H>>; c: Tensor<StepStateShape<S, H>> };
  forward(x: Tensor, state?: { h: Tensor; c: Tensor }): { h: Tensor; c: Tensor } {
    const { h, c } = this.step(x, state?.h, state?.c);
    return { h, c: c! };
  }
}
