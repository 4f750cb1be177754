/**
 * Ops that move elements without arithmetic: reshape, permute, slice, concat, index selection.
 * Results are contiguous; `reshape` shares its input's data (a view, as in PyTorch).
 */
import { ShapeError, ValueError } from '../../errors.js';
import {
  broadcastIndexMap,
  broadcastShapes,
  formatShape,
  normalizeDim,
  type Shape,
  shapesEqual,
  sizeOf,
  splitAt,
  stridesOf,
} from '../shape.js';
import { Tensor } from '../tensor.js';
import { sumToShape } from './elementwise.js';
import { opResult } from './result.js';
import { traced } from '../trace.js';

/** Same data, new shape; one dim may be -1 and is inferred. */
export const reshape = traced('reshape', function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const known = shape.filter((d) => d !== -1);
  const inferred = shape.length - known.length;
  const knownSize = sizeOf(known);
  if (inferred > 1 || known.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ValueError('reshape', `invalid target shape ${formatShape(shape)}`);
  }
  const target = shape.map((d) => (d === -1 ? (knownSize === 0 ? 0 : x.size / knownSize) : d));
  if (sizeOf(target) !== x.size || target.some((d) => !Number.isInteger(d))) {
    throw new ShapeError({
      where: 'reshape',
      what: `element count of ${formatShape(shape)}`,
      expected: `${x.size} (from ${formatShape(x.shape)})`,
      actual: sizeOf(target),
    });
  }
  return opResult('reshape', [x], x.data, target, (g) => [g]);
});

/** Reorders dims: output dim i is input dim `dims[i]`. */
export const permute = traced('permute', function permute(x: Tensor, dims: readonly number[]): Tensor {
  const rank = x.shape.length;
  const order = dims.map((d) => normalizeDim(d, rank, 'permute'));
  if (order.length !== rank || new Set(order).size !== rank) {
    throw new ValueError('permute', `dims ${formatShape(dims)} are not a permutation of ${rank} dims`);
  }
  const shape = order.map((d) => x.shape[d]!);
  const inStrides = stridesOf(x.shape);
  const strides = order.map((d) => inStrides[d]!);
  const n = x.size;
  // Each output row (the last output dim, `last` elements) reads the input from `rowStart[r]` on,
  // `lastStride` apart; the outer dims count like an odometer. Rows, not elements, are indexed:
  // a batch-first (B, T, H) <-> time-major (T, B, H) swap keeps H contiguous and copies whole rows.
  const last = rank > 0 ? shape[rank - 1]! : 1;
  const lastStride = rank > 0 ? strides[rank - 1]! : 0;
  const rows = last === 0 ? 0 : n / last;
  const rowStart = new Int32Array(rows);
  const index = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let r = 0; r < rows; r++) {
    rowStart[r] = offset;
    for (let d = rank - 2; d >= 0; d--) {
      index[d]!++;
      offset += strides[d]!;
      if (index[d]! < shape[d]!) break;
      offset -= strides[d]! * shape[d]!;
      index[d] = 0;
    }
  }
  const src = x.data;
  const out = new Float32Array(n);
  if (lastStride === 1 && last >= 16) {
    for (let r = 0; r < rows; r++) out.set(src.subarray(rowStart[r]!, rowStart[r]! + last), r * last);
  } else {
    for (let r = 0, flat = 0; r < rows; r++)
      for (let j = 0, o = rowStart[r]!; j < last; j++, o += lastStride) out[flat++] = src[o]!;
  }
  return opResult('permute', [x], out, shape, (g) => {
    const gx = new Float32Array(n);
    if (lastStride === 1 && last >= 16) {
      for (let r = 0; r < rows; r++) gx.set(g.subarray(r * last, (r + 1) * last), rowStart[r]!);
    } else {
      for (let r = 0, flat = 0; r < rows; r++)
        for (let j = 0, o = rowStart[r]!; j < last; j++, o += lastStride) gx[o] = g[flat++]!;
    }
    return [gx];
  });
});

/** Swaps two dims. */
export const transpose = traced('transpose', function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const rank = x.shape.length;
  const a = normalizeDim(dim0, rank, 'transpose');
  const b = normalizeDim(dim1, rank, 'transpose');
  if (a === b) return x;
  const order = x.shape.map((_, i) => i);
  order[a] = b;
  order[b] = a;
  return permute(x, order);
});

