/** Shape arithmetic shared by the operators: axes, strides, broadcasting. */
import { broadcastIndexMap } from '../../tensor/shape.js';
import type { OpContext } from './context.js';
import type { ArrayData, NDArray } from '../values.js';

export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/** An axis in [-rank, rank) made non-negative. */
export function normalizeAxis(ctx: OpContext, axis: number, rank: number, what = 'axis'): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank)
    throw ctx.valueError(`${what} ${axis} is out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}

/** Numpy-style (multidirectional) broadcasting of several shapes. */
export function broadcastShapes(ctx: OpContext, shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const k = rank - s.length + i;
      const d = s[i]!;
      if (d === out[k]) continue;
      if (out[k] === 1) out[k] = d;
      else if (d !== 1)
        throw ctx.shapeError(
          `broadcast of shapes ${shapes.map((x) => `[${x.join(', ')}]`).join(' and ')} at dim ${k}`,
          out[k]!,
          d,
        );
    }
  }
  return out;
}

/**
 * For each flat index of `outShape`, the flat index into an input of shape `inShape`
 * (broadcast: size-1 and missing leading dims repeat). Returns null when no mapping is needed.
 */
export function broadcastIndex(inShape: readonly number[], outShape: readonly number[]): Int32Array | null {
  const same = inShape.length === outShape.length && inShape.every((d, i) => d === outShape[i]);
  return same ? null : broadcastIndexMap(inShape, outShape);
}

/** The values of a 1-D (or scalar) integer array as numbers. */
export function intList(a: NDArray): number[] {
  const out = new Array<number>(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Number(a.data[i]);
  return out;
}

/** The single value of a scalar or one-element array. */
export function scalar(ctx: OpContext, a: NDArray, what: string): number {
  if (a.data.length !== 1) throw ctx.shapeError(`${what} element count`, 1, a.data.length);
  return Number(a.data[0]);
}

/** Whether permuting `shape` by `perm` keeps the data order (only dims of size 1 move). */
export function movesNoData(shape: readonly number[], perm: readonly number[]): boolean {
  let last = -1;
  for (const p of perm) {
    if (shape[p] === 1) continue;
    if (p < last) return false;
    last = p;
  }
  return true;
}

/**
 * The bytes of `data` as 32-bit integers, and how many of them make one element (2 for float64),
 * for element copies: V8's first (baseline) code boxes every float it loads, so a loop copying
 * floats allocates 16 bytes per element and brings the garbage collector; 32-bit integers are
 * small integers in Node's V8 (no pointer compression) and never boxed. The copy is bit for bit
 * (NaN payloads and -0 included). Arrays of 1- and 2-byte elements are returned as they are.
 */
export function copyView(data: ArrayData): { bits: ArrayData; width: number } {
  const bytes = data.BYTES_PER_ELEMENT;
  if (bytes < 4) return { bits: data, width: 1 };
  return { bits: new Int32Array(data.buffer, data.byteOffset, (data.length * bytes) / 4), width: bytes / 4 };
}

/**
 * Copies n0 × n1 runs of `w` elements: run (i, j) from `from` at fromStart + i·from0 + j·from1
 * to `to` at toStart + i·to0 + j·to1 (offsets in elements of the arrays given, e.g. copyView's).
 * Long runs are block copies. A small function of its own: V8 optimizes it soon after it gets hot, where the same loops
 * inside a larger function would stay in baseline code for the few runs of a command.
 */
export function copyRuns(
  to: ArrayData,
  toStart: number,
  to0: number,
  to1: number,
  from: ArrayData,
  fromStart: number,
  from0: number,
  from1: number,
  n0: number,
  n1: number,
  w: number,
): void {
  for (let i = 0; i < n0; i++) {
    for (let j = 0; j < n1; j++) {
      const a = fromStart + i * from0 + j * from1;
      const b = toStart + i * to0 + j * to1;
      if (w >= 64) to.set(from.subarray(a, a + w) as never, b);
      else for (let q = 0; q < w; q++) to[b + q] = from[a + q]!;
    }
  }
}

/**
 * Permutes the dims of `a` (a copy, row-major). Dims of size 1 move no data: when the other dims
 * keep their order the copy is one block copy; otherwise the trailing dims that stay in place
 * are copied as contiguous runs.
 */
export function transposeData<T extends NDArray>(a: T, perm: readonly number[], make: (shape: number[]) => T): T {
  const outShape = perm.map((p) => a.shape[p]!);
  const out = make(outShape);
  const src = a.data;
  const dst = out.data;
  if (dst.length === 0) return out;
  if (movesNoData(a.shape, perm)) {
    dst.set(src as never);
    return out;
  }
  // Trailing output dims that are the input's trailing dims in place: one contiguous run each.
  let r = perm.length;
  let inner = 1;
  while (r > 0 && perm[r - 1] === r - 1) inner *= a.shape[--r]!;
  const inStrides = stridesOf(a.shape);
  const runs = dst.length / inner;
  if (inner < 64) {
    // Element copies through integer views (see copyView), strides in those units.
    const { bits: from, width } = copyView(src);
    const to = copyView(dst).bits;
    const w = inner * width;
    if (r === 2) {
      // Two moving dims (the swap perm of a batch-first layout): one copyRuns call.
      const s0 = inStrides[perm[0]!]! * width;
      const s1 = inStrides[perm[1]!]! * width;
      const n1 = outShape[1]!;
      copyRuns(to, 0, n1 * w, w, from, 0, s0, s1, outShape[0]!, n1, w);
      return out;
    }
    const strides = perm.slice(0, r).map((p) => inStrides[p]! * width);
    const counter = new Array<number>(r).fill(0);
    let at = 0;
    let flat = 0;
    for (let o = 0; o < runs; o++) {
      for (let q = 0; q < w; q++) to[flat + q] = from[at + q]!;
      flat += w;
      for (let k = r - 1; k >= 0; k--) {
        counter[k]!++;
        at += strides[k]!;
        if (counter[k]! < outShape[k]!) break;
        at -= strides[k]! * counter[k]!;
        counter[k] = 0;
      }
    }
    return out;
  }
  const strides = perm.slice(0, r).map((p) => inStrides[p]!);
  const counter = new Array<number>(r).fill(0);
  let at = 0;
  let flat = 0;
  for (let o = 0; o < runs; o++) {
    dst.set(src.subarray(at, at + inner) as never, flat);
    flat += inner;
    for (let k = r - 1; k >= 0; k--) {
      counter[k]!++;
      at += strides[k]!;
      if (counter[k]! < outShape[k]!) break;
      at -= strides[k]! * counter[k]!;
      counter[k] = 0;
    }
  }
  return out;
}
