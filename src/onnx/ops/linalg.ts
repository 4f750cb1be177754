/** MatMul, Gemm, Softmax/LogSoftmax, reductions, ArgMax/ArgMin and TopK. */
import { type ArrayData, isFloat, makeArray, type NDArray } from '../values.js';
import type { OpContext, OpImpl } from './context.js';
import { broadcastShapes, intList, normalizeAxis, scalar, stridesOf } from './util.js';

/**
 * O (rows, n) = A (rows, k) · B (k, n), each row summed in float64 over p in order (a zero of A
 * skips its row of B). A small function of its own: V8 optimizes it soon after it gets hot, where
 * the loops inside a large function would stay in baseline code (boxing every float) for the
 * few runs of a command.
 */
function matmulRows(
  A: ArrayData,
  Bm: ArrayData,
  O: ArrayData,
  row: Float64Array,
  rows: number,
  k: number,
  n: number,
): void {
  for (let i = 0; i < rows; i++) {
    row.fill(0);
    for (let p = 0; p < k; p++) {
      const av = A[i * k + p]!;
      if (av === 0) continue;
      const bRow = p * n;
      for (let j = 0; j < n; j++) row[j]! += av * Bm[bRow + j]!;
    }
    for (let j = 0; j < n; j++) O[i * n + j] = row[j]!;
  }
}

/**
 * O[i, j] = alpha · Σ_p A[i·ai + p·ap] · B[p·bp + j·bj] (p in order) + beta · C[i·ci + j·cj]
 * (+ 0 without C). Small, for the same reason as matmulRows.
 */
function gemmKernel(
  A: ArrayData,
  Bm: ArrayData,
  C: ArrayData | null,
  O: ArrayData,
  dims: { m: number; n: number; k: number },
  strides: { ai: number; ap: number; bp: number; bj: number; ci: number; cj: number },
  alpha: number,
  beta: number,
): void {
  const { m, n, k } = dims;
  const { ai, ap, bp, bj, ci, cj } = strides;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += A[i * ai + p * ap]! * Bm[p * bp + j * bj]!;
      O[i * n + j] = alpha * s + (C ? beta * C[i * ci + j * cj]! : 0);
    }
  }
}

function matmul(ctx: OpContext): NDArray[] {
  let a = ctx.input(0);
  let b = ctx.input(1);
  if (a.type !== b.type) throw ctx.valueError(`inputs must have one element type, got ${a.type} and ${b.type}`);
  const aVector = a.shape.length === 1;
  const bVector = b.shape.length === 1;
  if (a.shape.length === 0 || b.shape.length === 0) throw ctx.valueError('MatMul inputs must have rank >= 1');
  if (aVector) a = { ...a, shape: [1, a.shape[0]!] };
  if (bVector) b = { ...b, shape: [b.shape[0]!, 1] };
  const [m, k] = a.shape.slice(-2) as [number, number];
  const [k2, n] = b.shape.slice(-2) as [number, number];
  if (k !== k2) throw ctx.shapeError(`inner dims of [${a.shape.join(', ')}] x [${b.shape.join(', ')}]`, k, k2);
  const batch = broadcastShapes(ctx, [a.shape.slice(0, -2), b.shape.slice(0, -2)]);
  const batchSize = batch.reduce((x, y) => x * y, 1);
  const outShape = [...batch, m, n];
  const out = makeArray(a.type, outShape);
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const offsetIn = (shape: number[], flat: number) => {
    // Flat batch index of the broadcast batch -> flat batch index in `shape`.
    let rest = flat;
    let at = 0;
    const strides = stridesOf(shape);
    for (let d = batch.length - 1; d >= 0; d--) {
      const coord = rest % batch[d]!;
      rest = Math.floor(rest / batch[d]!);
      const k = d - (batch.length - shape.length);
      if (k >= 0 && shape[k] !== 1) at += coord * strides[k]!;
    }
    return at;
  };
  const row = new Float64Array(n);
  const A = a.data;
  const Bm = b.data;
  const O = out.data;
  if (bBatch.length === 0) {
    // B is one matrix: every row of A, whatever its batch dims, is one row of the product.
    matmulRows(A, Bm, O, row, batchSize * m, k, n);
  } else
    for (let t = 0; t < batchSize; t++) {
      const aAt = offsetIn(aBatch, t) * m * k;
      const bAt = offsetIn(bBatch, t) * k * n;
      const oAt = t * m * n;
      for (let i = 0; i < m; i++) {
        row.fill(0);
        for (let p = 0; p < k; p++) {
          const av = a.data[aAt + i * k + p]!;
          if (av === 0) continue;
          const bRow = bAt + p * n;
          for (let j = 0; j < n; j++) row[j]! += av * b.data[bRow + j]!;
        }
        for (let j = 0; j < n; j++) out.data[oAt + i * n + j] = row[j]!;
      }
    }
  let shape = outShape;
  if (aVector) shape = [...shape.slice(0, -2), shape[shape.length - 1]!];
  if (bVector) shape = shape.slice(0, -1);
  return [{ ...out, shape }];
}

