/**
 * The seq2seq task's own options: --attention chooses the decoder's attention (saved in the model
 * configuration, so evaluate and predict rebuild the same model), --beam-width the decoding width
 * of evaluation and predict (saved with the data); bad values are errors naming the flag. And the
 * task learns: a small addition set (two-digit operands), most held-out pairs exactly right.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { trainTask } from '../src/index.js';
import { tempDir } from './temp-dir.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));
const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: root });
const dir = tempDir('recurrent-seq2seq-options-');

/** `a+b,sum` lines, no header, for every pair of operands below `limit`. */
function additionFile(name: string, limit: number): string {
  const lines: string[] = [];
  for (let a = 0; a < limit; a++) for (let b = 0; b < limit; b++) lines.push(`${a}+${b},${a + b}`);
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe('seq2seq --attention and --beam-width', () => {
  const data = additionFile('one-digit.txt', 10);
  const out = join(dir, 'plain');
  const trained = run([
    'train',
    '--task',
    'seq2seq',
    '--data',
    data,
    '--epochs',
    '1',
    '--hidden',
    '8',
    '--attention',
    'none',
    '--beam-width',
    '3',
    '--out',
    out,
  ]);

  test('are saved: the attention in the model configuration, the width with the data and the run', () => {
    assert.equal(trained.status, 0, trained.stderr);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    assert.equal(config.modelConfig.attention, 'none');
    assert.equal(config.data.beamWidth, 3);
    assert.deepEqual(config.run.taskOptions, { attention: 'none', beamWidth: 3 });
  });

  test('evaluate and predict rebuild the same model (attention none) from the saved options', () => {
    const evaluated = run(['evaluate', out, '--data', data, '--json']);
    assert.equal(evaluated.status, 0, evaluated.stderr);
    const predicted = run(['predict', out, '3+4']);
    assert.equal(predicted.status, 0, predicted.stderr);
    assert.match(predicted.stdout, /^3\+4\t\d*$/m);
  });

  test('bad values are errors naming the flag', () => {
    for (const [flag, value] of [
      ['--attention', 'dot'],
      ['--beam-width', '0'],
      ['--beam-width', '1.5'],
    ] as const) {
      const r = run([
        'train',
        '--task',
        'seq2seq',
        '--data',
        data,
        '--epochs',
        '1',
        flag,
        value,
        '--out',
        join(dir, 'bad'),
      ]);
      assert.notEqual(r.status, 0, `${flag} ${value} was accepted`);
      assert.match(r.stderr, new RegExp(`${flag}.*${value.replace('.', '\\.')}`), r.stderr);
    }
  });
});

describe('seq2seq learns addition', () => {
  test('two-digit operands: most held-out pairs exactly right after a few epochs', async () => {
    const data = additionFile('two-digit.txt', 100);
    const outcome = await trainTask({
      task: 'seq2seq',
      data,
      out: join(dir, 'addition'),
      epochs: 6,
      hiddenSize: 64,
      bidirectional: true,
      lr: 0.01,
      batchSize: 32,
      dataOptions: { split: '0.8,0.1,0.1' },
    });
    const { metrics, baseline } = outcome.evaluation;
    // 1,000 held-out sums that were never trained on (0.82 measured with the native backend);
    // the nearest training question gets few right.
    assert.ok(metrics['exactMatch']! >= 0.7, `exact match ${metrics['exactMatch']}`);
    assert.ok(baseline['exactMatch']! < 0.5, `baseline exact match ${baseline['exactMatch']}`);
  });
});
