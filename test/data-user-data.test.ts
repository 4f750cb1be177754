/** A user's own data: CSV / TSV / JSONL for each task, and every error with its file and line. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DataError } from '../src/errors.js';
import { formatOf, loadUserData, parseDelimited, parseUserData, type TaskKind } from '../src/data/index.js';

const dir = mkdtempSync(join(tmpdir(), 'recurrent-data-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
function write(name: string, text: string): string {
  const path = join(dir, `${counter++}-${name}`);
  writeFileSync(path, text);
  return path;
}

/** Asserts that loading throws a DataError naming this file and line, with a message matching `pattern`. */
function assertDataError(path: string, task: TaskKind, line: number | null, pattern: RegExp): void {
  assert.throws(
    () => loadUserData(path, task),
    (e: unknown) => {
      assert.ok(e instanceof DataError, `expected a DataError, got ${String(e)}`);
      assert.equal(e.file, path);
      assert.equal(e.line, line);
      assert.ok(e.message.startsWith(line === null ? `${path}: ` : `${path}:${line}: `), e.message);
      assert.match(e.message, pattern);
      return true;
    },
  );
}

describe('user data: the formats of each task', () => {
  test('classify from CSV with RFC 4180 quoting (commas, doubled quotes, line breaks, CRLF, BOM)', () => {
    const path = write(
      'c.csv',
      '\uFEFFtext,label\r\nhello world,en\r\n"bonjour, le monde",fr\r\n"she said ""hi""",en\r\n"two\nlines",en\r\n\r\n',
    );
    assert.deepEqual(loadUserData(path, 'classify'), [
      { text: 'hello world', label: 'en' },
      { text: 'bonjour, le monde', label: 'fr' },
      { text: 'she said "hi"', label: 'en' },
      { text: 'two\nlines', label: 'en' },
    ]);
  });

  test('classify from TSV and JSONL; extra columns are ignored; column order is free', () => {
    const tsv = write('c.tsv', 'id\tlabel\ttext\n1\tpos\tgood film\n2\tneg\tbad, "very" bad\n');
    assert.deepEqual(loadUserData(tsv, 'classify'), [
      { text: 'good film', label: 'pos' },
      { text: 'bad, "very" bad', label: 'neg' },
    ]);
    const jsonl = write('c.jsonl', '{"text": "good", "label": "pos", "id": 1}\n\n{"text": "bad", "label": 0}\n');
    assert.deepEqual(loadUserData(jsonl, 'classify'), [
      { text: 'good', label: 'pos' },
      { text: 'bad', label: '0' },
    ]);
  });

  test('tag: one tag per character, space-separated (or a JSON array)', () => {
    const csv = write('t.csv', 'input,tags\neleve,acute - grave - -\nabc,- - -\n');
    assert.deepEqual(loadUserData(csv, 'tag'), [
      { input: 'eleve', tags: ['acute', '-', 'grave', '-', '-'] },
      { input: 'abc', tags: ['-', '-', '-'] },
    ]);
    const jsonl = write('t.jsonl', '{"input": "ab", "tags": ["X", "Y"]}\n{"input": "cd", "tags": "Z Z"}\n');
    assert.deepEqual(loadUserData(jsonl, 'tag'), [
      { input: 'ab', tags: ['X', 'Y'] },
      { input: 'cd', tags: ['Z', 'Z'] },
    ]);
  });

  test('seq2seq: source and space-separated target tokens', () => {
    const tsv = write('s.tsv', 'source\ttarget\ncat\tK AE T\ndog\tD AO G\n');
    assert.deepEqual(loadUserData(tsv, 'seq2seq'), [
      { source: 'cat', target: ['K', 'AE', 'T'] },
      { source: 'dog', target: ['D', 'AO', 'G'] },
    ]);
    const jsonl = write('s.jsonl', '{"source": "cat", "target": ["K", "AE", "T"]}\n');
    assert.deepEqual(loadUserData(jsonl, 'seq2seq'), [{ source: 'cat', target: ['K', 'AE', 'T'] }]);
  });

  test('forecast: date,value, or a single value column; JSONL numbers or numeric strings', () => {
    const csv = write('f.csv', 'date,value\n2020-01,1.5\n2020-02, -2e1 \n2020-03,.25\n');
    assert.deepEqual(loadUserData(csv, 'forecast'), {
      dates: ['2020-01', '2020-02', '2020-03'],
      values: [1.5, -20, 0.25],
    });
    const single = write('f2.csv', 'value\n1\n2\n3\n');
    assert.deepEqual(loadUserData(single, 'forecast'), { dates: null, values: [1, 2, 3] });
    const jsonl = write('f.jsonl', '{"date": "d1", "value": 1}\n{"date": "d2", "value": "2.5"}\n');
    assert.deepEqual(loadUserData(jsonl, 'forecast'), { dates: ['d1', 'd2'], values: [1, 2.5] });
  });

  test('the format can be given explicitly; parseUserData parses text', () => {
    const path = write('data.txt', 'text\tlabel\nx\ty\n');
    assert.deepEqual(loadUserData(path, 'classify', { format: 'tsv' }), [{ text: 'x', label: 'y' }]);
    assert.deepEqual(parseUserData('value\n4\n', 'forecast', { format: 'csv' }), { dates: null, values: [4] });
    assert.equal(formatOf('a/b.NDJSON'), 'jsonl');
    assert.equal(formatOf('x.tab'), 'tsv');
    assert.deepEqual(parseDelimited('a,"b\n""c"""\n\n1,\n', ',', 'f'), [
      { line: 1, fields: ['a', 'b\n"c"'] },
      { line: 4, fields: ['1', ''] },
    ]);
  });
});

