/**
 * Most frequent tag per token in context: the classical baseline of tagging (tag).
 *
 * For token i of an input, the tag most often seen in training for the same (previous, current,
 * next) tokens; backing off to (previous, current), then (current), then the most frequent tag
 * overall. Boundaries are `^` and `$`.
 */
function mostFrequent(counts: Map<string, number>): string {
  let best = '';
  let n = -1;
  for (const [tag, c] of counts) if (c > n) [best, n] = [tag, c];
  return best;
}

/** Trains on (tokens, tags) pairs of equal length; returns a predictor of one tag per token. */
export function trainContextTagger(
  examples: readonly { tokens: readonly string[]; tags: readonly string[] }[],
): (tokens: readonly string[]) => string[] {
  const tables = [
    new Map<string, Map<string, number>>(),
    new Map<string, Map<string, number>>(),
    new Map<string, Map<string, number>>(),
  ];
  const overall = new Map<string, number>();
  const keys = (t: readonly string[], i: number) => [
    `${t[i - 1] ?? '^'}\u0000${t[i]}\u0000${t[i + 1] ?? '$'}`,
    `${t[i - 1] ?? '^'}\u0000${t[i]}`,
    t[i]!,
  ];
  for (const e of examples) {
    e.tokens.forEach((_, i) => {
      const tag = e.tags[i]!;
      keys(e.tokens, i).forEach((k, level) => {
        const m = tables[level]!.get(k) ?? tables[level]!.set(k, new Map()).get(k)!;
        m.set(tag, (m.get(tag) ?? 0) + 1);
      });
      overall.set(tag, (overall.get(tag) ?? 0) + 1);
    });
  }
  const fallback = mostFrequent(overall);
  const decided = tables.map((t) => new Map([...t].map(([k, m]) => [k, mostFrequent(m)])));
  return (tokens) =>
    tokens.map((_, i) => {
      for (const [level, k] of keys(tokens, i).entries()) {
        const tag = decided[level]!.get(k);
        if (tag !== undefined) return tag;
      }
      return fallback;
    });
}
