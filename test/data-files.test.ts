/**
 * Files as users have them: header detection, delimiter sniffing, --columns, token modes,
 * numeric sequences, multi-column series, the split flags and the warnings.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DataError, ValueError } from '../src/errors.js';
import { checkSplits, parseSplit } from '../src/data/checks.js';
import { fillGaps, isMissingCell } from '../src/data/gaps.js';
import { featureStats, standardize } from '../src/data/numeric.js';
import { looksLikeHeader, sniffFormat } from '../src/data/sniff.js';
import { chooseTokens, joinTokens, tokenize } from '../src/data/tokens.js';
import { parseOwnData, readOwnData } from '../src/data/user-data.js';
import { tempDir } from './temp-dir.js';

const dir = tempDir('recurrent-files-');
let counter = 0;
function write(name: string, text: string): string {
  const path = join(dir, `${counter++}-${name}`);
  writeFileSync(path, text);
  return path;
}

describe('header detection and delimiter sniffing', () => {
  test('a known column name makes a header; repeated categorical or numeric-typed first rows do not', () => {
    assert.equal(
      looksLikeHeader(
        [
          ['text', 'label'],
          ['hi', 'en'],
        ],
        ['text', 'label'],
      ),
      true,
    );
    assert.equal(
      looksLikeHeader(
        [
          ['word', 'lang'],
          ['a', 'en'],
          ['b', 'fr'],
          ['c', 'en'],
          ['d', 'fr'],
          ['e', 'en'],
        ],
        ['text', 'label'],
      ),
      true,
    );
    assert.equal(
      looksLikeHeader(
        [
          ['hello', 'en'],
          ['a', 'en'],
          ['b', 'fr'],
          ['c', 'en'],
          ['d', 'fr'],
          ['e', 'en'],
        ],
        ['text', 'label'],
      ),
      false,
    );
    assert.equal(
      looksLikeHeader(
        [
          ['535+61', '596'],
          ['12+3', '15'],
          ['1+1', '2'],
        ],
        ['source', 'target'],
      ),
      false,
    );
    assert.equal(
      looksLikeHeader(
        [
          ['question', 'answer'],
          ['12+3', '15'],
          ['1+1', '2'],
        ],
        ['source', 'target'],
      ),
      true,
    );
  });

  test('a column of token sequences: a one-word name above it is a header, a one-token value used below is not', () => {
    const known = ['source', 'target'];
    const rows = (first: string[]) => [first, ['hello', 'h ɛ l oʊ'], ['bonjour', 'b ɔ̃ ʒ u ʁ'], ['tea', 't iː']];
    assert.equal(looksLikeHeader(rows(['word', 'ipa']), known), true);
    assert.equal(looksLikeHeader(rows(['Word', 'Pronunciation']), known), true);
    // A headerless file whose first word has one phoneme, used by the rows below: data.
    assert.equal(looksLikeHeader(rows(['a', 'ʁ']), known), false);
    // The first value has several tokens too: data.
    assert.equal(looksLikeHeader(rows(['hallo', 'h a l o']), known), false);
    // Too few rows below to tell: data.
    assert.equal(looksLikeHeader(rows(['word', 'ipa']).slice(0, 3), known), false);
  });

  test('sniffing: tab, comma, semicolon, bar; JSONL; a quoted comma does not hide the delimiter', () => {
    assert.deepEqual(sniffFormat('Go.\tVa !\tCC-BY\nHi.\tSalut !\tCC-BY\n', 'f'), { format: 'tsv', delimiter: '\t' });
    assert.deepEqual(sniffFormat('1+2,3\n4+5,9\n', 'f'), { format: 'csv', delimiter: ',' });
    assert.deepEqual(sniffFormat('a;b\nc;d\n', 'f'), { format: 'csv', delimiter: ';' });
    assert.deepEqual(sniffFormat('a|b\nc|d\n', 'f'), { format: 'csv', delimiter: '|' });
    assert.deepEqual(sniffFormat('{"a": 1}\n{"a": 2}\n', 'f'), { format: 'jsonl' });
    assert.deepEqual(sniffFormat('"a, b",x\nc,y\n', 'f'), { format: 'csv', delimiter: ',' });
  });
});

describe('headerless files and token auto-detection', () => {
  test('Keras addition (no header, .txt): columns by position with a notice; targets read as characters', () => {
    const path = write('addition.txt', '535+61,596\n12+3,15\n1+1,2\n');
    const data = readOwnData(path, 'seq2seq');
    assert.deepEqual(data.examples, [
      { source: '535+61', target: ['5', '9', '6'] },
      { source: '12+3', target: ['1', '5'] },
      { source: '1+1', target: ['2'] },
    ]);
    assert.deepEqual(data.tokens, { source: 'chars', target: 'chars' });
    assert.ok(
      data.notices.some((n) => /no header row found: taking column 1 as source, column 2 as target/.test(n)),
      data.notices.join('\n'),
    );
    assert.ok(data.notices.some((n) => /target: read as characters \(auto/.test(n)));
  });

  test('a header of other names over exactly the needed columns: taken by position, with a notice', () => {
    const path = write('ipa.tsv', 'word\tipa\nhello\th ɛ l oʊ\ncat\tk æ t\ntree\tt ɹ iː\n');
    const data = readOwnData(path, 'seq2seq');
    assert.deepEqual(
      data.examples.map((e) => e.source),
      ['hello', 'cat', 'tree'],
    );
    assert.deepEqual(data.examples[1]!.target, ['k', 'æ', 't']);
    assert.ok(
      data.notices.some((n) =>
        /the header row names 'word', 'ipa', not 'source', 'target': taking 'word' as source, 'ipa' as target/.test(n),
      ),
      data.notices.join('\n'),
    );
    // One of the task's names present, the other not: that is a misspelt header, still an error.
    assert.throws(
      () => readOwnData(write('half.tsv', 'source\tipa\nhello\th ɛ l oʊ\n'), 'seq2seq'),
      /missing column 'target'/,
    );
  });

  test('Tatoeba/Anki fra.txt: tab-separated, no header, an attribution column, quotes kept as text', () => {
    const path = write(
      'fra.txt',
      'Go.\tVa !\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272 (CM)\n"Hi," he said.\t« Salut », dit-il.\tCC-BY 2.0 (France) Attribution: tatoeba.org #1 (x)\n',
    );
    const data = readOwnData(path, 'seq2seq');
    assert.equal(data.examples.length, 2);
    assert.equal(data.examples[1]!.source, '"Hi," he said.');
    assert.deepEqual(data.tokens, { source: 'words', target: 'words' });
    assert.deepEqual(data.examples[1]!.target, ['«', 'Salut', '»,', 'dit-il.']);
    assert.ok(data.notices.some((n) => /1 more column ignored/.test(n)));
  });

  test('--no-header, --columns by name or position, explicit token modes', () => {
    const headed = write('q.csv', 'id,question,answer\n1,2+2,4\n2,3+3,6\n');
    const byName = readOwnData(headed, 'seq2seq', { columns: ['question', 'answer'], tokens: { target: 'words' } });
    assert.deepEqual(byName.examples, [
      { source: '2+2', target: ['4'] },
      { source: '3+3', target: ['6'] },
    ]);
    const byPosition = readOwnData(headed, 'seq2seq', { columns: ['2', '3'], header: true });
    assert.deepEqual(
      byPosition.examples.map((e) => e.source),
      ['2+2', '3+3'],
    );
    // A header row forced to be data.
    const forced = readOwnData(write('h.csv', 'text,label\nab,x\n'), 'classify', { header: false });
    assert.deepEqual(forced.examples, [
      { text: 'text', label: 'label' },
      { text: 'ab', label: 'x' },
    ]);
    assert.throws(
      () => readOwnData(headed, 'seq2seq', { columns: ['question', 'nope'] }),
      (e: unknown) => e instanceof DataError && /--columns: no column 'nope'/.test(e.message),
    );
    assert.throws(() => readOwnData(headed, 'seq2seq', { columns: ['question'] }), /--columns names 1 column/);
  });

  test('classify text: sentences read as words, single words as characters; tag per word when the counts say so', () => {
    const words = parseOwnData('text,label\nthe film was great,pos\nawful,neg\n', 'classify', { file: 'c.csv' });
    assert.equal(words.tokens.input, 'words');
    const chars = parseOwnData('text,label\nhello,en\nbonjour,fr\n', 'classify', { file: 'c.csv' });
    assert.equal(chars.tokens.input, 'chars');
    const pos = parseOwnData('input,tags\nthe cat sat,DT NN VB\na dog,DT NN\n', 'tag', { file: 't.csv' });
    assert.equal(pos.tokens.input, 'words');
    assert.throws(
      () => parseOwnData('input,tags\nthe cat,DT\n', 'tag', { file: 't.csv', tokens: { input: 'words' } }),
      /'input' has 2 words but 'tags' has 1 tag; expected one tag per word/,
    );
  });

  test('tokenize / joinTokens / chooseTokens', () => {
    assert.deepEqual(tokenize('a b', 'chars'), ['a', ' ', 'b']);
    assert.deepEqual(tokenize(' K  AE T ', 'words'), ['K', 'AE', 'T']);
    assert.equal(joinTokens(['5', '9', '6'], 'chars'), '596');
    assert.equal(joinTokens(['K', 'AE'], 'words'), 'K AE');
    assert.equal(chooseTokens(['596', ' 12 '], 'auto'), 'chars');
    assert.equal(chooseTokens(['5 9'], 'auto'), 'words');
    assert.throws(() => chooseTokens([], 'bytes' as 'auto'), ValueError);
  });

  test('a headerless classify file with the label first is an error that says which columns to take', () => {
    const rows = Array.from({ length: 40 }, (_, k) => `${k % 2 ? 'pos' : 'neg'}\tthe film number ${k} was fine`);
    assert.throws(
      () => parseOwnData(`${rows.join('\n')}\n`, 'classify', { file: 'reviews.tsv' }),
      (e: unknown) =>
        e instanceof DataError &&
        /has 40 distinct values in 40 rows, and column 1 only 2/.test(e.message) &&
        /--columns 2,1/.test(e.message),
    );
    const swapped = parseOwnData(`${rows.join('\n')}\n`, 'classify', { file: 'reviews.tsv', columns: ['2', '1'] });
    assert.deepEqual(swapped.examples[1], { text: 'the film number 1 was fine', label: 'pos' });
    // Text first, as the format says: read by position.
    const straight = rows.map((r) => r.split('\t').reverse().join('\t'));
    assert.equal(parseOwnData(`${straight.join('\n')}\n`, 'classify', { file: 'r.tsv' }).examples.length, 40);
  });

  test('an unknown extension with no delimiter is still an error naming the file', () => {
    assert.throws(
      () => readOwnData(write('x.dat', 'lonely\nwords\n'), 'classify'),
      /cannot tell the format from the extension '.dat' nor from the content/,
    );
  });
});

describe('numeric sequences and multi-column series', () => {
  test('JSONL sequences for classify and tag; long CSV grouped by id and ordered by step', () => {
    const jsonl = parseOwnData(
      '{"sequence": [[1, 2], [3, 4]], "label": "a"}\n{"sequence": [[5, 6]], "label": 1}\n',
      'classify',
      { file: 's.jsonl' },
    );
    assert.deepEqual(jsonl.numeric, {
      features: ['f1', 'f2'],
      examples: [
        {
          sequence: [
            [1, 2],
            [3, 4],
          ],
          label: 'a',
        },
        { sequence: [[5, 6]], label: '1' },
      ],
    });
    const tag = parseOwnData('{"sequence": [1, 2, 3], "tags": ["x", "y", "x"]}\n', 'tag', { file: 't.jsonl' });
    assert.deepEqual(tag.numeric!.examples, [{ sequence: [[1], [2], [3]], tags: ['x', 'y', 'x'] }]);
    const long = parseOwnData(
      'id,step,ax,ay,label\nb,2,7,8,run\na,1,1,2,walk\nb,1,5,6,run\na,2,3,4,walk\n',
      'classify',
      { file: 'l.csv' },
    );
    assert.deepEqual(long.numeric, {
      features: ['ax', 'ay'],
      examples: [
        {
          sequence: [
            [5, 6],
            [7, 8],
          ],
          label: 'run',
        },
        {
          sequence: [
            [1, 2],
            [3, 4],
          ],
          label: 'walk',
        },
      ],
    });
    const longTag = parseOwnData('id,step,x,tag\na,1,1,lo\na,2,9,hi\n', 'tag', { file: 'l.csv' });
    assert.deepEqual(longTag.numeric!.examples, [{ sequence: [[1], [9]], tags: ['lo', 'hi'] }]);
  });

  test('a spreadsheet export: ;-separated .csv with CRLF, columns named otherwise mapped by --columns ID,STEP,LABEL', () => {
    const text = 'sample id;t;acc x;acc y;activity\r\ns1;0;0.5;1;walk\r\ns1;1;0.25;2;walk\r\ns2;0;3;4;run\r\n';
    const notices: string[] = [];
    const data = parseOwnData(text, 'classify', {
      file: 'activity.csv',
      columns: ['sample id', 't', 'activity'],
      onNotice: (m) => notices.push(m),
    });
    assert.deepEqual(data.numeric, {
      features: ['acc x', 'acc y'],
      examples: [
        {
          sequence: [
            [0.5, 1],
            [0.25, 2],
          ],
          label: 'walk',
        },
        { sequence: [[3, 4]], label: 'run' },
      ],
    });
    assert.ok(notices.some((m) => /read as ";"-separated/.test(m)));
    // A comma file whose text holds one semicolon per line stays comma-separated.
    const text2 = parseOwnData('text,label\n"a; b",x\n"c; d",y\n', 'classify', { file: 't.csv' });
    assert.deepEqual(
      text2.examples.map((e) => e.text),
      ['a; b', 'c; d'],
    );
    // Decimal commas get a hint, not a silent misreading.
    assert.throws(
      () =>
        parseOwnData('id;step;x;label\na;1;0,5;p\n', 'classify', {
          file: 'l.csv',
        }),
      /'x' is "0,5", expected a finite number \(write decimal points/,
    );
  });

  test('numeric errors name the line: ragged features, mixed labels of one id, repeated step, tags/steps mismatch', () => {
    assert.throws(
      () => parseOwnData('{"sequence": [[1, 2], [3]], "label": "a"}\n', 'classify', { file: 's.jsonl' }),
      (e: unknown) => e instanceof DataError && e.line === 1 && /has 1 features, expected 2/.test(e.message),
    );
    assert.throws(
      () => parseOwnData('id,step,x,label\na,1,1,p\na,2,2,q\n', 'classify', { file: 'l.csv' }),
      (e: unknown) => e instanceof DataError && e.line === 3 && /a classify sequence has one label/.test(e.message),
    );
    assert.throws(
      () => parseOwnData('id,step,x,label\na,1,1,p\na,1,2,p\n', 'classify', { file: 'l.csv' }),
      /step 1 of this id appears twice/,
    );
    assert.throws(
      () => parseOwnData('{"sequence": [1, 2], "tags": ["x"]}\n', 'tag', { file: 't.jsonl' }),
      /'sequence' has 2 steps but 'tags' has 1 tags/,
    );
    assert.throws(
      () => parseOwnData('id,step,x,label\na,1,abc,p\n', 'classify', { file: 'l.csv' }),
      /'x' is "abc", expected a finite number/,
    );
  });

  test('featureStats and standardize: zero mean, unit variance per feature; constant features keep std 1', () => {
    const stats = featureStats([
      [
        [1, 5],
        [3, 5],
      ],
      [[5, 5]],
    ]);
    assert.deepEqual(stats.mean, [3, 5]);
    assert.ok(Math.abs(stats.std[0]! - Math.sqrt(8 / 3)) < 1e-12);
    assert.equal(stats.std[1], 1);
    const z = standardize(
      [
        [1, 5],
        [3, 5],
        [5, 5],
      ],
      stats,
    ).map((s) => s[0]!);
    assert.ok(Math.abs(z.reduce((a, b) => a + b, 0)) < 1e-12);
    assert.throws(() => standardize([[1]], stats), /step 0 has 1 features, expected 2/);
  });

  test('forecast: a Date column by any common name; a column with more than 10% blank cells (1 of 9) is left out with a notice naming the line', () => {
    const rows = ['Date,Temp,Humidity %,Sales'];
    for (let d = 1; d <= 9; d++) rows.push(`2024-01-0${d},${10 + d},${d === 4 ? '' : 50 - d},${100 + d}`);
    const notices: string[] = [];
    const data = parseOwnData(`${rows.join('\n')}\n`, 'forecast', {
      file: 'shop.csv',
      target: 'Sales',
      onNotice: (m) => notices.push(m),
    });
    assert.equal(data.examples.dates![0], '2024-01-01');
    assert.deepEqual(Object.keys(data.examples.covariates!), ['Temp']);
    assert.ok(
      notices.some((m) => /column 'Humidity %' left out: line 5 has ""/.test(m)),
      notices.join('\n'),
    );
  });

  test('forecast: a covariate with a few empty cells (blank, NA, null) keeps its column, the gaps interpolated, with a notice naming the lines', () => {
    const rows = ['date,load,temp'];
    for (let d = 1; d <= 20; d++) rows.push(`d${d},${100 + d},${d === 5 ? '' : d === 12 ? 'NA' : 2 * d}`);
    const notices: string[] = [];
    const data = parseOwnData(`${rows.join('\n')}\n`, 'forecast', {
      file: 'plant.csv',
      target: 'load',
      onNotice: (m) => notices.push(m),
    });
    const temp = data.examples.covariates!['temp']!;
    assert.equal(temp.length, 20);
    assert.equal(temp[4], 10); // between 8 (d4) and 12 (d6)
    assert.equal(temp[11], 24); // between 22 and 26
    assert.equal(temp[0], 2);
    assert.ok(
      notices.some((m) => /covariate 'temp' has 2 empty cells \(lines 6, 13\), filled by linear interpolation/.test(m)),
      notices.join('\n'),
    );
    // JSONL: null is an empty cell too; the target is chosen as the one numeric column when it has no gap.
    const jsonl = Array.from({ length: 20 }, (_, i) => JSON.stringify({ value: i, wind: i === 0 ? null : i * 3 }));
    assert.deepEqual(parseOwnData(`${jsonl.join('\n')}\n`, 'forecast', { file: 'w.jsonl' }).examples.covariates, {
      wind: [3, ...Array.from({ length: 19 }, (_, i) => (i + 1) * 3)],
    });
  });

  test('forecast: text in a covariate cell leaves the column out; an empty cell of the forecast column is an error naming its line', () => {
    const rows = ['date,load,temp'];
    for (let d = 1; d <= 20; d++) rows.push(`d${d},${d === 7 ? '' : 100 + d},${d === 3 ? 'broken' : 2 * d}`);
    const text = `${rows.join('\n')}\n`;
    const notices: string[] = [];
    assert.throws(
      () => parseOwnData(text, 'forecast', { file: 'plant.csv', target: 'load', onNotice: (m) => notices.push(m) }),
      (e: unknown) =>
        e instanceof DataError &&
        /plant\.csv:8: 'load' is empty: the column to forecast needs a value at every step/.test(e.message),
    );
    assert.ok(
      notices.some((m) => /column 'temp' left out: line 4 has "broken", not a number \(1 such cell\)$/.test(m)),
      notices.join('\n'),
    );
  });

  test('fillGaps interpolates inner gaps linearly and extends the nearest value over gaps at either end', () => {
    const N = Number.NaN;
    assert.deepEqual(fillGaps([N, 1, N, N, 4, N]), [1, 1, 2, 3, 4, 4]);
    assert.deepEqual(fillGaps([5]), [5]);
    assert.throws(() => fillGaps([N, N]), /no known value/);
    assert.ok(['', ' ', 'NA', 'n/a', 'NaN', 'null', 'None', null, undefined].every(isMissingCell));
    assert.ok(!['0', 'nan0', '-', 'x', 0].some(isMissingCell));
  });

  test('forecast: --target picks the column, the other numeric columns become covariates', () => {
    const text = 'date,temp,wind,rain\nd1,1,10,0\nd2,2,20,1\nd3,3,30,0\n';
    const chosen = parseOwnData(text, 'forecast', { file: 'w.csv', target: 'wind' });
    assert.deepEqual(chosen.examples, {
      dates: ['d1', 'd2', 'd3'],
      values: [10, 20, 30],
      covariates: { temp: [1, 2, 3], rain: [0, 1, 0] },
    });
    assert.throws(
      () => parseOwnData(text, 'forecast', { file: 'w.csv' }),
      /numeric columns 'temp', 'wind', 'rain'; choose the one to forecast with --target/,
    );
    // A headerless single column of numbers is a series.
    assert.deepEqual(parseOwnData('1\n2\n3\n', 'forecast', { file: 's.txt' }).examples, {
      dates: null,
      values: [1, 2, 3],
    });
  });
});

describe('splits and warnings', () => {
  test('--split parses three fractions summing to 1', () => {
    assert.deepEqual(parseSplit('0.8,0.1,0.1'), { train: 0.8, validation: 0.1, test: 0.1 });
    assert.throws(() => parseSplit('0.8,0.1'), /three fractions/);
    assert.throws(() => parseSplit('0.5,0.1,0.1'), /sum to 0.7000, expected 1/);
    assert.throws(() => parseSplit('0,0.5,0.5'), /training fraction must be > 0/);
  });

  test('empty parts and a single class are errors; few examples, tiny classes, unseen classes and duplicates are warnings', () => {
    const ex = (text: string, label: string) => ({ text, label });
    const key = ((e: { text: string }) => e.text) as never;
    const label = ((e: { label: string }) => e.label) as never;
    assert.throws(
      () => checkSplits({ train: [ex('a', 'x')], validation: [], test: [ex('b', 'x')] }, { key, label, file: 'f.csv' }),
      (e: unknown) => e instanceof DataError && /2 examples leave no validation example/.test(e.message),
    );
    assert.throws(
      () =>
        checkSplits(
          { train: [ex('a', 'x'), ex('b', 'x')], validation: [ex('c', 'x')], test: [ex('d', 'x')] },
          { key, label },
        ),
      /every training example has the class 'x'/,
    );
    const train = [...Array.from({ length: 20 }, (_, i) => ex(`w${i}`, 'big')), ex('only', 'tiny')];
    const warnings = checkSplits(
      { train, validation: [ex('w1', 'big'), ex('new', 'other')], test: [ex('z', 'big')] },
      { key, label },
    );
    assert.ok(
      warnings.some((w) => /only 21 training examples/.test(w)),
      warnings.join('\n'),
    );
    assert.ok(
      warnings.some((w) => /1 class has fewer than 5 training examples \('tiny': 1\)/.test(w)),
      warnings.join('\n'),
    );
    assert.ok(
      warnings.some((w) => /never appear in training \('other'\)/.test(w)),
      warnings.join('\n'),
    );
    assert.ok(
      warnings.some((w) => /1 of 2 validation examples \(50.0%\) also appear in training/.test(w)),
      warnings.join('\n'),
    );
    assert.ok(!warnings.some((w) => /test examples .* also appear/.test(w)));
    assert.ok(!warnings.some((w) => /distinct inputs/.test(w)));
  });

  test('many training rows over few distinct inputs are warned about; as many distinct inputs are not', () => {
    const key = (e: { source: string }) => e.source;
    const rows = (n: number, distinct: number) => Array.from({ length: n }, (_, i) => ({ source: `w${i % distinct}` }));
    const part = { validation: [{ source: 'v' }], test: [{ source: 't' }] };
    const warnings = checkSplits({ train: rows(480, 16), ...part }, { key });
    assert.ok(
      warnings.some((w) => /the 480 training examples have only 16 distinct inputs \(each about 30 times\)/.test(w)),
      warnings.join('\n'),
    );
    assert.deepEqual(checkSplits({ train: rows(480, 480), ...part }, { key }), []);
    assert.deepEqual(checkSplits({ train: rows(480, 240), ...part }, { key }), []);
  });
});
