/**
 * lstm (Keras's LSTM), gate order i, f, c, o (the same order as PyTorch's i, f, g, o):
 *   z = x_t · kernel + bias + h_{t-1} · recurrent_kernel          (N, 4U), split into i f c o
 *   i = σ(z_i)   f = σ(z_f)   c̃ = act(z_c)   o = σ(z_o)           (σ = recurrentActivation)
 *   c_t = f * c_{t-1} + i * c̃        h_t = o * act(c_t)
 * Weights (Keras layout): kernel (F, 4U), recurrent_kernel (U, 4U), bias (4U). With
 * `unitForgetBias` (default true) the forget block of the bias starts at 1.
 * The fused kernel runs it for activation 'tanh' and recurrentActivation 'sigmoid'
 * (W_ih = kernelᵀ, W_hh = recurrent_kernelᵀ, b_ih = bias, no b_hh).
 * States: [h, c]. Shapes, masking, goBackwards, stateful: see RecurrentLayer.
 */
import type { Tensor } from '../../tensor/tensor.js';
import { type Activation, resolveActivation } from '../activations.js';
import { initialize, type Initializer } from '../initializers.js';
import type { Arity } from '../layer.js';
import { RecurrentLayer, type RecurrentLayerOptions, type StepFunction } from './base.js';
import type { FusedWeights } from './fused-path.js';
import type { NoExtraOptions, RecurrentArityOf, TypedRecurrentApply } from './typed.js';

export interface LSTMOptions extends RecurrentLayerOptions {
  /** Activation of the gates i, f, o. Default 'sigmoid' (Keras 3; TF.js defaults to 'hardSigmoid'). */
  recurrentActivation?: Activation;
  /** Start the forget gate's bias at 1 (default true). */
  unitForgetBias?: boolean;
}

export class LSTM<A extends Arity = Arity> extends RecurrentLayer<A> {
  readonly family = 'lstm' as const;
  readonly recurrentActivation: Activation;
  readonly unitForgetBias: boolean;
  private readonly activationFn: (x: Tensor) => Tensor;
  private readonly gateFn: (x: Tensor) => Tensor;

  constructor(options: LSTMOptions) {
    super(options);
    this.recurrentActivation = options.recurrentActivation ?? 'sigmoid';
    this.unitForgetBias = options.unitForgetBias ?? true;
    this.activationFn = resolveActivation(this.name, 'activation', this.activation);
    this.gateFn = resolveActivation(this.name, 'recurrentActivation', this.recurrentActivation);
  }

  cloneWith(overrides: Partial<LSTMOptions>): LSTM {
    return new LSTM({ ...(this.options as LSTMOptions), ...overrides });
  }

  protected biasShape(): number[] {
    return [this.gates * this.units];
  }

  protected override biasInitializer(): Initializer {
    const base = super.biasInitializer();
    if (!this.unitForgetBias) return base;
    const U = this.units;
    return (shape, generator) => {
      const values = initialize(base, shape, generator);
      values.fill(1, U, 2 * U);
      return values;
    };
  }

  protected inputBias(): Tensor | null {
    return this.bias;
  }

  protected stepFunction(): StepFunction {
    const recurrent = this.recurrentKernel!;
    const U = this.units;
    return (xt, [h, c]) => {
      const z = xt.add(h!.matmul(recurrent));
      const i = this.gateFn(z.slice(1, 0, U));
      const f = this.gateFn(z.slice(1, U, 2 * U));
      const candidate = this.activationFn(z.slice(1, 2 * U, 3 * U));
      const o = this.gateFn(z.slice(1, 3 * U, 4 * U));
      const cNext = f.mul(c!).add(i.mul(candidate));
      return [o.mul(this.activationFn(cNext)), cNext];
    };
  }

  protected fusedWeights(): FusedWeights | string {
    if (this.activation !== 'tanh') return `activation '${String(this.activation)}' has no fused kernel (only 'tanh')`;
    if (this.recurrentActivation !== 'sigmoid')
      return `recurrentActivation '${String(this.recurrentActivation)}' has no fused kernel (only 'sigmoid')`;
    const blocks = (t: Tensor, dim: number) => this.kerasToTorchBlocks(t, dim);
    return {
      kind: 'lstm',
      wIh: blocks(this.kernel!, 1).transpose(0, 1),
      wHh: blocks(this.recurrentKernel!, 1).transpose(0, 1),
      bIh: this.bias ? blocks(this.bias, 0) : null,
      bHh: null,
    };
  }
}

/**
 * A long short-term memory layer; `returnState: true` makes it return `[output, h, c]`.
 * With literal options, `apply` on a tensor of known shape has typed results (see typed.ts):
 * `lstm({ units: 32, returnSequences: true }).apply(randn([4, 10, 8]))` is a `Tensor<[4, 10, 32]>`.
 */
export function lstm<const O extends LSTMOptions>(
  options: O & NoExtraOptions<O, LSTMOptions>,
): TypedRecurrentApply<O, 2> & LSTM<RecurrentArityOf<O>>;
/** Options that are not a fresh literal and carry other keys (e.g. a spread of another layer's options): untyped. */
export function lstm(options: LSTMOptions): LSTM;
export function lstm(options: LSTMOptions): LSTM {
  return new LSTM(options);
}
