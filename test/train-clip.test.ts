/** Gradient clipping: errors and edge cases beyond the PyTorch fixtures. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { tensor, ValueError, type Tensor } from '../src/index.js';
import { clipGradNorm, clipGradValue } from '../src/train/index.js';
import { assertClose } from './helpers.js';

function withGrad(values: number[]): Tensor {
  const p = tensor(new Float32Array(values.length), [values.length], { requiresGrad: true });
  p.grad = tensor(values);
  return p;
}

describe('clipGradNorm', () => {
  test('returns the total 2-norm and scales by maxNorm / (total + 1e-6)', () => {
    const a = withGrad([3e-4, 0]);
    const b = withGrad([0, 4e-4]);
    const total = clipGradNorm([a, b], 1e-4);
    assertClose([total], [5e-4], 'total', 0, 1e-6);
    // The epsilon matters at this scale: the coefficient is 0.1996..., not 0.2.
    const coef = 1e-4 / (5e-4 + 1e-6);
    assertClose([a.grad!.data[0]! / 3e-4, b.grad!.data[1]! / 4e-4], [coef, coef], 'coefficient', 0, 1e-5);
  });

  test('does not scale up when under maxNorm', () => {
    const a = withGrad([0.3, -0.4]);
    assertClose([clipGradNorm([a], 10)], [0.5], 'total');
    assert.deepEqual([...a.grad!.data], [Math.fround(0.3), Math.fround(-0.4)]);
  });

  test('Infinity norm is the largest magnitude', () => {
    const a = withGrad([1, -7, 2]);
    assert.equal(clipGradNorm([a, withGrad([3])], 3.5, Infinity), 7);
    assertClose(a.grad!, [0.5, -3.5, 1], 'clipped');
  });

  test('skips parameters without a gradient; none at all gives 0', () => {
    const none = tensor([1, 2], [2], { requiresGrad: true });
    assert.equal(clipGradNorm([none], 1), 0);
    const a = withGrad([6, 8]);
    assertClose([clipGradNorm([none, a], 1)], [10], 'total');
    assert.equal(none.grad, null);
  });

  test('reads a one-shot iterable once', () => {
    const a = withGrad([6, 8]);
    function* gen() {
      yield a;
    }
    assertClose([clipGradNorm(gen(), 1)], [10], 'total');
    assertClose(a.grad!, [0.6, 0.8], 'clipped');
  });

  test('a NaN gradient gives a NaN total and NaN gradients, as in PyTorch', () => {
    const a = withGrad([NaN, 1]);
    assert.ok(Number.isNaN(clipGradNorm([a], 1)));
    assert.ok(Number.isNaN(a.grad!.data[1]!));
  });

  test('bad arguments are ValueErrors', () => {
    const a = withGrad([1]);
    assert.throws(
      () => clipGradNorm([a], -1),
      (e: unknown) => e instanceof ValueError && /maxNorm/.test(e.message),
    );
    assert.throws(() => clipGradNorm([a], NaN), ValueError);
    assert.throws(
      () => clipGradNorm([a], 1, 0),
      (e: unknown) => e instanceof ValueError && /normType/.test(e.message),
    );
    assert.throws(() => clipGradNorm([a], 1, -Infinity), ValueError);
  });
});

describe('clipGradValue', () => {
  test('clamps every element in place; skips missing gradients', () => {
    const a = withGrad([-3, 0.2, 5]);
    const none = tensor([1], [1], { requiresGrad: true });
    clipGradValue([a, none], 1);
    assertClose(a.grad!, [-1, 0.2, 1], 'clamped');
    assert.equal(none.grad, null);
  });

  test('bad clipValue is a ValueError', () => {
    assert.throws(
      () => clipGradValue([withGrad([1])], -0.5),
      (e: unknown) => e instanceof ValueError && /clipValue/.test(e.message),
    );
    assert.throws(() => clipGradValue([withGrad([1])], Infinity), ValueError);
  });
});
