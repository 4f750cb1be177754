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
import {
  type DataFormat,
  type DataRecord,
  type DataTable,
  formatOf,
  knownExtension,
  extensionOf,
  parseTable,
  type TableOptions,
} from './delimited.js';
import { fillGaps, isMissingCell, MAX_FILLED_SHARE } from './gaps.js';
import { isNumericTable, numericExamples, type NumericData } from './numeric.js';
import {
  type Delimiter,
  delimiterName,
  firstLines,
  isDecimal,
  SNIFFED_DELIMITERS,
  type SniffedFormat,
  sniffFormat,
} from './sniff.js';
import type { TimeSeries } from './split.js';
import { chooseTokens, type TokenMode, type Tokens, tokenize } from './tokens.js';

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
  /** The format; by default from the file's extension, or sniffed from the content when the extension does not say. */
  format?: DataFormat;
  /** Whether a CSV/TSV file has a header row; detected when undefined. */
  header?: boolean;
  /** The file's columns for the task's columns (TASK_COLUMNS order): header names or 1-based positions. */
  columns?: readonly string[];
  /** Tokenisation of the text columns: classify `text` and tag `input` (input), seq2seq `source` and `target`. Default auto. */
  tokens?: { input?: TokenMode; source?: TokenMode; target?: TokenMode };
  /** Forecast: the column to forecast (default `value`, or the only numeric column). */
  target?: string;
  /** Receives one-line notices (columns taken by position, token choices). */
  onNotice?: (message: string) => void;
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

/** How the text columns were tokenised (saved in the model directory so that predict does the same). */
export interface ResolvedTokens {
  input?: Tokens;
  source?: Tokens;
  target?: Tokens;
}

/** A user's file for a task, read: text examples or numeric sequences, and the decisions taken. */
export interface OwnData<K extends TaskKind> {
  /** Text examples (classify, tag, seq2seq), or the series (forecast); for numeric files, empty. */
  examples: UserData[K];
  /** classify/tag: numeric feature sequences, when the file holds them (then `examples` is empty). */
  numeric: NumericData | null;
  tokens: ResolvedTokens;
  notices: string[];
}

/** Reads and checks a user's data file for a task. */
export function loadUserData<K extends TaskKind>(file: string, task: K, options: UserDataOptions = {}): UserData[K] {
  return readOwnData(file, task, options).examples;
}

/** Reads a user's file for a task with everything that was decided on the way (see OwnData). */
export function readOwnData<K extends TaskKind>(file: string, task: K, options: UserDataOptions = {}): OwnData<K> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (options.format !== undefined) formatOf(file, options.format);
    throw new DataError(file, null, `cannot read the file: ${(e as Error).message}`);
  }
  return parseOwnData(text, task, { ...options, file });
}

/** Parses the text of a data file for a task (what {@link loadUserData} does after reading). */
export function parseUserData<K extends TaskKind>(
  text: string,
  task: K,
  options: ParseUserDataOptions = {},
): UserData[K] {
  return parseOwnData(text, task, options).examples;
}

/** Parses the text of a data file for a task, with the decisions taken (see OwnData). */
export function parseOwnData<K extends TaskKind>(
  text: string,
  task: K,
  options: ParseUserDataOptions = {},
): OwnData<K> {
  const file = options.file ?? '<input>';
  const parse = PARSERS[task] as unknown as Parser<K>;
  if (!parse)
    throw new DataError(file, null, `unknown task '${String(task)}', expected ${Object.keys(PARSERS).join(', ')}`);
  const notices: string[] = [];
  const notice = (m: string) => {
    notices.push(m);
    options.onNotice?.(m);
  };
  const table = readTable(text, task, file, options, notice);
  const result = parse(table, file, options, notice);
  return { ...result, notices };
}

