/**
 * Elman RNN: `h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`, act = tanh (default) or relu.
 * One gate block: W_ih (H, H_in), W_hh (H, H), b_ih, b_hh (H).
 * Shapes, lengths and traps: see RecurrentBase.
 */
import type { Tensor } from '../../tensor/tensor.js';
import type { Shape } from '../../tensor/shape.js';
import type { HiddenSizeOf, InputSizeOf, StepInput, StepStateShape } from '../../tensor/shape-types.js';
import { ValueError } from '../../errors.js';
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

export type Nonlinearity = 'tanh' | 'relu';

export interface RNNOptions extends RecurrentOptions {
  /** The activation (default 'tanh'). */
  nonlinearity?: Nonlinearity;
}

function checkNonlinearity(where: string, value: unknown): Nonlinearity {
  if (value !== 'tanh' && value !== 'relu')
    throw new ValueError(where, `nonlinearity must be 'tanh' or 'relu', got ${String(value)}`);
  return value;
}

/**
 * `O` is the options object's type, inferred from the constructor: with literal options the
 * shapes of forward's results are computed in the types (see docs/typed-shapes.md).
 */
export class RNN<const O extends RNNOptions = RNNOptions> extends RecurrentBase {
  readonly nonlinearity: Nonlinearity;
  constructor(options: O) {
    const nonlinearity = checkNonlinearity('RNN', options?.nonlinearity ?? 'tanh');
    super('RNN', nonlinearity === 'tanh' ? 'rnn_tanh' : 'rnn_relu', options);
    this.nonlinearity = nonlinearity;
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
 * One Elman step: x (N, H_in) or (H_in), h (N, H) or (H) -> h' of h's shape.
 * `In` and `H` are inputSize and hiddenSize as types (literals when the options are literals).
 */
export class RNNCell<In extends number = number, H extends number = number> extends RecurrentCellBase {
  readonly nonlinearity: Nonlinearity;
  constructor(options: CellOptions & { inputSize: In; hiddenSize: H; nonlinearity?: Nonlinearity }) {
    const nonlinearity = checkNonlinearity('RNNCell', options?.nonlinearity ?? 'tanh');
    super('RNNCell', nonlinearity === 'tanh' ? 'rnn_tanh' : 'rnn_relu', options);
    this.nonlinearity = nonlinearity;
  }

  forward<S extends Shape>(x: StepInput<S, In>, h?: Tensor): Tensor<StepStateShape<S, H>>;
  forward(x: Tensor, h?: Tensor): Tensor {
    return this.step(x, h).h;
  }
}
