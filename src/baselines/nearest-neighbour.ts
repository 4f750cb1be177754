/**
 * Nearest neighbour by edit distance: the classical baseline of sequence-to-sequence (seq2seq).
 *
 * A source's output is the target of the training source nearest to it in Levenshtein distance
 * over tokens. Candidates come from an index of token trigrams (with boundaries): the
 * `candidates` training sources sharing the most trigrams are compared exactly.
 */
/** Levenshtein distance between token sequences (unit costs); also the metrics' edit distance. */
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

function trigrams(tokens: readonly string[]): Set<string> {
  const t = ['^', ...tokens, '$'];
  const out = new Set<string>();
  for (let i = 0; i + 3 <= t.length; i++) out.add(t.slice(i, i + 3).join('\u0000'));
  if (t.length < 3) out.add(t.join('\u0000'));
  return out;
}

/** Indexes (source, target) token pairs; returns a predictor of the nearest source's target. */
export function trainNearestNeighbour(
  examples: readonly { source: readonly string[]; target: readonly string[] }[],
  candidates = 30,
): (source: readonly string[]) => string[] {
  const index = new Map<string, number[]>();
  examples.forEach((e, k) => {
    for (const g of trigrams(e.source)) (index.get(g) ?? index.set(g, []).get(g)!).push(k);
  });
  return (source) => {
    const shared = new Map<number, number>();
    for (const g of trigrams(source)) for (const k of index.get(g) ?? []) shared.set(k, (shared.get(k) ?? 0) + 1);
    let pool = [...shared]
      .sort((a, b) => b[1] - a[1])
      .slice(0, candidates)
      .map(([k]) => k);
    if (pool.length === 0) pool = examples.length > 0 ? [0] : [];
    let best = -1;
    let distance = Infinity;
    for (const k of pool) {
      const d = editDistance(source, examples[k]!.source);
      if (d < distance) [best, distance] = [k, d];
    }
    return best < 0 ? [] : [...examples[best]!.target];
  };
}
