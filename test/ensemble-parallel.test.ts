/**
 * `--ensemble N --ensemble-training parallel`: each member trains alone on its own worker thread,
 * from the initial weights it has in the whole ensemble; the saved model holds every member
 * exactly as that member trained alone and is scored as `recurrent evaluate` scores it;
 * `--resume` continues every member (bit-identical to an uninterrupted run); a stop request
 * stops them all and still saves the model.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Generator } from '../src/index.js';
import type { Seq2SeqEnsemble } from '../src/models/seq2seq-ensemble.js';
import { evaluateModel } from '../src/tasks/evaluate.js';
import { loadModelDirectory } from '../src/tasks/model-dir.js';
import { memberDirectory } from '../src/tasks/parallel-members.js';
import { type TrainOptions, trainMember, trainTask } from '../src/tasks/run.js';
import { prepareSeq2Seq } from '../src/tasks/seq2seq.js';
import { tempDir } from './temp-dir.js';

const dir = tempDir('recurrent-ensemble-parallel-');
const data = join(dir, 'addition.txt');
const lines: string[] = [];
for (let a = 0; a < 12; a++) for (let b = 0; b < 12; b++) lines.push(`${a}+${b},${a + b}`);
writeFileSync(data, `${lines.join('\n')}\n`);

const options = (out: string, epochs: number): TrainOptions => ({
  task: 'seq2seq',
  data,
  epochs,
  hiddenSize: 8,
  dropout: 0.1,
  out,
  taskOptions: { ensemble: '2', ensembleTraining: 'parallel' },
});

/** The saved model's member k weights, by name without the `member<k>.` prefix. */
const savedMember = (out: string, k: number) =>
  Object.fromEntries(
    Object.entries((loadModelDirectory(out).model as Seq2SeqEnsemble).members[k]!.stateDict()).map(([n, t]) => [
      n,
      Array.from(t.data),
    ]),
  );

describe('seq2seq --ensemble-training parallel', () => {
  test('member k built alone has the initial weights of the whole ensemble’s member k', () => {
    const pair = (a: number) => ({ source: `${a}+1`, target: [...String(a + 1)] });
    const splits = { train: [0, 1, 2, 3].map(pair), validation: [pair(9)], test: [pair(8)] };
    const settings = {
      cell: 'gru' as const,
      hiddenSize: 6,
      numLayers: 1,
      bidirectional: true,
      dropout: 0,
      batchSize: 2,
      maxTrainExamples: 0,
    };
    const reading = { source: 'chars' as const, target: 'chars' as const, lowercase: false };
    const own = { attention: 'bahdanau' as const, ensemble: 3 };
    const whole = prepareSeq2Seq(splits, settings, new Generator(7), reading, undefined, own).model as Seq2SeqEnsemble;
    for (const k of [0, 2]) {
      const alone = prepareSeq2Seq(
        splits,
        { ...settings, ensembleMember: k },
        new Generator(7),
        reading,
        undefined,
        own,
      );
      const expected = whole.members[k]!.stateDict();
      for (const [name, t] of Object.entries(alone.model.stateDict()))
        assert.deepEqual(Array.from(t.data), Array.from(expected[name]!.data), `member ${k}: ${name}`);
    }
  });

  const parallel = join(dir, 'parallel');
  test('the saved ensemble holds each member exactly as it trained alone', async () => {
    const outcome = await trainTask(options(parallel, 2));
    assert.equal(outcome.epochsRun, 2);
    assert.equal(outcome.trainLoss.length, 2);
    assert.ok(existsSync(join(memberDirectory(parallel, 1), 'checkpoint', 'latest.json')));
    assert.equal(loadModelDirectory(parallel).config.modelConfig['members'], 2);
    for (const k of [0, 1]) {
      const alone = await trainMember({ ...options(join(dir, `alone-${k}`), 2), member: k });
      const weights = Object.fromEntries(Object.entries(alone.weights).map(([n, t]) => [n, Array.from(t.data)]));
      assert.deepEqual(savedMember(parallel, k), weights, `member ${k}`);
    }
    // The members differ (their own initial weights), so the ensemble is not one model twice.
    assert.notDeepEqual(savedMember(parallel, 0), savedMember(parallel, 1));
  });

  test('the run scores its test part as inference (dropout off), as `recurrent evaluate` does', async () => {
    const test = join(dir, 'test.txt');
    writeFileSync(test, `${lines.slice(0, 40).join('\n')}\n`);
    const scored = await trainTask({ ...options(join(dir, 'scored'), 1), dropout: 0.5, dataOptions: { test } });
    assert.deepEqual(evaluateModel(join(dir, 'scored'), test).evaluation.metrics, scored.evaluation.metrics);
  });

  test('--resume continues every member, as if never interrupted', async () => {
    const resumed = join(dir, 'resumed');
    await trainTask(options(resumed, 1));
    const outcome = await trainTask({ out: resumed, resume: true, epochs: 2 });
    assert.equal(outcome.epochsRun, 2);
    for (const k of [0, 1]) assert.deepEqual(savedMember(resumed, k), savedMember(parallel, k), `member ${k}`);
  });

  test('a stop request stops every member and the model is still saved', async () => {
    const stopped = join(dir, 'stopped');
    const outcome = await trainTask(options(stopped, 50), { stopRequested: () => true });
    assert.equal(outcome.interrupted, true);
    assert.ok(outcome.epochsRun < 50);
    assert.equal(loadModelDirectory(stopped).config.modelConfig['members'], 2);
  });
  test('with one model it trains as usual, and says so; another task refuses the flag, naming its task', async () => {
    const notices: string[] = [];
    const one = join(dir, 'one');
    await trainTask(
      { ...options(one, 1), taskOptions: { ensembleTraining: 'parallel' } },
      { onNotice: (m) => notices.push(m) },
    );
    assert.ok(
      notices.some((m) => m.startsWith('--ensemble-training parallel: one model')),
      notices.join('\n'),
    );
    assert.equal(existsSync(memberDirectory(one, 0)), false);
    await assert.rejects(
      trainTask({
        task: 'classify',
        epochs: 1,
        out: join(dir, 'classify'),
        taskOptions: { ensembleTraining: 'parallel' },
      }),
      /option --ensemble-training is not one of task classify's .*it belongs to --task seq2seq/,
    );
  });
});
