/** Evaluation helpers: edit distance, accuracy, mean absolute error. */

/** Levenshtein distance between two token sequences. */
export function editDistance<T>(a: readonly T[], b: readonly T[]): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

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
