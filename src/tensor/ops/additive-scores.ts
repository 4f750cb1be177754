/**
 * Additive (Bahdanau) attention scores as one op:
 *
 *   scores[b, t, s] = Σ_h v[h] · tanh(q[b, t, h] + k[b, s, h])
 *
 *   q (batch, steps, H)   projected queries
 *   k (batch, source, H)  projected keys
 *   v (1, H)              the score vector (a Linear's weight, no bias)
 *   -> scores (batch, steps, source)
 *
 * Written as `v(tanh(q.unsqueeze(2) + k.unsqueeze(1)))`, the same scores cost a broadcast
 * (batch, steps, source, H) sum, a tanh and a Linear, each with its own array and graph node, and
 * a backward that sums the broadcast back; a Bahdanau decoder runs them at every target step. Here
 * nothing of that size is kept: the backward computes the tanh values again.
 *
 *   d[b,t,s,h] = g[b,t,s] · v[h] · (1 - tanh²)
 *   dq[b,t,h] = Σ_s d    dk[b,s,h] = Σ_t d    dv[h] = Σ_{b,t,s} g[b,t,s] · tanh
 *
 * A backend with `additiveScores` (native) runs it; the loops below are the reference. The sums
 * over h round differently from the composite form's float32 GEMM (double here, vector lanes
 * there), so results agree to float32 tolerance, not bit for bit.
 */
import { type AdditiveScoresArgs, type AdditiveScoresBackwardArgs, getBackend } from '../../backend/backend.js';
import { ShapeError } from '../../errors.js';
import { Tensor } from '../tensor.js';
import { tanhScalar } from './tanh-scalar.js';
import { opResult } from './result.js';
import { traced } from '../trace.js';

export const additiveScores = traced(
  'additiveScores',
  function additiveScores(q: Tensor, k: Tensor, v: Tensor): Tensor {
    const fits =
      q.shape.length === 3 &&
      k.shape.length === 3 &&
      q.shape[0] === k.shape[0] &&
      q.shape[2] === k.shape[2] &&
      v.size === q.shape[2];
    if (!fits) {
      throw new ShapeError({
        where: 'additiveScores',
        what: 'shapes of q, k, v',
        expected: 'q (batch, steps, H), k (batch, source, H), v with H values',
        actual: `q [${q.shape.join(', ')}], k [${k.shape.join(', ')}], v [${v.shape.join(', ')}]`,
      });
    }
    const [batch, steps, hidden] = q.shape as [number, number, number];
    const source = k.shape[1]!;
    const sizes = { batch, steps, source, hidden };
    const scores = new Float32Array(batch * steps * source);
    const backend = getBackend();
    const fused = backend.additiveScores && backend.additiveScoresBackward ? backend : null;
    const forward = { ...sizes, q: q.data, k: k.data, v: v.data, scores };
    if (fused) fused.additiveScores!(forward);
    else additiveScoresReference(forward);
    return opResult('additiveScores', [q, k, v], scores, [batch, steps, source], (g) => {
      const args = {
        ...sizes,
        g,
        q: q.data,
        k: k.data,
        v: v.data,
        dq: q.requiresGrad ? new Float32Array(q.size) : null,
        dk: k.requiresGrad ? new Float32Array(k.size) : null,
        dv: v.requiresGrad ? new Float32Array(hidden) : null,
      };
      if (fused) fused.additiveScoresBackward!(args);
      else additiveScoresBackwardReference(args);
      return [args.dq, args.dk, args.dv];
    });
  },
);

/** The reference loops (every backend without the kernels; tests compare the native ones to them). */
export function additiveScoresReference(a: AdditiveScoresArgs): void {
  const { batch, steps, source, hidden: H, q, k, v, scores } = a;
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < steps; t++) {
      const qRow = (b * steps + t) * H;
      for (let s = 0; s < source; s++) {
        const kRow = (b * source + s) * H;
        const pair = (b * steps + t) * source + s;
        let sum = 0;
        for (let h = 0; h < H; h++) {
          sum += v[h]! * Math.fround(tanhScalar(Math.fround(q[qRow + h]! + k[kRow + h]!)));
        }
        scores[pair] = sum;
      }
    }
  }
}

/** Adds into dq, dk, dv; pairs whose gradient is 0 (masked padding) are skipped. */
export function additiveScoresBackwardReference(a: AdditiveScoresBackwardArgs): void {
  const { batch, steps, source, hidden: H, g, q, k, v, dq, dk, dv } = a;
  const dvSum = dv ? new Float64Array(H) : null;
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < steps; t++) {
      const qRow = (b * steps + t) * H;
      for (let s = 0; s < source; s++) {
        const pair = (b * steps + t) * source + s;
        const gs = g[pair]!;
        if (gs === 0) continue;
        const kRow = (b * source + s) * H;
        for (let h = 0; h < H; h++) {
          const act = Math.fround(tanhScalar(Math.fround(q[qRow + h]! + k[kRow + h]!)));
          const d = gs * v[h]! * (1 - act * act);
          if (dq) dq[qRow + h]! += d;
          if (dk) dk[kRow + h]! += d;
          if (dvSum) dvSum[h]! += gs * act;
        }
      }
    }
  }
  if (dv && dvSum) for (let h = 0; h < H; h++) dv[h]! += dvSum[h]!;
}
