/**
 * The native kernel for the gradient of the element-wise losses (mse, l1, huber) gives what the
 * TypeScript loop gives, bit for bit: every reduction (mean, sum, none with an upstream
 * gradient), gradients to input and target, values including ±0 differences, NaN, ±Infinity,
 * huge and tiny values and ones at Huber's ±delta.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Backend } from '../src/backend/backend.js';
import { Generator, huberLoss, l1Loss, mseLoss, randn, type Tensor, tensor } from '../src/index.js';
import { backendCases, useBackend } from './backend-helpers.js';

const n = 1031;

function inputs(): { x: Float32Array; y: Float32Array } {
  const x = randn([n], { generator: new Generator(8) }).data.slice();
  const y = randn([n], { generator: new Generator(9) }).data.slice();
  const special = [
    0,
    -0,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    3e38,
    -3e38,
    1e-45,
    1.5,
    -1.5,
  ];
  special.forEach((v, i) => {
    x[2 * i] = v;
    y[2 * i] = i % 2 ? -0 : 0;
  });
  x[40] = y[40] = 0.25; // d = 0 exactly
  x[41] = 2.5;
  y[41] = 1; // d = delta (1.5) exactly
  return { x, y };
}

type Loss = (a: Tensor, b: Tensor, o: { reduction: 'mean' | 'sum' | 'none' }) => Tensor;
const LOSSES: [string, Loss][] = [
  ['mse', mseLoss],
  ['l1', l1Loss],
  ['huber', (a, b, o) => huberLoss(a, b, { ...o, delta: 1.5 })],
];

function gradients(loss: Loss, reduction: 'mean' | 'sum' | 'none'): Float32Array[] {
  const { x, y } = inputs();
  const a = tensor(x, [n]);
  const b = tensor(y, [n]);
  a.requiresGrad = true;
  b.requiresGrad = true;
  const out = loss(a, b, { reduction });
  if (reduction === 'none')
    out
      .mul(randn([n], { generator: new Generator(10) }))
      .sum()
      .backward();
  else out.backward();
  return [a.grad!.data, b.grad!.data];
}

describe('native pointwiseLossBackward equals the TypeScript loop', () => {
  const native = backendCases().find((c) => c.name === 'native')!;
  for (const [name, loss] of LOSSES) {
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      test(`${name}, reduction ${reduction}`, { skip: native.skip }, () => {
        const backend: Backend = useBackend(native);
        assert.ok(backend.pointwiseLossBackward, 'the native backend has the kernel');
        const fast = gradients(loss, reduction);
        const kernel = backend.pointwiseLossBackward;
        backend.pointwiseLossBackward = undefined;
        let plain: Float32Array[];
        try {
          plain = gradients(loss, reduction);
        } finally {
          backend.pointwiseLossBackward = kernel;
        }
        assert.ok(plain[0]!.some((v) => v !== 0 && Number.isFinite(v)));
        assert.deepEqual(fast, plain);
      });
    }
  }
  test('bad arguments throw', { skip: native.skip }, () => {
    const backend = useBackend(native);
    const a = new Float32Array(4);
    assert.throws(() => backend.pointwiseLossBackward!('mse', 1, a, new Float32Array(3), null, 1, 1, a), /same length/);
  });
});
