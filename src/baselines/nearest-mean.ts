/**
 * Nearest class mean: the baseline for numeric sequences. A sequence (steps, F) is summarised by
 * the mean and the standard deviation of each feature over its steps (2F numbers); its class is
 * the one whose average summary is nearest in Euclidean distance. For tagging, each step is
 * summarised by its own F features.
 */
function summary(sequence: readonly (readonly number[])[]): number[] {
  const width = sequence[0]?.length ?? 0;
  const mean = new Array<number>(width).fill(0);
  const sq = new Array<number>(width).fill(0);
  for (const step of sequence) step.forEach((v, f) => (mean[f]! += v / sequence.length));
  for (const step of sequence) step.forEach((v, f) => (sq[f]! += (v - mean[f]!) ** 2 / sequence.length));
  return [...mean, ...sq.map(Math.sqrt)];
}

/** Trains on (vector, label) pairs; `vectors` are summaries or steps. */
function nearestMean(points: readonly { x: readonly number[]; label: string }[]): (x: readonly number[]) => string {
  const sums = new Map<string, { sum: number[]; n: number }>();
  for (const p of points) {
    const s =
      sums.get(p.label) ?? sums.set(p.label, { sum: new Array<number>(p.x.length).fill(0), n: 0 }).get(p.label)!;
    p.x.forEach((v, k) => (s.sum[k]! += v));
    s.n++;
  }
  const means = [...sums].map(([label, s]) => ({ label, mean: s.sum.map((v) => v / s.n) }));
  return (x) => {
    let best = '';
    let distance = Infinity;
    for (const { label, mean } of means) {
      const d = mean.reduce((acc, m, k) => acc + (m - x[k]!) ** 2, 0);
      if (d < distance) [best, distance] = [label, d];
    }
    return best;
  };
}

/** Classify: sequences → label; tag (`perStep`): each step's features → its tag. */
export function trainNearestMean(
  examples: readonly { sequence: readonly (readonly number[])[]; label?: string; tags?: readonly string[] }[],
  perStep = false,
): (sequence: readonly (readonly number[])[]) => string[] {
  if (!perStep) {
    const predict = nearestMean(examples.map((e) => ({ x: summary(e.sequence), label: e.label! })));
    return (sequence) => [predict(summary(sequence))];
  }
  const predict = nearestMean(examples.flatMap((e) => e.sequence.map((step, t) => ({ x: step, label: e.tags![t]! }))));
  return (sequence) => sequence.map((step) => predict(step));
}
