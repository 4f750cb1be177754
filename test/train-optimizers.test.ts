/** Optimizers: option validation, step/zeroGrad mechanics, and state dict round trips. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { randn, StateDictError, tensor, type Tensor, ValueError, Generator } from '../src/index.js';
import { Adam, AdamW, type Optimizer, type OptimizerState, RMSprop, SGD, StepLR } from '../src/train/index.js';

type Factory = (params: Tensor[]) => Optimizer;

const CONFIGS: [string, Factory][] = [
  ['SGD nesterov + weightDecay', (p) => new SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
  ['SGD dampening', (p) => new SGD(p, { lr: 0.05, momentum: 0.5, dampening: 0.2 })],
  ['Adam amsgrad + weightDecay', (p) => new Adam(p, { lr: 0.03, amsgrad: true, weightDecay: 0.1 })],
  ['AdamW', (p) => new AdamW(p, { lr: 0.03 })],
  [
    'RMSprop centered + momentum',
    (p) => new RMSprop(p, { lr: 0.01, centered: true, momentum: 0.9, weightDecay: 0.01 }),
  ],
];

/** Fresh parameters (the same values on every call) and the fixed quadratic-ish loss. */
function problem(): { params: Tensor[]; backward: () => void } {
  const gen = new Generator(7);
  const p1 = randn([3, 4], { generator: gen, requiresGrad: true });
  const p2 = randn([5], { generator: gen, requiresGrad: true });
  const a1 = randn([3, 4], { generator: gen });
  const a2 = randn([5], { generator: gen });
  return {
    params: [p1, p2],
    backward: () => p1.pow(2).mul(a1).sum().add(p2.tanh().mul(a2).sum()).backward(),
  };
}

function run(opt: Optimizer, backward: () => void, steps: number): void {
  for (let i = 0; i < steps; i++) {
    opt.zeroGrad();
    backward();
    opt.step();
  }
}

describe('optimizer options', () => {
  const p = () => [randn([2], { requiresGrad: true })];
  const cases: [string, () => unknown, RegExp][] = [
    ['SGD without lr', () => new SGD(p(), {} as { lr: number }), /SGD.*lr/],
    ['SGD negative lr', () => new SGD(p(), { lr: -1 }), /SGD.*lr/],
    ['SGD negative momentum', () => new SGD(p(), { lr: 0.1, momentum: -0.5 }), /SGD.*momentum/],
    ['SGD negative weightDecay', () => new SGD(p(), { lr: 0.1, weightDecay: -1 }), /SGD.*weightDecay/],
    ['SGD nesterov without momentum', () => new SGD(p(), { lr: 0.1, nesterov: true }), /SGD.*nesterov/],
    [
      'SGD nesterov with dampening',
      () => new SGD(p(), { lr: 0.1, nesterov: true, momentum: 0.9, dampening: 0.1 }),
      /SGD.*nesterov/,
    ],
    ['Adam negative lr', () => new Adam(p(), { lr: -1e-3 }), /Adam.*lr/],
    ['Adam beta1 = 1', () => new Adam(p(), { betas: [1, 0.999] }), /Adam.*betas\[0\]/],
    ['Adam beta2 < 0', () => new Adam(p(), { betas: [0.9, -0.1] }), /Adam.*betas\[1\]/],
    ['Adam betas not a pair', () => new Adam(p(), { betas: [0.9] }), /Adam.*betas/],
    ['Adam negative eps', () => new Adam(p(), { eps: -1 }), /Adam.*eps/],
    ['AdamW negative weightDecay', () => new AdamW(p(), { weightDecay: -0.1 }), /AdamW.*weightDecay/],
    ['AdamW NaN lr', () => new AdamW(p(), { lr: NaN }), /AdamW.*lr/],
    ['RMSprop negative alpha', () => new RMSprop(p(), { alpha: -0.1 }), /RMSprop.*alpha/],
    ['RMSprop negative momentum', () => new RMSprop(p(), { momentum: -0.1 }), /RMSprop.*momentum/],
    [
      'RMSprop non-boolean centered',
      () => new RMSprop(p(), { centered: 1 as unknown as boolean }),
      /RMSprop.*centered/,
    ],
  ];
  for (const [name, make, message] of cases) {
    test(name, () => assert.throws(make, (e: unknown) => e instanceof ValueError && message.test(e.message)));
  }

  test('parameter list: empty, duplicate, non-leaf', () => {
    assert.throws(
      () => new Adam([]),
      (e: unknown) => e instanceof ValueError && /empty/.test(e.message),
    );
    const a = randn([2], { requiresGrad: true });
    assert.throws(
      () => new Adam([a, a]),
      (e: unknown) => e instanceof ValueError && /more than once/.test(e.message),
    );
    assert.throws(
      () => new SGD([a.mul(2)], { lr: 1 }),
      (e: unknown) => e instanceof ValueError && /leaf/.test(e.message),
    );
  });

  test("defaults are PyTorch's", () => {
    const q = p();
    assert.deepEqual(new Adam(q).stateDict().options, {
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0,
      amsgrad: false,
      maximize: false,
    });
    assert.deepEqual(new AdamW(q).stateDict().options, {
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 1e-2,
      amsgrad: false,
      maximize: false,
    });
    assert.deepEqual(new RMSprop(q).stateDict().options, {
      lr: 1e-2,
      alpha: 0.99,
      eps: 1e-8,
      weightDecay: 0,
      momentum: 0,
      centered: false,
      maximize: false,
    });
    assert.deepEqual(new SGD(q, { lr: 0.1 }).stateDict().options, {
      lr: 0.1,
      momentum: 0,
      dampening: 0,
      nesterov: false,
      weightDecay: 0,
      maximize: false,
    });
  });
});

