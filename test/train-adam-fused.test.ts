/**
 * The native backend's fused Adam / AdamW (one addon call for every parameter) against the
 * reference kernel (`adamKernel`, TypeScript): bit-identical parameters and state after several
 * steps, for every option that changes the arithmetic.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import '../src/backend/native/index.js';
import { backendStatus, getBackend, setBackend } from '../src/backend/backend.js';
import { Adam, AdamW, Generator, randn, Tensor } from '../src/index.js';
import { useReferenceAdamKernel } from '../src/train/optimizers/adam.js';

const native = backendStatus().find((b) => b.name === 'native')!;

/**
 * Parameters of several sizes (one not a multiple of any vector width), with seeded values; the
 * last is long enough for the native kernel to cut it into pieces shared with its thread pool.
 */
function makeParams(seed: number): Tensor[] {
  const g = new Generator(seed);
  return [[7, 13], [256], [3, 5, 11], [1], [160_001]].map(
    (shape) => new Tensor(randn(shape, { generator: g }).data, shape, { requiresGrad: true }),
  );
}

/** Runs `steps` steps with seeded gradients (parameter 2 has none at step 1); returns parameters and state. */
function run(
  make: (p: Tensor[]) => Adam | AdamW,
  reference: boolean,
  steps: number,
): { params: Float32Array[]; state: unknown } {
  const params = makeParams(11);
  const opt = make(params);
  const g = new Generator(12);
  useReferenceAdamKernel(reference);
  try {
    for (let s = 0; s < steps; s++) {
      params.forEach((p, i) => {
        // Gradients with a wide spread of magnitudes, some exactly zero.
        const grad = randn([p.size], { generator: g }).data.map((v, k) => (k % 7 === 3 ? 0 : v * 10 ** ((k % 5) - 2)));
        p.grad = s === 1 && i === 2 ? null : new Tensor(grad, p.shape);
      });
      opt.step();
    }
  } finally {
    useReferenceAdamKernel(false);
  }
  return { params: params.map((p) => Float32Array.from(p.data)), state: opt.stateDict() };
}

describe('fused Adam (native) against the reference kernel', {
  skip: native.available ? false : `native backend not available: ${native.reason}`,
}, () => {
  const cases: [string, (p: Tensor[]) => Adam | AdamW][] = [
    ['Adam', (p) => new Adam(p, { lr: 1e-2 })],
    ['Adam weightDecay', (p) => new Adam(p, { lr: 3e-3, weightDecay: 0.1 })],
    [
      'Adam amsgrad maximize',
      (p) => new Adam(p, { lr: 1e-2, amsgrad: true, maximize: true, betas: [0.8, 0.95], eps: 1e-6 }),
    ],
    ['AdamW', (p) => new AdamW(p, { lr: 1e-2, weightDecay: 0.05 })],
    ['AdamW amsgrad', (p) => new AdamW(p, { lr: 5e-3, amsgrad: true })],
  ];
  for (const [label, make] of cases) {
    test(`${label}: bit-identical parameters and state after 6 steps`, () => {
      const previous = getBackend();
      setBackend('native');
      try {
        assert.ok(getBackend().adamStep, 'the native backend has a fused adamStep');
        const fused = run(make, false, 6);
        const reference = run(make, true, 6);
        fused.params.forEach((p, i) => assert.deepEqual(p, reference.params[i], `${label}: parameter ${i}`));
        assert.deepEqual(fused.state, reference.state, `${label}: optimizer state`);
        // The update did something: the parameters moved from their initial values.
        const initial = makeParams(11);
        assert.ok(
          fused.params.every((p, i) => p.some((v, k) => v !== initial[i]!.data[k])),
          `${label}: every parameter changed`,
        );
      } finally {
        setBackend(previous.name);
      }
    });
  }

  test('bad arguments to the addon are refused, not read out of bounds', () => {
    const addon =
      (getBackend() as unknown as { addon?: { adamStep: (...a: unknown[]) => void } }).addon ??
      (setBackend('native') as unknown as { addon: { adamStep: (...a: unknown[]) => void } }).addon;
    const f = (n: number) => new Float32Array(n);
    const scalars = new Float64Array(7);
    assert.throws(() => addon.adamStep([f(3), f(3), f(3), f(2)], new Float64Array(2), scalars, 0), /differ in length/);
    assert.throws(() => addon.adamStep([f(3), f(3), f(3)], new Float64Array(2), scalars, 0), /same parameters/);
    assert.throws(
      () => addon.adamStep([f(3), f(3), f(3), f(3)], new Float64Array(2), new Float64Array(3), 0),
      /scalars of 7/,
    );
    assert.throws(
      () => addon.adamStep([f(3), f(3), new Float64Array(3), f(3)], new Float64Array(2), scalars, 0),
      /Float32Array/,
    );
  });
});