/** Elements `start <= i < end` along `dim` (negative indices count from the end). */
export const slice = traced('slice', function slice(x: Tensor, dim: number, start: number, end?: number): Tensor {
  const d = normalizeDim(dim, x.shape.length, 'slice');
  const size = x.shape[d]!;
  const clampIndex = (i: number) => Math.min(Math.max(i < 0 ? i + size : i, 0), size);
  const from = clampIndex(start);
  const to = Math.max(from, clampIndex(end ?? size));
  const { outer, inner } = splitAt(x.shape, d);
  const count = to - from;
  const shape = x.shape.map((s, i) => (i === d ? count : s));
  const src = x.data;
  const out = new Float32Array(outer * count * inner);
  for (let o = 0; o < outer; o++) {
    out.set(src.subarray((o * size + from) * inner, (o * size + to) * inner), o * count * inner);
  }
  return opResult('slice', [x], out, shape, (g) => {
    const gx = new Float32Array(src.length);
    for (let o = 0; o < outer; o++)
      gx.set(g.subarray(o * count * inner, (o + 1) * count * inner), (o * size + from) * inner);
    return [gx];
  });
});

/** The sub-tensor at `index` along `dim`, with that dim removed. */
export const select = traced('select', function select(x: Tensor, dim: number, index: number): Tensor {
  const d = normalizeDim(dim, x.shape.length, 'select');
  const size = x.shape[d]!;
  const i = index < 0 ? index + size : index;
  if (!Number.isInteger(i) || i < 0 || i >= size) {
    throw new ValueError('select', `index ${index} is out of range for dim ${d} of size ${size}`);
  }
  return reshape(
    slice(x, d, i, i + 1),
    x.shape.filter((_, k) => k !== d),
  );
});

/** Inserts a dim of size 1 at `dim`. */
export const unsqueeze = traced('unsqueeze', function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normalizeDim(dim, x.shape.length + 1, 'unsqueeze');
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  return reshape(x, shape);
});

/** Removes `dim` if its size is 1 (all size-1 dims when `dim` is omitted). */
export const squeeze = traced('squeeze', function squeeze(x: Tensor, dim?: number): Tensor {
  if (dim === undefined)
    return reshape(
      x,
      x.shape.filter((s) => s !== 1),
    );
  const d = normalizeDim(dim, x.shape.length, 'squeeze');
  if (x.shape[d] !== 1) return x;
  return reshape(
    x,
    x.shape.filter((_, k) => k !== d),
  );
});

/** Broadcasts `x` to `shape` (copying). */
export const expand = traced('expand', function expand(x: Tensor, shape: readonly number[]): Tensor {
  const target = shape.map((s, i) => (s === -1 ? (x.shape[i - (shape.length - x.shape.length)] ?? 1) : s));
  const full = broadcastShapes(x.shape, target, 'expand');
  if (!shapesEqual(full, target)) {
    throw new ShapeError({
      where: 'expand',
      what: `shape ${formatShape(x.shape)}`,
      expected: `broadcastable to ${formatShape(target)}`,
      actual: x.shape,
    });
  }
  const map = broadcastIndexMap(x.shape, target);
  const out = new Float32Array(map.length);
  for (let i = 0; i < map.length; i++) out[i] = x.data[map[i]!]!;
  return opResult('expand', [x], out, target, (g) => [sumToShape(g, target, x.shape)]);
});

/** Joins tensors along an existing dim; all other dims must match. */
export const concat = traced('concat', function concat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new ValueError('concat', 'needs at least one tensor');
  const first = tensors[0]!;
  const d = normalizeDim(dim, first.shape.length, 'concat');
  tensors.forEach((t, k) => {
    if (t.shape.length !== first.shape.length || t.shape.some((s, i) => i !== d && s !== first.shape[i])) {
      throw new ShapeError({
        where: 'concat',
        what: `shape of tensor ${k}`,
        expected: `${formatShape(first.shape)} except dim ${d}`,
        actual: t.shape,
      });
    }
  });
  const { outer, inner } = splitAt(first.shape, d);
  const sizes = tensors.map((t) => t.shape[d]!);
  const total = sizes.reduce((a, b) => a + b, 0);
  const shape = first.shape.map((s, i) => (i === d ? total : s));
  const out = new Float32Array(outer * total * inner);
  let at = 0;
  tensors.forEach((t, k) => {
    const chunk = sizes[k]! * inner;
    for (let o = 0; o < outer; o++) out.set(t.data.subarray(o * chunk, (o + 1) * chunk), o * total * inner + at);
    at += chunk;
  });
  return opResult('concat', tensors, out, shape, (g) => {
    let offset = 0;
    return tensors.map((t, k) => {
      const chunk = sizes[k]! * inner;
      const start = offset;
      offset += chunk;
      if (!t.requiresGrad) return null;
      const gt = new Float32Array(outer * chunk);
      for (let o = 0; o < outer; o++)
        gt.set(g.subarray(o * total * inner + start, o * total * inner + start + chunk), o * chunk);
      return gt;
    });
  });
});

