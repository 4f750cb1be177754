/**
 * Shape and layout operators: Transpose, Reshape, Flatten, Squeeze, Unsqueeze, Concat, Split,
 * Slice, Gather, GatherElements, ScatterElements, Expand, Tile, Shape, Size, Constant,
 * ConstantOfShape, Range.
 */
import { arrayFrom, type ElemType, makeArray, type NDArray, sizeOfShape } from '../values.js';
import type { OpContext, OpImpl } from './context.js';
import {
  broadcastIndex,
  copyView,
  broadcastShapes,
  intList,
  movesNoData,
  normalizeAxis,
  scalar,
  stridesOf,
  transposeData,
} from './util.js';

const withShape = (a: NDArray, shape: number[]): NDArray => ({ type: a.type, shape, data: a.data });

function transpose(ctx: OpContext): NDArray[] {
  const x = ctx.input(0);
  const rank = x.shape.length;
  const perm = ctx.attrs.ints('perm') ?? x.shape.map((_, i) => rank - 1 - i);
  if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i))
    throw ctx.valueError(`perm [${perm.join(', ')}] is not a permutation of ${rank} dims`);
  // Values are never written after they are made, so a transpose that keeps the data order shares it.
  if (movesNoData(x.shape, perm))
    return [
      withShape(
        x,
        perm.map((p) => x.shape[p]!),
      ),
    ];
  return [transposeData(x, perm, (shape) => makeArray(x.type, shape))];
}

function reshape(ctx: OpContext): NDArray[] {
  const x = ctx.input(0);
  const requested = ctx.opset < 5 ? (ctx.attrs.ints('shape') ?? []) : intList(ctx.input(1, 'shape'));
  const allowZero = ctx.attrs.int('allowzero', 0) === 1;
  const shape = requested.map((d, i) => (d === 0 && !allowZero ? x.shape[i]! : d));
  if (shape.some((d) => d === undefined))
    throw ctx.valueError(
      `shape [${requested.join(', ')}] copies a dim (0) that input [${x.shape.join(', ')}] does not have`,
    );
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1) throw ctx.valueError(`shape [${requested.join(', ')}] has more than one -1`);
  const known = shape.filter((d) => d !== -1).reduce((p, q) => p * q, 1);
  if (unknown === 1) {
    if (known === 0 || x.data.length % known !== 0)
      throw ctx.shapeError(
        `reshape of [${x.shape.join(', ')}] to [${requested.join(', ')}]`,
        'a size that divides the element count',
        x.data.length,
      );
    shape[shape.indexOf(-1)] = x.data.length / known;
  }
  if (shape.some((d) => d < 0)) throw ctx.valueError(`shape [${requested.join(', ')}] holds a negative size`);
  if (sizeOfShape(shape) !== x.data.length)
    throw ctx.shapeError(`element count for shape [${shape.join(', ')}]`, sizeOfShape(shape), x.data.length);
  return [withShape(x, shape)];
}

function flatten(ctx: OpContext): NDArray[] {
  const x = ctx.input(0);
  const rank = x.shape.length;
  let axis = ctx.attrs.int('axis', 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis > rank)
    throw ctx.valueError(`axis ${ctx.attrs.int('axis', 1)} is out of range for rank ${rank}`);
  const outer = x.shape.slice(0, axis).reduce((p, q) => p * q, 1);
  return [withShape(x, [outer, x.data.length / Math.max(outer, 1) || 0])];
}

/** Axes from the input (opset >= 13) or the attribute. */
function axesOf(ctx: OpContext, inputIndex: number): number[] | null {
  const input = ctx.optional(inputIndex);
  if (input) return intList(input);
  return ctx.attrs.ints('axes') ?? null;
}