function readTable(
  text: string,
  task: TaskKind,
  file: string,
  options: ParseUserDataOptions,
  notice: (m: string) => void,
): DataTable {
  // Three --columns for classify/tag name a long numeric file's id, step and label (tag) columns.
  const required =
    (task === 'classify' || task === 'tag') && options.columns?.length === 3
      ? ['id', 'step', task === 'classify' ? 'label' : 'tag']
      : TASK_COLUMNS[task];
  const extension = knownExtension(file);
  const base: TableOptions = {
    ...(options.header !== undefined && { header: options.header }),
    ...(options.columns !== undefined && { columns: options.columns }),
    optional:
      task === 'forecast'
        ? ['date', 'value', ...(options.target ? [options.target] : [])]
        : ['id', 'step', 'sequence', 'tag'],
    onNotice: notice,
  };
  if (options.format !== undefined || extension !== undefined) {
    const format = formatOf(file, options.format);
    if (format === 'jsonl') return parseTable(text, 'jsonl', file, jsonlKeys(text, task), base);
    const delimiter = format === 'csv' && options.format === undefined ? csvDelimiter(text, file, notice) : undefined;
    return parseTable(text, format, file, task === 'forecast' || looksNumericLong(text, options) ? [] : required, {
      ...base,
      ...(delimiter !== undefined && { delimiter }),
    });
  }
  if (text.replace(/^\uFEFF/, '').trim() === '') throw new DataError(file, null, `the file is empty`);
  let sniffed: SniffedFormat;
  try {
    sniffed = sniffFormat(text, file);
  } catch {
    throw new DataError(
      file,
      null,
      `cannot tell the format from the extension${extensionOf(file) ? ` '.${extensionOf(file)}'` : ''}: name the file .csv, .tsv or .jsonl, or give the format explicitly`,
    );
  }
  if (sniffed.format !== 'jsonl' && task !== 'forecast' && !SNIFFED_DELIMITERS.some((d) => text.includes(d))) {
    throw new DataError(
      file,
      null,
      `cannot tell the format from the extension${extensionOf(file) ? ` '.${extensionOf(file)}'` : ''} nor from the content (no tab, comma, semicolon or bar separates columns): name the file .csv, .tsv or .jsonl, or give the format explicitly`,
    );
  }
  if (sniffed.format === 'jsonl') return parseTable(text, 'jsonl', file, jsonlKeys(text, task), base);
  notice(`${file}: read as ${delimiterName(sniffed.delimiter)}-separated (from its content)`);
  return parseTable(
    text,
    sniffed.format,
    file,
    task === 'forecast' || looksNumericLong(text, options) ? [] : required,
    {
      ...base,
      delimiter: sniffed.delimiter,
      quotes: sniffed.delimiter !== '\t',
    },
  );
}

/**
 * The delimiter of a `.csv` file: a comma, unless the content is plainly separated by something
 * else (spreadsheets in many locales write `;`-separated .csv files, often with decimal commas):
 * then the sniffed delimiter, with a notice. Undefined keeps the comma.
 */
function csvDelimiter(text: string, file: string, notice: (m: string) => void): Delimiter | undefined {
  let sniffed: SniffedFormat;
  try {
    sniffed = sniffFormat(text, file);
  } catch {
    return undefined;
  }
  if (sniffed.format === 'jsonl' || sniffed.delimiter === ',') return undefined;
  // Only where it splits every line into more fields than the comma does.
  const { delimiter } = sniffed;
  if (!firstLines(text).every((l) => l.split(delimiter).length > l.split(',').length)) return undefined;
  notice(`${file}: read as ${delimiterName(delimiter)}-separated (from its content, though the file is named .csv)`);
  return sniffed.delimiter;
}

/** The keys a JSONL file must have: the task's, or `sequence` and the label/tags for numeric sequences. */
function jsonlKeys(text: string, task: TaskKind): readonly string[] {
  const first =
    text
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/)
      .find((l) => l.trim() !== '') ?? '';
  if ((task === 'classify' || task === 'tag') && /^\s*\{.*"sequence"\s*:/.test(first))
    return ['sequence', task === 'classify' ? 'label' : 'tags'];
  return TASK_COLUMNS[task];
}

