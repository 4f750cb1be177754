/**
 * Seq2SeqEnsemble and `--ensemble N`: the members' mean probability (value and gradient), an
 * ensemble of identical members decoding exactly as the one model, training as the mean of the
 * members' own losses, and the model directory round trip through the CLI (train, predict,
 * evaluate), with exports refused by name.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { Generator } from '../src/index.js';
import { logMeanProbability, Seq2SeqEnsemble } from '../src/models/seq2seq-ensemble.js';
import { Seq2Seq } from '../src/models/seq2seq.js';
import { prepareSeq2Seq } from '../src/tasks/seq2seq.js';
import { Tensor } from '../src/tensor/tensor.js';
import { crossEntropy } from '../src/train/losses.js';
import { tempDir } from './temp-dir.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));
const run = (args: string[], input?: string) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: root, ...(input !== undefined && { input }) });
const dir = tempDir('recurrent-ensemble-');

const randomScores = (g: Generator, shape: number[], requiresGrad = false) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(
    Float32Array.from({ length: n }, () => 4 * (g.random() - 0.5)),
    shape,
    { requiresGrad },
  );
};

describe('logMeanProbability', () => {
  test('exp of it is the mean of the members’ softmax, and it is normalized', () => {
    const g = new Generator(3);
    const scores = [0, 1, 2].map(() => randomScores(g, [4, 6]));
    const combined = logMeanProbability(scores);
    const softmaxes = scores.map((s) => s.softmax(-1).data);
    for (let r = 0; r < 4; r++) {
      let total = 0;
      for (let c = 0; c < 6; c++) {
        const i = r * 6 + c;
        const mean = (softmaxes[0]![i]! + softmaxes[1]![i]! + softmaxes[2]![i]!) / 3;
        assert.ok(Math.abs(Math.exp(combined.data[i]!) - mean) < 1e-6, `row ${r}, class ${c}`);
        total += Math.exp(combined.data[i]!);
      }
      assert.ok(Math.abs(total - 1) < 1e-5, `row ${r} sums to ${total}`);
    }
  });

  test('its gradient: ∂ log p̄(y) / ∂ z_k(c) = (p_k(y) / Σ_j p_j(y))·(δ_yc − p_k(c))', () => {
    const g = new Generator(4);
    const scores = [0, 1].map(() => randomScores(g, [1, 5], true));
    const y = 2;
    logMeanProbability(scores).select(1, y).sum().backward();
    const p = scores.map((s) => s.softmax(-1).data);
    const share = (k: number) => p[k]![y]! / (p[0]![y]! + p[1]![y]!);
    for (let k = 0; k < 2; k++)
      for (let c = 0; c < 5; c++) {
        const expected = share(k) * ((c === y ? 1 : 0) - p[k]![c]!);
        assert.ok(Math.abs(scores[k]!.grad!.data[c]! - expected) < 1e-6, `member ${k}, class ${c}`);
      }
  });
});

const config = {
  sourceVocabSize: 9,
  targetVocabSize: 8,
  hiddenSize: 8,
  embeddingDim: 6,
  bidirectionalEncoder: true,
  attention: 'bahdanau' as const,
};

describe('Seq2SeqEnsemble', () => {
  const source = new Tensor(Float32Array.of(4, 5, 6, 7, 8, 4, 0, 0), [2, 4]);
  const lengths = [4, 2];

  test('members start from different weights; identical members decode exactly as the one model', () => {
    const ensemble = new Seq2SeqEnsemble({ ...config, members: 3 }, new Generator(5));
    const [a, b] = ensemble.members;
    assert.notDeepEqual(a!.head.weight.data, b!.head.weight.data);
    const single = new Seq2Seq(config, new Generator(6));
    for (const member of ensemble.members) member.loadStateDict(single.stateDict());
    single.eval();
    ensemble.eval();
    for (const beamWidth of [1, 3])
      assert.deepEqual(
        ensemble.decode(source, lengths, { maxLength: 6, beamWidth }),
        single.decode(source, lengths, { maxLength: 6, beamWidth }),
        `beam width ${beamWidth}`,
      );
    const target = new Tensor(Float32Array.of(2, 4, 5, 2, 6, 0), [2, 3]);
    const combined = ensemble.forward(source, lengths, target).data;
    const alone = single.forward(source, lengths, target).logSoftmax(-1).data;
    combined.forEach((v, i) => assert.ok(Math.abs(v - alone[i]!) < 1e-5, `${i}: ${v} vs ${alone[i]}`));
  });

  test('a bad member count is an error naming it', () => {
    assert.throws(() => new Seq2SeqEnsemble({ ...config, members: 1 }), /members must be an integer >= 2, got 1/);
  });
});

describe('seq2seq --ensemble in training', () => {
  const pair = (a: number) => ({ source: `${a}+1`, target: [...String(a + 1)] });
  const splits = {
    train: Array.from({ length: 8 }, (_, i) => pair(i)),
    validation: [pair(20), pair(21)],
    test: [pair(22)],
  };
  const settings = {
    cell: 'gru' as const,
    hiddenSize: 8,
    numLayers: 1,
    bidirectional: false,
    dropout: 0,
    batchSize: 4,
    maxTrainExamples: 0,
  };
  const reading = { source: 'chars' as const, target: 'chars' as const, lowercase: false };

  test('the training loss is the mean of the members’ own losses; validation scores the ensemble', () => {
    const task = prepareSeq2Seq(splits, settings, new Generator(1), reading, undefined, {
      attention: 'luong',
      ensemble: 2,
    });
    const ensemble = task.model as Seq2SeqEnsemble;
    assert.ok(ensemble instanceof Seq2SeqEnsemble);
    assert.equal(ensemble.members.length, 2);
    const batch = task.trainBatches(new Generator(2))[0] as {
      source: Tensor;
      sourceLengths: number[];
      targetInput: Tensor;
      targetOutput: Int32Array;
    };
    const own = ensemble.members.map((m) => {
      const logits = m.forward(batch.source, batch.sourceLengths, batch.targetInput);
      return crossEntropy(logits.reshape([-1, logits.shape[2]!]), batch.targetOutput, { ignoreIndex: 0 }).item();
    });
    const loss = task.loss(batch);
    assert.ok(Math.abs(loss.item() - (own[0]! + own[1]!) / 2) < 1e-6, `${loss.item()} vs ${own}`);
    // Each member's gradient is half its own loss's gradient: it learns as if alone.
    loss.backward();
    const w = ensemble.members[0]!.head.weight;
    const fromEnsemble = Float32Array.from(w.grad!.data);
    w.grad = null;
    const logits = ensemble.members[0]!.forward(batch.source, batch.sourceLengths, batch.targetInput);
    crossEntropy(logits.reshape([-1, logits.shape[2]!]), batch.targetOutput, { ignoreIndex: 0 }).backward();
    fromEnsemble.forEach((v, i) => assert.ok(Math.abs(v - w.grad!.data[i]! / 2) < 1e-6, `${i}`));
    assert.equal(task.artifacts().modelConfig['members'], 2);
  });
});

describe('recurrent train --ensemble', () => {
  const lines: string[] = [];
  for (let a = 0; a < 10; a++) for (let b = 0; b < 10; b++) lines.push(`${a}+${b},${a + b}`);
  const data = join(dir, 'addition.txt');
  writeFileSync(data, `${lines.join('\n')}\n`);
  const out = join(dir, 'ensemble');
  const trained = run([
    'train',
    '--task',
    'seq2seq',
    '--data',
    data,
    '--ensemble',
    '2',
    '--epochs',
    '1',
    '--hidden',
    '8',
    '--out',
    out,
  ]);

  test('saves both members; predict and evaluate load them', () => {
    assert.equal(trained.status, 0, trained.stderr);
    const saved = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    assert.equal(saved.modelConfig.members, 2);
    const predicted = run(['predict', out], '3+4\n');
    assert.equal(predicted.status, 0, predicted.stderr);
    assert.match(predicted.stdout, /^3\+4\t/);
    const evaluated = run(['evaluate', out, '--data', data, '--json']);
    assert.equal(evaluated.status, 0, evaluated.stderr);
    assert.ok('exactMatch' in JSON.parse(evaluated.stdout.trim().split('\n').pop()!).metrics);
  });

  test('exports are refused, naming the ensemble', () => {
    for (const format of ['onnx', 'pytorch']) {
      const r = run(['export', out, '--format', format, '--out', join(dir, `export-${format}`)]);
      assert.notEqual(r.status, 0, format);
      assert.match(r.stderr, /ensemble of 2 seq2seq models .*train without --ensemble/, format);
    }
  });

  test('a bad count is an error naming the flag', () => {
    const r = run(['train', '--task', 'seq2seq', '--ensemble', '0', '--epochs', '1', '--out', join(dir, 'bad')]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /--ensemble must be an integer >= 1, got '0'/);
  });
});