describe('optimizer mechanics', () => {
  test('plain SGD: θ ← θ - lr·g', () => {
    const w = tensor([1, 2], [2], { requiresGrad: true });
    const opt = new SGD([w], { lr: 0.5 });
    w.mul(tensor([3, -4]))
      .sum()
      .backward();
    opt.step();
    assert.deepEqual([...w.data], [1 - 1.5, 2 + 2]);
  });

  test('step skips parameters whose grad is null (no update, no state)', () => {
    for (const [name, make] of CONFIGS) {
      const used = randn([3], { requiresGrad: true });
      const unused = randn([2], { requiresGrad: true });
      const before = Float32Array.from(unused.data);
      const opt = make([used, unused]);
      for (let i = 0; i < 3; i++) {
        opt.zeroGrad();
        used.mul(used).sum().backward();
        opt.step();
      }
      assert.deepEqual(unused.data, before, name);
      const state = opt.stateDict().state;
      assert.equal(state[1], null, name);
      assert.notEqual(state[0], null, name);
    }
  });

  test('zeroGrad sets every grad to null', () => {
    const a = randn([2], { requiresGrad: true });
    const b = randn([2], { requiresGrad: true });
    a.add(b).sum().backward();
    new Adam([a, b]).zeroGrad();
    assert.equal(a.grad, null);
    assert.equal(b.grad, null);
  });

  test('lr getter and setter; a bad lr is a ValueError', () => {
    const opt = new RMSprop([randn([2], { requiresGrad: true })], { lr: 0.02 });
    assert.equal(opt.lr, 0.02);
    opt.lr = 0.5;
    assert.equal(opt.lr, 0.5);
    assert.equal(opt.stateDict().options.lr, 0.5);
    assert.throws(
      () => {
        opt.lr = -1;
      },
      (e: unknown) => e instanceof ValueError && /RMSprop.*lr/.test(e.message),
    );
    assert.equal(opt.lr, 0.5);
  });

  test('a gradient of the wrong size is reported', () => {
    const a = randn([2], { requiresGrad: true });
    a.grad = tensor([1, 2, 3]);
    assert.throws(() => new SGD([a], { lr: 1 }).step(), /gradient of parameter 0/);
  });
});

