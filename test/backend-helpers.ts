/**
 * Shared by the backend-*.test.ts suites: which backends can run here, and tolerant comparisons.
 *
 * A backend that cannot run is skipped with its reason, unless RECURRENT_REQUIRE_BACKENDS names
 * it (e.g. `RECURRENT_REQUIRE_BACKENDS=native,wasm` on CI, where g++ exists): then its tests fail.
 */
import assert from 'node:assert/strict';
import '../src/backend/native/index.js';
import '../src/backend/reference/index.js';
import '../src/backend/wasm/index.js';
import type { TestContext } from 'node:test';
import {
  type Backend,
  type BackendName,
  backendStatus,
  type PackedMatrix,
  type RecurrentStepsArgs,
  setBackend,
} from '../src/backend/backend.js';
import type { WasmBackend } from '../src/backend/wasm/index.js';

export const ATOL = 1e-5;
export const RTOL = 1e-4;

export interface BackendCase {
  name: BackendName;
  /** Undefined when available; else the reason, shown as the skip message. */
  skip: string | undefined;
  /** Required here but unavailable: the test must fail with this message. */
  missing: string | undefined;
}

const required = new Set(
  (process.env['RECURRENT_REQUIRE_BACKENDS'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

/** Every backend with its availability. */
export function backendCases(): BackendCase[] {
  return backendStatus().map(({ name, available, reason }) => {
    if (available) return { name, skip: undefined, missing: undefined };
    if (required.has(name))
      return {
        name,
        skip: undefined,
        missing: `backend '${name}' is required (RECURRENT_REQUIRE_BACKENDS) but cannot run: ${reason}`,
      };
    return { name, skip: `backend '${name}' is not available here: ${reason}`, missing: undefined };
  });
}

/** Makes `name` the active backend (failing if it is required but missing) and returns it. */
export function useBackend(c: BackendCase): Backend {
  if (c.missing) assert.fail(c.missing);
  return setBackend(c.name);
}

/** Deterministic pseudo-random floats in [lo, hi). */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = lo + ((s >>> 8) / (1 << 24)) * (hi - lo);
  }
  return out;
}

/** |actual - expected| <= atol + rtol * |expected| for every element; the message names the worst. */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  label: string,
  atol = ATOL,
  rtol = RTOL,
): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i]!;
    const excess = Math.abs(actual[i]! - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    assert.fail(
      `${label}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (tolerance ${atol} + ${rtol}·|expected|)`,
    );
  }
}

/**
 * Starts the wasm backend's helper threads and returns the thread count. Where it has none
 * (one CPU, RECURRENT_WASM_THREADS=1, no shared memory) the test is skipped, unless the wasm
 * backend is required (CI, two or more CPUs): then missing threads fail the test.
 */
export function requireWasmThreads(backend: WasmBackend, t: TestContext): number {
  const threads = backend.startThreads();
  if (threads >= 2) return threads;
  const why =
    backend.helperCount === 0
      ? 'the wasm backend has no helper threads here (one CPU, RECURRENT_WASM_THREADS=1 or no shared memory)'
      : `its ${backend.helperCount} helper thread(s) did not start`;
  if (required.has('wasm') && (backend.helperCount > 0 || process.env['RECURRENT_WASM_THREADS'] === undefined))
    assert.fail(why);
  t.skip(why);
  return threads;
}

/**
 * recurrentSteps arguments for `T` steps from time 0, all arrays zeros: gx `(T, B, G·H)`, h, c
 * `(B, H)` (c and cNew for the LSTM, G = 4, only), output `(T, B, H)`, gh `(B, G·H)`; `over`
 * replaces any of them (for tests of what the kernel refuses).
 */
export function zeroStepsArgs(
  dims: { B: number; H: number; T: number; G: number },
  packedHh: PackedMatrix,
  over: Partial<RecurrentStepsArgs> = {},
): RecurrentStepsArgs {
  const { B, H, T, G } = dims;
  const lstm = G === 4;
  return {
    rows: B,
    hidden: H,
    tStart: 0,
    count: T,
    reverse: false,
    blockFirst: 0,
    gx: new Float32Array(T * B * G * H),
    packedHh,
    bHh: null,
    h: new Float32Array(B * H),
    c: lstm ? new Float32Array(B * H) : null,
    output: new Float32Array(T * B * H),
    lengths: null,
    gh: new Float32Array(B * G * H),
    hRaw: new Float32Array(B * H),
    cNew: lstm ? new Float32Array(B * H) : null,
    ...over,
  };
}
