/** Counting fuzz outcomes: a parse either succeeds or fails with one of our typed errors. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RecurrentError } from '../../src/index.js';

export interface Outcomes {
  runs: number;
  accepted: number;
  typedErrors: Record<string, number>;
}

/** Runs `fn`; returns normally for success or a typed error, rethrows anything else. */
export function classify(outcomes: Outcomes, fn: () => unknown): void {
  outcomes.runs++;
  try {
    fn();
    outcomes.accepted++;
  } catch (error) {
    if (!(error instanceof RecurrentError)) throw error;
    outcomes.typedErrors[error.name] = (outcomes.typedErrors[error.name] ?? 0) + 1;
  }
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
