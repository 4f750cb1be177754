/**
 * GRU, PyTorch's equations and gate order (r, z, n):
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr)     z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
 *   h' = (1 - z) * n + z * h
 * The reset gate multiplies the recurrent projection including its bias (Keras's
 * `resetAfter: true`, ONNX's `linear_before_reset = 1`).
 * Weights: W_ih (3H, H_in) or (3H, D*H), W_hh (3H, H), b_ih, b_hh (3H).
 * Shapes, lengths and traps: see RecurrentBase.
 */
import type { Tensor } from '../../tensor/tensor.js';
import type { Shape } from '../../tensor/shape.js';
import type { HiddenSizeOf, InputSizeOf, StepInput, StepStateShape } from '../../tensor/shape-types.js';
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

/**
 * `O` is the options object's type, inferred from the constructor: with literal options the
 * shapes of forward's results are computed in the types (see docs/typed-shapes.md).
 */
export class GRU<const O extends RecurrentOptions = RecurrentOptions> extends RecurrentBase {
  constructor(options: O) {
    super('GRU', 'gru', options);
  }

  /**
   * x (N, L, H_in) | (L, N, H_in) | (L, H_in) -> output (N, L, D*H), h (numLayers*D, N, H).
   * `options.h` is h0; `options.lengths` gives each sequence's valid steps.
   * A PackedSequence in gives a PackedSequence out (PyTorch porting); its lengths come from the packing.
   */
  forward<X extends Tensor | PackedSequence>(
    x: RecurrentInput<X, InputSizeOf<O>>,
    options?: RecurrentOptionsFor<X>,
  ): {
    output: RecurrentOutputFor<X, O>;
    h: RecurrentStateFor<X, O, HiddenSizeOf<O>>;
  };
  forward(
    x: Tensor | PackedSequence,
    options?: RecurrentForwardOptions,
  ): { output: Tensor | PackedSequence; h: Tensor } {
    const { output, h } = this.runAny(x, options);
    return { output, h };
  }
}

/**
 * One GRU step: x (N, H_in) or (H_in), h (N, H) or (H) -> h' of h's shape.
 * `In` and `H` are inputSize and hiddenSize as types (literals when the options are literals).
 */
export class GRUCell<In extends number = number, H extends number = number> extends RecurrentCellBase {
  constructor(options: CellOptions & { inputSize: In; hiddenSize: H }) {
    super('GRUCell', 'gru', options);
  }

  forward<S extends Shape>(x: StepInput<S, In>, h?: Tensor): Tensor<StepStateShape<S, H>>;
  forward(x: Tensor, h?: Tensor): Tensor {
    return this.step(x, h).h;
  }
}
