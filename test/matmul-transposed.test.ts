/**
 * matmulTransposed(a, b) is matmul(a, bᵀ) read from b as stored: the same values and the same
 * gradients as the (PyTorch-checked) matmul of the copied transpose, for every broadcast shape
 * it serves (Linear's 2-D weight, attention's batched keys, a 1-D input, broadcast batches).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Generator, randn, ShapeError } from '../src/index.js';
import { matmulTransposed } from '../src/tensor/ops/matmul.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { assertClose } from './helpers.js';

const cases: [string, number[], number[]][] = [
  ['2-D by 2-D', [3, 4], [5, 4]],
  ['3-D by 2-D (batch folded into rows)', [2, 3, 4], [5, 4]],
  ['4-D by 2-D', [2, 2, 3, 4], [6, 4]],
  ['batched 3-D by 3-D', [2, 3, 4], [2, 5, 4]],
  ['broadcast batch of b', [2, 1, 3, 4], [3, 5, 4]],
  ['broadcast batch of a', [1, 3, 4], [2, 5, 4]],
  ['2-D by 3-D', [3, 4], [2, 5, 4]],
  ['1-D by 2-D', [4], [5, 4]],
];

function run(f: (a: Tensor, b: Tensor) => Tensor, aShape: number[], bShape: number[], seed: number) {
  const g = new Generator(seed);
  const a = randn(aShape, { requiresGrad: true, generator: g });
  const b = randn(bShape, { requiresGrad: true, generator: g });
  const out = f(a, b);
  const weights = randn(out.shape as number[], { generator: g });
  out.mul(weights).sum().backward();
  return { out, ga: a.grad!, gb: b.grad! };
}

describe('matmulTransposed', () => {
  cases.forEach(([name, aShape, bShape], i) => {
    test(`${name}: a${JSON.stringify(aShape)} · b${JSON.stringify(bShape)}ᵀ`, () => {
      const fast = run((a, b) => matmulTransposed(a, b), aShape, bShape, 10 + i);
      const copied = run((a, b) => a.matmul(b.transpose(-1, -2)), aShape, bShape, 10 + i);
      assert.deepEqual(fast.out.shape, copied.out.shape);
      assertClose(fast.out, copied.out, 'output', 1e-5);
      assertClose(fast.ga, copied.ga, 'gradient of a', 1e-5);
      assertClose(fast.gb, copied.gb, 'gradient of b', 1e-5);
    });
  });

  test('mismatched inner dims and a 1-D b are shape errors naming the op', () => {
    assert.throws(
      () => matmulTransposed(randn([3, 4]), randn([5, 3])),
      (e: unknown) => {
        return e instanceof ShapeError && /matmulTransposed/.test(e.message);
      },
    );
    assert.throws(() => matmulTransposed(randn([3, 4]), randn([4])), ShapeError);
  });
});