function squeeze(ctx: OpContext): NDArray[] {
  const x = ctx.input(0);
  const rank = x.shape.length;
  const axes = axesOf(ctx, 1);
  if (axes === null)
    return [
      withShape(
        x,
        x.shape.filter((d) => d !== 1),
      ),
    ];
  const set = new Set(axes.map((a) => normalizeAxis(ctx, a, rank, 'axes entry')));
  for (const a of set)
    if (x.shape[a] !== 1) throw ctx.shapeError(`squeezed dim ${a} of [${x.shape.join(', ')}]`, 1, x.shape[a]!);
  return [
    withShape(
      x,
      x.shape.filter((_, i) => !set.has(i)),
    ),
  ];
}

function unsqueeze(ctx: OpContext): NDArray[] {
  const x = ctx.input(0);
  const axes = axesOf(ctx, 1);
  if (axes === null) throw ctx.formatError('needs axes');
  const rank = x.shape.length + axes.length;
  const set = new Set(axes.map((a) => normalizeAxis(ctx, a, rank, 'axes entry')));
  if (set.size !== axes.length) throw ctx.valueError(`axes [${axes.join(', ')}] repeat an axis`);
  const shape: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) shape.push(set.has(i) ? 1 : x.shape[k++]!);
  return [withShape(x, shape)];
}

function concat(ctx: OpContext): NDArray[] {
  const parts = ctx.inputs.filter((a): a is NDArray => a !== null);
  if (parts.length === 0) throw ctx.formatError('needs at least one input');
  const first = parts[0]!;
  const rank = first.shape.length;
  const axisAttr = ctx.attrs.int('axis');
  if (axisAttr === undefined) throw ctx.formatError("needs the 'axis' attribute");
  const axis = normalizeAxis(ctx, axisAttr, rank);
  for (const p of parts) {
    if (p.type !== first.type)
      throw ctx.valueError(`inputs must have one element type, got ${first.type} and ${p.type}`);
    if (p.shape.length !== rank || p.shape.some((d, i) => i !== axis && d !== first.shape[i])) {
      throw ctx.shapeError(
        `input shape [${p.shape.join(', ')}] (all dims but ${axis} must match)`,
        first.shape,
        p.shape,
      );
    }
  }
  const shape = [...first.shape];
  shape[axis] = parts.reduce((s, p) => s + p.shape[axis]!, 0);
  const out = makeArray(first.type, shape);
  const outer = shape.slice(0, axis).reduce((p, q) => p * q, 1);
  const inner = shape.slice(axis + 1).reduce((p, q) => p * q, 1);
  let offset = 0;
  for (const p of parts) {
    const width = p.shape[axis]! * inner;
    for (let o = 0; o < outer; o++) {
      out.data.set(p.data.subarray(o * width, (o + 1) * width), o * shape[axis]! * inner + offset);
    }
    offset += width;
  }
  return [out];
}

function split(ctx: OpContext): NDArray[] {
  const x = ctx.input(0);
  const rank = x.shape.length;
  const axis = normalizeAxis(ctx, ctx.attrs.int('axis', 0), rank);
  const len = x.shape[axis]!;
  const count = ctx.outputCount;
  const splitInput = ctx.opset >= 13 ? ctx.optional(1) : null;
  let sizes = splitInput ? intList(splitInput) : (ctx.attrs.ints('split') ?? null);
  if (!sizes) {
    const parts = ctx.attrs.int('num_outputs', count);
    const each = Math.ceil(len / parts);
    sizes = Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(each, len - i * each)));
  }
  if (sizes.reduce((a, b) => a + b, 0) !== len)
    throw ctx.shapeError(
      `sum of split sizes [${sizes.join(', ')}]`,
      len,
      sizes.reduce((a, b) => a + b, 0),
    );
  const outer = x.shape.slice(0, axis).reduce((p, q) => p * q, 1);
  const inner = x.shape.slice(axis + 1).reduce((p, q) => p * q, 1);
  let start = 0;
  return sizes.map((size) => {
    const shape = [...x.shape];
    shape[axis] = size;
    const out = makeArray(x.type, shape);
    for (let o = 0; o < outer; o++)
      out.data.set(x.data.subarray((o * len + start) * inner, (o * len + start + size) * inner), o * size * inner);
    start += size;
    return out;
  });
}

