/** Learning-rate schedulers: options, lastLr, and state dict round trips. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StateDictError, tensor, ValueError } from '../src/index.js';
import { CosineAnnealingLR, ReduceLROnPlateau, type ReduceLROnPlateauState, SGD, StepLR } from '../src/train/index.js';
import { assertClose } from './helpers.js';

const optimizer = (lr = 0.1) => new SGD([tensor([0], [1], { requiresGrad: true })], { lr });

describe('scheduler options', () => {
  test('invalid options are ValueErrors naming the scheduler and option', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => new StepLR(optimizer(), { stepSize: 0 }), /StepLR.*stepSize/],
      [() => new StepLR(optimizer(), { stepSize: 1.5 }), /StepLR.*stepSize/],
      [() => new StepLR(optimizer(), { stepSize: 2, gamma: -0.1 }), /StepLR.*gamma/],
      [() => new CosineAnnealingLR(optimizer(), { tMax: 0 }), /CosineAnnealingLR.*tMax/],
      [() => new CosineAnnealingLR(optimizer(), { tMax: 5, etaMin: -1 }), /CosineAnnealingLR.*etaMin/],
      [() => new ReduceLROnPlateau(optimizer(), { factor: 1 }), /ReduceLROnPlateau.*factor/],
      [() => new ReduceLROnPlateau(optimizer(), { mode: 'up' as 'min' }), /ReduceLROnPlateau.*mode/],
      [() => new ReduceLROnPlateau(optimizer(), { thresholdMode: 'pct' as 'rel' }), /ReduceLROnPlateau.*thresholdMode/],
      [() => new ReduceLROnPlateau(optimizer(), { patience: -1 }), /ReduceLROnPlateau.*patience/],
      [() => new ReduceLROnPlateau(optimizer(), { cooldown: 0.5 }), /ReduceLROnPlateau.*cooldown/],
      [() => new ReduceLROnPlateau(optimizer(), { minLr: -1 }), /ReduceLROnPlateau.*minLr/],
    ];
    for (const [make, message] of cases)
      assert.throws(make, (e: unknown) => e instanceof ValueError && message.test(e.message), String(message));
  });
});

describe('scheduler behaviour', () => {
  test('construction keeps the base lr; lastLr follows the optimizer', () => {
    const opt = optimizer(0.4);
    const s = new StepLR(opt, { stepSize: 2 });
    assert.equal(opt.lr, 0.4);
    assert.equal(s.lastLr, 0.4);
    s.step();
    assert.equal(s.lastLr, 0.4);
    s.step();
    assertClose([s.lastLr, opt.lr], [0.04, 0.04], 'decayed');
    const p = new ReduceLROnPlateau(optimizer(0.3));
    assert.equal(p.lastLr, 0.3);
    assert.equal(p.best, Infinity);
  });

  test('cosine reaches etaMin at tMax and comes back to the base lr at 2·tMax', () => {
    const opt = optimizer(1);
    const s = new CosineAnnealingLR(opt, { tMax: 4, etaMin: 0.1 });
    const lrs = Array.from({ length: 8 }, () => (s.step(), opt.lr));
    assertClose([lrs[3]!, lrs[7]!], [0.1, 1], 'ends');
  });

  test('ReduceLROnPlateau: a NaN metric is a bad epoch; minLr and eps bound the reduction', () => {
    const opt = optimizer(0.1);
    const s = new ReduceLROnPlateau(opt, { patience: 0, factor: 0.5, minLr: 0.03 });
    s.step(1);
    s.step(NaN);
    assert.equal(opt.lr, 0.05);
    s.step(NaN);
    assert.equal(opt.lr, 0.03);
    s.step(NaN);
    assert.equal(opt.lr, 0.03);
    assert.equal(s.best, 1);
  });

  test('ReduceLROnPlateau: metric must be a number', () => {
    assert.throws(() => new ReduceLROnPlateau(optimizer()).step('1' as unknown as number), ValueError);
  });
});

describe('scheduler state dict', () => {
  const metrics = [5, 4, 4.5, 4.2, 4.1, 4.3, 3, 3.1, 3.2, 3.3, 3.4, 3.5];

  function runAll(resumeAt: number | null, make: (o: SGD) => StepLR | CosineAnnealingLR | ReduceLROnPlateau): number[] {
    let opt = optimizer(0.2);
    let sched = make(opt);
    const lrs: number[] = [];
    for (let e = 0; e < metrics.length; e++) {
      if (e === resumeAt) {
        const saved = JSON.parse(JSON.stringify({ opt: opt.stateDict(), sched: sched.stateDict() })) as {
          opt: ReturnType<SGD['stateDict']>;
          sched: never;
        };
        opt = optimizer(0.2);
        sched = make(opt);
        opt.loadStateDict(saved.opt);
        sched.loadStateDict(saved.sched);
      }
      opt.step();
      if (sched instanceof ReduceLROnPlateau) sched.step(metrics[e]!);
      else sched.step();
      lrs.push(opt.lr, sched.lastLr);
    }
    return lrs;
  }

  const makers: [string, (o: SGD) => StepLR | CosineAnnealingLR | ReduceLROnPlateau][] = [
    ['StepLR', (o) => new StepLR(o, { stepSize: 3, gamma: 0.5 })],
    ['CosineAnnealingLR', (o) => new CosineAnnealingLR(o, { tMax: 5, etaMin: 0.01 })],
    ['ReduceLROnPlateau', (o) => new ReduceLROnPlateau(o, { patience: 1, cooldown: 1, factor: 0.5 })],
  ];
  for (const [name, make] of makers) {
    test(`${name}: save mid-way, restore, continue = uninterrupted`, () => {
      const ref = runAll(null, make);
      for (const at of [1, 4, 7]) assert.deepEqual(runAll(at, make), ref, `resumed at ${at}`);
    });
  }

  test('ReduceLROnPlateau state before any step is JSON-safe (best = Infinity)', () => {
    const s = new ReduceLROnPlateau(optimizer(), { mode: 'max' });
    const state = JSON.parse(JSON.stringify(s.stateDict())) as ReduceLROnPlateauState;
    assert.equal(state.best, '-Infinity');
    const t = new ReduceLROnPlateau(optimizer(), { mode: 'max' });
    t.loadStateDict(state);
    assert.equal(t.best, -Infinity);
  });

  test('bad states are rejected', () => {
    const s = new StepLR(optimizer(), { stepSize: 2 });
    const c = new CosineAnnealingLR(optimizer(), { tMax: 2 });
    assert.throws(
      () => s.loadStateDict(c.stateDict() as never),
      (e: unknown) => e instanceof StateDictError,
    );
    assert.throws(
      () => s.loadStateDict({ ...s.stateDict(), lastEpoch: -1 }),
      (e: unknown) => e instanceof StateDictError && e.key === 'lastEpoch',
    );
    const { gamma: _gamma, ...missing } = s.stateDict();
    assert.throws(
      () => s.loadStateDict(missing as never),
      (e: unknown) => e instanceof StateDictError && e.key === 'gamma' && e.problem === 'missing',
    );
    const p = new ReduceLROnPlateau(optimizer());
    assert.throws(
      () => p.loadStateDict({ ...p.stateDict(), best: 'big' as never }),
      (e: unknown) => e instanceof StateDictError && e.key === 'best',
    );
  });
});
