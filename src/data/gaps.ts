/**
 * Missing cells of a numeric column (a sensor that skipped a reading, a blank spreadsheet cell)
 * and how a forecast's covariate columns fill them.
 */

/** Spellings of "no value here" that spreadsheets, R and pandas write: blank, NA, N/A, NaN, null, None (any case). */
const MISSING = /^\s*(?:|na|n\/a|nan|null|none)\s*$/i;

/** Whether a cell holds no value (JSON null, or one of the spellings above). */
export function isMissingCell(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === 'string' && MISSING.test(v));
}

/**
 * The most missing cells a covariate column may have and still be filled (a share of its cells):
 * beyond this, interpolated values would be a large part of what the model learns from.
 */
export const MAX_FILLED_SHARE = 0.1;

/**
 * `values` `[steps]` with each NaN replaced by linear interpolation between the nearest known
 * values before and after it; a gap at either end takes the nearest known value. At least one
 * value must be known.
 */
export function fillGaps(values: readonly number[]): number[] {
  const out = [...values];
  let before = -1;
  for (let i = 0; i < out.length; i++) {
    if (Number.isNaN(out[i])) continue;
    for (let j = before + 1; j < i; j++) {
      out[j] = before < 0 ? out[i]! : out[before]! + ((out[i]! - out[before]!) * (j - before)) / (i - before);
    }
    before = i;
  }
  if (before < 0) throw new RangeError('fillGaps: no known value');
  for (let j = before + 1; j < out.length; j++) out[j] = out[before]!;
  return out;
}
