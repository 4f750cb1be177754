/** Shape arithmetic shared by the operators: axes, strides, broadcasting. */
import { broadcastIndexMap } from '../../tensor/shape.js';
import type { OpContext } from './context.js';
import type { NDArray } from '../values.js';

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
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) throw ctx.valueError(`${what} ${axis} is out of range for rank ${rank}`);
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
      else if (d !== 1) throw ctx.shapeError(`broadcast of shapes ${shapes.map((x) => `[${x.join(', ')}]`).join(' and ')} at dim ${k}`, out[k]!, d);
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
  return Array.from(a.data, (v) => Number(v));
}

/** The single value of a scalar or one-element array. */
export function scalar(ctx: OpContext, a: NDArray, what: string): number {
  if (a.data.length !== 1) throw ctx.shapeError(`${what} element count`, 1, a.data.length);
  return Number(a.data[0]);
}

/** Permutes the dims of `a` (a copy, row-major). */
export function transposeData<T extends NDArray>(a: T, perm: readonly number[], make: (shape: number[]) => T): T {
  const rank = a.shape.length;
  const outShape = perm.map((p) => a.shape[p]!);
  const out = make(outShape);
  const inStrides = stridesOf(a.shape);
  const strides = perm.map((p) => inStrides[p]!);
  const size = a.data.length;
  const counter = new Array<number>(rank).fill(0);
  let at = 0;
  for (let flat = 0; flat < size; flat++) {
    out.data[flat] = a.data[at]!;
    for (let k = rank - 1; k >= 0; k--) {
      counter[k]!++;
      at += strides[k]!;
      if (counter[k]! < outShape[k]!) break;
      at -= strides[k]! * counter[k]!;
      counter[k] = 0;
    }
  }
  return out;
}
