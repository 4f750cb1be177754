/**
 * `recurrent train` and `recurrent predict` end to end on small settings: every task on its
 * embedded data and on a user file, the model directory, the report, --json, determinism,
 * bad data, a diverging loss and Ctrl-C.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { trainTask } from '../src/tasks/run.js';
import { loadPredictor } from '../src/tasks/model-dir.js';
import { DataError, loadSafetensors, nn, tensor, TrainingError } from '../src/index.js';
import { readCheckpoint, writeCheckpoint } from '../src/tasks/checkpoint.js';
import { fit } from '../src/train/loop.js';
import { Adam } from '../src/train/optimizers/adam.js';
import { tempDir } from './temp-dir.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const temp = () => tempDir('recurrent-cli-');
const run = (args: string[], input?: string) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', ...(input !== undefined && { input }) });

describe('recurrent train (CLI)', () => {
  test('classify with --json: one JSON line, a model directory and a report; predict reads it', () => {
    const out = join(temp(), 'model');
    const r = run(['train', '--max-train', '800', '--epochs', '1', '--hidden', '16', '--json', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const result = JSON.parse(lines[0]!) as { task: string; metrics: { accuracy: number }; baseline: { accuracy: number } };
    assert.equal(result.task, 'classify');
    assert.ok(result.metrics.accuracy > result.baseline.accuracy, JSON.stringify(result));
    for (const file of ['config.json', 'weights.safetensors', 'report.html', 'metrics.json', 'checkpoint/latest.json']) assert.ok(existsSync(join(out, file)), file);
    const report = readFileSync(join(out, 'report.html'), 'utf8');
    assert.match(report, /<svg/);
    assert.match(report, /Confusion matrix/);
    assert.doesNotMatch(report, /<script|https?:\/\//, 'the report is self-contained');
    const p = run(['predict', out, 'hello', 'bonjour']);
    assert.equal(p.status, 0, p.stderr);
    const predictions = p.stdout.trim().split('\n');
    assert.equal(predictions.length, 2);
    assert.match(predictions[0]!, /^hello\t(de|en|es|fr|it|nl|pl|pt)\t0\.\d{3}$/);
    const viaStdin = run(['predict', out], 'ciao\n\nhola\n');
    assert.equal(viaStdin.stdout.trim().split('\n').length, 2);
  });

  test('--help lists the flags; a bad flag value names the flag', () => {
    const help = run(['train', '--help']);
    assert.match(help.stdout, /--task <task>/);
    assert.match(help.stdout, /--batch-size <n>/);
    const bad = run(['train', '--epochs', 'two']);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /--epochs must be an integer >= 1, got 'two'/);
    assert.match(run(['--version']).stdout, /\d+\.\d+\.\d+ \(backend: \w+\)/);
  });

  test('a malformed data file fails naming the file and line', () => {
    const dir = temp();
    const file = join(dir, 'words.csv');
    writeFileSync(file, 'text,label\nhello,en\n"bonjour,fr\n');
    const r = run(['train', '--data', file, '--epochs', '1']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`error: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3`));
  });

  test('Ctrl-C saves the model trained so far', async () => {
    const out = join(temp(), 'model');
    const child = spawn(process.execPath, [cli, 'train', '--task', 'forecast', '--epochs', '500', '--hidden', '8', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d;
        if (/epoch 2\//.test(stderr) && !child.killed) {
          child.kill('SIGINT');
          resolve();
        }
      });
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, stderr);
    assert.match(stdout, /interrupted/);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { metrics: { interrupted: boolean; epochs: number } };
    assert.equal(config.metrics.interrupted, true);
    assert.ok(config.metrics.epochs < 500);
  });
});

describe('trainTask (library)', () => {
  const small = { epochs: 1, hiddenSize: 12, maxTrainExamples: 500, batchSize: 32 } as const;

  test('tag on the embedded diacritics data, then predict restores accents', async () => {
    const out = join(temp(), 'tag');
    const outcome = await trainTask({ task: 'tag', ...small, out });
    assert.deepEqual(Object.keys(outcome.evaluation.metrics).sort(), ['charAccuracy', 'wordAccuracy']);
    const [restored] = loadPredictor(out).predict(['eleve']);
    assert.equal(restored!.length, 5);
  });

  test('seq2seq on the embedded G2P data', async () => {
    const out = join(temp(), 'g2p');
    const outcome = await trainTask({ task: 'seq2seq', ...small, out });
    assert.ok(outcome.evaluation.metrics['tokenErrorRate']! >= 0);
    const [phonemes] = loadPredictor(out).predict(['speech']);
    assert.match(phonemes!, /^[A-Z ]*$/);
  });

  test('forecast on the embedded CO2 series', async () => {
    const out = join(temp(), 'co2');
    const outcome = await trainTask({ task: 'forecast', epochs: 2, hiddenSize: 8, out });
    assert.deepEqual(Object.keys(outcome.evaluation.metrics).sort(), ['mae', 'mase', 'rmse']);
    const history = Array.from({ length: 60 }, (_, i) => 400 + i * 0.2 + Math.sin(i / 2));
    assert.equal(loadPredictor(out).predict([history.join(' ')]).length, 24);
  });

  test('every task trains on a small user file', async () => {
    const dir = temp();
    const files: [string, string, 'classify' | 'tag' | 'seq2seq' | 'forecast'][] = [
      ['c.tsv', 'text\tlabel\n' + Array.from({ length: 40 }, (_, i) => `${i % 2 ? 'ab' : 'xy'}${'z'.repeat(i % 5)}\t${i % 2 ? 'A' : 'B'}`).join('\n'), 'classify'],
      ['t.jsonl', Array.from({ length: 40 }, (_, i) => JSON.stringify({ input: 'abc'.slice(0, 1 + (i % 3)), tags: 'X Y Z'.split(' ').slice(0, 1 + (i % 3)).join(' ') })).join('\n'), 'tag'],
      ['s.csv', 'source,target\n' + Array.from({ length: 40 }, (_, i) => `${'ab'.repeat(1 + (i % 3))},${'B '.repeat(1 + (i % 3)).trim()}`).join('\n'), 'seq2seq'],
      ['f.csv', 'date,value\n' + Array.from({ length: 160 }, (_, i) => `${i},${(10 + Math.sin(i / 2) + i * 0.01).toFixed(3)}`).join('\n'), 'forecast'],
    ];
    for (const [name, content, task] of files) {
      writeFileSync(join(dir, name), content);
      const outcome = await trainTask({ task, data: join(dir, name), epochs: 1, hiddenSize: 8, batchSize: 8, out: join(dir, `${task}-model`) });
      assert.ok(Object.values(outcome.evaluation.metrics).every(Number.isFinite), `${task}: ${JSON.stringify(outcome.evaluation.metrics)}`);
    }
  });

  test('the same seed gives bit-identical weights', async () => {
    const a = join(temp(), 'a');
    const b = join(temp(), 'b');
    await trainTask({ ...small, seed: 3, out: a });
    await trainTask({ ...small, seed: 3, out: b });
    assert.deepEqual(readFileSync(join(a, 'weights.safetensors')), readFileSync(join(b, 'weights.safetensors')));
  });

  test('a loss diverging in epoch 2 stops with advice and keeps the epoch-1 checkpoint, equal to a 1-epoch run\'s model', async () => {
    // lr 1e30 with one batch per epoch: epoch 1's single step is finite, epoch 2's loss is infinite.
    const diverging = { task: 'forecast', hiddenSize: 8, lr: 1e30, clipNorm: 0, batchSize: 100_000 } as const;
    const out = join(temp(), 'nan');
    const root = join(out, 'checkpoint');
    await assert.rejects(
      trainTask({ ...diverging, epochs: 30, out }),
      (e: unknown) => e instanceof TrainingError && /at epoch 2, step 1/.test(e.message) && /gradient clipping/.test(e.message) && e.message.includes(`The last good checkpoint (the previous epoch) is in ${root}`),
    );
    const checkpoint = readCheckpoint(root);
    assert.ok(checkpoint, 'a checkpoint exists');
    assert.equal(checkpoint.state.fit.epoch, 1);
    // The same run stopped after one epoch saves the weights epoch 1 ended with (its best, its only).
    const once = join(temp(), 'once');
    await trainTask({ ...diverging, epochs: 1, out: once });
    const epoch1 = loadSafetensors(join(once, 'weights.safetensors'));
    assert.deepEqual(Object.keys(checkpoint.weights).sort(), Object.keys(epoch1).sort());
    for (const [name, t] of Object.entries(epoch1)) assert.deepEqual(checkpoint.weights[name]!.data, t.data, name);
    assert.ok(Object.values(checkpoint.weights).every((t) => t.data.every(Number.isFinite)));
  });

  test('fit: a NaN loss in epoch 2 throws, and the epoch-1 checkpoint on disk stays intact', async () => {
    const model = new nn.Linear({ inFeatures: 2, outFeatures: 1 });
    const x = tensor([1, 2, 3, 4], [2, 2]);
    const root = join(temp(), 'checkpoint');
    const copy = () => Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, Float32Array.from(t.data)]));
    let atEpoch1: Record<string, Float32Array> | null = null;
    let epoch = 1;
    await assert.rejects(
      fit({
        model,
        optimizer: new Adam(model.parameters(), { lr: 0.01 }),
        batches: () => [0, 1, 2],
        // Epoch 2: step 1 updates the weights, step 2's loss is NaN.
        loss: (i) => (epoch > 1 && i === 1 ? model.forward(x).sum().mul(Number.NaN) : model.forward(x).pow(2).mean()),
        epochs: 5,
        onEpoch: (info) => {
          writeCheckpoint(root, info.epoch, { weights: model.stateDict(), bestWeights: null, state: { options: {}, optimizer: null, scheduler: null, earlyStopping: null, generators: {}, fit: { ...info.state, best: String(info.state.best) } } });
          if (info.epoch === 1) atEpoch1 = copy();
          epoch = info.epoch + 1;
        },
      }),
      (e: unknown) => e instanceof TrainingError && /loss is NaN at epoch 2, step 2/.test(e.message),
    );
    const checkpoint = readCheckpoint(root);
    assert.ok(checkpoint && atEpoch1, 'epoch 1 was checkpointed');
    assert.equal(checkpoint.state.fit.epoch, 1);
    const now = copy();
    for (const [name, data] of Object.entries(atEpoch1 as Record<string, Float32Array>)) {
      assert.deepEqual(checkpoint.weights[name]!.data, data, name);
      assert.notDeepEqual(now[name], data, `${name}: epoch 2's first step moved the model, so an overwritten checkpoint would show`);
    }
  });

  test('bad user data is a DataError naming the file and line', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'f.csv'), 'date,value\n1,2\n2,abc\n');
    await assert.rejects(trainTask({ task: 'forecast', data: join(dir, 'f.csv'), out: join(dir, 'm') }), (e: unknown) => e instanceof DataError && e.line === 3);
  });
});
