/** Gradient clipping, as PyTorch's `torch.nn.utils.clip_grad_norm_` and `clip_grad_value_`. */
import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Rescales the gradients of `params` in place so that their total norm is at most `maxNorm`,
 * and returns the total norm before clipping.
 *
 * The total norm treats all gradients as one vector: `‖g‖_p = (Σ |g_i|^p)^(1/p)` over every
 * element of every gradient (`normType = Infinity`: `max |g_i|`). Then, as in PyTorch 1.13,
 * every gradient is multiplied by `min(1, maxNorm / (total + 1e-6))` (so clipped gradients
 * end slightly below `maxNorm`). Parameters whose `.grad` is null are skipped; with none
 * left the result is 0. A NaN or infinite gradient makes the total non-finite and the
 * gradients NaN, as in PyTorch.
 *
 * @param params the parameters (an iterable, read once).
 * @param maxNorm the largest allowed total norm, a finite number ≥ 0.
 * @param normType `p` > 0, or `Infinity` for the max norm. Default 2.
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number, normType = 2): number {
  const where = 'clipGradNorm';
  if (typeof maxNorm !== 'number' || !Number.isFinite(maxNorm) || maxNorm < 0) {
    throw new ValueError(where, `maxNorm must be a finite number ≥ 0, got ${String(maxNorm)}`);
  }
  if (typeof normType !== 'number' || !(normType > 0)) {
    throw new ValueError(where, `normType must be a number > 0 or Infinity, got ${String(normType)}`);
  }
  const grads = [...params].filter((p) => p.grad !== null).map((p) => p.grad!.data);
  if (grads.length === 0) return 0;
  let total: number;
  if (normType === Infinity) {
    total = 0;
    for (const g of grads) {
      for (let i = 0; i < g.length; i++) {
        const a = Math.abs(g[i]!);
        if (a > total || Number.isNaN(a)) total = a;
      }
    }
  } else {
    let acc = 0;
    for (const g of grads) {
      if (normType === 2) for (let i = 0; i < g.length; i++) acc += g[i]! * g[i]!;
      else if (normType === 1) for (let i = 0; i < g.length; i++) acc += Math.abs(g[i]!);
      else for (let i = 0; i < g.length; i++) acc += Math.abs(g[i]!) ** normType;
    }
    total = normType === 2 ? Math.sqrt(acc) : normType === 1 ? acc : acc ** (1 / normType);
  }
  // PyTorch computes the norm and the coefficient as float32 tensors.
  total = Math.fround(total);
  const coef = Math.min(Math.fround(maxNorm / Math.fround(total + 1e-6)), 1);
  if (!(coef === 1)) {
    for (const g of grads) for (let i = 0; i < g.length; i++) g[i] = g[i]! * coef;
  }
  return total;
}

/**
 * Clamps every gradient element of `params` into `[-clipValue, clipValue]`, in place.
 * Parameters whose `.grad` is null are skipped. `clipValue` must be a finite number ≥ 0.
 */
export function clipGradValue(params: Iterable<Tensor>, clipValue: number): void {
  if (typeof clipValue !== 'number' || !Number.isFinite(clipValue) || clipValue < 0) {
    throw new ValueError('clipGradValue', `clipValue must be a finite number ≥ 0, got ${String(clipValue)}`);
  }
  for (const p of params) {
    const g = p.grad?.data;
    if (!g) continue;
    for (let i = 0; i < g.length; i++) {
      const v = g[i]!;
      if (v > clipValue) g[i] = clipValue;
      else if (v < -clipValue) g[i] = -clipValue;
    }
  }
}
