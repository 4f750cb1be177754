/**
 * Tensor: float32 data in row-major order with a shape, plus what autograd needs.
 *
 * Tensors are values: every op returns a new tensor (only `reshape` shares data, as a view).
 * The exceptions are explicit: optimizers update parameters in place through `.data`, and
 * `.grad` accumulates across `backward()` calls until it is reset.
 */
import { GradientError, ShapeError } from '../errors.js';
import { type GradNode, runBackward } from './autograd.js';
import * as ew from './ops/elementwise.js';
import * as layout from './ops/layout.js';
import { matmul } from './ops/matmul.js';
import * as reduce from './ops/reduce.js';
import * as sm from './ops/softmax.js';
import { formatShape, type Shape, sizeOf } from './shape.js';
import type { ReshapeResult } from './shape-types.js';

/** Internal: how an op result links into the graph. */
export interface TensorOrigin {
  gradNode: GradNode;
  outputIndex: number;
}

export interface Tensor<S extends Shape = Shape> {
  /**
   * The accumulated gradient (leaves only), same shape as this tensor. Reading gives this
   * tensor's shape type; any tensor may be assigned (its shape is checked where it is used).
   * It is a plain field: declared here only so that reads and writes can have different types.
   */
  get grad(): Tensor<S> | null;
  set grad(value: Tensor | null);
}

/**
 * `S` is the shape as a type: a tuple such as `[4, 20, 10]` when the shape is a literal (see
 * docs/typed-shapes.md), else the default `readonly number[]` (shape known at run time only).
 * It is types only: every tensor carries its real `shape` and is checked at run time.
 */
export class Tensor<S extends Shape = Shape> {
  /** The elements, row-major. Length equals the product of `shape`. */
  readonly data: Float32Array;
  /** Size of each dimension; `[]` for a scalar. */
  readonly shape: S;
  /** Whether gradients flow to this tensor. A leaf with it set collects `.grad` in `backward()`. */
  requiresGrad: boolean;
  // `grad` (see the interface above) is set first in the constructor; `declare` keeps these two
  // after it, so the fields are created in the same order as when `grad` was a class field.
  /** The op that produced this tensor, or null for a leaf. */
  declare readonly gradNode: GradNode | null;
  /** Which output of `gradNode` this tensor is. */
  declare readonly outputIndex: number;

  /**
   * Wraps existing data (no copy). Prefer the creation functions (`tensor`, `zeros`, ...).
   * The shape type is not inferred from `shape` (it is the default unless given explicitly).
   * @param options `{ requiresGrad }`; ops pass an origin instead (internal: it links the result
   *   into the autograd graph).
   */
  constructor(data: Float32Array, shape: NoInfer<S>, options: { requiresGrad?: boolean } | TensorOrigin = {}) {
    this.grad = null;
    if (data.length !== sizeOf(shape)) {
      throw new ShapeError({
        where: 'Tensor',
        what: `data length for shape ${formatShape(shape)}`,
        expected: sizeOf(shape),
        actual: data.length,
      });
    }
    this.data = data;
    this.shape = Object.freeze([...shape]) as readonly number[] as S;
    if ('gradNode' in options) {
      this.gradNode = options.gradNode;
      this.outputIndex = options.outputIndex;
      this.requiresGrad = true;
    } else {
      this.gradNode = null;
      this.outputIndex = 0;
      this.requiresGrad = options.requiresGrad ?? false;
    }
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** Whether this tensor was created by the user rather than by an op. */
  get isLeaf(): boolean {
    return this.gradNode === null;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1)
      throw new ShapeError({ where: 'item()', what: 'element count', expected: 1, actual: this.size });
    return this.data[0]!;
  }