describe('optimizer state dict', () => {
  for (const [name, make] of CONFIGS) {
    test(`${name}: stop after 2 steps, save, restore into a fresh optimizer, continue = uninterrupted run (bit-identical)`, () => {
      const ref = problem();
      const refOpt = make(ref.params);
      run(refOpt, ref.backward, 5);

      const first = problem();
      const firstOpt = make(first.params);
      run(firstOpt, first.backward, 2);
      const saved = JSON.parse(JSON.stringify(firstOpt.stateDict())) as OptimizerState;
      const savedParams = first.params.map((p) => Array.from(p.data));

      const resumed = problem();
      resumed.params.forEach((p, i) => p.data.set(savedParams[i]!));
      const resumedOpt = make(resumed.params);
      resumedOpt.loadStateDict(saved);
      run(resumedOpt, resumed.backward, 3);

      resumed.params.forEach((p, i) => assert.deepEqual(p.data, ref.params[i]!.data, `param ${i}`));
      assert.deepEqual(resumedOpt.stateDict(), refOpt.stateDict());
    });
  }

  test('a fresh optimizer without the state diverges (the state matters)', () => {
    const [, make] = CONFIGS[2]!;
    const ref = problem();
    run(make(ref.params), ref.backward, 5);
    const first = problem();
    run(make(first.params), first.backward, 2);
    const restarted = problem();
    restarted.params.forEach((p, i) => p.data.set(first.params[i]!.data));
    run(make(restarted.params), restarted.backward, 3);
    assert.notDeepEqual(restarted.params[0]!.data, ref.params[0]!.data);
  });

  test('lr changed by a scheduler is restored', () => {
    const { params, backward } = problem();
    const opt = new SGD(params, { lr: 0.1, momentum: 0.9 });
    const sched = new StepLR(opt, { stepSize: 1, gamma: 0.5 });
    run(opt, backward, 1);
    sched.step();
    const fresh = new SGD(problem().params, { lr: 0.1, momentum: 0.9 });
    fresh.loadStateDict(opt.stateDict());
    assert.equal(fresh.lr, 0.05);
  });

  test('stateDict is a copy', () => {
    const { params, backward } = problem();
    const opt = new Adam(params);
    run(opt, backward, 1);
    const s = opt.stateDict();
    (s.state[0]!.expAvg as number[])[0] = 123;
    assert.notEqual(opt.stateDict().state[0]!.expAvg, s.state[0]!.expAvg);
    assert.notEqual((opt.stateDict().state[0]!.expAvg as number[])[0], 123);
  });

  test('bad states are rejected with StateDictError and leave the optimizer unchanged', () => {
    const { params, backward } = problem();
    const opt = new Adam(params, { lr: 0.01 });
    run(opt, backward, 2);
    const good = opt.stateDict();
    const mutate = (f: (s: OptimizerState) => void): OptimizerState => {
      const s = JSON.parse(JSON.stringify(good)) as OptimizerState;
      f(s);
      return s;
    };
    const bad: [string, OptimizerState, string, string][] = [
      [
        'other optimizer',
        mutate((s) => {
          s.type = 'SGD';
        }),
        'type',
        'unexpected',
      ],
      [
        'missing buffer',
        mutate((s) => {
          delete s.state[0]!.expAvgSq;
        }),
        'state.0.expAvgSq',
        'missing',
      ],
      [
        'unexpected buffer',
        mutate((s) => {
          s.state[1]!.momentumBuffer = [0];
        }),
        'state.1.momentumBuffer',
        'unexpected',
      ],
      [
        'short buffer',
        mutate((s) => {
          (s.state[1]!.expAvg as number[]).pop();
        }),
        'state.1.expAvg',
        'shape',
      ],
      [
        'non-finite buffer',
        mutate((s) => {
          (s.state[0]!.expAvg as number[])[3] = NaN;
        }),
        'state.0.expAvg',
        'non-finite',
      ],
      [
        'fractional step',
        mutate((s) => {
          s.state[0]!.step = 1.5;
        }),
        'state.0.step',
        'shape',
      ],
      [
        'wrong parameter count',
        mutate((s) => {
          s.state.push(null);
        }),
        'state',
        'shape',
      ],
      [
        'missing option',
        mutate((s) => {
          delete s.options.eps;
        }),
        'options.eps',
        'missing',
      ],
      [
        'unexpected option',
        mutate((s) => {
          s.options.momentum = 0.9;
        }),
        'options.momentum',
        'unexpected',
      ],
    ];
    const wrong = new Adam(problem().params, { lr: 0.5 });
    const before = wrong.stateDict();
    for (const [name, state, key, problemKind] of bad) {
      assert.throws(
        () => wrong.loadStateDict(state),
        (e: unknown) => e instanceof StateDictError && e.key === key && e.problem === problemKind,
        name,
      );
    }
    assert.throws(
      () =>
        wrong.loadStateDict(
          mutate((s) => {
            s.options.lr = -1;
          }),
        ),
      ValueError,
    );
    assert.deepEqual(wrong.stateDict(), before);
  });
});
