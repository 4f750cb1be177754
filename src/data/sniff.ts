/**
 * Guessing what a data file does not say: its delimiter (when the extension is ambiguous) and
 * whether its first row is a header.
 *
 *   sniffFormat('a\tb\tc\nd\te\tf\n')   { format: 'tsv', delimiter: '\t' }
 *   looksLikeHeader([['text','label'], ['hi','en']], ['text','label'])   true (a known name)
 *   looksLikeHeader([['535+61','596'], ['12+3','15']], ['source','target'])   false
 *
 * The header rule, in order: a first-row field equal (case-insensitively) to a column name the
 * task knows makes it a header; otherwise each column votes, as Python's csv.Sniffer does: a
 * column numeric in every later row but not in the first votes for a header; a categorical column
 * (few distinct values) whose first value never comes back votes for one, and one whose first
 * value does come back votes against; a column of several tokens in every later row (phonemes, a
 * sentence) votes for a header when its first value is one name-like token that none of the later
 * rows uses (`word<TAB>ipa` above `hello<TAB>h ɛ l oʊ`), and against one otherwise. A header needs
 * more votes for than against.
 */
import { DataError } from '../errors.js';

/** The delimiters tried when sniffing, in order of preference on a tie. */
export const SNIFFED_DELIMITERS = ['\t', ',', ';', '|'] as const;
export type Delimiter = (typeof SNIFFED_DELIMITERS)[number];

/** What sniffing found: JSONL, or a delimited format and its delimiter. */
export type SniffedFormat = { format: 'jsonl' } | { format: 'csv' | 'tsv'; delimiter: Delimiter };

/** A decimal number such as `315.7`, `-2`, `.5` or `1e-3` (no hex, no `NaN`/`Infinity`). */
export const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
export const isDecimal = (s: string): boolean => DECIMAL.test(s.trim());

/**
 * The format of a text from its first (up to 50) non-blank lines: JSONL when they all start with
 * `{`; else the delimiter that splits every line into the same number (>= 2) of fields, preferring
 * more fields, then the order tab, comma, semicolon, bar. Quotes are not interpreted here. A text
 * whose lines all have one field is a one-column file ({ format: 'csv', delimiter: ',' }).
 */
export function sniffFormat(text: string, file: string): SniffedFormat {
  const lines = firstLines(text);
  if (lines.length === 0) throw new DataError(file, null, 'the file is empty');
  if (lines.every((l) => l.trimStart().startsWith('{'))) return { format: 'jsonl' };
  let best: { delimiter: Delimiter; fields: number } | null = null;
  for (const delimiter of SNIFFED_DELIMITERS) {
    const counts = lines.map((l) => l.split(delimiter).length);
    const fields = counts[0]!;
    if (fields < 2 || counts.some((c) => c !== fields)) continue;
    if (best === null || fields > best.fields) best = { delimiter, fields };
  }
  if (best === null) {
    // Quoted fields may hold delimiters: accept the delimiter present on every line.
    const everywhere = SNIFFED_DELIMITERS.find((d) => lines.every((l) => l.includes(d)));
    if (everywhere === undefined) return { format: 'csv', delimiter: ',' };
    best = { delimiter: everywhere, fields: 0 };
  }
  return { format: best.delimiter === '\t' ? 'tsv' : 'csv', delimiter: best.delimiter };
}

/** The first (up to 50) non-blank lines of a text, without a byte-order mark: what sniffing reads. */
export function firstLines(text: string): string[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .slice(0, 50);
}

/** A delimiter as notices name it: `tab`, or the character quoted (`";"`). */
export const delimiterName = (d: Delimiter): string => (d === '\t' ? 'tab' : JSON.stringify(d));

/**
 * Whether the first of `rows` (fields, untrimmed) is a header, by the rule in the module comment.
 * `known` are the column names the task may use (case-insensitive); at most 200 later rows are read.
 */
export function looksLikeHeader(rows: readonly (readonly string[])[], known: readonly string[]): boolean {
  const first = rows[0];
  if (!first) return false;
  const names = new Set(known.map((k) => k.toLowerCase()));
  // A known name, or (a file read with the wrong delimiter) a field made of known names.
  if (
    first.some(
      (f) => names.has(f.trim().toLowerCase()) || f.split(/[\t,;|]/).some((p) => names.has(p.trim().toLowerCase())),
    )
  )
    return true;
  const rest = rows.slice(1, 201);
  if (rest.length === 0) return false;
  let votes = 0;
  first.forEach((head, c) => {
    const column = rest
      .map((r) => r[c])
      .filter((v): v is string => v !== undefined)
      .map((v) => v.trim());
    if (column.length === 0) return;
    const value = head.trim();
    if (column.every(isDecimal)) {
      votes += isDecimal(value) ? -1 : 1;
      return;
    }
    if (column.length >= 3 && column.every((v) => /\s/.test(v))) {
      votes += isColumnName(value, column) ? 1 : -1;
      return;
    }
    const distinct = new Set(column).size;
    if (column.length >= 4 && distinct <= column.length / 2) votes += column.includes(value) ? -1 : 1;
  });
  return votes > 0;
}

/**
 * Whether `value`, first in a column whose later values all hold several tokens, reads as the
 * column's name: one name-like token that is none of the tokens below it (a one-phoneme word's
 * `AH` is a token of other rows; `ipa` or `phonemes` is not).
 */
function isColumnName(value: string, column: readonly string[]): boolean {
  if (!/^[\p{L}_][\p{L}\p{N}_.-]*$/u.test(value)) return false;
  return !column.some((v) => v.split(/\s+/).includes(value));
}