  /** Nested JavaScript arrays (a number for a scalar). */
  toArray(): NestedArray {
    const build = (dim: number, offset: number): NestedArray => {
      if (dim === this.shape.length) return this.data[offset]!;
      const inner = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim]! }, (_, i) => build(dim + 1, offset + i * inner));
    };
    return build(0, 0);
  }

  /** A new leaf with the same data and no graph (like `tensor.detach()`; data is shared). */
  detach(): Tensor<S> {
    return new Tensor<S>(this.data, this.shape);
  }

  /** A new leaf with a copy of the data. */
  clone(): Tensor<S> {
    return new Tensor<S>(Float32Array.from(this.data), this.shape, { requiresGrad: this.requiresGrad && this.isLeaf });
  }

  /** Marks a leaf as requiring grad (in place) and returns it. */
  requiresGrad_(value = true): this {
    if (!this.isLeaf) throw new GradientError('requiresGrad_(): only leaf tensors can change requiresGrad');
    this.requiresGrad = value;
    return this;
  }

  /**
   * Backpropagates from this tensor. A scalar needs no argument; otherwise pass the gradient
   * of the final result with respect to this tensor (same shape).
   */
  backward(gradient?: Tensor): void {
    let seed: Float32Array;
    if (gradient) {
      if (gradient.size !== this.size) {
        throw new ShapeError({
          where: 'backward()',
          what: 'gradient shape',
          expected: this.shape,
          actual: gradient.shape,
        });
      }
      seed = Float32Array.from(gradient.data);
    } else {
      if (this.size !== 1) {
        throw new GradientError(
          `backward(): a gradient argument is needed for a non-scalar tensor of shape ${formatShape(this.shape)}; reduce it first (e.g. .sum())`,
        );
      }
      seed = Float32Array.of(1);
    }
    runBackward(this, seed, (d, shape) => new Tensor(d, shape));
  }

  toString(): string {
    return `Tensor(shape=${formatShape(this.shape)}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }

  // Element-wise arithmetic (broadcasting). With a number, or a tensor whose shape type fits
  // this one's, the shape type is kept; a broadcast to another shape gives the default type.
  add(other: Tensor<S> | number): Tensor<S>;
  add(other: Tensor | number): Tensor;
  add(other: Tensor | number): Tensor {
    return ew.add(this, other);
  }
  sub(other: Tensor<S> | number): Tensor<S>;
  sub(other: Tensor | number): Tensor;
  sub(other: Tensor | number): Tensor {
    return ew.sub(this, other);
  }
  mul(other: Tensor<S> | number): Tensor<S>;
  mul(other: Tensor | number): Tensor;
  mul(other: Tensor | number): Tensor {
    return ew.mul(this, other);
  }
  div(other: Tensor<S> | number): Tensor<S>;
  div(other: Tensor | number): Tensor;
  div(other: Tensor | number): Tensor {
    return ew.div(this, other);
  }
  neg(): Tensor<S> {
    return ew.neg(this) as Tensor<S>;
  }
  exp(): Tensor<S> {
    return ew.exp(this) as Tensor<S>;
  }
  log(): Tensor<S> {
    return ew.log(this) as Tensor<S>;
  }
  sqrt(): Tensor<S> {
    return ew.sqrt(this) as Tensor<S>;
  }
  abs(): Tensor<S> {
    return ew.abs(this) as Tensor<S>;
  }
  pow(exponent: number): Tensor<S> {
    return ew.pow(this, exponent) as Tensor<S>;
  }
  clamp(min?: number, max?: number): Tensor<S> {
    return ew.clamp(this, min, max) as Tensor<S>;
  }
  tanh(): Tensor<S> {
    return ew.tanh(this) as Tensor<S>;
  }
  sigmoid(): Tensor<S> {
    return ew.sigmoid(this) as Tensor<S>;
  }
  relu(): Tensor<S> {
    return ew.relu(this) as Tensor<S>;
  }
  maskedFill(mask: Tensor, value: number): Tensor {
    return ew.maskedFill(this, mask, value);
  }

  // Linear algebra.
  matmul(other: Tensor): Tensor {
    return matmul(this, other);
  }

  // Reductions.
  sum(dims?: number | readonly number[], keepDim = false): Tensor {
    return reduce.sum(this, dims, keepDim);
  }
  mean(dims?: number | readonly number[], keepDim = false): Tensor {
    return reduce.mean(this, dims, keepDim);
  }
  max(dim: number, keepDim = false): Tensor {
    return reduce.max(this, dim, keepDim);
  }
  argmax(dim: number): Int32Array {
    return reduce.argmax(this, dim);
  }
  softmax(dim = -1): Tensor<S> {
    return sm.softmax(this, dim) as Tensor<S>;
  }
  logSoftmax(dim = -1): Tensor<S> {
    return sm.logSoftmax(this, dim) as Tensor<S>;
  }

  // Layout.
  /** A view with a new shape; one dim may be -1 (inferred). A literal target gives its shape type. */
  reshape<const R extends readonly number[]>(shape: R): Tensor<ReshapeResult<R>> {
    return layout.reshape(this, shape) as Tensor<ReshapeResult<R>>;
  }
  permute(dims: readonly number[]): Tensor {
    return layout.permute(this, dims);
  }
  transpose(dim0: number, dim1: number): Tensor {
    return layout.transpose(this, dim0, dim1);
  }
  slice(dim: number, start: number, end?: number): Tensor {
    return layout.slice(this, dim, start, end);
  }
  select(dim: number, index: number): Tensor {
    return layout.select(this, dim, index);
  }
  unsqueeze(dim: number): Tensor {
    return layout.unsqueeze(this, dim);
  }
  squeeze(dim?: number): Tensor {
    return layout.squeeze(this, dim);
  }
  expand(shape: readonly number[]): Tensor {
    return layout.expand(this, shape);
  }
  indexSelect(dim: number, indices: ArrayLike<number>): Tensor {
    return layout.indexSelect(this, dim, indices);
  }
  gather(dim: number, index: Tensor): Tensor {
    return layout.gather(this, dim, index);
  }
}

export type NestedArray = number | NestedArray[];