function gemm(ctx: OpContext): NDArray[] {
  const a = ctx.input(0);
  const b = ctx.input(1);
  const c = ctx.optional(2);
  const alpha = ctx.attrs.float('alpha', 1);
  const beta = ctx.attrs.float('beta', 1);
  const transA = ctx.attrs.int('transA', 0) === 1;
  const transB = ctx.attrs.int('transB', 0) === 1;
  if (a.shape.length !== 2 || b.shape.length !== 2)
    throw ctx.shapeError('A and B ranks', 2, `${a.shape.length} and ${b.shape.length}`);
  const [m, k] = transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [k2, n] = transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (k !== k2)
    throw ctx.shapeError(
      `inner dims of A [${a.shape.join(', ')}]${transA ? 'ᵀ' : ''} and B [${b.shape.join(', ')}]${transB ? 'ᵀ' : ''}`,
      k,
      k2,
    );
  const out = makeArray(a.type, [m, n]);
  let C: ArrayData | null = null;
  let ci = 0;
  let cj = 0;
  if (c && beta !== 0) {
    const cs = c.shape;
    const rows = cs.length === 2 ? cs[0]! : 1;
    const cols = cs.length >= 1 ? cs[cs.length - 1]! : 1;
    if ((rows !== 1 && rows !== m) || (cols !== 1 && cols !== n) || cs.length > 2)
      throw ctx.shapeError('C shape (broadcast to [M, N])', [m, n], cs);
    C = c.data;
    ci = rows === 1 ? 0 : cols;
    cj = cols === 1 ? 0 : 1;
  }
  // Element strides of op(A) along (i, p) and of op(B) along (p, j).
  const [ai, ap] = transA ? [1, m] : [k, 1];
  const [bp, bj] = transB ? [1, k] : [n, 1];
  gemmKernel(a.data, b.data, C, out.data, { m, n, k }, { ai, ap, bp, bj, ci, cj }, alpha, beta);
  return [out];
}

/** Softmax or LogSoftmax; before opset 13 the input is flattened to 2-D at `axis` (default 1). */
function softmax(log: boolean): OpImpl {
  return (ctx) => {
    const x = ctx.input(0);
    if (!isFloat(x.type)) throw ctx.valueError(`input must be float, got ${x.type}`);
    const rank = x.shape.length;
    const legacy = ctx.opset < 13;
    const axis = normalizeAxis(ctx, ctx.attrs.int('axis', legacy ? 1 : -1), Math.max(rank, 1));
    const out = makeArray(x.type, x.shape);
    let outer: number;
    let len: number;
    let inner: number;
    if (legacy) {
      outer = x.shape.slice(0, axis).reduce((p, q) => p * q, 1);
      len = x.shape.slice(axis).reduce((p, q) => p * q, 1);
      inner = 1;
    } else {
      outer = x.shape.slice(0, axis).reduce((p, q) => p * q, 1);
      len = x.shape[axis] ?? 1;
      inner = x.shape.slice(axis + 1).reduce((p, q) => p * q, 1);
    }
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * len * inner + i;
        let max = -Infinity;
        for (let j = 0; j < len; j++) max = Math.max(max, x.data[base + j * inner]!);
        let sum = 0;
        for (let j = 0; j < len; j++) sum += Math.exp(x.data[base + j * inner]! - max);
        const logSum = Math.log(sum);
        for (let j = 0; j < len; j++) {
          const v = x.data[base + j * inner]! - max;
          out.data[base + j * inner] = log ? v - logSum : Math.exp(v) / sum;
        }
      }
    }
    return [out];
  };
}

type Reducer = {
  init: number;
  step: (acc: number, v: number) => number;
  finish?: (acc: number, count: number) => number;
};

const REDUCERS: Record<string, Reducer> = {
  ReduceSum: { init: 0, step: (a, v) => a + v },
  ReduceMean: { init: 0, step: (a, v) => a + v, finish: (a, n) => a / n },
  ReduceMax: { init: -Infinity, step: (a, v) => (v > a || Number.isNaN(v) ? v : a) },
  ReduceMin: { init: Infinity, step: (a, v) => (v < a || Number.isNaN(v) ? v : a) },
  ReduceProd: { init: 1, step: (a, v) => a * v },
  ReduceSumSquare: { init: 0, step: (a, v) => a + v * v },
  ReduceL1: { init: 0, step: (a, v) => a + Math.abs(v) },
  ReduceL2: { init: 0, step: (a, v) => a + v * v, finish: (a) => Math.sqrt(a) },
  ReduceLogSumExp: { init: 0, step: (a, v) => a + Math.exp(v), finish: (a) => Math.log(a) },
};

