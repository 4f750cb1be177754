/**
 * The gradient sum `target += source` (autograd accumulates a tensor's gradients with it): a
 * backend's `addInto` kernel against the plain loop, bit for bit, and autograd's sums on every
 * backend equal to the reference backend's.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { getBackend, setBackend } from '../src/backend/backend.js';
import { randn, type Tensor, tensor } from '../src/index.js';
import { Generator } from '../src/tensor/random.js';
import { backendCases, randomArray, useBackend } from './backend-helpers.js';

describe('addInto', () => {
  const before = getBackend().name;
  for (const c of backendCases()) {
    test(`${c.name}: its kernel (where it has one) adds exactly as the loop does`, { skip: c.skip }, () => {
      const backend = useBackend(c);
      setBackend(before);
      if (!backend.addInto) {
        assert.notEqual(c.name, 'native', 'the native backend has addInto');
        return;
      }
      for (const n of [0, 1, 17, 4096, 100_003]) {
        const target = randomArray(n, 1, -1e3, 1e3);
        const source = randomArray(n, 2, -1, 1);
        const want = target.map((t, i) => Math.fround(t + source[i]!));
        backend.addInto(target, source);
        assert.deepEqual(target, want, `length ${n}`);
      }
      assert.throws(() => backend.addInto!(new Float32Array(3), new Float32Array(4)), /same length/);
    });

    test(`${c.name}: a tensor read by many ops gets the same summed gradient as on the reference backend`, {
      skip: c.skip,
    }, () => {
      const run = (name: string) => {
        setBackend(name as 'reference');
        try {
          const x = randn([64, 130], { generator: new Generator(5) }).requiresGrad_(); // 8,320 values: past the kernel's threshold
          let sum: Tensor = x.mul(0.5);
          for (let i = 0; i < 6; i++) sum = sum.add(x.mul(tensor(1 + i / 7)));
          sum
            .mul(randn([64, 130], { generator: new Generator(6) }))
            .sum()
            .backward();
          return x.grad!.data;
        } finally {
          setBackend(before);
        }
      };
      if (c.missing) assert.fail(c.missing);
      assert.deepEqual(run(c.name), run('reference'));
    });
  }
});
