/** evaluateModel: a saved model scored on a file beside the baseline, from the training options saved with it. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import '../src/index.js';
import { FormatError } from '../src/errors.js';
import { evaluateModel } from '../src/tasks/evaluate.js';
import { trainTask } from '../src/tasks/run.js';
import { tempDir } from './temp-dir.js';

describe('evaluateModel', () => {
  test('scores a file with the task metrics and the baseline of training; refuses a directory it cannot rebuild', async () => {
    const dir = tempDir('recurrent-evaluate-');
    const data = join(dir, 'words.csv');
    const rows = ['text,label'];
    for (let i = 0; i < 200; i++)
      rows.push(
        `${i % 2 ? 'zx'.repeat(1 + (i % 3)) : 'ae'.repeat(1 + (i % 3))}${String.fromCharCode(97 + (i % 26))},${i % 2 ? 'b' : 'a'}`,
      );
    writeFileSync(data, `${rows.join('\n')}\n`);
    const out = join(dir, 'model');
    const trained = await trainTask({ task: 'classify', data, epochs: 3, hiddenSize: 8, out });
    const other = join(dir, 'other.csv');
    writeFileSync(other, 'text,label\naeaeq,a\nzxzxq,b\nzxq,b\naeq,a\n');
    const result = evaluateModel(out, other);
    assert.equal(result.task, 'classify');
    assert.deepEqual(Object.keys(result.evaluation.metrics), ['accuracy', 'macroF1']);
    assert.equal(result.evaluation.baselineName, trained.evaluation.baselineName);
    assert.equal(result.evaluation.baseline.accuracy, 1, 'naive Bayes gets these 4 easy words');
    assert.equal(typeof result.beatsBaseline, 'boolean');
    // The training file changed since: the rebuilt model would differ, so evaluation refuses.
    writeFileSync(
      data,
      `${[...rows, ...Array.from({ length: 50 }, (_, i) => `w${'q'.repeat(1 + (i % 5))}${i},c`)].join('\n')}\n`,
    );
    assert.throws(
      () => evaluateModel(out, other),
      (e: unknown) => e instanceof FormatError && /no longer gives this model's configuration/.test(e.message),
    );
    // A directory saved without its run options.
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    delete config.run;
    writeFileSync(join(out, 'config.json'), JSON.stringify(config));
    assert.throws(() => evaluateModel(out, other), /has no `run`/);
  });
});
