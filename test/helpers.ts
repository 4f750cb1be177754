/** Shared test helpers: fixtures and tolerant comparisons. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Tensor, tensor } from '../src/index.js';

/** Tolerances of the project: |a - e| <= atol + rtol * |e|. */
export const ATOL = 1e-5;
export const RTOL = 1e-4;

/** Path of a file in test/fixtures (tests run from build/test). */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url));
}

export function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(fixturePath(name), 'utf8')) as T;
}

export interface ArrayFixture {
  shape: number[];
  data: number[];
}

export const fromFixture = (f: ArrayFixture, requiresGrad = false): Tensor => tensor(f.data, f.shape, { requiresGrad });

/** Asserts same shape and every element within tolerance; the message names the worst element. */
export function assertClose(
  actual: Tensor | Float32Array | readonly number[],
  expected: ArrayFixture | Tensor | readonly number[],
  label: string,
  atol = ATOL,
  rtol = RTOL,
): void {
  const a = actual instanceof Tensor ? actual.data : actual;
  const e =
    expected instanceof Tensor ? expected.data : Array.isArray(expected) ? expected : (expected as ArrayFixture).data;
  const eShape =
    expected instanceof Tensor ? expected.shape : Array.isArray(expected) ? null : (expected as ArrayFixture).shape;
  if (actual instanceof Tensor && eShape) assert.deepEqual([...actual.shape], [...eShape], `${label}: shape`);
  assert.equal(a.length, e.length, `${label}: element count`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < a.length; i++) {
    const diff = Math.abs(a[i]! - e[i]!);
    const excess = diff - (atol + rtol * Math.abs(e[i]!));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0)
    assert.fail(
      `${label}: element ${worst} is ${a[worst]}, expected ${e[worst]} (tolerance ${atol} + ${rtol}·|expected|)`,
    );
}

/** Central finite-difference gradient of a scalar function of `x`, in float64 steps. */
export function numericGradient(f: () => number, x: Tensor, eps = 1e-2): Float64Array {
  const grad = new Float64Array(x.size);
  for (let i = 0; i < x.size; i++) {
    const saved = x.data[i]!;
    x.data[i] = saved + eps;
    const plus = f();
    x.data[i] = saved - eps;
    const minus = f();
    x.data[i] = saved;
    grad[i] = (plus - minus) / (2 * eps);
  }
  return grad;
}
