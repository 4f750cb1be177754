/**
 * permute and broadcasting copy whole rows where the last dim stays contiguous (a batch-first
 * (B, T, H) <-> time-major (T, B, H) swap) and take shortcuts for one-element inputs. Each path is
 * checked here against the element-by-element definition, forward and backward.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Generator, randn, tensor, Tensor } from '../src/index.js';

/** The flat index of `index` in a contiguous tensor of `shape`. */
function flatIndex(shape: readonly number[], index: readonly number[]): number {
  let flat = 0;
  for (let d = 0; d < shape.length; d++) flat = flat * shape[d]! + index[d]!;
  return flat;
}

/** Every multi-index of `shape`, in row-major order. */
function* indices(shape: readonly number[]): IterableIterator<number[]> {
  const size = shape.reduce((a, b) => a * b, 1);
  for (let flat = 0; flat < size; flat++) {
    const index: number[] = [];
    let rest = flat;
    for (let d = shape.length - 1; d >= 0; d--) {
      index[d] = rest % shape[d]!;
      rest = Math.floor(rest / shape[d]!);
    }
    yield index;
  }
}

/** out[i_0..i_k] = x[j] with j[dims[d]] = i[d]: the definition of permute. */
function permuteByDefinition(x: Tensor, dims: readonly number[]): Float32Array {
  const shape = dims.map((d) => x.shape[d]!);
  const out = new Float32Array(x.size);
  let flat = 0;
  for (const index of indices(shape)) {
    const source: number[] = [];
    dims.forEach((d, k) => (source[d] = index[k]!));
    out[flat++] = x.data[flatIndex(x.shape, source)]!;
  }
  return out;
}

describe('permute copies rows', () => {
  const cases: [string, number[], number[]][] = [
    ['batch-first to time-major, rows of 20 (row copies)', [3, 5, 20], [1, 0, 2]],
    ['4-D, last dim kept, rows of 17', [2, 3, 4, 17], [2, 0, 1, 3]],
    ['last dim kept, rows of 3 (element loop)', [4, 5, 3], [1, 0, 2]],
    ['last dim moved (strided rows)', [3, 5, 20], [2, 0, 1]],
    ['a dim of size 0', [0, 4, 20], [1, 0, 2]],
  ];
  for (const [name, shape, dims] of cases) {
    test(name, () => {
      const g = new Generator(7);
      const x = randn(shape, { generator: g, requiresGrad: true });
      const y = x.permute(dims);
      assert.deepEqual(
        y.shape,
        dims.map((d) => shape[d]!),
      );
      assert.deepEqual([...y.data], [...permuteByDefinition(x, dims)]);
      // Backward: the gradient of sum(y * w) is w permuted back.
      const w = randn(y.shape, { generator: g });
      y.mul(w).sum().backward();
      const inverse = dims.map((_, k) => dims.indexOf(k));
      assert.deepEqual([...x.grad!.data], [...permuteByDefinition(w, inverse)]);
    });
  }
});

describe('broadcasting shortcuts', () => {
  test('a one-element tensor broadcast over (2, 3, 17): forward and the summed gradient', () => {
    const g = new Generator(3);
    const a = randn([2, 3, 17], { generator: g, requiresGrad: true });
    const b = tensor([1.5], [1, 1, 1], { requiresGrad: true });
    const y = a.mul(b);
    assert.deepEqual(
      [...y.data],
      [...a.data].map((v) => Math.fround(v * 1.5)),
    );
    y.sum().backward();
    let expected = 0;
    for (const v of a.data) expected = Math.fround(expected + v);
    assert.equal(b.grad!.data[0], expected);
    assert.deepEqual([...b.grad!.shape], [1, 1, 1]);
  });

  test('a row bias (17) and a column (2, 3, 1) broadcast over (2, 3, 17) read the right elements', () => {
    const g = new Generator(4);
    const a = randn([2, 3, 17], { generator: g });
    const row = randn([17], { generator: g, requiresGrad: true });
    const column = randn([2, 3, 1], { generator: g, requiresGrad: true });
    const y = a.add(row).add(column);
    for (const [i, j, k] of indices([2, 3, 17])) {
      const expected = Math.fround(
        Math.fround(a.data[flatIndex([2, 3, 17], [i!, j!, k!])]! + row.data[k!]!) + column.data[i! * 3 + j!]!,
      );
      assert.equal(y.data[flatIndex([2, 3, 17], [i!, j!, k!])], expected);
    }
    y.sum().backward();
    assert.deepEqual([...row.grad!.data], new Array(17).fill(6));
    assert.deepEqual([...column.grad!.data], new Array(6).fill(17));
  });
});
