/**
 * simpleRNN (Keras's SimpleRNN), the Elman network:
 *   h_t = activation(x_t · kernel + bias + h_{t-1} · recurrent_kernel)
 * Weights (Keras layout): kernel (F, U), recurrent_kernel (U, U), bias (U).
 * The fused kernel runs it for activation 'tanh' or 'relu' (W_ih = kernelᵀ, W_hh = recurrent_kernelᵀ).
 * Shapes, masking, goBackwards, stateful: see RecurrentLayer.
 */
import type { Tensor } from '../../tensor/tensor.js';
import { resolveActivation } from '../activations.js';
import type { Arity } from '../layer.js';
import { RecurrentLayer, type RecurrentLayerOptions, type StepFunction } from './base.js';
import type { FusedWeights } from './fused-path.js';
import type { NoExtraOptions, RecurrentArityOf, TypedRecurrentApply } from './typed.js';

export type SimpleRNNOptions = RecurrentLayerOptions;

export class SimpleRNN<A extends Arity = Arity> extends RecurrentLayer<A> {
  readonly family = 'rnn' as const;
  private readonly activationFn: (x: Tensor) => Tensor;

  constructor(options: SimpleRNNOptions) {
    super(options);
    this.activationFn = resolveActivation(this.name, 'activation', this.activation);
  }

  cloneWith(overrides: Partial<SimpleRNNOptions>): SimpleRNN {
    return new SimpleRNN({ ...this.options, ...overrides });
  }

  protected biasShape(): number[] {
    return [this.units];
  }

  protected inputBias(): Tensor | null {
    return this.bias;
  }

  protected stepFunction(): StepFunction {
    const recurrent = this.recurrentKernel!;
    return (xt, [h]) => [this.activationFn(xt.add(h!.matmul(recurrent)))];
  }

  protected fusedWeights(): FusedWeights | string {
    if (this.activation !== 'tanh' && this.activation !== 'relu')
      return `activation '${String(this.activation)}' has no fused kernel (only 'tanh' and 'relu')`;
    return {
      kind: this.activation === 'tanh' ? 'rnn_tanh' : 'rnn_relu',
      wIh: this.kernel!.transpose(0, 1),
      wHh: this.recurrentKernel!.transpose(0, 1),
      bIh: this.bias,
      bHh: null,
    };
  }
}

/**
 * A fully connected recurrent layer; `returnState: true` makes it return `[output, h]`.
 * With literal options, `apply` on a tensor of known shape has typed results (see typed.ts):
 * `simpleRNN({ units: 32, returnSequences: true }).apply(randn([4, 10, 8]))` is a `Tensor<[4, 10, 32]>`.
 */
export function simpleRNN<const O extends SimpleRNNOptions>(
  options: O & NoExtraOptions<O, SimpleRNNOptions>,
): TypedRecurrentApply<O, 1> & SimpleRNN<RecurrentArityOf<O>>;
/** Options that are not a fresh literal and carry other keys (e.g. a spread of another layer's options): untyped. */
export function simpleRNN(options: SimpleRNNOptions): SimpleRNN;
export function simpleRNN(options: SimpleRNNOptions): SimpleRNN {
  return new SimpleRNN(options);
}
