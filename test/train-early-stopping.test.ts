/** EarlyStopping behaviour and state. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StateDictError, ValueError } from '../src/index.js';
import { EarlyStopping, type EarlyStoppingState } from '../src/train/index.js';

const feed = (s: EarlyStopping, metrics: number[]): boolean[] => metrics.map((m) => s.step(m));

describe('EarlyStopping', () => {
  test('mode min: stops on the patience-th epoch without improvement', () => {
    const s = new EarlyStopping({ patience: 2 });
    assert.equal(s.best, null);
    assert.equal(s.bestEpoch, null);
    assert.deepEqual(feed(s, [1, 0.9, 0.95, 0.91]), [false, false, false, true]);
    assert.equal(s.best, 0.9);
    assert.equal(s.bestEpoch, 1);
    assert.equal(s.wait, 2);
    assert.equal(s.epochs, 4);
    // an improvement resets the count
    assert.deepEqual(feed(s, [0.5, 0.6, 0.7]), [false, false, true]);
    assert.equal(s.bestEpoch, 4);
  });

  test('mode max', () => {
    const s = new EarlyStopping({ patience: 1, mode: 'max' });
    assert.deepEqual(feed(s, [0.5, 0.7, 0.6]), [false, false, true]);
    assert.equal(s.best, 0.7);
  });

  test('minDelta: smaller improvements do not count', () => {
    const s = new EarlyStopping({ patience: 2, minDelta: 0.1 });
    assert.deepEqual(feed(s, [1, 0.95, 0.92]), [false, false, true]);
    assert.equal(s.best, 1);
    assert.equal(s.bestEpoch, 0);
    const m = new EarlyStopping({ patience: 1, minDelta: 0.1, mode: 'max' });
    assert.deepEqual(feed(m, [1, 1.2, 1.25]), [false, false, true]);
    assert.equal(m.best, 1.2);
  });

  test('patience 0 stops at the first epoch that does not improve', () => {
    const s = new EarlyStopping({ patience: 0 });
    assert.deepEqual(feed(s, [3, 2, 2]), [false, false, true]);
  });

  test('equal metrics are not improvements; NaN never improves', () => {
    const s = new EarlyStopping({ patience: 3 });
    assert.deepEqual(feed(s, [NaN, 1, 1, NaN, 1]), [false, false, false, false, true]);
    assert.equal(s.best, 1);
    assert.equal(s.bestEpoch, 1);
  });

  test('invalid options and metrics are ValueErrors', () => {
    assert.throws(
      () => new EarlyStopping({ patience: -1 }),
      (e: unknown) => e instanceof ValueError && /patience/.test(e.message),
    );
    assert.throws(() => new EarlyStopping({ patience: 1.5 }), ValueError);
    assert.throws(() => new EarlyStopping({} as { patience: number }), ValueError);
    assert.throws(
      () => new EarlyStopping({ patience: 1, minDelta: -0.1 }),
      (e: unknown) => e instanceof ValueError && /minDelta/.test(e.message),
    );
    assert.throws(
      () => new EarlyStopping({ patience: 1, mode: 'lower' as 'min' }),
      (e: unknown) => e instanceof ValueError && /mode/.test(e.message),
    );
    assert.throws(() => new EarlyStopping({ patience: 1 }).step(undefined as unknown as number), ValueError);
  });

  test('state dict round trip (JSON) continues identically', () => {
    const metrics = [1, 0.8, 0.85, 0.9, 0.7, 0.75, 0.76, 0.77, 0.78];
    const ref = new EarlyStopping({ patience: 3, minDelta: 0.01 });
    const refOut = feed(ref, metrics);
    const a = new EarlyStopping({ patience: 3, minDelta: 0.01 });
    feed(a, metrics.slice(0, 4));
    const saved = JSON.parse(JSON.stringify(a.stateDict())) as EarlyStoppingState;
    const b = new EarlyStopping({ patience: 99 });
    b.loadStateDict(saved);
    assert.deepEqual([...refOut.slice(0, 4), ...feed(b, metrics.slice(4))], refOut);
    assert.deepEqual(b.stateDict(), ref.stateDict());
    assert.equal(b.bestEpoch, ref.bestEpoch);
  });

  test('an Infinity best survives JSON; bad states are rejected', () => {
    const s = new EarlyStopping({ patience: 1 });
    s.step(Infinity);
    const t = new EarlyStopping({ patience: 1 });
    t.loadStateDict(JSON.parse(JSON.stringify(s.stateDict())) as EarlyStoppingState);
    assert.equal(t.best, Infinity);
    assert.throws(
      () => t.loadStateDict({ ...s.stateDict(), wait: -1 }),
      (e: unknown) => e instanceof StateDictError && e.key === 'wait',
    );
    assert.throws(
      () => t.loadStateDict({ ...s.stateDict(), type: 'Other' as 'EarlyStopping' }),
      (e: unknown) => e instanceof StateDictError && e.key === 'type',
    );
  });
});