/** A long-format numeric file starts with a header naming `id` and `step`. */
function looksNumericLong(text: string, options: ParseUserDataOptions): boolean {
  if (options.columns !== undefined) return false; // --columns maps the roles itself
  const first = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/, 1)[0]!
    .toLowerCase()
    .split(/[\t,;|]/)
    .map((c) => c.trim());
  return first.includes('id') && first.includes('step');
}

type Parser<K extends TaskKind> = (
  table: DataTable,
  file: string,
  options: ParseUserDataOptions,
  notice: (m: string) => void,
) => Omit<OwnData<K>, 'notices'>;

function tokenNotice(
  notice: (m: string) => void,
  column: string,
  flag: string,
  mode: TokenMode | undefined,
  chosen: Tokens,
): void {
  notice(
    `${column}: read as ${chosen === 'chars' ? 'characters' : 'words'}${mode === undefined || mode === 'auto' ? ` (auto: ${chosen === 'chars' ? 'no value contains a space' : 'values contain spaces'}; ${flag} to choose)` : ''}`,
  );
}

/** Column names read as a forecast file's dates (case-insensitive). */
const DATE_COLUMNS = new Set(['date', 'time', 'timestamp', 'datetime', 'day', 'month', 'period', 'ds']);

const distinct = (values: readonly string[]): number => new Set(values).size;

/**
 * A headerless classify file with its label first: the first column repeats a few values (at
 * most a tenth of the rows, and at most 100), the second hardly repeats (over half distinct).
 * Returns the distinct counts of the two columns when it looks so, else null.
 */
function labelsComeFirst(
  examples: readonly { text: string; label: string }[],
): { first: number; second: number } | null {
  const n = examples.length;
  if (n < 20) return null;
  const first = distinct(examples.map((e) => e.text));
  const second = distinct(examples.map((e) => e.label));
  return first <= Math.min(100, n / 10) && second > n / 2 ? { first, second } : null;
}

