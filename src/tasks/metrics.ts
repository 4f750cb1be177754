/** Evaluation helpers: edit distance, accuracy, mean absolute error. */
import { editDistance } from '../baselines/nearest-neighbour.js';
import { ValueError } from '../errors.js';

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

/** Errors of hypotheses scored against several references each (e.g. every pronunciation of a word). */
export interface MultiReferenceErrors {
  /** Share of items whose hypothesis equals none of their references (the word error rate, WER). */
  sequenceErrorRate: number;
  /**
   * Σᵢ minᵣ d(hᵢ, r) ÷ Σᵢ |rᵢ*|, where d is the edit distance, r ranges over item i's references
   * and rᵢ* is the reference nearest to hᵢ (the first of them on a tie): the phoneme error rate
   * (PER) against the closest pronunciation.
   */
  tokenErrorRate: number;
}

/**
 * Scores `predictions[i]` against every sequence of `references[i]` (each item needs at least
 * one): an item is right if it equals any reference; its token errors are counted against the
 * nearest reference (see MultiReferenceErrors). With one reference an item, these are the
 * single-reference sequence error rate and tokenErrorRate.
 */
export function multiReferenceErrors<T>(
  predictions: readonly (readonly T[])[],
  references: readonly (readonly (readonly T[])[])[],
): MultiReferenceErrors {
  let wrong = 0;
  let errors = 0;
  let total = 0;
  predictions.forEach((p, i) => {
    if (references[i] === undefined || references[i]!.length === 0)
      throw new ValueError('multiReferenceErrors', `item ${i} has no reference to score against`);
    let best = Number.POSITIVE_INFINITY;
    let length = 0;
    for (const r of references[i]!) {
      const d = editDistance(p, r);
      if (d < best) {
        best = d;
        length = r.length;
      }
    }
    if (best > 0) wrong++;
    errors += best;
    total += length;
  });
  return {
    sequenceErrorRate: predictions.length === 0 ? 0 : wrong / predictions.length,
    tokenErrorRate: total === 0 ? 0 : errors / total,
  };
}
