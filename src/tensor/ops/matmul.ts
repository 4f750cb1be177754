/**
 * Matrix product with PyTorch's `matmul` rules: 1-D operands are promoted to a row/column
 * and the added dim removed afterwards; leading (batch) dims broadcast.
 *   a: (..., M, K), b: (..., K, N) -> (..., M, N)
 * Gradients: dA = dC · Bᵀ, dB = Aᵀ · dC, summed over broadcast batch dims.
 * `matmulTransposed(a, b)` is `matmul(a, bᵀ)` (b: (..., N, K)) without copying b transposed:
 * Linear's `x · Wᵀ` and attention's `q · keysᵀ`.
 */
import { getBackend } from '../../backend/backend.js';
import { ShapeError } from '../../errors.js';
import { broadcastShapes, broadcastIndexMap, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { opResult } from './result.js';
import { reshape, transpose } from './layout.js';
import { traced, tracing } from '../trace.js';

export const matmul = traced('matmul', function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.shape.length === 0 || b.shape.length === 0) {
    throw new ShapeError({ where: 'matmul', what: 'operand rank', expected: '>= 1', actual: 0 });
  }
  if (a.shape.length === 1 && b.shape.length === 1) {
    // vector · vector is a scalar, as in PyTorch.
    return reshape(matmul(reshape(a, [1, a.shape[0]!]), reshape(b, [b.shape[0]!, 1])), []);
  }
  if (a.shape.length === 1) {
    const r = matmul(reshape(a, [1, a.shape[0]!]), b);
    return reshape(r, [...r.shape.slice(0, -2), r.shape[r.shape.length - 1]!]);
  }
  if (b.shape.length === 1) {
    const r = matmul(a, reshape(b, [b.shape[0]!, 1]));
    return reshape(r, r.shape.slice(0, -1));
  }
  return product(a, b, false);
});

/**
 * a (..., M, K) or (K), b (..., N, K) -> (..., M, N) or (..., N): `matmul(a, b.transpose(-1, -2))`
 * with the same broadcasting, read from b as it is stored.
 */
export function matmulTransposed(a: Tensor, b: Tensor): Tensor {
  // A trace (ONNX export) records what this computes, as the ops it knows: Transpose, MatMul.
  if (tracing()) return matmul(a, transpose(b, -2, -1));
  if (a.shape.length === 0 || b.shape.length < 2) {
    throw new ShapeError({
      where: 'matmulTransposed',
      what: 'operand ranks',
      expected: 'a of rank >= 1 and b of rank >= 2',
      actual: `${a.shape.length} and ${b.shape.length}`,
    });
  }
  if (a.shape.length === 1) {
    const r = product(reshape(a, [1, a.shape[0]!]), b, true);
    return reshape(r, [...r.shape.slice(0, -2), r.shape[r.shape.length - 1]!]);
  }
  return product(a, b, true);
}

/** a (..., M, K) · op(b), op(b) = b (..., K, N) or, with `transB`, bᵀ for b (..., N, K); both of rank >= 2. */
function product(a: Tensor, b: Tensor, transB: boolean): Tensor {
  const m = a.shape[a.shape.length - 2]!;
  const k = a.shape[a.shape.length - 1]!;
  const k2 = b.shape[b.shape.length - (transB ? 1 : 2)]!;
  const n = b.shape[b.shape.length - (transB ? 2 : 1)]!;
  if (k !== k2) {
    throw new ShapeError({
      where: transB ? 'matmulTransposed' : 'matmul',
      what: `inner dims of [${a.shape.join(', ')}] @ [${b.shape.join(', ')}]${transB ? 'ᵀ' : ''}`,
      expected: `a's last dim (${k}) to equal b's ${transB ? 'last' : 'second-to-last'}`,
      actual: k2,
    });
  }
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  if (aBatch.length > 0 && bBatch.length === 0) {
    // (..., M, K) · (K, N): the batch dims fold into M, so one product (and one per gradient)
    // replaces a small one per batch entry (Linear on (batch, time, features) is this case).
    const folded = product(reshape(a, [sizeOf(aBatch) * m, k]), b, transB);
    return reshape(folded, [...aBatch, m, n]);
  }
  const batchShape = broadcastShapes(aBatch, bBatch, 'matmul');
  const batches = sizeOf(batchShape);
  const aMap = broadcastIndexMap(aBatch, batchShape);
  const bMap = broadcastIndexMap(bBatch, batchShape);
  const backend = getBackend();
  const ldb = transB ? k : n;
  const out = new Float32Array(batches * m * n);
  for (let i = 0; i < batches; i++) {
    backend.gemm({
      m,
      n,
      k,
      a: a.data,
      aOffset: aMap[i]! * m * k,
      lda: k,
      b: b.data,
      bOffset: bMap[i]! * k * n,
      ldb,
      transB,
      c: out,
      cOffset: i * m * n,
      ldc: n,
      beta: 0,
    });
  }
  return opResult(transB ? 'matmulTransposed' : 'matmul', [a, b], out, [...batchShape, m, n], (g) => {
    let ga: Float32Array | null = null;
    let gb: Float32Array | null = null;
    if (a.requiresGrad) {
      ga = new Float32Array(a.size);
      // dA[i] += dC[i] · op(B[i])ᵀ ; broadcast batches accumulate (beta = 1).
      for (let i = 0; i < batches; i++) {
        backend.gemm({
          m,
          n: k,
          k: n,
          a: g,
          aOffset: i * m * n,
          lda: n,
          b: b.data,
          bOffset: bMap[i]! * k * n,
          ldb,
          transB: !transB,
          c: ga,
          cOffset: aMap[i]! * m * k,
          ldc: k,
          beta: 1,
        });
      }
    }
    if (b.requiresGrad) {
      gb = new Float32Array(b.size);
      for (let i = 0; i < batches; i++) {
        if (transB) {
          // dB[i] (N, K) += dC[i]ᵀ · A[i]
          backend.gemm({
            m: n,
            n: k,
            k: m,
            a: g,
            aOffset: i * m * n,
            lda: n,
            transA: true,
            b: a.data,
            bOffset: aMap[i]! * m * k,
            ldb: k,
            c: gb,
            cOffset: bMap[i]! * k * n,
            ldc: k,
            beta: 1,
          });
        } else {
          // dB[i] (K, N) += A[i]ᵀ · dC[i]
          backend.gemm({
            m: k,
            n,
            k: m,
            a: a.data,
            aOffset: aMap[i]! * m * k,
            lda: k,
            transA: true,
            b: g,
            bOffset: i * m * n,
            ldb: n,
            c: gb,
            cOffset: bMap[i]! * k * n,
            ldc: n,
            beta: 1,
          });
        }
      }
    }
    return [ga, gb];
  });
}
