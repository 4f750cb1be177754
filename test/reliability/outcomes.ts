/** Fuzzing helpers: the kinds of faulty input, and counting outcomes (success, or one of our typed errors of the expected class). */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RecurrentError } from '../../src/index.js';

export interface Outcomes {
  runs: number;
  accepted: number;
  typedErrors: Record<string, number>;
}

/**
 * Runs `fn`; returns normally for success or one of the `allowed` typed errors (class names),
 * rethrows anything else: an untyped exception, or a typed error of the wrong kind. On success
 * `check` is called with the result (a round trip).
 */
export function classify(
  outcomes: Outcomes,
  fn: () => unknown,
  allowed: readonly string[],
  check?: (parsed: unknown) => void,
): void {
  outcomes.runs++;
  let parsed: unknown;
  try {
    parsed = fn();
  } catch (error) {
    if (!(error instanceof RecurrentError)) throw error;
    if (!allowed.includes(error.name))
      throw new Error(`expected ${allowed.join(' or ')}, got ${error.name}: ${error.message}`);
    outcomes.typedErrors[error.name] = (outcomes.typedErrors[error.name] ?? 0) + 1;
    return;
  }
  outcomes.accepted++;
  check?.(parsed);
}

/** The kinds of fault `fuzz` generates. */
export type FaultKind = 'random bytes' | 'truncations' | 'bit flips' | 'forged headers';

export interface FuzzExpectations {
  /**
   * The typed errors (class names) each kind of fault may raise; `other` for the kinds not
   * named. Any other error fails the run.
   */
  errors: Partial<Record<FaultKind, readonly string[]>> & { other: readonly string[] };
  /** Called with every successful parse: assert that it round-trips. */
  roundTrip?: (parsed: unknown) => void;
}

export const newOutcomes = (): Outcomes => ({ runs: 0, accepted: 0, typedErrors: {} });

const summaryPath = fileURLToPath(new URL('../../reliability-summary.json', import.meta.url));

/** Adds a row to build/reliability-summary.json (the figures behind RELIABILITY.md). */
export function record(suite: string, kind: string, data: unknown): void {
  let summary: Record<string, Record<string, unknown>> = {};
  try {
    summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as typeof summary;
  } catch {
    // first row
  }
  (summary[suite] ??= {})[kind] = data;
  mkdirSync(dirname(summaryPath), { recursive: true });
  writeFileSync(summaryPath, `${JSON.stringify(summary, null, 2)}\n`);
}

/** Inputs per parser and kind of fault (`RELIABILITY_RUNS` overrides). */
export const RUNS = Number(process.env['RELIABILITY_RUNS'] ?? 10000);

/** Bit flips of a valid file: up to 8 random bits. */
const flips = (length: number) =>
  fc.array(fc.tuple(fc.nat(Math.max(0, length - 1)), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 });
const flip = (bytes: Uint8Array, changes: [number, number][]) => {
  const copy = Uint8Array.from(bytes);
  for (const [at, bit] of changes) copy[at]! ^= 1 << bit;
  return copy;
};

/**
 * Runs `parse` on RUNS inputs of each kind: random bytes, truncations and bit flips of `valid`,
 * and the `forged` ones; fails on any outcome other than success (which must round-trip) or a
 * typed error of a class `expect` allows for that kind, and records the counts under `suite`.
 */
export function fuzz(
  suite: string,
  valid: Uint8Array,
  parse: (bytes: Uint8Array) => unknown,
  forged: fc.Arbitrary<Uint8Array>,
  seed: number,
  expect: FuzzExpectations,
): void {
  const kinds: [FaultKind, fc.Arbitrary<Uint8Array>][] = [
    ['random bytes', fc.uint8Array({ maxLength: 4096 })],
    ['truncations', fc.nat(valid.length).map((n) => valid.subarray(0, n))],
    ['bit flips', flips(valid.length).map((c) => flip(valid, c))],
    ['forged headers', forged],
  ];
  for (const [kind, arbitrary] of kinds) {
    const outcomes = newOutcomes();
    const allowed = expect.errors[kind] ?? expect.errors.other;
    fc.assert(
      fc.property(arbitrary, (bytes) => classify(outcomes, () => parse(bytes), allowed, expect.roundTrip)),
      { numRuns: RUNS, seed },
    );
    assert.equal(outcomes.runs, RUNS);
    record(suite, kind, outcomes);
  }
}
