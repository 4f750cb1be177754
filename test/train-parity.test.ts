/**
 * PyTorch parity of the training primitives: every case in fixtures/train-parity.v1.json
 * (written by scripts/fixtures/gen_train_parity.py from torch 1.13) must give the same loss
 * values and gradients, parameter trajectories, learning-rate schedules and clipped
 * gradients, within 1e-5 absolute + 1e-4 relative.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Tensor, tensor } from '../src/index.js';
import {
  Adam,
  AdamW,
  clipGradNorm,
  clipGradValue,
  CosineAnnealingLR,
  crossEntropy,
  huberLoss,
  l1Loss,
  mseLoss,
  nllLoss,
  type Optimizer,
  ReduceLROnPlateau,
  RMSprop,
  SGD,
  StepLR,
} from '../src/train/index.js';
import { type ArrayFixture, assertClose, fromFixture, readFixture } from './helpers.js';

interface LossCase {
  name: string;
  loss: 'crossEntropy' | 'nllLoss' | 'mseLoss' | 'l1Loss' | 'huberLoss';
  options: { reduction: 'mean' | 'sum' | 'none'; ignoreIndex?: number; labelSmoothing?: number; delta?: number };
  weight: ArrayFixture | null;
  input: ArrayFixture;
  target: ArrayFixture;
  output: ArrayFixture;
  outputWeight: ArrayFixture;
  gradInput: ArrayFixture;
  gradTarget: ArrayFixture | null;
}

interface OptimizerCase {
  name: string;
  optimizer: 'SGD' | 'Adam' | 'AdamW' | 'RMSprop';
  options: Record<string, number | boolean | number[]>;
  initial: { p1: ArrayFixture; p2: ArrayFixture };
  constants: { a1: ArrayFixture; b1: ArrayFixture; a2: ArrayFixture };
  steps: { loss: number; p1: ArrayFixture; p2: ArrayFixture }[];
}

interface SchedulerCase {
  name: string;
  scheduler: 'StepLR' | 'CosineAnnealingLR' | 'ReduceLROnPlateau';
  lr: number;
  options: Record<string, number | string>;
  metrics: number[] | null;
  lrs: number[];
}

interface ClipCase {
  name: string;
  method: 'clipGradNorm' | 'clipGradValue';
  maxNorm: number | null;
  normType: number | 'inf' | null;
  clipValue: number | null;
  before: ArrayFixture[];
  after: ArrayFixture[];
  totalNorm: number | null;
}

interface Fixture {
  version: number;
  steps: number;
  epochs: number;
  losses: LossCase[];
  optimizers: OptimizerCase[];
  schedulers: SchedulerCase[];
  clipping: ClipCase[];
}

const fixture = readFixture<Fixture>('train-parity.v1.json');

function computeLoss(c: LossCase, input: Tensor, target: Tensor): Tensor {
  const { reduction } = c.options;
  switch (c.loss) {
    case 'crossEntropy':
    case 'nllLoss': {
      const options = {
        reduction,
        ...(c.options.ignoreIndex !== undefined && { ignoreIndex: c.options.ignoreIndex }),
        ...(c.weight && { weight: fromFixture(c.weight) }),
      };
      if (c.loss === 'nllLoss') return nllLoss(input, target, options);
      return crossEntropy(input, target, {
        ...options,
        ...(c.options.labelSmoothing !== undefined && { labelSmoothing: c.options.labelSmoothing }),
      });
    }
    case 'mseLoss':
      return mseLoss(input, target, { reduction });
    case 'l1Loss':
      return l1Loss(input, target, { reduction });
    case 'huberLoss':
      return huberLoss(input, target, { reduction, ...(c.options.delta !== undefined && { delta: c.options.delta }) });
  }
}

function makeOptimizer(
  kind: OptimizerCase['optimizer'],
  params: Tensor[],
  options: Record<string, unknown>,
): Optimizer {
  switch (kind) {
    case 'SGD':
      return new SGD(params, options as unknown as ConstructorParameters<typeof SGD>[1]);
    case 'Adam':
      return new Adam(params, options);
    case 'AdamW':
      return new AdamW(params, options);
    case 'RMSprop':
      return new RMSprop(params, options);
  }
}

describe('PyTorch parity (train-parity.v1.json)', () => {
  test('fixture is version 1 and covers every primitive', () => {
    assert.equal(fixture.version, 1);
    assert.ok(fixture.losses.length >= 50, `only ${fixture.losses.length} loss cases`);
    assert.ok(fixture.optimizers.length >= 15, `only ${fixture.optimizers.length} optimizer cases`);
    assert.ok(fixture.schedulers.length >= 10, `only ${fixture.schedulers.length} scheduler cases`);
    assert.ok(fixture.clipping.length >= 5, `only ${fixture.clipping.length} clipping cases`);
    for (const kind of ['crossEntropy', 'nllLoss', 'mseLoss', 'l1Loss', 'huberLoss']) {
      assert.ok(
        fixture.losses.some((c) => c.loss === kind),
        kind,
      );
    }
    for (const kind of ['SGD', 'Adam', 'AdamW', 'RMSprop'])
      assert.ok(
        fixture.optimizers.some((c) => c.optimizer === kind),
        kind,
      );
  });

  describe('losses', () => {
    for (const c of fixture.losses) {
      test(c.name, () => {
        const regression = c.gradTarget !== null;
        const input = fromFixture(c.input, true);
        const target = fromFixture(c.target, regression);
        const out = computeLoss(c, input, target);
        assertClose(out, c.output, 'output');
        out.mul(fromFixture(c.outputWeight)).sum().backward();
        assertClose(input.grad!, c.gradInput, 'grad input');
        if (c.gradTarget) assertClose(target.grad!, c.gradTarget, 'grad target');
      });
    }

    test('targets as a plain array give the same result as a tensor', () => {
      const c = fixture.losses.find((x) => x.name === 'ce_3d_ls_weight_ignore_mean')!;
      const input = fromFixture(c.input);
      const out = crossEntropy(input, c.target.data, { labelSmoothing: 0.1, weight: fromFixture(c.weight!) });
      assertClose(out, c.output, 'output');
    });
  });

  describe('optimizers', () => {
    for (const c of fixture.optimizers) {
      test(c.name, () => {
        const p1 = fromFixture(c.initial.p1, true);
        const p2 = fromFixture(c.initial.p2, true);
        const a1 = fromFixture(c.constants.a1);
        const b1 = fromFixture(c.constants.b1);
        const a2 = fromFixture(c.constants.a2);
        const opt = makeOptimizer(c.optimizer, [p1, p2], c.options);
        c.steps.forEach((expected, k) => {
          opt.zeroGrad();
          const loss = p1.pow(2).mul(a1).sum().add(p1.mul(b1).sum()).add(p2.tanh().mul(a2).sum());
          assertClose([loss.item()], [expected.loss], `loss before step ${k + 1}`);
          loss.backward();
          opt.step();
          assertClose(p1, expected.p1, `p1 after step ${k + 1}`);
          assertClose(p2, expected.p2, `p2 after step ${k + 1}`);
        });
      });
    }
  });

  describe('schedulers', () => {
    for (const c of fixture.schedulers) {
      test(c.name, () => {
        const opt = new SGD([tensor([0], [1], { requiresGrad: true })], { lr: c.lr });
        const o = c.options;
        const sched =
          c.scheduler === 'StepLR'
            ? new StepLR(opt, o as { stepSize: number; gamma?: number })
            : c.scheduler === 'CosineAnnealingLR'
              ? new CosineAnnealingLR(opt, o as { tMax: number; etaMin?: number })
              : new ReduceLROnPlateau(opt, o);
        const lrs: number[] = [];
        for (let epoch = 0; epoch < fixture.epochs; epoch++) {
          opt.step();
          if (sched instanceof ReduceLROnPlateau) sched.step(c.metrics![epoch]!);
          else sched.step();
          assert.equal(sched.lastLr, opt.lr);
          lrs.push(opt.lr);
        }
        assertClose(lrs, c.lrs, 'lr per epoch', 1e-12, 1e-9);
      });
    }
  });

  describe('clipping', () => {
    for (const c of fixture.clipping) {
      test(c.name, () => {
        const params = c.before.map((g) => {
          const p = tensor(new Float32Array(g.data.length), g.shape, { requiresGrad: true });
          p.grad = fromFixture(g);
          return p;
        });
        if (c.method === 'clipGradNorm') {
          const total = clipGradNorm(params, c.maxNorm!, c.normType === 'inf' ? Infinity : c.normType!);
          assertClose([total], [c.totalNorm!], 'total norm');
          // The coefficient applied (after / before) is O(1) whatever the gradients' scale, so
          // the tolerance is meaningful for it even when the gradients are tiny.
          const ratio = (g: Float32Array | number[], i: number) => g[i]! / c.before[0]!.data[i]!;
          assertClose([ratio(params[0]!.grad!.data, 0)], [ratio(c.after[0]!.data, 0)], 'clipping coefficient');
        } else {
          clipGradValue(params, c.clipValue!);
        }
        params.forEach((p, i) => assertClose(p.grad!, c.after[i]!, `grad ${i}`));
      });
    }
  });
});
