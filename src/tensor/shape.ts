/** Shape helpers: sizes, strides, broadcasting and dimension normalisation. */
import { ShapeError, ValueError } from '../errors.js';

export type Shape = readonly number[];

/** Number of elements of a tensor of this shape (1 for a scalar `[]`). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides, in elements. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** Checks that a shape is a list of non-negative integers. */
export function checkShape(shape: Shape, where: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ValueError(where, `shape ${formatShape(shape)} must hold non-negative integers`);
    }
  }
}

/** Turns a possibly negative dim into `0..rank-1`, or throws naming the op. */
export function normalizeDim(dim: number, rank: number, where: string): number {
  const d = dim < 0 ? dim + rank : dim;
  if (!Number.isInteger(d) || d < 0 || d >= rank) {
    throw new ValueError(where, `dim ${dim} is out of range for a tensor of rank ${rank}`);
  }
  return d;
}

/** NumPy broadcasting of two shapes; throws a ShapeError naming both. */
export function broadcastShapes(a: Shape, b: Shape, where: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError({
        where,
        what: `broadcast of ${formatShape(a)} with ${formatShape(b)} at dim ${i}`,
        expected: `equal sizes or 1`,
        actual: `${da} vs ${db}`,
      });
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * For every flat index of `outShape`, the flat index of the element of a tensor of shape
 * `inShape` that broadcasting reads. `inShape` must broadcast to `outShape`.
 */
export function broadcastIndexMap(inShape: Shape, outShape: Shape): Int32Array {
  const rank = outShape.length;
  const size = sizeOf(outShape);
  const inStrides = stridesOf(inShape);
  // Stride of each output dim in the input: 0 where the input is broadcast.
  const strides = new Array<number>(rank).fill(0);
  for (let i = 0; i < inShape.length; i++) {
    const o = rank - inShape.length + i;
    strides[o] = inShape[i] === 1 ? 0 : inStrides[i]!;
  }
  const map = new Int32Array(size);
  if (size === 0) return map;
  // A row of the last output dim at a time (its input offsets are `lastStride` apart); the outer
  // dims count like an odometer.
  const last = rank > 0 ? outShape[rank - 1]! : 1;
  const lastStride = rank > 0 ? strides[rank - 1]! : 0;
  const index = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let flat = 0; flat < size; flat += last) {
    for (let j = 0, o = offset; j < last; j++, o += lastStride) map[flat + j] = o;
    for (let d = rank - 2; d >= 0; d--) {
      index[d]!++;
      offset += strides[d]!;
      if (index[d]! < outShape[d]!) break;
      offset -= strides[d]! * outShape[d]!;
      index[d] = 0;
    }
  }
  return map;
}

/** Splits a shape around `dim` into (outer, size, inner) for loops over one dimension. */
export function splitAt(shape: Shape, dim: number): { outer: number; size: number; inner: number } {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < dim; i++) outer *= shape[i]!;
  for (let i = dim + 1; i < shape.length; i++) inner *= shape[i]!;
  return { outer, size: shape[dim]!, inner };
}
