/** Autograd engine semantics: accumulation, noGrad, detach, multi-use, deep graphs, errors. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { concat, Generator, GradientError, noGrad, randn, tensor, uniform, zeros } from '../src/index.js';
import { assertClose, numericGradient } from './helpers.js';

describe('autograd', () => {
  test('gradients accumulate across backward calls until reset', () => {
    const x = tensor([1, 2, 3], [3], { requiresGrad: true });
    x.mul(x).sum().backward();
    assert.deepEqual([...x.grad!.data], [2, 4, 6]);
    x.mul(3).sum().backward();
    assert.deepEqual([...x.grad!.data], [5, 7, 9]);
    x.grad = null;
    x.sum().backward();
    assert.deepEqual([...x.grad!.data], [1, 1, 1]);
  });

  test('a tensor used twice gets both contributions', () => {
    const x = tensor([2], [1], { requiresGrad: true });
    const y = x.mul(x).add(x.exp()); // d/dx = 2x + e^x
    y.sum().backward();
    assert.ok(Math.abs(x.grad!.item() - (4 + Math.exp(2))) < 1e-5);
  });

  test('noGrad records nothing; detach cuts the graph', () => {
    const x = tensor([1, 2], [2], { requiresGrad: true });
    const y = noGrad(() => x.mul(2));
    assert.equal(y.requiresGrad, false);
    assert.equal(y.gradNode, null);
    const z = x.mul(2).detach().mul(x).sum();
    z.backward();
    assert.deepEqual([...x.grad!.data], [2, 4]); // only through the second factor
  });

  test('backward of a non-scalar needs a gradient; of a constant is an error', () => {
    const x = randn([2, 2], { requiresGrad: true });
    assert.throws(() => x.mul(2).backward(), GradientError);
    x.mul(2).backward(tensor([1, 0, 0, 1], [2, 2]));
    assert.deepEqual([...x.grad!.data], [2, 0, 0, 2]);
    assert.throws(() => zeros([1]).backward(), GradientError);
  });

  test('a deep chain (20,000 ops) does not overflow the stack', () => {
    const x = tensor([1], [1], { requiresGrad: true });
    let y = x;
    for (let i = 0; i < 20000; i++) y = y.mul(1.0000001);
    y.sum().backward();
    assert.ok(Math.abs(x.grad!.item() - Math.pow(1.0000001, 20000)) < 1e-3);
  });

  test('a composite expression matches finite differences', () => {
    const g = new Generator(3);
    const a = randn([3, 4], { generator: g, requiresGrad: true });
    const b = uniform([4, 2], 0.5, 1.5, { generator: g, requiresGrad: true });
    const w = randn([3, 4], { generator: g });
    const f = () => {
      const h = a.matmul(b).tanh();
      const u = concat([h, h.sigmoid().log()], 1).softmax(-1);
      return u.mul(w).sum().add(b.sqrt().mean().mul(2));
    };
    f().backward();
    for (const [name, t] of [
      ['a', a],
      ['b', b],
    ] as const) {
      const numeric = numericGradient(() => f().item(), t, 1e-2);
      assertClose(t.grad!, [...numeric], `d/d${name}`, 2e-3, 2e-2);
    }
  });

  test('parameters updated in place keep their identity and grads', () => {
    const p = tensor([1, 2], [2], { requiresGrad: true });
    p.mul(p).sum().backward();
    for (let i = 0; i < p.size; i++) p.data[i]! -= 0.1 * p.grad!.data[i]!;
    assert.deepEqual(
      [...p.data].map((v) => Math.round(v * 1e5) / 1e5),
      [0.8, 1.6],
    );
  });
});