function slice(ctx: OpContext): NDArray[] {
  const x = ctx.input(0);
  const rank = x.shape.length;
  let starts: number[];
  let ends: number[];
  let axes: number[] | null;
  let steps: number[] | null;
  if (ctx.opset < 10) {
    starts = ctx.attrs.ints('starts') ?? [];
    ends = ctx.attrs.ints('ends') ?? [];
    axes = ctx.attrs.ints('axes') ?? null;
    steps = null;
  } else {
    starts = intList(ctx.input(1, 'starts'));
    ends = intList(ctx.input(2, 'ends'));
    axes = ctx.optional(3) ? intList(ctx.optional(3)!) : null;
    steps = ctx.optional(4) ? intList(ctx.optional(4)!) : null;
  }
  if (starts.length !== ends.length) throw ctx.shapeError('starts and ends counts', starts.length, ends.length);
  const begin = new Array<number>(rank).fill(0);
  const step = new Array<number>(rank).fill(1);
  const shape = [...x.shape];
  const axisList = axes ?? starts.map((_, i) => i);
  axisList.forEach((a, i) => {
    const axis = normalizeAxis(ctx, a, rank, 'axes entry');
    const dim = x.shape[axis]!;
    const st = steps?.[i] ?? 1;
    if (st === 0) throw ctx.valueError('a step of 0');
    let s = starts[i]!;
    let e = ends[i]!;
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    if (st > 0) {
      s = Math.min(Math.max(s, 0), dim);
      e = Math.min(Math.max(e, 0), dim);
      shape[axis] = Math.max(0, Math.ceil((e - s) / st));
    } else {
      s = Math.min(Math.max(s, -1), dim - 1);
      e = Math.min(Math.max(e, -1), dim - 1);
      shape[axis] = Math.max(0, Math.ceil((e - s) / st));
    }
    begin[axis] = s;
    step[axis] = st;
  });
  // A slice that is one contiguous block of x (leading dims of size 1 in the result, one sliced dim,
  // whole trailing dims, unit steps) shares x's data: values are never written after they are made.
  const first = shape.findIndex((d, i) => d !== 1 || step[i] !== 1);
  const k = first < 0 ? rank - 1 : first;
  if (step.every((st) => st === 1) && shape.every((d, i) => i <= k || d === x.shape[i])) {
    const inStrides = stridesOf(x.shape);
    const offset = begin.reduce((sum, b, i) => sum + b * inStrides[i]!, 0);
    const size = shape.reduce((p, q) => p * q, 1);
    return [{ type: x.type, shape, data: x.data.subarray(offset, offset + size) }];
  }
  const out = makeArray(x.type, shape);
  const inStrides = stridesOf(x.shape);
  const outStrides = stridesOf(shape);
  for (let flat = 0; flat < out.data.length; flat++) {
    let rest = flat;
    let at = 0;
    for (let d = 0; d < rank; d++) {
      const coord = Math.floor(rest / outStrides[d]!);
      rest -= coord * outStrides[d]!;
      at += (begin[d]! + coord * step[d]!) * inStrides[d]!;
    }
    out.data[flat] = x.data[at]!;
  }
  return [out];
}