const PARSERS: { [K in TaskKind]: Parser<K> } = {
  classify(table, file, options, notice) {
    if (isNumericTable(table)) return { examples: [], numeric: numericExamples(table, 'label', file), tokens: {} };
    const examples = table.records.map((r) => ({
      text: nonEmpty(r, 'text', stringField(r, 'text', file), file),
      label: nonEmpty(r, 'label', scalarField(r, 'label', file).trim(), file),
    }));
    const labelsFirst = table.columns[0] === '1' && options.columns === undefined ? labelsComeFirst(examples) : null;
    if (labelsFirst)
      throw new DataError(
        file,
        null,
        `column 2, taken as the label, has ${labelsFirst.second} distinct values in ${examples.length} rows, and column 1 only ${labelsFirst.first}: the labels look like column 1; use --columns 2,1 (text, label) or a header row`,
      );
    const input = chooseTokens(
      examples.map((e) => e.text),
      options.tokens?.input ?? 'auto',
    );
    tokenNotice(notice, 'text', '--input-tokens', options.tokens?.input, input);
    return { examples, numeric: null, tokens: { input } };
  },
  tag(table, file, options, notice) {
    if (isNumericTable(table)) return { examples: [], numeric: numericExamples(table, 'tags', file), tokens: {} };
    const rows = table.records.map((r) => ({
      r,
      input: nonEmpty(r, 'input', stringField(r, 'input', file), file),
      tags: tokensField(r, 'tags', file),
    }));
    const mode = options.tokens?.input ?? 'auto';
    // auto: characters when every row has one tag per character, else words.
    const perWord =
      rows.every((x) => tokenize(x.input, 'words').length === x.tags.length) &&
      rows.some((x) => Array.from(x.input).length !== x.tags.length);
    const input: Tokens = mode !== 'auto' ? chooseTokens([], mode) : perWord ? 'words' : 'chars';
    for (const { r, input: text, tags } of rows) {
      const count = tokenize(text, input).length;
      if (tags.length !== count) {
        const unit = input === 'chars' ? 'character' : 'word';
        throw new DataError(
          file,
          r.line,
          `'input' has ${count} ${unit}${count === 1 ? '' : 's'} but 'tags' has ${tags.length} tag${tags.length === 1 ? '' : 's'}; expected one tag per ${unit}`,
        );
      }
    }
    if (input === 'words' || options.tokens?.input !== undefined)
      tokenNotice(notice, 'input', '--input-tokens', options.tokens?.input, input);
    return { examples: rows.map(({ input: i, tags }) => ({ input: i, tags })), numeric: null, tokens: { input } };
  },
  seq2seq(table, file, options, notice) {
    const raw = table.records.map((r) => ({
      r,
      source: nonEmpty(r, 'source', stringField(r, 'source', file), file),
      target: r.values['target'],
    }));
    const source = chooseTokens(
      raw.map((x) => x.source),
      options.tokens?.source ?? 'auto',
    );
    const target = chooseTokens(
      raw.flatMap((x) => (typeof x.target === 'string' ? [x.target] : [])),
      options.tokens?.target ?? 'auto',
    );
    tokenNotice(notice, 'source', '--source-tokens', options.tokens?.source, source);
    tokenNotice(notice, 'target', '--target-tokens', options.tokens?.target, target);
    // One string per distinct token: the full CMUdict's 800,000 target tokens are 39 phonemes,
    // and a training run's full garbage collections mark every string that stays alive.
    const distinct = new Map<string, string>();
    const shared = (token: string) => distinct.get(token) ?? (distinct.set(token, token), token);
    const examples = raw.map(({ r, source: s, target: t }) => ({
      source: s,
      target: (typeof t === 'string' && target === 'chars'
        ? charTokens(r, t, file)
        : tokensField(r, 'target', file)
      ).map(shared),
    }));
    return { examples, numeric: null, tokens: { source, target } };
  },
  forecast(table, file, options, notice) {
    const dateColumn = table.columns.find((c) => DATE_COLUMNS.has(c.toLowerCase()));
    const hasDates = dateColumn !== undefined;
    const numericColumns = table.columns.filter(
      (c) => c !== dateColumn && table.records.every((r) => isNumberValue(r.values[c])),
    );
    // Columns numeric but for a few cells: a few empty cells are filled (covariates only, below);
    // a column with text in a cell or many empty ones is left out, with a notice naming a cell.
    const gapColumns: string[] = [];
    for (const c of table.columns) {
      if (c === dateColumn || numericColumns.includes(c)) continue;
      const numeric = table.records.filter((r) => isNumberValue(r.values[c])).length;
      const missing = table.records.filter((r) => isMissingCell(r.values[c])).length;
      const hasText = numeric + missing < table.records.length; // some cell is neither a number nor empty
      if (!hasText && numeric >= 2 && missing <= MAX_FILLED_SHARE * table.records.length) {
        gapColumns.push(c);
        continue;
      }
      // The first cell that keeps the column out: text when there is some, else an empty one.
      const bad = table.records.find((r) => !isNumberValue(r.values[c]) && !(hasText && isMissingCell(r.values[c])));
      if (c !== options.target && bad && numeric >= table.records.length / 2)
        notice(
          `forecast: column '${c}' left out: line ${bad.line} has ${JSON.stringify(bad.values[c])}, not a number (${table.records.length - numeric} such cell${table.records.length - numeric === 1 ? '' : 's'}${hasText ? '' : `; more than ${100 * MAX_FILLED_SHARE}% of the column empty`})`,
        );
    }
    let target = options.target;
    const candidates = table.columns.filter((c) => numericColumns.includes(c) || gapColumns.includes(c));
    if (target === undefined) {
      if (table.columns.includes('value') || candidates.length === 0) target = 'value';
      else if (candidates.length === 1) target = candidates[0]!;
      else
        throw new DataError(
          file,
          null,
          `missing column 'value': the file has the numeric columns ${candidates.map((c) => `'${c}'`).join(', ')}; choose the one to forecast with --target`,
        );
    }
    if (!table.columns.includes(target)) {
      throw new DataError(
        file,
        1,
        `missing column '${target}': the file has ${table.columns.map((c) => `'${c}'`).join(', ')}${options.target ? '' : '; choose the one to forecast with --target'}`,
      );
    }
    const dates: string[] = [];
    const values = table.records.map((r) => {
      if (dateColumn !== undefined) {
        if (!(dateColumn in r.values))
          throw new DataError(file, r.line, `missing key '${dateColumn}' (other lines have one)`);
        dates.push(nonEmpty(r, dateColumn, scalarField(r, dateColumn, file).trim(), file));
      }
      if (isMissingCell(r.values[target]))
        throw new DataError(
          file,
          r.line,
          `'${target}' is empty: the column to forecast needs a value at every step (fill the gap or drop the line)`,
        );
      return numberField(r, target, file);
    });
    const covariateNames = candidates.filter((c) => c !== target);
    const series: TimeSeries = { dates: hasDates ? dates : null, values };
    if (covariateNames.length > 0) {
      series.covariates = Object.fromEntries(
        covariateNames.map((c) => [c, covariateColumn(table.records, c, file, notice)]),
      );
      notice(`forecast: target '${target}', covariates ${covariateNames.map((c) => `'${c}'`).join(', ')}`);
    }
    return { examples: series, numeric: null, tokens: {} };
  },
};

