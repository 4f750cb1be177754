/** Loss functions: error cases and behaviour beyond the PyTorch fixtures. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { getBackend, setBackend } from '../src/backend/backend.js';
import { logSoftmax, randn, ShapeError, type Tensor, tensor, ValueError } from '../src/index.js';
import { crossEntropy, huberLoss, l1Loss, mseLoss, nllLoss } from '../src/train/index.js';
import { assertClose, numericGradient } from './helpers.js';

describe('crossEntropy / nllLoss errors', () => {
  const logits = tensor([
    [1, 2, 3],
    [0, 1, 0],
  ]);

  test('an out-of-range target is a ValueError naming its position', () => {
    assert.throws(
      () => crossEntropy(logits, [0, 3]),
      (e: unknown) =>
        e instanceof ValueError && /crossEntropy/.test(e.message) && /target 3 at position \[1\]/.test(e.message),
    );
    const x3 = randn([2, 3, 4]);
    const t = [0, 1, 2, 0, 1, 2, -1, 0];
    assert.throws(
      () => crossEntropy(x3, t),
      (e: unknown) => e instanceof ValueError && /target -1 at position \[1, 2\]/.test(e.message),
    );
    assert.throws(
      () => nllLoss(logits, tensor([0, 7])),
      (e: unknown) => e instanceof ValueError && /nllLoss.*target 7 at position \[1\]/.test(e.message),
    );
  });

  test('a non-integer target is a ValueError', () => {
    assert.throws(
      () => crossEntropy(logits, [0, 1.5]),
      (e: unknown) => e instanceof ValueError && /1\.5/.test(e.message),
    );
  });

  test('-100 is ignored by default; another ignoreIndex makes -100 invalid', () => {
    assert.doesNotThrow(() => crossEntropy(logits, [0, -100]));
    assert.throws(() => crossEntropy(logits, [0, -100], { ignoreIndex: 1 }), ValueError);
  });

  test('targets of the wrong shape are a ShapeError', () => {
    assert.throws(() => crossEntropy(logits, [0, 1, 2]), ShapeError);
    assert.throws(() => crossEntropy(logits, tensor([[0, 1]])), ShapeError);
    assert.throws(() => crossEntropy(randn([2, 3, 4]), tensor([0, 1])), ShapeError);
    // probability targets (same shape as the input) are not supported, and the error says so
    assert.throws(
      () =>
        crossEntropy(
          logits,
          tensor([
            [0, 0, 1],
            [1, 0, 0],
          ]),
        ),
      (e: unknown) => e instanceof ShapeError && /probabilit/.test(e.message),
    );
    assert.throws(() => crossEntropy(tensor(1), [0]), ShapeError);
  });

  test('bad options', () => {
    assert.throws(() => crossEntropy(logits, [0, 1], { weight: tensor([1, 2]) }), ShapeError);
    assert.throws(
      () => crossEntropy(logits, [0, 1], { labelSmoothing: 1.5 }),
      (e: unknown) => e instanceof ValueError && /labelSmoothing/.test(e.message),
    );
    assert.throws(() => crossEntropy(logits, [0, 1], { labelSmoothing: -0.1 }), ValueError);
    assert.throws(
      () => crossEntropy(logits, [0, 1], { reduction: 'avg' as 'mean' }),
      (e: unknown) => e instanceof ValueError && /reduction/.test(e.message),
    );
    assert.throws(() => nllLoss(logits, [0, 1], { ignoreIndex: 0.5 }), ValueError);
  });
});

describe('crossEntropy / nllLoss behaviour', () => {
  test('crossEntropy equals nllLoss of logSoftmax over dim 1', () => {
    const x = randn([3, 4, 2]);
    const t = [0, 3, 1, 1, 2, 0];
    assertClose(crossEntropy(x, t), nllLoss(logSoftmax(x, 1), t), 'mean');
    assertClose(crossEntropy(x, t, { reduction: 'none' }), nllLoss(logSoftmax(x, 1), t, { reduction: 'none' }), 'none');
  });

  test('all targets ignored: mean is NaN (0/0) and sum is 0, as in PyTorch', () => {
    const x = randn([2, 3], { requiresGrad: true });
    assert.ok(Number.isNaN(crossEntropy(x, [-100, -100]).item()));
    assert.ok(Number.isNaN(crossEntropy(x, [-100, -100], { labelSmoothing: 0.1 }).item()));
    const s = crossEntropy(x, [-100, -100], { reduction: 'sum' });
    assert.equal(s.item(), 0);
    s.backward();
    assert.deepEqual([...x.grad!.data], [0, 0, 0, 0, 0, 0]);
  });

  test('reduction none gives one loss per target position, 0 where ignored', () => {
    const out = crossEntropy(randn([2, 3, 4]), [0, 1, -100, 2, 2, 1, 0, -100], { reduction: 'none' });
    assert.deepEqual(out.shape, [2, 4]);
    assert.equal(out.data[2], 0);
    assert.equal(out.data[7], 0);
    assert.ok(out.data[0]! > 0);
  });

  test('unbatched logits (C) with a scalar target', () => {
    const x = tensor([1, 2, 0.5]);
    const expected = -(2 - Math.log(Math.exp(1) + Math.exp(2) + Math.exp(0.5)));
    assertClose([crossEntropy(x, tensor(1)).item()], [expected], 'loss');
    assert.deepEqual(crossEntropy(x, [1], { reduction: 'none' }).shape, []);
  });

  test('gradient matches finite differences (weight, smoothing, ignored target, 3-D)', () => {
    const x = randn([2, 3, 2], { requiresGrad: true });
    const weight = tensor([0.5, 2, 1]);
    const t = [2, -100, 0, 1];
    const f = () => crossEntropy(x, t, { weight, labelSmoothing: 0.2 });
    f().backward();
    assertClose(x.grad!, [...numericGradient(() => f().item(), x, 1e-2)], 'grad', 2e-3, 1e-2);
  });

  test('no graph when the input does not require grad; weight gets no gradient', () => {
    assert.equal(crossEntropy(randn([2, 3]), [0, 1]).requiresGrad, false);
    const w = tensor([1, 2, 3], [3], { requiresGrad: true });
    const x = randn([2, 3], { requiresGrad: true });
    nllLoss(x, [0, 2], { weight: w }).backward();
    assert.equal(w.grad, null);
    assert.notEqual(x.grad, null);
  });
});

describe('regression losses', () => {
  test('shapes must match exactly (no broadcasting)', () => {
    for (const loss of [mseLoss, l1Loss, huberLoss]) {
      assert.throws(() => loss(randn([3, 1]), randn([3])), ShapeError);
      assert.throws(() => loss(randn([2, 3]), randn([3, 2])), ShapeError);
    }
  });

  test('bad options', () => {
    assert.throws(
      () => huberLoss(randn([2]), randn([2]), { delta: 0 }),
      (e: unknown) => e instanceof ValueError && /delta/.test(e.message),
    );
    assert.throws(() => huberLoss(randn([2]), randn([2]), { delta: -1 }), ValueError);
    assert.throws(() => mseLoss(randn([2]), randn([2]), { reduction: 'max' as 'sum' }), ValueError);
  });

  test('values by hand', () => {
    const x = tensor([1, -2, 0.5]);
    const y = tensor([0, 0, 0]);
    assertClose([mseLoss(x, y).item()], [(1 + 4 + 0.25) / 3], 'mse');
    assertClose([l1Loss(x, y, { reduction: 'sum' }).item()], [3.5], 'l1');
    assertClose(huberLoss(x, y, { reduction: 'none' }), [0.5, 1.5, 0.125], 'huber');
    assertClose(huberLoss(x, y, { reduction: 'none', delta: 0.5 }), [0.375, 0.875, 0.125], 'huber 0.5');
  });

  test('empty input: mean is NaN, sum is 0', () => {
    assert.ok(Number.isNaN(mseLoss(tensor([]), tensor([])).item()));
    assert.equal(l1Loss(tensor([]), tensor([]), { reduction: 'sum' }).item(), 0);
  });
});

describe('regression losses: the gradient loops', () => {
  /** The gradient by its definition, one formula for every kind and reduction. */
  function definition(
    kind: string,
    delta: number,
    x: Float32Array,
    y: Float32Array,
    g: Float32Array | null,
    g0: number,
    scale: number,
  ) {
    const gi = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const d = x[i]! - y[i]!;
      const slope = kind === 'mse' ? 2 * d : kind === 'l1' ? Math.sign(d) : d < -delta ? -delta : d > delta ? delta : d;
      gi[i] = slope * (g ? g[i]! : g0) * scale;
    }
    return gi;
  }

  test('each kind and reduction gives the definition bit for bit (special values included)', () => {
    const n = 517;
    const x = randn([n]).data.slice();
    const y = randn([n]).data.slice();
    [0, -0, Number.NaN, Number.POSITIVE_INFINITY, -3e38, 1e-45, 1.5, -1.5].forEach((v, i) => {
      x[3 * i] = v;
    });
    x[40] = y[40]!;
    const up = randn([n]).data.slice();
    const cases: [string, (a: Tensor, b: Tensor, o: object) => Tensor, number][] = [
      ['mse', mseLoss, 1],
      ['l1', l1Loss, 1],
      ['huber', (a, b, o) => huberLoss(a, b, { ...o, delta: 0.7 }), 0.7],
    ];
    // The TypeScript loops (the reference backend has no pointwiseLossBackward kernel).
    const before = getBackend().name;
    const backend = setBackend('reference');
    assert.equal(backend.pointwiseLossBackward, undefined);
    try {
      for (const [kind, loss, delta] of cases) {
        for (const reduction of ['mean', 'sum', 'none'] as const) {
          const a = tensor(x, [n], { requiresGrad: true });
          const out = loss(a, tensor(y, [n]), { reduction });
          if (reduction === 'none')
            out
              .mul(tensor(up, [n]))
              .sum()
              .backward();
          else out.backward();
          const scale = reduction === 'mean' ? 1 / n : 1;
          const want = definition(kind, delta, x, y, reduction === 'none' ? up : null, 1, scale);
          assert.ok(want.some((v) => v !== 0 && Number.isFinite(v)));
          assert.deepEqual(a.grad!.data, want, `${kind}, ${reduction}`);
        }
      }
    } finally {
      setBackend(before);
    }
  });
});