function gather(ctx: OpContext): NDArray[] {
  const x = ctx.input(0);
  const indices = ctx.input(1, 'indices');
  const rank = x.shape.length;
  const axis = normalizeAxis(ctx, ctx.attrs.int('axis', 0), rank);
  const dim = x.shape[axis]!;
  const outer = x.shape.slice(0, axis).reduce((p, q) => p * q, 1);
  const inner = x.shape.slice(axis + 1).reduce((p, q) => p * q, 1);
  const shape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
  const out = makeArray(x.type, shape);
  const n = indices.data.length;
  for (let k = 0; k < n; k++) {
    let idx = Number(indices.data[k]);
    if (idx < 0) idx += dim;
    if (!(idx >= 0 && idx < dim))
      throw ctx.valueError(`index ${indices.data[k]} at flat position ${k} is out of range [${-dim}, ${dim})`);
  }
  if (inner < 16) {
    // Short rows (an embedding's): element copies through integer views (see copyView).
    const { bits: from, width } = copyView(x.data);
    const to = copyView(out.data).bits;
    const w = inner * width;
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < n; k++) {
        // A small integer (checked above): offsets computed from it are never boxed.
        let idx = Number(indices.data[k]) | 0;
        if (idx < 0) idx += dim;
        const at = (o * dim + idx) * w;
        const flat = (o * n + k) * w;
        for (let q = 0; q < w; q++) to[flat + q] = from[at + q]!;
      }
    }
    return [out];
  }
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < n; k++) {
      let idx = Number(indices.data[k]);
      if (idx < 0) idx += dim;
      out.data.set(x.data.subarray((o * dim + idx) * inner, (o * dim + idx + 1) * inner), (o * n + k) * inner);
    }
  }
  return [out];
}

/** Shared walk of GatherElements / ScatterElements: for each index position, the flat data offset. */
function elementOffsets(ctx: OpContext, data: NDArray, indices: NDArray, axis: number): Int32Array {
  const rank = data.shape.length;
  if (indices.shape.length !== rank) throw ctx.shapeError('indices rank', rank, indices.shape.length);
  const dataStrides = stridesOf(data.shape);
  const idxStrides = stridesOf(indices.shape);
  const dim = data.shape[axis]!;
  const offsets = new Int32Array(indices.data.length);
  for (let flat = 0; flat < indices.data.length; flat++) {
    let rest = flat;
    let at = 0;
    for (let d = 0; d < rank; d++) {
      const coord = Math.floor(rest / idxStrides[d]!);
      rest -= coord * idxStrides[d]!;
      if (d === axis) {
        let idx = Number(indices.data[flat]);
        if (idx < 0) idx += dim;
        if (!(idx >= 0 && idx < dim))
          throw ctx.valueError(`index ${indices.data[flat]} is out of range [${-dim}, ${dim})`);
        at += idx * dataStrides[d]!;
      } else {
        at += coord * dataStrides[d]!;
      }
    }
    offsets[flat] = at;
  }
  return offsets;
}

function gatherElements(ctx: OpContext): NDArray[] {
  const x = ctx.input(0);
  const indices = ctx.input(1, 'indices');
  const axis = normalizeAxis(ctx, ctx.attrs.int('axis', 0), x.shape.length);
  const offsets = elementOffsets(ctx, x, indices, axis);
  const out = makeArray(x.type, indices.shape);
  for (let i = 0; i < offsets.length; i++) out.data[i] = x.data[offsets[i]!]!;
  return [out];
}

function scatterElements(ctx: OpContext): NDArray[] {
  const x = ctx.input(0);
  const indices = ctx.input(1, 'indices');
  const updates = ctx.input(2, 'updates');
  const axis = normalizeAxis(ctx, ctx.attrs.int('axis', 0), x.shape.length);
  const reduction = ctx.attrs.string('reduction', 'none');
  const offsets = elementOffsets(ctx, x, indices, axis);
  const out = makeArray(x.type, x.shape);
  out.data.set(x.data);
  for (let i = 0; i < offsets.length; i++) {
    const o = offsets[i]!;
    const u = updates.data[i]!;
    switch (reduction) {
      case 'add':
        out.data[o] = out.data[o]! + u;
        break;
      case 'mul':
        out.data[o] = out.data[o]! * u;
        break;
      case 'max':
        out.data[o] = Math.max(out.data[o]!, u);
        break;
      case 'min':
        out.data[o] = Math.min(out.data[o]!, u);
        break;
      default:
        out.data[o] = u;
    }
  }
  return [out];
}

