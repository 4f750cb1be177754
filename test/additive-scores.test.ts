/**
 * The fused additive-attention scores against the composite form it replaces,
 * `(tanh(q.unsqueeze(2) + k.unsqueeze(1)) · vᵀ)`, forward and every gradient, on every backend;
 * a backend's own kernels against the reference loops; and tanhScalar against Math.tanh rounded
 * to float32.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { getBackend, setBackend } from '../src/backend/backend.js';
import { Generator, randn, type Tensor, tensor } from '../src/index.js';
import {
  additiveScores,
  additiveScoresBackwardReference,
  additiveScoresReference,
} from '../src/tensor/ops/additive-scores.js';
import { matmulTransposed } from '../src/tensor/ops/matmul.js';
import { tanhScalar } from '../src/tensor/ops/tanh-scalar.js';
import { assertAllClose, backendCases, randomArray, useBackend } from './backend-helpers.js';
import { assertClose } from './helpers.js';

function composite(q: Tensor, k: Tensor, v: Tensor): Tensor {
  const [batch, steps] = q.shape as [number, number];
  const source = k.shape[1]!;
  const summed = q.unsqueeze(2).add(k.unsqueeze(1)).tanh(); // (batch, steps, source, H)
  return matmulTransposed(summed, v).reshape([batch, steps, source]);
}

const SIZES = [
  [3, 1, 5, 8],
  [2, 4, 3, 16],
  [1, 1, 1, 1],
  [2, 1, 7, 37], // H not a multiple of any vector width
] as const;

describe('additiveScores', () => {
  const before = getBackend().name;
  for (const c of backendCases())
    for (const [batch, steps, source, H] of SIZES) {
      const name = `${c.name}: matches the composite form, forward and gradients (batch ${batch}, steps ${steps}, source ${source}, H ${H})`;
      test(name, { skip: c.skip }, () => {
        useBackend(c);
        try {
          const g = new Generator(batch * 100 + H);
          const make = (shape: number[], scale: number) => randn(shape, { generator: g }).mul(scale).detach();
          const inputs = () => [make([batch, steps, H], 2), make([batch, source, H], 2), make([1, H], 0.5)];
          const a = inputs().map((t) => t.clone().requiresGrad_());
          const b = a.map((t) => t.detach().clone().requiresGrad_());
          const upstream = make([batch, steps, source], 1);
          const fused = additiveScores(a[0]!, a[1]!, a[2]!);
          const reference = composite(b[0]!, b[1]!, b[2]!);
          assertClose(fused, reference, 'scores');
          fused.mul(upstream).sum().backward();
          reference.mul(upstream).sum().backward();
          for (const [i, name] of ['q', 'k', 'v'].entries()) assertClose(a[i]!.grad!, b[i]!.grad!, `d${name}`);
        } finally {
          setBackend(before);
        }
      });
    }

  for (const c of backendCases()) {
    test(`${c.name}: its kernels (where it has them) match the reference loops`, { skip: c.skip }, () => {
      const backend = useBackend(c);
      setBackend(before);
      if (!backend.additiveScores || !backend.additiveScoresBackward) {
        assert.notEqual(c.name, 'native', 'the native backend has the additive-scores kernels');
        return;
      }
      for (const [batch, steps, source, hidden] of [...SIZES, [64, 1, 12, 128]] as const) {
        const sizes = { batch, steps, source, hidden };
        const q = randomArray(batch * steps * hidden, 1, -3, 3);
        const k = randomArray(batch * source * hidden, 2, -3, 3);
        const v = randomArray(hidden, 3);
        const g = randomArray(batch * steps * source, 4);
        g[0] = 0; // a masked pair
        const run = (forward: typeof additiveScoresReference, backward: typeof additiveScoresBackwardReference) => {
          const scores = new Float32Array(batch * steps * source);
          forward({ ...sizes, q, k, v, scores });
          // Gradients are added: start from ones to check that nothing is overwritten.
          const grads = {
            dq: new Float32Array(q.length).fill(1),
            dk: new Float32Array(k.length).fill(1),
            dv: new Float32Array(hidden).fill(1),
          };
          backward({ ...sizes, g, q, k, v, ...grads });
          return { scores, ...grads };
        };
        const want = run(additiveScoresReference, additiveScoresBackwardReference);
        const got = run(
          (a) => backend.additiveScores!(a),
          (a) => backend.additiveScoresBackward!(a),
        );
        const label = `${c.name} (${batch}, ${steps}, ${source}, ${hidden})`;
        for (const key of ['scores', 'dq', 'dk', 'dv'] as const) assertAllClose(got[key], want[key], `${label} ${key}`);
      }
    });
  }

  test('gives no gradient through a position whose upstream gradient is 0 (masked padding)', () => {
    const q = randn([1, 1, 4], { generator: new Generator(1) }).requiresGrad_();
    const k = randn([1, 2, 4], { generator: new Generator(2) }).requiresGrad_();
    const v = randn([1, 4], { generator: new Generator(3) }).requiresGrad_();
    additiveScores(q, k, v)
      .mul(tensor([0.7, 0], [1, 1, 2]))
      .sum()
      .backward();
    assert.deepEqual([...k.grad!.data.slice(4)], [0, 0, 0, 0]);
    assert.ok(k.grad!.data.slice(0, 4).some((x) => x !== 0));
  });

  test('refuses mismatched shapes with a ShapeError naming the op', () => {
    const q = randn([2, 1, 4]);
    assert.throws(() => additiveScores(q, randn([3, 5, 4]), randn([1, 4])), {
      name: 'ShapeError',
      message: /additiveScores/,
    });
    assert.throws(() => additiveScores(q, randn([2, 5, 4]), randn([1, 3])), { name: 'ShapeError' });
  });
});

describe('tanhScalar', () => {
  test('equals Math.tanh rounded to float32, or is one float32 step off at rare values, on a dense sample', () => {
    const f = new Float32Array(1);
    const bits = new Uint32Array(f.buffer);
    const step = new Float32Array(1);
    const stepBits = new Uint32Array(step.buffer);
    let checked = 0;
    let offByOne = 0;
    // Every 997th float32 bit pattern from 0 up to +Infinity: all exponents, many mantissas.
    for (let u = 0; u <= 0x7f800000; u += 997) {
      bits[0] = u;
      for (const x of [f[0]!, -f[0]!]) {
        const expected = Math.fround(Math.tanh(x));
        const actual = Math.fround(tanhScalar(x));
        checked++;
        if (Object.is(actual, expected)) continue;
        step[0] = Math.abs(expected);
        stepBits[0]! += 1; // the next float32 above |expected|
        const ulp = step[0]! - Math.abs(expected);
        if (Math.abs(actual - expected) > ulp) assert.fail(`tanhScalar(${x}) = ${actual}, Math.tanh gives ${expected}`);
        offByOne++;
      }
    }
    assert.ok(checked > 4_000_000);
    assert.ok(offByOne <= 2, `${offByOne} values one step off`);
  });

  test('keeps NaN, the infinities and the sign of zero', () => {
    assert.ok(Number.isNaN(tanhScalar(NaN)));
    assert.equal(tanhScalar(Infinity), 1);
    assert.equal(tanhScalar(-Infinity), -1);
    assert.ok(Object.is(tanhScalar(-0), -0));
  });
});
