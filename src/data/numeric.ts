/**
 * Numeric feature sequences (sensor readings, weather, ...) for classify and tag, and the
 * standardisation of their features.
 *
 * Two file shapes (see data/FORMATS.md):
 *   JSONL, one sequence a line:  {"sequence": [[f1, f2, ...], ...], "label": "walk"}          (classify)
 *                                {"sequence": [[f1, f2, ...], ...], "tags": ["a", "b", ...]}  (tag: one per step)
 *   long CSV/TSV, one step a row: id,step,f1,f2,...,label   rows of one id form one sequence, in
 *                                 `step` order; classify: the label of its rows (they must agree);
 *                                 tag: the label (or `tag`) of each row is that step's tag.
 * Every sequence has at least one step and the same number of features (F) at every step.
 */
import { DataError, ValueError } from '../errors.js';
import type { DataRecord, DataTable } from './delimited.js';
import { isDecimal } from './sniff.js';

/** One numeric sequence: `sequence` is (steps, F); `label` (classify) or `tags` (tag, one per step). */
export interface NumericExample {
  sequence: number[][];
  label?: string;
  tags?: string[];
}

/** Numeric examples and the names of their F features. */
export interface NumericData {
  features: string[];
  examples: NumericExample[];
}

/** Whether a parsed table holds numeric sequences: a JSONL `sequence` key or long-format id/step columns. */
export function isNumericTable(table: DataTable): boolean {
  const lower = table.columns.map((c) => c.toLowerCase());
  return lower.includes('sequence') || (lower.includes('id') && lower.includes('step'));
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Reads numeric sequences from a table; `role` is `label` (classify) or `tags` (tag). */
export function numericExamples(table: DataTable, role: 'label' | 'tags', file: string): NumericData {
  return table.columns.some((c) => c.toLowerCase() === 'sequence')
    ? fromJsonl(table, role, file)
    : fromLong(table, role, file);
}

function fromJsonl(table: DataTable, role: 'label' | 'tags', file: string): NumericData {
  let width = -1;
  const examples = table.records.map((r) => {
    const raw = r.values['sequence'];
    if (!Array.isArray(raw) || raw.length === 0)
      throw new DataError(file, r.line, `'sequence' must be a non-empty array of steps (arrays of numbers)`);
    const sequence = raw.map((step, t) => {
      const row = Array.isArray(step) ? step : [step];
      if (row.length === 0 || !row.every(finite))
        throw new DataError(
          file,
          r.line,
          `'sequence'[${t}] must be a number or a non-empty array of finite numbers, got ${JSON.stringify(step)}`,
        );
      if (width < 0) width = row.length;
      if (row.length !== width)
        throw new DataError(
          file,
          r.line,
          `'sequence'[${t}] has ${row.length} features, expected ${width} (as the first step of the file)`,
        );
      return row as number[];
    });
    if (role === 'label') {
      const label = r.values['label'];
      if (typeof label !== 'string' && typeof label !== 'number' && typeof label !== 'boolean')
        throw new DataError(file, r.line, `'label' must be a string, got ${JSON.stringify(label)}`);
      if (String(label).trim() === '') throw new DataError(file, r.line, `'label' is empty`);
      return { sequence, label: String(label).trim() };
    }
    const tags = r.values['tags'];
    const list = typeof tags === 'string' ? tags.trim().split(/\s+/) : tags;
    if (!Array.isArray(list) || !list.every((t) => typeof t === 'string' && t !== ''))
      throw new DataError(file, r.line, `'tags' must be an array of strings (one per step) or space-separated tags`);
    if (list.length !== sequence.length)
      throw new DataError(
        file,
        r.line,
        `'sequence' has ${sequence.length} steps but 'tags' has ${list.length} tags; expected one tag per step`,
      );
    return { sequence, tags: list as string[] };
  });
  return { features: Array.from({ length: width }, (_, k) => `f${k + 1}`), examples };
}

function fromLong(table: DataTable, role: 'label' | 'tags', file: string): NumericData {
  const find = (name: string) => table.columns.find((c) => c.toLowerCase() === name);
  const id = find('id')!;
  const step = find('step')!;
  const labelColumn = role === 'label' ? find('label') : (find('tag') ?? find('tags') ?? find('label'));
  if (labelColumn === undefined)
    throw new DataError(
      file,
      1,
      `a long-format file (id, step, features...) needs a ${role === 'label' ? "'label'" : "'tag' (or 'label')"} column; it has ${table.columns.join(', ')}`,
    );
  const features = table.columns.filter((c) => c !== id && c !== step && c !== labelColumn);
  if (features.length === 0)
    throw new DataError(file, 1, `no feature columns besides '${id}', '${step}' and '${labelColumn}'`);
  const groups = new Map<string, { step: number; values: number[]; label: string; line: number }[]>();
  for (const r of table.records) {
    const key = String(r.values[id]).trim();
    const s = number(r, step, file);
    const values = features.map((f) => number(r, f, file));
    const label = String(r.values[labelColumn] ?? '').trim();
    if (label === '') throw new DataError(file, r.line, `'${labelColumn}' is empty`);
    (groups.get(key) ?? groups.set(key, []).get(key)!).push({ step: s, values, label, line: r.line });
  }
  const examples = [...groups.values()].map((rows) => {
    rows.sort((a, b) => a.step - b.step);
    for (let k = 1; k < rows.length; k++) {
      if (rows[k]!.step === rows[k - 1]!.step)
        throw new DataError(
          file,
          rows[k]!.line,
          `step ${rows[k]!.step} of this id appears twice (also on line ${rows[k - 1]!.line})`,
        );
    }
    const sequence = rows.map((r) => r.values);
    if (role === 'tags') return { sequence, tags: rows.map((r) => r.label) };
    const other = rows.find((r) => r.label !== rows[0]!.label);
    if (other)
      throw new DataError(
        file,
        other.line,
        `'${labelColumn}' is '${other.label}' but line ${rows[0]!.line} of the same id has '${rows[0]!.label}': a classify sequence has one label`,
      );
    return { sequence, label: rows[0]!.label };
  });
  return { features, examples };
}

function number(r: DataRecord, column: string, file: string): number {
  const v = r.values[column];
  if (finite(v)) return v;
  if (typeof v === 'string' && isDecimal(v)) return Number(v.trim());
  const decimalComma = typeof v === 'string' && /^\s*[+-]?\d*,\d+\s*$/.test(v);
  throw new DataError(
    file,
    r.line,
    `'${column}' is ${JSON.stringify(v)}, expected a finite number${decimalComma ? ' (write decimal points, not decimal commas)' : ''}`,
  );
}

/** Per-feature mean and standard deviation, fitted on training sequences; saved in the model directory. */
export interface FeatureStats {
  mean: number[];
  std: number[];
}

/** Mean and standard deviation of each of the F features over every step of `sequences` (std 1 where constant). */
export function featureStats(sequences: readonly (readonly (readonly number[])[])[]): FeatureStats {
  const width = sequences[0]?.[0]?.length ?? 0;
  const sum = new Array<number>(width).fill(0);
  const squares = new Array<number>(width).fill(0);
  let n = 0;
  for (const s of sequences) {
    for (const step of s) {
      for (let f = 0; f < width; f++) sum[f]! += step[f]!;
      n++;
    }
  }
  const mean = sum.map((v) => (n === 0 ? 0 : v / n));
  for (const s of sequences)
    for (const step of s) for (let f = 0; f < width; f++) squares[f]! += (step[f]! - mean[f]!) ** 2;
  const std = squares.map((v) => Math.sqrt(n === 0 ? 0 : v / n) || 1);
  return { mean, std };
}

/** `(x - mean) / std` for every step; throws when a step has the wrong number of features. */
export function standardize(sequence: readonly (readonly number[])[], stats: FeatureStats): number[][] {
  return sequence.map((step, t) => {
    if (step.length !== stats.mean.length)
      throw new ValueError('standardize', `step ${t} has ${step.length} features, expected ${stats.mean.length}`);
    return step.map((v, f) => (v - stats.mean[f]!) / stats.std[f]!);
  });
}

/** Checks saved statistics (from config.json). */
export function isFeatureStats(value: unknown): value is FeatureStats {
  const v = value as FeatureStats;
  return (
    v !== null &&
    typeof v === 'object' &&
    Array.isArray(v.mean) &&
    Array.isArray(v.std) &&
    v.mean.length === v.std.length &&
    v.mean.length > 0 &&
    v.mean.every(finite) &&
    v.std.every((s) => finite(s) && s > 0)
  );
}
