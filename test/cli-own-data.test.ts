/**
 * `recurrent train` / `predict` / `evaluate` on files as users have them: a headerless Keras-style
 * addition file, numeric classify / tag sequences and a multi-column forecast (the embedded
 * weather data), the split flags, and the warnings and errors about the data.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { tempDir } from './temp-dir.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));
const run = (args: string[], input?: string) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: root, ...(input !== undefined && { input }) });
const dir = tempDir('recurrent-own-');
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, any>;

/** `a+b,sum` lines for one-digit operands, all 100 of them (3 copies), no header. */
function additionFile(): string {
  const lines: string[] = [];
  for (let a = 0; a < 10; a++) for (let b = 0; b < 10; b++) lines.push(`${a}+${b},${a + b}`);
  const path = join(dir, 'addition.txt');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe('recurrent train on a headerless addition file', () => {
  const data = additionFile();
  const out = join(dir, 'addition');
  const trained = run([
    'train',
    '--task',
    'seq2seq',
    '--data',
    data,
    '--epochs',
    '2',
    '--hidden',
    '16',
    '--out',
    out,
    '--split',
    '0.7,0.15,0.15',
  ]);

  test('notices: columns by position, characters on both sides, the split', () => {
    assert.equal(trained.status, 0, trained.stderr);
    assert.match(trained.stderr, /no header row found: taking column 1 as source, column 2 as target/);
    assert.match(trained.stderr, /source: read as characters \(auto/);
    assert.match(trained.stderr, /target: read as characters \(auto/);
    assert.match(trained.stderr, /split: 70 train \/ 15 validation \(cut from the data\) \/ 15 test/);
    assert.match(trained.stdout, /exactMatch/);
    assert.match(
      trained.stdout,
      /(beats|ties with|does NOT beat) the nearest neighbour \(edit distance\) baseline on tokenErrorRate/,
    );
  });

  test('the token modes are saved and predict joins characters back into numbers', () => {
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    assert.deepEqual(config.data.tokens, { source: 'chars', target: 'chars' });
    assert.equal(config.data.lowercase, false);
    assert.equal(config.run.data, data);
    const predicted = run(['predict', out, '3+4', '9+9']);
    assert.equal(predicted.status, 0, predicted.stderr);
    for (const line of predicted.stdout.split('\n').filter((l) => l !== '')) assert.match(line, /^\d\+\d\t\d*$/, line);
  });

  test('evaluate --json scores another file with exact match, token error rate and the baseline', () => {
    const other = join(dir, 'more.txt');
    writeFileSync(other, '1+2,3\n4+4,8\n7+5,12\n');
    const evaluated = run(['evaluate', out, '--data', other, '--json']);
    assert.equal(evaluated.status, 0, evaluated.stderr);
    const result = lastJson(evaluated.stdout);
    assert.equal(result['task'], 'seq2seq');
    for (const key of ['exactMatch', 'tokenErrorRate', 'sequenceErrorRate']) {
      assert.ok(typeof result['metrics'][key] === 'number' && typeof result['baseline'][key] === 'number', key);
    }
    assert.equal(result['metrics'].exactMatch, 1 - result['metrics'].sequenceErrorRate);
    assert.equal(typeof result['beatsBaseline'], 'boolean');
    assert.equal(result['baselineName'], 'nearest neighbour (edit distance)');
  });

  test('--valid and --test files replace the cuts', () => {
    const valid = join(dir, 'valid.txt');
    const test = join(dir, 'test.txt');
    writeFileSync(valid, '1+1,2\n2+2,4\n');
    writeFileSync(test, '3+3,6\n4+1,5\n5+0,5\n');
    const r = run([
      'train',
      '--task',
      'seq2seq',
      '--data',
      data,
      '--valid',
      valid,
      '--test',
      test,
      '--epochs',
      '1',
      '--hidden',
      '8',
      '--out',
      join(dir, 'vt'),
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`split: 100 train / 2 validation \\(${valid.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\) / 3 test`),
    );
    assert.match(r.stderr, /2 of 2 validation examples \(100.0%\) also appear in training/);
  });
});

describe('numeric sequences and several columns, with the embedded weather data', () => {
  test('classify: long CSV of daily weather -> city; features standardised and saved; predict takes a JSON sequence', () => {
    const out = join(dir, 'city');
    const r = run([
      'train',
      '--task',
      'classify',
      '--data',
      'data/weather/city-weeks.csv',
      '--epochs',
      '3',
      '--hidden',
      '8',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const result = lastJson(r.stdout);
    assert.equal(result['baselineName'], 'nearest class mean');
    assert.equal(result['reference'].name, 'majority class');
    assert.ok(
      result['metrics'].accuracy > result['reference'].metrics.accuracy,
      `accuracy ${result['metrics'].accuracy}`,
    );
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    assert.deepEqual(config.data.features, ['precipitation', 'temp_max', 'temp_min', 'wind']);
    assert.equal(config.data.featureStats.mean.length, 4);
    assert.ok(
      config.data.featureStats.mean[1] > 10 && config.data.featureStats.mean[1] < 25,
      'temp_max mean in degrees C',
    );
    assert.equal(config.modelConfig.inputSize, 4);
    const week = JSON.stringify(Array.from({ length: 7 }, () => [0, 30, 20, 3]));
    const p = run(['predict', out], `${week}\n`);
    assert.equal(p.status, 0, p.stderr);
    assert.match(p.stdout, /\t(Seattle|New York)\t0\.\d{3}\n$/);
    const bad = run(['predict', out, '[[1, 2]]']);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /step 0 must hold 4 finite numbers/);
    const evaluated = run(['evaluate', out, '--data', 'data/weather/city-weeks.csv']);
    assert.equal(evaluated.status, 0, evaluated.stderr);
    assert.match(evaluated.stdout, /accuracy .* nearest class mean/s);
  });

  test('tag: JSONL fortnights -> the weather of each day', () => {
    const out = join(dir, 'days');
    const r = run([
      'train',
      '--task',
      'tag',
      '--data',
      'data/weather/fortnights.jsonl',
      '--epochs',
      '2',
      '--hidden',
      '8',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const result = lastJson(r.stdout);
    assert.ok(result['metrics'].stepAccuracy >= 0 && result['metrics'].stepAccuracy <= 1);
    assert.equal(result['baselineName'], 'nearest tag mean per step');
    const days = JSON.stringify(Array.from({ length: 5 }, (_, i) => [i * 5, 12, 5, 3]));
    const p = run(['predict', out], `${days}\n`);
    assert.equal(p.status, 0, p.stderr);
    assert.equal(p.stdout.trim().split('\t')[1]!.split(' ').length, 5);
  });

  test('forecast: --target with the other columns as covariates, --horizon; predict takes rows of all columns', () => {
    const out = join(dir, 'seattle');
    const r = run([
      'train',
      '--task',
      'forecast',
      '--data',
      'data/weather/seattle-daily.csv',
      '--target',
      'temp_max',
      '--season',
      '1',
      '--input-length',
      '14',
      '--horizon',
      '7',
      '--epochs',
      '2',
      '--hidden',
      '8',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const result = lastJson(r.stdout);
    assert.match(result['baselineName'], /^ETS/);
    assert.match(result['reference'].name, /^seasonal naive/);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    assert.deepEqual(config.data.covariates, ['precipitation', 'temp_min', 'wind']);
    assert.equal(config.modelConfig.inputSize, 4);
    assert.equal(config.modelConfig.horizon, 7);
    const rows = Array.from({ length: 15 }, (_, i) => `${10 + (i % 3)},0,${5 + (i % 2)},3`).join('\n');
    const p = run(['predict', out], `${rows}\n`);
    assert.equal(p.status, 0, p.stderr);
    const values = p.stdout.trim().split('\n').map(Number);
    assert.equal(values.length, 7);
    assert.ok(
      values.every((v) => Number.isFinite(v) && v > -20 && v < 50),
      values.join(' '),
    );
  });
});

describe('warnings and errors about the data', () => {
  test('a series too short for the forecast windows says which option would fit', () => {
    const path = join(dir, 'short-series.csv');
    const values = Array.from({ length: 60 }, (_, i) => `${i},${(10 + Math.sin(i / 2)).toFixed(3)}`);
    writeFileSync(path, `step,load\n${values.join('\n')}\n`);
    const train = (...extra: string[]) =>
      run([
        'train',
        '--task',
        'forecast',
        '--data',
        path,
        '--target',
        'load',
        '--epochs',
        '1',
        '--hidden',
        '4',
        ...extra,
      ]);
    // 60 values; input 36 + season 12 + 3·24 + 1 = 121 needed; input 1 would still need 86.
    const tooLong = train('--out', join(dir, 'short'));
    assert.notEqual(tooLong.status, 0);
    assert.match(tooLong.stderr, /the series has 60 values; need at least 121 .*: lower --horizon .* or --season/);
    // With a horizon of 6: 36 + 12 + 18 + 1 = 67 needed, so an input of 29 fits (and does train).
    const hinted = train('--horizon', '6', '--out', join(dir, 'short'));
    assert.notEqual(hinted.status, 0);
    assert.match(hinted.stderr, /need at least 67 .*: --input-length 29 or less fits/);
    const fits = train('--horizon', '6', '--input-length', '29', '--out', join(dir, 'short-fits'));
    assert.equal(fits.status, 0, fits.stderr);
  });

  test('a 2-row file is refused: training could not be measured', () => {
    const path = join(dir, 'tiny.csv');
    writeFileSync(path, 'text,label\nhello,en\nbonjour,fr\n');
    const r = run(['train', '--data', path, '--epochs', '1', '--out', join(dir, 'tiny')]);
    assert.notEqual(r.status, 0);
    assert.match(
      r.stderr,
      /error: .*tiny\.csv: 2 examples leave no (validation|test) example: training cannot be measured/,
    );
  });

  test('a 1-row file is refused with the file named, not deep inside the split', () => {
    const path = join(dir, 'one.csv');
    writeFileSync(path, 'text,label\nhello,en\n');
    const r = run(['train', '--data', path, '--epochs', '1', '--out', join(dir, 'one')]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /error: .*one\.csv: 1 example leaves no validation example: training cannot be measured/);
    assert.doesNotMatch(r.stderr, /splitDataset/);
  });

  test('few examples and a tiny class are warned about', () => {
    const rows = [
      'text,label',
      ...Array.from(
        { length: 60 },
        (_, i) => `${'ab'.repeat(1 + (i % 4))}${i},${i === 0 ? 'rare' : i % 2 ? 'x' : 'y'}`,
      ),
    ];
    const path = join(dir, 'small.csv');
    writeFileSync(path, `${rows.join('\n')}\n`);
    const r = run([
      'train',
      '--data',
      path,
      '--epochs',
      '1',
      '--hidden',
      '4',
      '--out',
      join(dir, 'small'),
      '--split',
      '0.6,0.2,0.2',
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /warning: only 36 training examples/);
    assert.match(
      r.stderr,
      /warning: 1 class has fewer than 5 training examples \('rare': 1\)|never appear in training \('rare'\)/,
    );
  });
});