/** Reduces `x` over `axes` (all when empty), keeping size-1 dims when `keep`. */
export function reduceArray(ctx: OpContext, x: NDArray, axes: number[], keep: boolean, r: Reducer): NDArray {
  const rank = x.shape.length;
  const set = new Set(axes.map((a) => normalizeAxis(ctx, a, Math.max(rank, 1), 'axes entry')));
  const keptShape = x.shape.map((d, i) => (set.has(i) ? 1 : d));
  const count = x.shape.reduce((p, d, i) => (set.has(i) ? p * d : p), 1);
  const acc = new Float64Array(keptShape.reduce((p, q) => p * q, 1)).fill(r.init);
  const inStrides = stridesOf(x.shape);
  const outStrides = stridesOf(keptShape);
  for (let flat = 0; flat < x.data.length; flat++) {
    let rest = flat;
    let at = 0;
    for (let d = 0; d < rank; d++) {
      const coord = Math.floor(rest / inStrides[d]!);
      rest -= coord * inStrides[d]!;
      if (!set.has(d)) at += coord * outStrides[d]!;
    }
    acc[at] = r.step(acc[at]!, x.data[flat]!);
  }
  const shape = keep ? keptShape : x.shape.filter((_, i) => !set.has(i));
  const out = makeArray(x.type, shape);
  for (let i = 0; i < acc.length; i++) {
    const v = r.finish ? r.finish(acc[i]!, count) : acc[i]!;
    out.data[i] = x.type === 'int64' ? Math.trunc(v) : v;
  }
  return out;
}

function reduce(name: string): OpImpl {
  const r = REDUCERS[name]!;
  return (ctx) => {
    const x = ctx.input(0);
    const keep = ctx.attrs.int('keepdims', 1) === 1;
    const axesInput = ctx.optional(1);
    let axes = axesInput ? intList(axesInput) : (ctx.attrs.ints('axes') ?? []);
    if (axes.length === 0) {
      if (ctx.attrs.int('noop_with_empty_axes', 0) === 1) return [x];
      axes = x.shape.map((_, i) => i);
    }
    return [reduceArray(ctx, x, axes, keep, r)];
  };
}

function argReduce(max: boolean): OpImpl {
  return (ctx) => {
    const x = ctx.input(0);
    const rank = x.shape.length;
    const axis = normalizeAxis(ctx, ctx.attrs.int('axis', 0), rank);
    const keep = ctx.attrs.int('keepdims', 1) === 1;
    const last = ctx.attrs.int('select_last_index', 0) === 1;
    const outer = x.shape.slice(0, axis).reduce((p, q) => p * q, 1);
    const len = x.shape[axis]!;
    const inner = x.shape.slice(axis + 1).reduce((p, q) => p * q, 1);
    const shape = keep ? x.shape.map((d, i) => (i === axis ? 1 : d)) : x.shape.filter((_, i) => i !== axis);
    const out = makeArray('int64', shape);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let best = 0;
        let bestValue = x.data[o * len * inner + i]!;
        for (let j = 1; j < len; j++) {
          const v = x.data[(o * len + j) * inner + i]!;
          const better = max ? v > bestValue || (last && v === bestValue) : v < bestValue || (last && v === bestValue);
          if (better) {
            best = j;
            bestValue = v;
          }
        }
        out.data[o * inner + i] = best;
      }
    }
    return [out];
  };
}

function topK(ctx: OpContext): NDArray[] {
  const x = ctx.input(0);
  const k = ctx.opset >= 10 ? scalar(ctx, ctx.input(1, 'K'), 'K') : ctx.attrs.int('k', 1);
  const rank = x.shape.length;
  const axis = normalizeAxis(ctx, ctx.attrs.int('axis', -1), rank);
  const largest = ctx.attrs.int('largest', 1) === 1;
  const len = x.shape[axis]!;
  if (!Number.isInteger(k) || k < 0 || k > len) throw ctx.valueError(`K is ${k}, expected an integer in [0, ${len}]`);
  const outer = x.shape.slice(0, axis).reduce((p, q) => p * q, 1);
  const inner = x.shape.slice(axis + 1).reduce((p, q) => p * q, 1);
  const shape = x.shape.map((d, i) => (i === axis ? k : d));
  const values = makeArray(x.type, shape);
  const indices = makeArray('int64', shape);
  const order = Array.from({ length: len }, (_, j) => j);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (j: number) => x.data[(o * len + j) * inner + i]!;
      // Ties keep the lower index first (a stable sort), as ONNX Runtime does.
      const sorted = [...order].sort((p, q) => (largest ? at(q) - at(p) : at(p) - at(q)) || p - q);
      for (let j = 0; j < k; j++) {
        const dst = (o * k + j) * inner + i;
        values.data[dst] = at(sorted[j]!);
        indices.data[dst] = sorted[j]!;
      }
    }
  }
  return [values, indices];
}

export const linalgOps: Record<string, OpImpl> = {
  MatMul: matmul,
  Gemm: gemm,
  Softmax: softmax(false),
  LogSoftmax: softmax(true),
  ...Object.fromEntries(Object.keys(REDUCERS).map((name) => [name, reduce(name)])),
  ArgMax: argReduce(true),
  ArgMin: argReduce(false),
  TopK: topK,
};