/** Stacks same-shaped tensors along a new dim. */
export const stack = traced('stack', function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new ValueError('stack', 'needs at least one tensor');
  const first = tensors[0]!;
  tensors.forEach((t, k) => {
    if (!shapesEqual(t.shape, first.shape)) {
      throw new ShapeError({ where: 'stack', what: `shape of tensor ${k}`, expected: first.shape, actual: t.shape });
    }
  });
  const d = normalizeDim(dim, first.shape.length + 1, 'stack');
  return concat(
    tensors.map((t) => unsqueeze(t, d)),
    d,
  );
});

function checkIndex(i: number, size: number, where: string, position: string): void {
  if (!Number.isInteger(i) || i < 0 || i >= size) {
    throw new ValueError(where, `index ${i} at ${position} is out of range [0, ${size})`);
  }
}

/** Picks entries `indices` along `dim` (like `torch.index_select`); gradients scatter-add back. */
export const indexSelect = traced(
  'indexSelect',
  function indexSelect(x: Tensor, dim: number, indices: ArrayLike<number>): Tensor {
    const d = normalizeDim(dim, x.shape.length, 'indexSelect');
    const { outer, size, inner } = splitAt(x.shape, d);
    const count = indices.length;
    for (let k = 0; k < count; k++) checkIndex(indices[k]!, size, 'indexSelect', `position ${k}`);
    const shape = x.shape.map((s, i) => (i === d ? count : s));
    const src = x.data;
    const out = new Float32Array(outer * count * inner);
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < count; k++) {
        const from = (o * size + indices[k]!) * inner;
        out.set(src.subarray(from, from + inner), (o * count + k) * inner);
      }
    }
    return opResult('indexSelect', [x], out, shape, (g) => {
      const gx = new Float32Array(src.length);
      for (let o = 0; o < outer; o++) {
        for (let k = 0; k < count; k++) {
          const to = (o * size + indices[k]!) * inner;
          const from = (o * count + k) * inner;
          for (let j = 0; j < inner; j++) gx[to + j]! += g[from + j]!;
        }
      }
      return [gx];
    });
  },
);

/**
 * `out[...i, j, k...] = x[...i, index[...i, j, k...], k...]` along `dim` (like `torch.gather`).
 * `index` holds integers and has x's rank; its size may be smaller in every dim.
 */
export const gather = traced('gather', function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const rank = x.shape.length;
  const d = normalizeDim(dim, rank, 'gather');
  if (index.shape.length !== rank) {
    throw new ShapeError({ where: 'gather', what: 'index rank', expected: rank, actual: index.shape.length });
  }
  index.shape.forEach((s, i) => {
    if (i !== d && s > x.shape[i]!)
      throw new ShapeError({ where: 'gather', what: `index dim ${i}`, expected: `<= ${x.shape[i]}`, actual: s });
  });
  const xStrides = stridesOf(x.shape);
  const n = index.size;
  const map = new Int32Array(n);
  const pos = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < n; flat++) {
    const target = index.data[flat]!;
    checkIndex(target, x.shape[d]!, 'gather', `index position [${pos.join(', ')}]`);
    let offset = 0;
    for (let i = 0; i < rank; i++) offset += (i === d ? target : pos[i]!) * xStrides[i]!;
    map[flat] = offset;
    for (let i = rank - 1; i >= 0; i--) {
      pos[i]!++;
      if (pos[i]! < index.shape[i]!) break;
      pos[i] = 0;
    }
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = x.data[map[i]!]!;
  return opResult('gather', [x], out, index.shape as Shape, (g) => {
    const gx = new Float32Array(x.size);
    for (let i = 0; i < n; i++) gx[map[i]!]! += g[i]!;
    return [gx];
  });
});