function expand(ctx: OpContext): NDArray[] {
  const x = ctx.input(0);
  const target = intList(ctx.input(1, 'shape'));
  const shape = broadcastShapes(ctx, [x.shape, target]);
  const out = makeArray(x.type, shape); // first: it checks the size before the index map is built
  const map = broadcastIndex(x.shape, shape);
  for (let i = 0; i < out.data.length; i++) out.data[i] = x.data[map ? map[i]! : i]!;
  return [out];
}

function tile(ctx: OpContext): NDArray[] {
  const x = ctx.input(0);
  const repeats = intList(ctx.input(1, 'repeats'));
  const rank = x.shape.length;
  if (repeats.length !== rank) throw ctx.shapeError('repeats count', rank, repeats.length);
  const shape = x.shape.map((d, i) => d * repeats[i]!);
  const out = makeArray(x.type, shape);
  const inStrides = stridesOf(x.shape);
  const outStrides = stridesOf(shape);
  for (let flat = 0; flat < out.data.length; flat++) {
    let rest = flat;
    let at = 0;
    for (let d = 0; d < rank; d++) {
      const coord = Math.floor(rest / outStrides[d]!);
      rest -= coord * outStrides[d]!;
      at += (coord % x.shape[d]!) * inStrides[d]!;
    }
    out.data[flat] = x.data[at]!;
  }
  return [out];
}

function shapeOp(ctx: OpContext): NDArray[] {
  const x = ctx.input(0);
  const rank = x.shape.length;
  const clampIndex = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  const start = clampIndex(ctx.attrs.int('start', 0));
  const end = clampIndex(ctx.attrs.int('end', rank));
  const dims = x.shape.slice(start, Math.max(start, end));
  return [arrayFrom('int64', [dims.length], dims)];
}

function constant(ctx: OpContext): NDArray[] {
  const a = ctx.attrs;
  const t = a.tensor('value', ctx.file, ctx.where);
  if (t) return [t];
  const f = a.float('value_float');
  if (f !== undefined) return [arrayFrom('float32', [], [f])];
  const fs = a.floats('value_floats');
  if (fs) return [arrayFrom('float32', [fs.length], fs)];
  const i = a.int('value_int');
  if (i !== undefined) return [arrayFrom('int64', [], [i])];
  const is = a.ints('value_ints');
  if (is) return [arrayFrom('int64', [is.length], is)];
  throw ctx.formatError(
    `only tensor, float(s) and int(s) constants are supported; attributes: ${a.names().join(', ') || 'none'}`,
  );
}

function constantOfShape(ctx: OpContext): NDArray[] {
  const shape = intList(ctx.input(0, 'shape'));
  if (shape.some((d) => !Number.isInteger(d) || d < 0))
    throw ctx.valueError(`shape [${shape.join(', ')}] must hold non-negative integers`);
  const value = ctx.attrs.tensor('value', ctx.file, ctx.where);
  const type: ElemType = value?.type ?? 'float32';
  const out = makeArray(type, shape);
  if (value) out.data.fill(value.data[0]!);
  return [out];
}

function range(ctx: OpContext): NDArray[] {
  const start = ctx.input(0, 'start');
  const limit = ctx.input(1, 'limit');
  const delta = ctx.input(2, 'delta');
  const s = scalar(ctx, start, 'start');
  const l = scalar(ctx, limit, 'limit');
  const d = scalar(ctx, delta, 'delta');
  if (d === 0) throw ctx.valueError('delta is 0');
  const count = Math.max(Math.ceil((l - s) / d), 0);
  const out = makeArray(start.type, [count]);
  for (let i = 0; i < count; i++) out.data[i] = s + i * d;
  return [out];
}

export const layoutOps: Record<string, OpImpl> = {
  Transpose: transpose,
  Reshape: reshape,
  Flatten: flatten,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Concat: concat,
  Split: split,
  Slice: slice,
  Gather: gather,
  GatherElements: gatherElements,
  ScatterElements: scatterElements,
  Scatter: scatterElements,
  Expand: expand,
  Tile: tile,
  Shape: shapeOp,
  Size: (ctx) => [arrayFrom('int64', [], [ctx.input(0).data.length])],
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Range: range,
};
