/** Creating tensors: from data, constants, and seeded random distributions. */
import { ShapeError, ValueError } from '../errors.js';
import { defaultGenerator, type Generator } from './random.js';
import { checkShape, type Shape, sizeOf } from './shape.js';
import type { ShapeOf } from './shape-types.js';
import { type NestedArray, Tensor } from './tensor.js';

export interface TensorOptions {
  /** Collect gradients for this tensor in `backward()`. Default false. */
  requiresGrad?: boolean;
}

export interface RandomOptions extends TensorOptions {
  /** Generator to draw from; defaults to the global one (see `manualSeed`). */
  generator?: Generator;
}

function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let level: NestedArray = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0] ?? 0;
  }
  return shape;
}

function flatten(data: NestedArray, shape: readonly number[], out: Float32Array): void {
  let at = 0;
  const walk = (v: NestedArray, dim: number, path: number[]) => {
    if (dim === shape.length) {
      if (typeof v !== 'number') throw new ValueError('tensor', `expected a number at [${path.join(', ')}]`);
      out[at++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      throw new ShapeError({
        where: 'tensor',
        what: `nested array length at [${path.join(', ')}]`,
        expected: shape[dim]!,
        actual: Array.isArray(v) ? v.length : 'a number',
      });
    }
    v.forEach((item, i) => walk(item, dim + 1, [...path, i]));
  };
  walk(data, 0, []);
}

/**
 * A tensor from data. `data` is a flat array (with `shape`), a typed array, or nested arrays
 * (shape inferred). Data is copied.
 *   tensor([1, 2, 3, 4], [2, 2]); tensor([[1, 2], [3, 4]]); tensor(float32Array, [4, 7, 10])
 * A literal `shape` gives the shape type: `tensor(data, [4, 7, 10])` is a `Tensor<[4, 7, 10]>`.
 */
export function tensor<const S extends Shape>(
  data: NestedArray | ArrayLike<number>,
  shape: S,
  options?: TensorOptions,
): Tensor<ShapeOf<S>>;
export function tensor(data: NestedArray | ArrayLike<number>, shape?: Shape, options?: TensorOptions): Tensor;
export function tensor(data: NestedArray | ArrayLike<number>, shape?: Shape, options: TensorOptions = {}): Tensor {
  let values: Float32Array;
  let finalShape: number[];
  if (typeof data === 'number') {
    values = Float32Array.of(data);
    finalShape = shape ? [...shape] : [];
  } else if (Array.isArray(data) && shape === undefined) {
    finalShape = inferShape(data as NestedArray);
    values = new Float32Array(sizeOf(finalShape));
    flatten(data as NestedArray, finalShape, values);
  } else {
    values = Float32Array.from(data as ArrayLike<number>);
    finalShape = shape ? [...shape] : [values.length];
  }
  checkShape(finalShape, 'tensor');
  if (values.length !== sizeOf(finalShape)) {
    throw new ShapeError({
      where: 'tensor',
      what: `data length for shape [${finalShape.join(', ')}]`,
      expected: sizeOf(finalShape),
      actual: values.length,
    });
  }
  return new Tensor(values, finalShape, options);
}

/** A tensor filled with `value`. */
export function full<const S extends Shape>(shape: S, value: number, options: TensorOptions = {}): Tensor<ShapeOf<S>> {
  checkShape(shape, 'full');
  return new Tensor(new Float32Array(sizeOf(shape)).fill(value), shape, options) as Tensor<ShapeOf<S>>;
}

export const zeros = <const S extends Shape>(shape: S, options: TensorOptions = {}): Tensor<ShapeOf<S>> =>
  full(shape, 0, options);
export const ones = <const S extends Shape>(shape: S, options: TensorOptions = {}): Tensor<ShapeOf<S>> =>
  full(shape, 1, options);

/** `[start, start+step, ...)` up to `end` (exclusive), like `torch.arange`. */
export function arange(start: number, end?: number, step = 1): Tensor {
  const [from, to] = end === undefined ? [0, start] : [start, end];
  const count = Math.max(0, Math.ceil((to - from) / step));
  return new Tensor(
    Float32Array.from({ length: count }, (_, i) => from + i * step),
    [count],
  );
}

/** Standard normal samples from a seeded generator. */
export function randn<const S extends Shape>(shape: S, options: RandomOptions = {}): Tensor<ShapeOf<S>> {
  checkShape(shape, 'randn');
  const gen = options.generator ?? defaultGenerator;
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = gen.normal();
  return new Tensor(data, shape, options) as Tensor<ShapeOf<S>>;
}

/** Uniform samples in [low, high) from a seeded generator. */
export function uniform<const S extends Shape>(
  shape: S,
  low = 0,
  high = 1,
  options: RandomOptions = {},
): Tensor<ShapeOf<S>> {
  checkShape(shape, 'uniform');
  const gen = options.generator ?? defaultGenerator;
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = gen.uniform(low, high);
  return new Tensor(data, shape, options) as Tensor<ShapeOf<S>>;
}
