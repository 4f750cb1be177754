/**
 * A user's own data for each task, from CSV, TSV or JSONL (see data/FORMATS.md).
 *
 *   task      columns / keys              one example
 *   classify  text, label                 { text, label }
 *   tag       input, tags                 { input, tags }   tags: one per character of input
 *   seq2seq   source, target              { source, target } target: tokens
 *   forecast  value (and optional date)   the whole file is one series { dates, values }
 *
 * In CSV/TSV, `tags` and `target` hold tokens separated by spaces; in JSONL they may also be
 * arrays of strings. Other columns are ignored. The format comes from the extension (.csv,
 * .tsv/.tab, .jsonl/.ndjson) unless given. Every problem is a DataError naming the file and the
 * 1-based line: a malformed line (wrong field count, unterminated quote, bad JSON), a missing
 * column, an empty file, an empty field, a non-numeric value, a tags/characters length mismatch.
 */
import { readFileSync } from 'node:fs';
import { DataError } from '../errors.js';
import { type DataFormat, type DataRecord, formatOf, parseTable } from './delimited.js';
import type { TimeSeries } from './split.js';

/** The four kinds of task, one per architecture of the training CLI. */
export type TaskKind = 'classify' | 'tag' | 'seq2seq' | 'forecast';

/** Many-to-one: a text and its class. */
export interface ClassifyExample {
  text: string;
  label: string;
}

/** Many-to-many, same length: `tags[i]` belongs to character `i` of `input` (code points). */
export interface TagExample {
  input: string;
  tags: string[];
}

/** Sequence to sequence: a source string and the target tokens. */
export interface Seq2SeqExample {
  source: string;
  target: string[];
}

export type { TimeSeries };

/** What each task's file gives. */
export interface UserData {
  classify: ClassifyExample[];
  tag: TagExample[];
  seq2seq: Seq2SeqExample[];
  forecast: TimeSeries;
}

export interface UserDataOptions {
  /** The format; by default from the file's extension. */
  format?: DataFormat;
}

export interface ParseUserDataOptions extends UserDataOptions {
  /** The name used in error messages (and to infer the format). Default `'<input>'`. */
  file?: string;
}

/** The columns each task requires (forecast also reads an optional `date`). */
export const TASK_COLUMNS: Readonly<Record<TaskKind, readonly string[]>> = Object.freeze({
  classify: ['text', 'label'],
  tag: ['input', 'tags'],
  seq2seq: ['source', 'target'],
  forecast: ['value'],
});

/** Reads and checks a user's data file for a task. */
export function loadUserData<K extends TaskKind>(file: string, task: K, options: UserDataOptions = {}): UserData[K] {
  const format = formatOf(file, options.format);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataError(file, null, `cannot read the file: ${(e as Error).message}`);
  }
  return parseUserData(text, task, { format, file });
}

/** Parses the text of a data file for a task (what {@link loadUserData} does after reading). */
export function parseUserData<K extends TaskKind>(text: string, task: K, options: ParseUserDataOptions = {}): UserData[K] {
  const file = options.file ?? '<input>';
  const format = options.format ?? formatOf(file);
  const parse = PARSERS[task] as (text: string, format: DataFormat, file: string) => UserData[K];
  if (!parse) throw new DataError(file, null, `unknown task '${String(task)}', expected ${Object.keys(PARSERS).join(', ')}`);
  return parse(text, format, file);
}

const PARSERS: { [K in TaskKind]: (text: string, format: DataFormat, file: string) => UserData[K] } = {
  classify(text, format, file) {
    return parseTable(text, format, file, TASK_COLUMNS.classify).records.map((r) => ({
      text: nonEmpty(r, 'text', stringField(r, 'text', file), file),
      label: nonEmpty(r, 'label', scalarField(r, 'label', file).trim(), file),
    }));
  },
  tag(text, format, file) {
    return parseTable(text, format, file, TASK_COLUMNS.tag).records.map((r) => {
      const input = nonEmpty(r, 'input', stringField(r, 'input', file), file);
      const tags = tokensField(r, 'tags', file);
      const chars = Array.from(input).length;
      if (tags.length !== chars) {
        throw new DataError(file, r.line, `'input' has ${chars} character${chars === 1 ? '' : 's'} but 'tags' has ${tags.length} tag${tags.length === 1 ? '' : 's'}; expected one tag per character`);
      }
      return { input, tags };
    });
  },
  seq2seq(text, format, file) {
    return parseTable(text, format, file, TASK_COLUMNS.seq2seq).records.map((r) => ({
      source: nonEmpty(r, 'source', stringField(r, 'source', file), file),
      target: tokensField(r, 'target', file),
    }));
  },
  forecast(text, format, file) {
    const table = parseTable(text, format, file, TASK_COLUMNS.forecast);
    const hasDates = table.columns.includes('date');
    const dates: string[] = [];
    const values = table.records.map((r) => {
      if (hasDates) {
        if (!('date' in r.values)) throw new DataError(file, r.line, `missing key 'date' (other lines have one)`);
        dates.push(nonEmpty(r, 'date', scalarField(r, 'date', file).trim(), file));
      }
      return numberField(r, 'value', file);
    });
    return { dates: hasDates ? dates : null, values };
  },
};

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

function stringField(r: DataRecord, column: string, file: string): string {
  const v = r.values[column];
  if (typeof v !== 'string') throw new DataError(file, r.line, `'${column}' must be a string, got ${describe(v)}`);
  return v;
}

/** A string, or a number/boolean written as a string (JSONL labels such as 1 or true). */
function scalarField(r: DataRecord, column: string, file: string): string {
  const v = r.values[column];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new DataError(file, r.line, `'${column}' must be a string, got ${describe(v)}`);
}

function nonEmpty(r: DataRecord, column: string, value: string, file: string): string {
  if (value.trim() === '') throw new DataError(file, r.line, `'${column}' is empty`);
  return value;
}

/** Tokens: a string split on whitespace, or (JSONL) an array of non-empty strings. */
function tokensField(r: DataRecord, column: string, file: string): string[] {
  const v = r.values[column];
  let tokens: string[];
  if (typeof v === 'string') {
    tokens = v.trim() === '' ? [] : v.trim().split(/\s+/);
  } else if (Array.isArray(v)) {
    tokens = v.map((t, k) => {
      if (typeof t !== 'string' || t.trim() === '' || /\s/.test(t)) {
        throw new DataError(file, r.line, `'${column}'[${k}] must be a non-empty string without spaces, got ${typeof t === 'string' ? JSON.stringify(t) : describe(t)}`);
      }
      return t;
    });
  } else {
    throw new DataError(file, r.line, `'${column}' must be a string of space-separated tokens or an array of strings, got ${describe(v)}`);
  }
  if (tokens.length === 0) throw new DataError(file, r.line, `'${column}' is empty`);
  return tokens;
}

/** A decimal number such as `315.7`, `-2`, `.5` or `1e-3` (no hex, no `NaN`/`Infinity`). */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function numberField(r: DataRecord, column: string, file: string): number {
  const v = r.values[column];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && DECIMAL.test(v.trim())) {
    const x = Number(v.trim());
    if (Number.isFinite(x)) return x;
  }
  throw new DataError(file, r.line, `'${column}' is ${typeof v === 'string' ? JSON.stringify(v) : describe(v)}, expected a finite number`);
}
