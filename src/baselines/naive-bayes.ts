/**
 * Character n-gram naive Bayes: the classical baseline of text classification (classify).
 *
 * Each text is padded with boundary marks (`^text$`) and counted as its character n-grams for
 * n = 1..maxN. P(class | text) ∝ P(class) · Π P(gram | class), with add-`alpha` (Laplace)
 * smoothing over the grams seen in training. Works for words and sentences alike.
 */
export interface NaiveBayesOptions {
  /** Longest n-gram (default 4). */
  maxN?: number;
  /** Additive smoothing (default 0.5). */
  alpha?: number;
}

function grams(text: string, maxN: number): string[] {
  const chars = ['^', ...Array.from(text.toLowerCase()), '$'];
  const out: string[] = [];
  for (let n = 1; n <= maxN; n++) for (let i = 0; i + n <= chars.length; i++) out.push(chars.slice(i, i + n).join(''));
  return out;
}

/** Trains on (text, label) pairs; returns a predictor of the most probable label. */
export function trainNaiveBayes(
  examples: readonly { text: string; label: string }[],
  options: NaiveBayesOptions = {},
): (text: string) => string {
  const maxN = options.maxN ?? 4;
  const alpha = options.alpha ?? 0.5;
  const classes = new Map<string, { docs: number; total: number; counts: Map<string, number> }>();
  const vocabulary = new Set<string>();
  for (const e of examples) {
    const c = classes.get(e.label) ?? classes.set(e.label, { docs: 0, total: 0, counts: new Map() }).get(e.label)!;
    c.docs++;
    for (const g of grams(e.text, maxN)) {
      c.counts.set(g, (c.counts.get(g) ?? 0) + 1);
      c.total++;
      vocabulary.add(g);
    }
  }
  const v = vocabulary.size;
  const n = examples.length;
  return (text) => {
    const gs = grams(text, maxN).filter((g) => vocabulary.has(g));
    let best = '';
    let bestScore = -Infinity;
    for (const [label, c] of classes) {
      let score = Math.log(c.docs / n);
      const denominator = Math.log(c.total + alpha * v);
      for (const g of gs) score += Math.log((c.counts.get(g) ?? 0) + alpha) - denominator;
      if (score > bestScore) {
        bestScore = score;
        best = label;
      }
    }
    return best;
  };
}
