/**
 * Reading CSV, TSV and JSONL text into records that remember their 1-based line.
 *
 * CSV and TSV follow RFC 4180 with the delimiter `,` or a tab: a field that starts with `"` is
 * quoted, may hold delimiters, line breaks and doubled quotes (`""` for one `"`); a quote inside
 * an unquoted field is kept as is. Line ends may be LF or CRLF, a UTF-8 byte order mark is
 * skipped, and blank lines between records are ignored. JSONL holds one JSON object per line.
 * Every problem is a DataError naming the file and the line.
 */
import { DataError } from '../errors.js';

/** The text formats of data files. */
export type DataFormat = 'csv' | 'tsv' | 'jsonl';

/** One parsed record: its 1-based line (where it starts) and its fields by column name. */
export interface DataRecord {
  line: number;
  /** CSV/TSV: strings; JSONL: whatever JSON value the key holds. */
  values: Record<string, unknown>;
}

/** A parsed file: its column names (CSV/TSV header, or every key seen in JSONL) and records. */
export interface DataTable {
  columns: string[];
  records: DataRecord[];
}

const EXTENSIONS: Record<string, DataFormat> = { csv: 'csv', tsv: 'tsv', tab: 'tsv', jsonl: 'jsonl', ndjson: 'jsonl' };

/** The format named by `explicit`, else by the file's extension (.csv, .tsv/.tab, .jsonl/.ndjson). */
export function formatOf(file: string, explicit?: DataFormat | string): DataFormat {
  if (explicit !== undefined) {
    const format = EXTENSIONS[explicit.toLowerCase()];
    if (!format) throw new DataError(file, null, `unknown format '${explicit}', expected csv, tsv or jsonl`);
    return format;
  }
  const ext = /\.([^./\\]+)$/.exec(file)?.[1]?.toLowerCase();
  const format = ext === undefined ? undefined : EXTENSIONS[ext];
  if (!format) {
    throw new DataError(file, null, `cannot tell the format from the extension${ext ? ` '.${ext}'` : ''}: name the file .csv, .tsv or .jsonl, or give the format explicitly`);
  }
  return format;
}

/** Raw CSV/TSV records: fields and the line each record starts on. Blank lines are skipped. */
export function parseDelimited(text: string, delimiter: ',' | '\t', file: string): { line: number; fields: string[] }[] {
  const src = text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
  const n = src.length;
  const records: { line: number; fields: string[] }[] = [];
  let i = 0;
  let line = 1;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let sawQuote = false;
    for (;;) {
      let field: string;
      if (src[i] === '"') {
        sawQuote = true;
        const opened = line;
        i++;
        field = '';
        for (;;) {
          if (i >= n) {
            throw new DataError(file, opened, `unterminated quoted field (field ${fields.length + 1} opens a quote that is never closed)`);
          }
          const c = src[i]!;
          if (c === '"') {
            if (src[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        if (i < n && src[i] !== delimiter && src[i] !== '\n') {
          throw new DataError(file, line, `unexpected character ${JSON.stringify(src[i])} after the closing quote of field ${fields.length + 1}; write a quote inside a quoted field as ""`);
        }
      } else {
        let end = i;
        while (end < n && src[end] !== delimiter && src[end] !== '\n') end++;
        field = src.slice(i, end);
        i = end;
      }
      fields.push(field);
      if (i < n && src[i] === delimiter) {
        i++;
        continue;
      }
      if (i < n) {
        i++; // the newline
        line++;
      }
      break;
    }
    if (fields.length === 1 && fields[0] === '' && !sawQuote) continue; // blank line
    records.push({ line: start, fields });
  }
  return records;
}

/**
 * Parses a whole file into a table. CSV/TSV need a header row of column names (trimmed;
 * duplicates are an error); every later record must have as many fields. `required` columns
 * must exist (in the header, or as keys of every JSONL object).
 */
export function parseTable(text: string, format: DataFormat, file: string, required: readonly string[]): DataTable {
  if (text.replace(/^\uFEFF/, '').trim() === '') {
    throw new DataError(file, null, `the file is empty; expected ${format === 'jsonl' ? `one JSON object per line with the keys ${list(required)}` : `a header row naming the columns ${list(required)}, then one row per example`}`);
  }
  return format === 'jsonl' ? parseJsonl(text, file, required) : parseWithHeader(text, format === 'csv' ? ',' : '\t', file, required);
}

const list = (names: readonly string[]): string => names.map((c) => `'${c}'`).join(', ');

function parseWithHeader(text: string, delimiter: ',' | '\t', file: string, required: readonly string[]): DataTable {
  const rows = parseDelimited(text, delimiter, file);
  const header = rows[0]!;
  const columns = header.fields.map((c) => c.trim());
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) throw new DataError(file, header.line, `the header names column '${c}' twice`);
    seen.add(c);
  }
  for (const c of required) {
    if (!seen.has(c)) {
      throw new DataError(file, header.line, `missing column '${c}': the header row has ${list(columns)}, expected ${list(required)}${columns.length === 1 && delimiter === '\t' && columns[0]!.includes(',') ? ' (this looks like CSV: name the file .csv)' : ''}`);
    }
  }
  if (rows.length === 1) throw new DataError(file, null, `has a header row (line ${header.line}) but no data rows`);
  const records = rows.slice(1).map(({ line, fields }) => {
    if (fields.length !== columns.length) {
      throw new DataError(file, line, `has ${fields.length} field${fields.length === 1 ? '' : 's'}, expected ${columns.length} (columns ${list(columns)})${delimiter === ',' && fields.length > columns.length ? '; quote a field that contains commas' : ''}`);
    }
    const values: Record<string, unknown> = {};
    columns.forEach((c, k) => (values[c] = fields[k]));
    return { line, values };
  });
  return { columns, records };
}

function parseJsonl(text: string, file: string, required: readonly string[]): DataTable {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const records: DataRecord[] = [];
  const columns = new Set<string>();
  lines.forEach((raw, k) => {
    const line = k + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      throw new DataError(file, line, `invalid JSON: ${(e as Error).message}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new DataError(file, line, `expected a JSON object with the keys ${list(required)}, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
    }
    const values = value as Record<string, unknown>;
    for (const c of required) {
      if (!(c in values)) throw new DataError(file, line, `missing key '${c}': the object has ${list(Object.keys(values))}, expected ${list(required)}`);
    }
    for (const c of Object.keys(values)) columns.add(c);
    records.push({ line, values });
  });
  return { columns: [...columns], records };
}
