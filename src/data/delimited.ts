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
import { looksLikeHeader } from './sniff.js';

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

/** The extension of a file name, lower-case, without the dot; undefined when it has none. */
export function extensionOf(file: string): string | undefined {
  return /\.([^./\\]+)$/.exec(file)?.[1]?.toLowerCase();
}

/** The format its extension names, or undefined when the extension does not say (then the content is sniffed). */
export function knownExtension(file: string): DataFormat | undefined {
  const ext = extensionOf(file);
  return ext === undefined ? undefined : EXTENSIONS[ext];
}

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
    throw new DataError(
      file,
      null,
      `cannot tell the format from the extension${ext ? ` '.${ext}'` : ''}: name the file .csv, .tsv or .jsonl, or give the format explicitly`,
    );
  }
  return format;
}

/** Raw CSV/TSV records: fields and the line each record starts on. Blank lines are skipped. */
export function parseDelimited(
  text: string,
  delimiter: string,
  file: string,
  quotes = true,
): { line: number; fields: string[] }[] {
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
      if (quotes && src[i] === '"') {
        sawQuote = true;
        const opened = line;
        i++;
        field = '';
        for (;;) {
          if (i >= n) {
            throw new DataError(
              file,
              opened,
              `unterminated quoted field (field ${fields.length + 1} opens a quote that is never closed)`,
            );
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
          throw new DataError(
            file,
            line,
            `unexpected character ${JSON.stringify(src[i])} after the closing quote of field ${fields.length + 1}; write a quote inside a quoted field as ""`,
          );
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

/** How to read a delimited file's columns (all optional: by default everything is detected). */
export interface TableOptions {
  /** The delimiter; by default `,` for csv and a tab for tsv. */
  delimiter?: string;
  /** Interpret RFC 4180 quotes (default true). */
  quotes?: boolean;
  /** Whether the first row is a header; detected when undefined (see sniff.ts). */
  header?: boolean;
  /**
   * The file's columns to use for the task's `required` roles, in order: header names, or 1-based
   * positions (`'2'`). Without it, roles are found by name in a header, or by position without one.
   */
  columns?: readonly string[];
  /** Further column names the task reads when present (e.g. forecast's `date`): they mark a header. */
  optional?: readonly string[];
  /** Receives one-line notices (columns taken by position, ...). */
  onNotice?: (message: string) => void;
}

/**
 * Parses a whole file into a table keyed by column name. CSV/TSV: the first row is a header when
 * `options.header` says so or when it looks like one (a known column name, or the types of the
 * columns: see sniff.ts); header names are trimmed and may not repeat. Without a header, the
 * columns are named by position (`'1'`, `'2'`, ...) and the `required` roles are taken by position
 * too (a notice says so); extra columns are kept under their positions. `options.columns` maps the
 * roles to columns explicitly. In the result, each role is a key of every record's values.
 */
export function parseTable(
  text: string,
  format: DataFormat,
  file: string,
  required: readonly string[],
  options: TableOptions = {},
): DataTable {
  if (text.replace(/^\uFEFF/, '').trim() === '') {
    throw new DataError(
      file,
      null,
      `the file is empty; expected ${format === 'jsonl' ? `one JSON object per line with the keys ${list(required)}` : `a header row naming the columns ${list(required)}, then one row per example`}`,
    );
  }
  if (format === 'jsonl') return parseJsonl(text, file, required, options.columns);
  const delimiter = options.delimiter ?? (format === 'csv' ? ',' : '\t');
  return parseDelimitedTable(
    parseDelimited(text, delimiter, file, options.quotes ?? true),
    delimiter,
    file,
    required,
    options,
  );
}

const list = (names: readonly string[]): string => names.map((c) => `'${c}'`).join(', ');

function parseDelimitedTable(
  rows: { line: number; fields: string[] }[],
  delimiter: string,
  file: string,
  required: readonly string[],
  options: TableOptions,
): DataTable {
  const known = [...required, ...(options.optional ?? []), ...(options.columns ?? []).filter((c) => !/^\d+$/.test(c))];
  const hasHeader =
    options.header ??
    looksLikeHeader(
      rows.map((r) => r.fields),
      known,
    );
  const header = rows[0]!;
  const width = header.fields.length;
  const columns = hasHeader ? header.fields.map((c) => c.trim()) : header.fields.map((_, k) => String(k + 1));
  if (hasHeader) {
    const seen = new Set<string>();
    for (const c of columns) {
      if (seen.has(c)) throw new DataError(file, header.line, `the header names column '${c}' twice`);
      seen.add(c);
    }
  }
  // role -> column index
  const roleColumn = new Map<string, number>();
  const explicit = options.columns;
  if (explicit !== undefined) {
    if (explicit.length !== required.length) {
      throw new DataError(
        file,
        null,
        `--columns names ${explicit.length} column${explicit.length === 1 ? '' : 's'} (${list(explicit)}), expected ${required.length}: the columns for ${list(required)}, in that order`,
      );
    }
    explicit.forEach((name, k) => {
      const index = /^\d+$/.test(name) ? Number(name) - 1 : columns.indexOf(name);
      if (index < 0 || index >= width) {
        throw new DataError(
          file,
          hasHeader ? header.line : null,
          `--columns: no column '${name}' (the file has ${hasHeader ? list(columns) : `${width} columns without a header: give positions 1..${width}`})`,
        );
      }
      roleColumn.set(required[k]!, index);
    });
  } else if (hasHeader && width === required.length && !required.some((c) => columns.includes(c))) {
    // A header of other names (`word  ipa`) over exactly the columns the task needs: by position.
    required.forEach((c, k) => roleColumn.set(c, k));
    options.onNotice?.(
      `${file}: the header row names ${list(columns)}, not ${list(required)}: taking ${columns.map((name, k) => `'${name}' as ${required[k]}`).join(', ')}; use --columns to choose`,
    );
  } else if (hasHeader) {
    for (const c of required) {
      const index = columns.indexOf(c);
      if (index < 0) {
        throw new DataError(
          file,
          header.line,
          `missing column '${c}': the header row has ${list(columns)}, expected ${list(required)}${columns.length === 1 && delimiter === '\t' && columns[0]!.includes(',') ? ' (this looks like CSV: name the file .csv)' : ''}; or choose the columns with --columns`,
        );
      }
      roleColumn.set(c, index);
    }
  } else {
    if (width < required.length) {
      throw new DataError(
        file,
        header.line,
        `has ${width} column${width === 1 ? '' : 's'} and no header row; expected ${required.length} (${list(required)})${delimiter === '\t' && header.fields[0]!.includes(',') ? ' (this looks like CSV: name the file .csv)' : ''}`,
      );
    }
    required.forEach((c, k) => roleColumn.set(c, k));
    const extra = width - required.length;
    options.onNotice?.(
      `${file}: no header row found: taking ${required.map((c, k) => `column ${k + 1} as ${c}`).join(', ')}${extra > 0 ? ` (${extra} more column${extra === 1 ? '' : 's'} ignored)` : ''}; use --columns or a header row to choose`,
    );
  }
  const body = hasHeader ? rows.slice(1) : rows;
  if (body.length === 0) throw new DataError(file, null, `has a header row (line ${header.line}) but no data rows`);
  const records = body.map(({ line, fields }) => {
    if (fields.length !== width) {
      throw new DataError(
        file,
        line,
        `has ${fields.length} field${fields.length === 1 ? '' : 's'}, expected ${width} (${hasHeader ? `columns ${list(columns)}` : `as line ${header.line}`})${delimiter === ',' && fields.length > width ? '; quote a field that contains commas' : ''}`,
      );
    }
    const values: Record<string, unknown> = {};
    columns.forEach((c, k) => (values[c] = fields[k]));
    for (const [role, k] of roleColumn) values[role] = fields[k];
    return { line, values };
  });
  if (explicit === undefined) return { columns, records };
  // Columns chosen by --columns go by their role's name from here on (an id/step/label long file
  // whose columns are called otherwise is then read as one).
  const roleOf = new Map([...roleColumn].map(([role, k]) => [k, role]));
  return { columns: columns.map((c, k) => roleOf.get(k) ?? c), records };
}

function parseJsonl(text: string, file: string, required: readonly string[], rename?: readonly string[]): DataTable {
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
      throw new DataError(
        file,
        line,
        `expected a JSON object with the keys ${list(required)}, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`,
      );
    }
    const values = { ...(value as Record<string, unknown>) };
    rename?.forEach((key, k) => {
      if (key in values) values[required[k]!] = values[key];
    });
    for (const c of required) {
      if (!(c in values))
        throw new DataError(
          file,
          line,
          `missing key '${c}': the object has ${list(Object.keys(values))}, expected ${list(required)}`,
        );
    }
    for (const c of Object.keys(values)) columns.add(c);
    records.push({ line, values });
  });
  return { columns: [...columns], records };
}
