/**
 * Type tests: literal shapes from the creation functions, the ops that keep them, and the
 * type-level arithmetic (docs/typed-shapes.md). Checked by the compiler only; nothing here runs.
 */
import { full, ones, randn, type Shape, type Tensor, tensor, uniform, zeros } from '../../src/index.js';
import type { Double, TimesDirections } from '../../src/tensor/shape-types.js';
import { type Equal, type Expect, expectType } from './expect-type.js';

export function creation(sizes: number[], shape: Shape, n: number): void {
  expectType<Tensor<[4, 20, 10]>>()(randn([4, 20, 10]));
  expectType<Tensor<[2, 3]>>()(zeros([2, 3]));
  expectType<Tensor<[2, 3]>>()(ones([2, 3], { requiresGrad: true }));
  expectType<Tensor<[5]>>()(full([5], 7));
  expectType<Tensor<[2, 2]>>()(uniform([2, 2], -1, 1));
  expectType<Tensor<[2, 2]>>()(tensor([1, 2, 3, 4], [2, 2]));
  expectType<Tensor<[]>>()(zeros([]));
  // Known rank, a size from a variable.
  expectType<Tensor<[number, 3]>>()(zeros([n, 3]));
  // Unknown rank: the default Tensor, as before.
  expectType<Tensor>()(randn(sizes));
  expectType<Tensor>()(zeros(shape));
  expectType<Tensor>()(
    tensor([
      [1, 2],
      [3, 4],
    ]),
  );
  expectType<Tensor>()(tensor([1, 2, 3]));
  expectType<Tensor>()(tensor(new Float32Array(6), sizes));
  // The shape property carries the type.
  expectType<[4, 20, 10]>()(randn([4, 20, 10]).shape);
  expectType<Shape>()(randn(sizes).shape);
  // The helper itself rejects a different type.
  // @ts-expect-error [3, 2] is not [2, 3]
  expectType<Tensor<[2, 3]>>()(randn([3, 2]));
}

export function assignability(typed: Tensor<[2, 3]>, untyped: Tensor): void {
  // A typed tensor is a Tensor; an untyped one is not a Tensor<[2, 3]>.
  const asDefault: Tensor = typed;
  const asReadonly: Tensor<readonly [2, 3]> = typed;
  const asPartial: Tensor<[number, 3]> = typed;
  // @ts-expect-error the shape of an untyped tensor is unknown
  const narrowed: Tensor<[2, 3]> = untyped;
  // @ts-expect-error a different literal shape
  const other: Tensor<[3, 2]> = typed;
  void [asDefault, asReadonly, asPartial, narrowed, other];
}

export function grad(untyped: Tensor): void {
  const w = randn([2, 3], { requiresGrad: true });
  // Reading .grad gives the tensor's shape type ...
  expectType<Tensor<[2, 3]> | null>()(w.grad);
  // ... and any tensor may be assigned to it (checked where it is used).
  w.grad = untyped;
  w.grad = null;
}

export function opsThatKeepTheShape(untyped: Tensor): void {
  const x = randn([4, 5]);
  expectType<Tensor<[4, 5]>>()(x.detach());
  expectType<Tensor<[4, 5]>>()(x.clone());
  expectType<Tensor<[4, 5]>>()(x.requiresGrad_());
  expectType<Tensor<[4, 5]>>()(x.tanh().sigmoid().relu().exp().log().sqrt().abs().neg());
  expectType<Tensor<[4, 5]>>()(x.pow(2).clamp(0, 1).softmax(-1).logSoftmax());
  expectType<Tensor<[4, 5]>>()(x.mul(2).add(1).sub(0.5).div(3));
  // A tensor of the same shape type keeps it; a broadcast one gives the default.
  expectType<Tensor<[4, 5]>>()(x.add(randn([4, 5])));
  expectType<Tensor>()(x.add(randn([5])));
  expectType<Tensor>()(x.mul(untyped));
  // reshape to a literal shape; -1 is a number.
  expectType<Tensor<[20]>>()(x.reshape([20]));
  expectType<Tensor<[2, number]>>()(x.reshape([2, -1]));
  // Other ops give the default Tensor.
  expectType<Tensor>()(x.transpose(0, 1));
  expectType<Tensor>()(x.sum(0));
  expectType<Tensor>()(x.matmul(randn([5, 2])));
}

export type Arithmetic = [
  Expect<Equal<Double<0>, 0>>,
  Expect<Equal<Double<1>, 2>>,
  Expect<Equal<Double<5>, 10>>,
  Expect<Equal<Double<20>, 40>>,
  Expect<Equal<Double<999>, 1998>>,
  Expect<Equal<Double<5000>, 10000>>,
  Expect<Equal<Double<123456789>, 246913578>>,
  Expect<Equal<Double<10 | 20>, 20 | 40>>,
  // Not a non-negative integer literal: number.
  Expect<Equal<Double<number>, number>>,
  Expect<Equal<Double<1.5>, number>>,
  Expect<Equal<Double<-3>, number>>,
  Expect<Equal<Double<1e21>, number>>,
  Expect<Equal<TimesDirections<7, 1>, 7>>,
  Expect<Equal<TimesDirections<7, 2>, 14>>,
  Expect<Equal<TimesDirections<7, number>, number>>,
];