describe('user data: errors name the file and the 1-based line', () => {
  test('empty file, blank file, header only', () => {
    assertDataError(
      write('e.csv', ''),
      'classify',
      null,
      /the file is empty; expected a header row naming the columns 'text', 'label'/,
    );
    assertDataError(
      write('e.jsonl', '\n  \n'),
      'classify',
      null,
      /the file is empty; expected one JSON object per line/,
    );
    assertDataError(write('h.csv', 'text,label\n'), 'classify', null, /has a header row \(line 1\) but no data rows/);
  });

  test('missing column (CSV/TSV header, JSONL key)', () => {
    assertDataError(
      write('m.csv', 'text,lbl\na,b\n'),
      'classify',
      1,
      /missing column 'label': the header row has 'text', 'lbl'/,
    );
    assertDataError(write('m.tsv', 'input,tags\nab,- -\n'), 'tag', 1, /missing column 'input'.*this looks like CSV/);
    assertDataError(write('m.csv', 'date\n2020\n'), 'forecast', 1, /missing column 'value'/);
    assertDataError(
      write('m.jsonl', '{"source": "a", "target": "b"}\n{"source": "a"}\n'),
      'seq2seq',
      2,
      /missing key 'target'/,
    );
    assertDataError(write('m.jsonl', '{"date": "a", "value": 1}\n{"value": 2}\n'), 'forecast', 2, /missing key 'date'/);
    assertDataError(write('d.csv', 'text,text,label\na,b,c\n'), 'classify', 1, /names column 'text' twice/);
  });

  test('wrong field count', () => {
    assertDataError(
      write('w.csv', 'text,label\na,b\nhello, world,en\n'),
      'classify',
      3,
      /has 3 fields, expected 2 \(columns 'text', 'label'\); quote a field that contains commas/,
    );
    assertDataError(write('w.tsv', 'text\tlabel\na\tb\n\nlonely\n'), 'classify', 4, /has 1 field, expected 2/);
    // The line of a record after a quoted line break counts the physical lines.
    assertDataError(write('w.csv', 'text,label\n"a\nb",c\nd\n'), 'classify', 4, /has 1 field, expected 2/);
  });

  test('unterminated quote, text after a closing quote', () => {
    assertDataError(
      write('q.csv', 'text,label\nok,en\n"never closed,en\nmore,en\n'),
      'classify',
      3,
      /unterminated quoted field/,
    );
    assertDataError(
      write('q.csv', 'text,label\n"a"b,en\n'),
      'classify',
      2,
      /unexpected character "b" after the closing quote of field 1; write a quote inside a quoted field as ""/,
    );
  });

  test('bad JSON, not an object, wrong types', () => {
    assertDataError(
      write('j.jsonl', '{"text": "a", "label": "b"}\n{"text": "a", "label": }\n'),
      'classify',
      2,
      /invalid JSON: /,
    );
    assertDataError(
      write('j.jsonl', '["a", "b"]\n'),
      'classify',
      1,
      /expected a JSON object with the keys 'text', 'label', got an array/,
    );
    assertDataError(
      write('j.jsonl', '{"text": 5, "label": "b"}\n'),
      'classify',
      1,
      /'text' must be a string, got number/,
    );
    assertDataError(
      write('j.jsonl', '{"source": "a", "target": ["A", 1]}\n'),
      'seq2seq',
      1,
      /'target'\[1\] must be a non-empty string without spaces, got number/,
    );
    assertDataError(
      write('j.jsonl', '{"source": "a", "target": {"x": 1}}\n'),
      'seq2seq',
      1,
      /'target' must be a string of space-separated tokens or an array of strings, got object/,
    );
  });

  test('non-numeric values', () => {
    assertDataError(
      write('n.csv', 'date,value\n2020-01,1\n2020-02,abc\n'),
      'forecast',
      3,
      /'value' is "abc", expected a finite number/,
    );
    assertDataError(
      write('n.csv', 'value\n1\n\n\n""\n'),
      'forecast',
      5,
      /'value' is empty: the column to forecast needs a value at every step/,
    );
    assertDataError(write('n.csv', 'value\n0x10\n'), 'forecast', 2, /'value' is "0x10"/);
    assertDataError(write('n.csv', 'value\nInfinity\n'), 'forecast', 2, /'value' is "Infinity"/);
    assertDataError(write('n.jsonl', '{"value": null}\n'), 'forecast', 1, /'value' is empty: the column to forecast/);
  });

  test('tags / characters length mismatch', () => {
    assertDataError(
      write('t.csv', 'input,tags\nabc,- - -\nabcd,- -\n'),
      'tag',
      3,
      /'input' has 4 characters but 'tags' has 2 tags; expected one tag per character/,
    );
    assertDataError(
      write('t.jsonl', '{"input": "é", "tags": ["-", "-"]}\n'),
      'tag',
      1,
      /'input' has 1 character but 'tags' has 2 tags/,
    );
  });

  test('empty fields', () => {
    assertDataError(write('x.csv', 'text,label\nabc,\n'), 'classify', 2, /'label' is empty/);
    assertDataError(write('x.tsv', 'source\ttarget\nabc\t  \n'), 'seq2seq', 2, /'target' is empty/);
    assertDataError(write('x.csv', 'date,value\n,3\n'), 'forecast', 2, /'date' is empty/);
  });

  test('unknown extension or format, unreadable file', () => {
    assertDataError(write('u.xlsx', 'x'), 'classify', null, /cannot tell the format from the extension '.xlsx'/);
    assert.throws(
      () => loadUserData(write('u.csv', 'x'), 'classify', { format: 'xml' as 'csv' }),
      /unknown format 'xml'/,
    );
    const missing = join(dir, 'does-not-exist.csv');
    assertDataError(missing, 'classify', null, /cannot read the file: ENOENT/);
  });
});
