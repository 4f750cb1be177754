/** Loss functions: error cases and behaviour beyond the PyTorch fixtures. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { logSoftmax, randn, ShapeError, tensor, ValueError } from '../src/index.js';
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
