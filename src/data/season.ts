/**
 * The season a series' dates suggest, for forecasting when `--season` is not given:
 *
 *   hourly dates     24   (a day)
 *   daily            7    (a week)
 *   weekly           52   (a year)
 *   monthly          12   (a year)
 *   quarterly        4    (a year)
 *
 * The step is the median gap between consecutive dates that parse (ISO dates such as
 * `2024-03-01`, `2024-03`, `2024-03-01T10:00`); undefined when fewer than 3 parse or the step
 * fits none of the above (then the task keeps its default).
 */

const DAY_MS = 86_400_000;
/** Only ISO-style dates are read (`12/03` could be either order; a bare `7` is a step number). */
const ISO_DATE = /^\d{4}-\d{1,2}(?:-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?)?$/;

/** [median step in days: lowest, highest, season, what the dates are] */
const STEPS: readonly [number, number, number, string][] = [
  [0.9 / 24, 1.1 / 24, 24, 'hourly'],
  [0.9, 1.1, 7, 'daily'],
  [6.5, 7.5, 52, 'weekly'],
  [27, 32, 12, 'monthly'],
  [88, 93, 4, 'quarterly'],
];

/** `{ season, unit }` from `dates` (strings), or undefined. */
export function seasonFromDates(dates: readonly string[]): { season: number; unit: string } | undefined {
  const times = dates.slice(0, 200).map((d) => (ISO_DATE.test(d.trim()) ? Date.parse(d.trim()) : Number.NaN));
  const gaps: number[] = [];
  for (let i = 1; i < times.length; i++) {
    const a = times[i - 1]!;
    const b = times[i]!;
    if (Number.isFinite(a) && Number.isFinite(b) && b > a) gaps.push((b - a) / DAY_MS);
  }
  if (gaps.length < 2) return undefined;
  gaps.sort((x, y) => x - y);
  const step = gaps[Math.floor(gaps.length / 2)]!;
  const match = STEPS.find(([lo, hi]) => step >= lo && step <= hi);
  return match && { season: match[2], unit: match[3] };
}