/** A covariate's values `[steps]`, its few empty cells (gapColumns above) filled by linear interpolation. */
function covariateColumn(
  records: readonly DataRecord[],
  column: string,
  file: string,
  notice: (m: string) => void,
): number[] {
  const empty = records.filter((r) => isMissingCell(r.values[column]));
  if (empty.length === 0) return records.map((r) => numberField(r, column, file));
  const lines = empty.slice(0, 3).map((r) => r.line);
  notice(
    `forecast: covariate '${column}' has ${empty.length} empty cell${empty.length === 1 ? '' : 's'} (line${lines.length === 1 ? '' : 's'} ${lines.join(', ')}${empty.length > 3 ? ', ...' : ''}), filled by linear interpolation between the steps around ${empty.length === 1 ? 'it' : 'them'}`,
  );
  return fillGaps(records.map((r) => (isMissingCell(r.values[column]) ? Number.NaN : numberField(r, column, file))));
}

function charTokens(r: DataRecord, value: string, file: string): string[] {
  const tokens = Array.from(value.trim());
  if (tokens.length === 0) throw new DataError(file, r.line, `'target' is empty`);
  return tokens;
}

function isNumberValue(v: unknown): boolean {
  return (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && isDecimal(v));
}

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
        throw new DataError(
          file,
          r.line,
          `'${column}'[${k}] must be a non-empty string without spaces, got ${typeof t === 'string' ? JSON.stringify(t) : describe(t)}`,
        );
      }
      return t;
    });
  } else {
    throw new DataError(
      file,
      r.line,
      `'${column}' must be a string of space-separated tokens or an array of strings, got ${describe(v)}`,
    );
  }
  if (tokens.length === 0) throw new DataError(file, r.line, `'${column}' is empty`);
  return tokens;
}

function numberField(r: DataRecord, column: string, file: string): number {
  const v = r.values[column];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && isDecimal(v)) {
    const x = Number(v.trim());
    if (Number.isFinite(x)) return x;
  }
  throw new DataError(
    file,
    r.line,
    `'${column}' is ${typeof v === 'string' ? JSON.stringify(v) : describe(v)}, expected a finite number`,
  );
}
