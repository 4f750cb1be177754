/**
 * A recurrent layer refuses non-finite inputs and initial states, naming where the bad value is,
 * under every backend (the native one scans with its `firstNonFinite` kernel); and that kernel
 * finds the same first index as a plain scan, wherever the value sits in its blocks of 256.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ValueError } from '../src/errors.js';
import { Generator, nn, randn, tensor } from '../src/index.js';
import { backendCases, useBackend } from './backend-helpers.js';

const plainScan = (v: Float32Array) => v.findIndex((x) => !Number.isFinite(x));

describe('non-finite inputs are refused with their position', () => {
  for (const bc of backendCases()) {
    test(bc.name, { skip: bc.skip }, () => {
      useBackend(bc);
      const lstm = new nn.LSTM({ inputSize: 3, hiddenSize: 4, batchFirst: true, generator: new Generator(1) });
      const x = randn([2, 5, 3], { generator: new Generator(2) });
      const bad = x.data.slice();
      bad[(1 * 5 + 3) * 3 + 2] = Number.NaN; // batch 1, time 3, feature 2
      assert.throws(
        () => lstm.forward(tensor(bad, [2, 5, 3])),
        (e: unknown) => e instanceof ValueError && /NaN at \[1, 3, 2\] \(batch 1, time 3, feature 2\)/.test(e.message),
      );
      const h0 = randn([1, 2, 4], { generator: new Generator(3) });
      h0.data[6] = Number.NEGATIVE_INFINITY;
      assert.throws(
        () => lstm.forward(x, { h: h0, c: randn([1, 2, 4], { generator: new Generator(4) }) }),
        (e: unknown) => e instanceof ValueError && /-Infinity at flat index 6/.test(e.message),
      );
      assert.doesNotThrow(() => lstm.forward(x));
    });
  }
});

describe('native firstNonFinite equals a plain scan', () => {
  const native = backendCases().find((c) => c.name === 'native')!;
  test('NaN, ±Infinity at block edges; huge, tiny and subnormal values are finite', { skip: native.skip }, () => {
    const backend = useBackend(native);
    assert.ok(backend.firstNonFinite, 'the native backend has firstNonFinite');
    const n = 1000;
    const base = randn([n], { generator: new Generator(5) }).data;
    base[10] = 3.4e38;
    base[11] = -3.4e38;
    base[12] = 1e-45;
    base[13] = -0;
    assert.equal(backend.firstNonFinite(base), -1);
    assert.equal(backend.firstNonFinite(new Float32Array(0)), -1);
    for (const at of [0, 1, 255, 256, 257, 511, 512, n - 1]) {
      for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        const v = base.slice();
        v[at] = value;
        if (at + 300 < n) v[at + 300] = Number.NaN; // a later one must not be reported
        assert.equal(backend.firstNonFinite(v), plainScan(v), `${value} at ${at}`);
        assert.equal(backend.firstNonFinite(v), at);
      }
    }
    assert.equal(backend.firstNonFinite(base.subarray(3, 500)), -1);
    const view = base.slice();
    view[400] = Number.NaN;
    assert.equal(backend.firstNonFinite(view.subarray(100)), 300, 'an offset view counts from its own start');
  });
});
