/**
 * gru (Keras's GRU), gate order z, r, h (update, reset, candidate):
 *   x_z, x_r, x_h = x_t · kernel + b_in                  (the input bias)
 *   resetAfter true (default, Keras 3 and cuDNN):
 *     r_z, r_r, r_h = h_{t-1} · recurrent_kernel + b_rec
 *     z = σ(x_z + r_z)   r = σ(x_r + r_r)   h̃ = act(x_h + r * r_h)
 *   resetAfter false (Keras 2's default, TF.js's only form):
 *     z = σ(x_z + h_{t-1}·R_z)   r = σ(x_r + h_{t-1}·R_r)   h̃ = act(x_h + (r * h_{t-1}) · R_h)
 *   h_t = z * h_{t-1} + (1 - z) * h̃
 * Weights (Keras layout): kernel (F, 3U), recurrent_kernel (U, 3U); bias (2, 3U) with
 * resetAfter (row 0 the input bias, row 1 the recurrent bias), else (3U).
 * The fused kernel runs resetAfter true with activation 'tanh' and recurrentActivation
 * 'sigmoid': it is PyTorch's GRU with the gate blocks reordered z,r,h -> r,z,n
 * (W_ih = kernelᵀ, W_hh = recurrent_kernelᵀ, b_ih = bias[0], b_hh = bias[1], all reordered).
 * resetAfter false has no fused kernel (the reset gate multiplies h before the matrix
 * product) and runs step by step.
 * Shapes, masking, goBackwards, stateful: see RecurrentLayer.
 */
import type { Tensor } from '../../tensor/tensor.js';
import { type Activation, resolveActivation } from '../activations.js';
import type { Arity } from '../layer.js';
import { RecurrentLayer, type RecurrentLayerOptions, type StepFunction } from './base.js';
import type { FusedWeights } from './fused-path.js';
import type { NoExtraOptions, RecurrentArityOf, TypedRecurrentApply } from './typed.js';

export interface GRUOptions extends RecurrentLayerOptions {
  /** Activation of the gates z and r. Default 'sigmoid' (Keras 3; TF.js defaults to 'hardSigmoid'). */
  recurrentActivation?: Activation;
  /** Apply the reset gate after the recurrent matrix product (default true, as Keras 3). */
  resetAfter?: boolean;
}

export class GRU<A extends Arity = Arity> extends RecurrentLayer<A> {
  readonly family = 'gru' as const;
  readonly recurrentActivation: Activation;
  readonly resetAfter: boolean;
  private readonly activationFn: (x: Tensor) => Tensor;
  private readonly gateFn: (x: Tensor) => Tensor;

  constructor(options: GRUOptions) {
    super(options);
    this.recurrentActivation = options.recurrentActivation ?? 'sigmoid';
    this.resetAfter = options.resetAfter ?? true;
    this.activationFn = resolveActivation(this.name, 'activation', this.activation);
    this.gateFn = resolveActivation(this.name, 'recurrentActivation', this.recurrentActivation);
  }

  cloneWith(overrides: Partial<GRUOptions>): GRU {
    return new GRU({ ...(this.options as GRUOptions), ...overrides });
  }

  protected biasShape(): number[] {
    return this.resetAfter ? [2, this.gates * this.units] : [this.gates * this.units];
  }

  protected inputBias(): Tensor | null {
    if (!this.bias) return null;
    return this.resetAfter ? this.bias.select(0, 0) : this.bias;
  }

  protected stepFunction(): StepFunction {
    const U = this.units;
    const R = this.recurrentKernel!;
    const block = (t: Tensor, k: number) => t.slice(1, k * U, (k + 1) * U);
    if (this.resetAfter) {
      const recurrentBias = this.bias ? this.bias.select(0, 1) : null;
      return (xt, [h]) => {
        let rec = h!.matmul(R);
        if (recurrentBias) rec = rec.add(recurrentBias);
        const z = this.gateFn(block(xt, 0).add(block(rec, 0)));
        const r = this.gateFn(block(xt, 1).add(block(rec, 1)));
        const candidate = this.activationFn(block(xt, 2).add(r.mul(block(rec, 2))));
        return [candidate.add(z.mul(h!.sub(candidate)))];
      };
    }
    const Rzr = R.slice(1, 0, 2 * U);
    const Rh = R.slice(1, 2 * U, 3 * U);
    return (xt, [h]) => {
      const rec = h!.matmul(Rzr);
      const z = this.gateFn(block(xt, 0).add(block(rec, 0)));
      const r = this.gateFn(block(xt, 1).add(block(rec, 1)));
      const candidate = this.activationFn(block(xt, 2).add(r.mul(h!).matmul(Rh)));
      return [candidate.add(z.mul(h!.sub(candidate)))];
    };
  }

  protected fusedWeights(): FusedWeights | string {
    if (!this.resetAfter)
      return 'resetAfter false has no fused kernel (the reset gate multiplies h before the recurrent product)';
    if (this.activation !== 'tanh') return `activation '${String(this.activation)}' has no fused kernel (only 'tanh')`;
    if (this.recurrentActivation !== 'sigmoid')
      return `recurrentActivation '${String(this.recurrentActivation)}' has no fused kernel (only 'sigmoid')`;
    const reorder = (t: Tensor, dim: number) => this.kerasToTorchBlocks(t, dim);
    return {
      kind: 'gru',
      wIh: reorder(this.kernel!, 1).transpose(0, 1),
      wHh: reorder(this.recurrentKernel!, 1).transpose(0, 1),
      bIh: this.bias ? reorder(this.bias.select(0, 0), 0) : null,
      bHh: this.bias ? reorder(this.bias.select(0, 1), 0) : null,
    };
  }
}

/**
 * A gated recurrent unit layer; `returnState: true` makes it return `[output, h]`.
 * With literal options, `apply` on a tensor of known shape has typed results (see typed.ts):
 * `gru({ units: 32, returnSequences: true }).apply(randn([4, 10, 8]))` is a `Tensor<[4, 10, 32]>`.
 */
export function gru<const O extends GRUOptions>(
  options: O & NoExtraOptions<O, GRUOptions>,
): TypedRecurrentApply<O, 1> & GRU<RecurrentArityOf<O>>;
/** Options that are not a fresh literal and carry other keys (e.g. a spread of another layer's options): untyped. */
export function gru(options: GRUOptions): GRU;
export function gru(options: GRUOptions): GRU {
  return new GRU(options);
}
