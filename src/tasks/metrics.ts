/** Evaluation helpers: edit distance, accuracy, mean absolute error. */
import { editDistance } from '../baselines/nearest-neighbour.js';

export { editDistance } from '../baselines/nearest-neighbour.js';

/** Sum of edit distances over sum of reference lengths (e.g. the phoneme error rate). */
export function tokenErrorRate<T>(
  predictions: readonly (readonly T[])[],
  references: readonly (readonly T[])[],
): number {
  let errors = 0;
  let total = 0;
  predictions.forEach((p, i) => {
    errors += editDistance(p, references[i]!);
    total += references[i]!.length;
  });
  return total === 0 ? 0 : errors / total;
}

export function meanAbsoluteError(predicted: readonly number[], actual: readonly number[]): number {
  let sum = 0;
  predicted.forEach((p, i) => (sum += Math.abs(p - actual[i]!)));
  return sum / predicted.length;
}

/** Most frequent item (ties: the first seen). */
export function mostFrequent<T>(items: Iterable<T>): T | undefined {
  const counts = new Map<T, number>();
  let best: T | undefined;
  let bestCount = 0;
  for (const item of items) {
    const n = (counts.get(item) ?? 0) + 1;
    counts.set(item, n);
    if (n > bestCount) {
      best = item;
      bestCount = n;
    }
  }
  return best;
}
