/** Reductions over dimensions: sum, mean, max. */
import { normalizeDim, type Shape, sizeOf, splitAt, stridesOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { opResult } from './result.js';
import { traced } from '../trace.js';

/** Normalised, sorted, de-duplicated dims; `undefined` means all dims. */
function reduceDims(x: Tensor, dims: number | readonly number[] | undefined, where: string): number[] {
  if (dims === undefined) return x.shape.map((_, i) => i);
  const list = typeof dims === 'number' ? [dims] : dims;
  return [...new Set(list.map((d) => normalizeDim(d, x.shape.length, where)))].sort((a, b) => a - b);
}

/** For every input element, the flat index of the output element it reduces into. */
function reductionMap(shape: Shape, dims: readonly number[]): { map: Int32Array; keptShape: number[] } {
  const keptShape = shape.map((d, i) => (dims.includes(i) ? 1 : d));
  const outStrides = stridesOf(keptShape).map((s, i) => (dims.includes(i) ? 0 : s));
  const n = sizeOf(shape);
  const map = new Int32Array(n);
  const index = new Array<number>(shape.length).fill(0);
  let offset = 0;
  for (let flat = 0; flat < n; flat++) {
    map[flat] = offset;
    for (let d = shape.length - 1; d >= 0; d--) {
      index[d]!++;
      offset += outStrides[d]!;
      if (index[d]! < shape[d]!) break;
      offset -= outStrides[d]! * shape[d]!;
      index[d] = 0;
    }
  }
  return { map, keptShape };
}

function outShape(keptShape: readonly number[], dims: readonly number[], keepDim: boolean): number[] {
  return keepDim ? [...keptShape] : keptShape.filter((_, i) => !dims.includes(i));
}

/** Sum over `dims` (all dims when omitted). `keepDim` keeps reduced dims with size 1. */
export const sum = traced('sum', function sum(x: Tensor, dims?: number | readonly number[], keepDim = false): Tensor {
  const reduced = reduceDims(x, dims, 'sum');
  if (reduced.length === x.shape.length) return sumAll(x, keepDim);
  const { map, keptShape } = reductionMap(x.shape, reduced);
  const out = new Float32Array(sizeOf(keptShape));
  const src = x.data;
  // Accumulate in float64 for accuracy, as PyTorch's pairwise sums are more exact than naive float32.
  const acc = new Float64Array(out.length);
  for (let i = 0; i < src.length; i++) acc[map[i]!]! += src[i]!;
  out.set(acc);
  return opResult('sum', [x], out, outShape(keptShape, reduced, keepDim), (g) => {
    const gx = new Float32Array(src.length);
    for (let i = 0; i < gx.length; i++) gx[i] = g[map[i]!]!;
    return [gx];
  });
});

/** Sum of every element: a plain loop, no index map (the common case of a loss). */
function sumAll(x: Tensor, keepDim: boolean): Tensor {
  const src = x.data;
  let total = 0;
  for (let i = 0; i < src.length; i++) total += src[i]!;
  const shape = keepDim ? x.shape.map(() => 1) : [];
  return opResult('sum', [x], Float32Array.of(total), shape, (g) => [new Float32Array(src.length).fill(g[0]!)]);
}

/** Mean over `dims` (all dims when omitted). */
export const mean = traced(
  'mean',
  function mean(x: Tensor, dims?: number | readonly number[], keepDim = false): Tensor {
    const reduced = reduceDims(x, dims, 'mean');
    let count = 1;
    for (const d of reduced) count *= x.shape[d]!;
    return sum(x, reduced, keepDim).mul(1 / count);
  },
);

/**
 * Maximum over one dim. Returns the values; the gradient goes to the first maximal element,
 * as PyTorch's `max(dim)` does. `argmax` gives the indices.
 */
export const max = traced('max', function max(x: Tensor, dim: number, keepDim = false): Tensor {
  const d = normalizeDim(dim, x.shape.length, 'max');
  const { outer, size, inner } = splitAt(x.shape, d);
  const out = new Float32Array(outer * inner);
  const winner = new Int32Array(outer * inner);
  const src = x.data;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = -Infinity;
      let at = o * size * inner + i;
      for (let k = 0; k < size; k++) {
        const idx = (o * size + k) * inner + i;
        const v = src[idx]!;
        if (v > best || Number.isNaN(v)) {
          best = v;
          at = idx;
          if (Number.isNaN(v)) break;
        }
      }
      out[o * inner + i] = best;
      winner[o * inner + i] = at;
    }
  }
  const shape = keepDim ? x.shape.map((s, i) => (i === d ? 1 : s)) : x.shape.filter((_, i) => i !== d);
  return opResult('max', [x], out, shape, (g) => {
    const gx = new Float32Array(src.length);
    for (let i = 0; i < g.length; i++) gx[winner[i]!]! += g[i]!;
    return [gx];
  });
});

/** Indices of the maximum along `dim` (no gradient), as a plain Int32Array in output order. */
export const argmax = traced('argmax', function argmax(x: Tensor, dim: number): Int32Array {
  const d = normalizeDim(dim, x.shape.length, 'argmax');
  const { outer, size, inner } = splitAt(x.shape, d);
  const result = new Int32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = -Infinity;
      let at = 0;
      for (let k = 0; k < size; k++) {
        const v = x.data[(o * size + k) * inner + i]!;
        if (v > best) {
          best = v;
          at = k;
        }
      }
      result[o * inner + i] = at;
    }
  }
  return result;
});
