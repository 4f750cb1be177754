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
import { RecurrentBase, type RecurrentForwardOptions, type RecurrentStateOptions } from './base.js';
import type { PackedSequence } from '../../sequence/packed.js';
import { type CellOptions, RecurrentCellBase } from './cell-base.js';
import type { RecurrentOptions } from './options.js';

export class GRU extends RecurrentBase {
  constructor(options: RecurrentOptions) {
    super('GRU', 'gru', options);
  }

  /** x (N, L, H_in) | (L, N, H_in) | (L, H_in) -> output (N, L, D*H), h (numLayers*D, N, H). */
  forward(x: Tensor, options?: RecurrentForwardOptions): { output: Tensor; h: Tensor };
  /** A PackedSequence in gives a PackedSequence out (PyTorch porting). */
  forward(x: PackedSequence, options?: RecurrentStateOptions): { output: PackedSequence; h: Tensor };
  forward(x: Tensor | PackedSequence, options?: RecurrentForwardOptions): { output: Tensor | PackedSequence; h: Tensor } {
    const { output, h } = this.runAny(x, options);
    return { output, h };
  }
}

/** One GRU step: x (N, H_in) or (H_in), h (N, H) or (H) -> h' of h's shape. */
export class GRUCell extends RecurrentCellBase {
  constructor(options: CellOptions) {
    super('GRUCell', 'gru', options);
  }

  forward(x: Tensor, h?: Tensor): Tensor {
    return this.step(x, h).h;
  }
}
