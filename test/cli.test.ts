/**
 * `recurrent train` and `recurrent predict` end to end on small settings, through the real
 * command (build/src/cli/main.js in a child process): every task beats its baseline by a margin
 * and predict --json on its model directory is right on the embedded data; every train flag
 * reaches the run. Then the library: user files, determinism, a loss diverging after a checkpoint
 * exists (the checkpoint on disk is compared with a 1-epoch run's model), bad data and Ctrl-C.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { trainTask } from '../src/tasks/run.js';
import { DataError, loadSafetensors, nn, tensor, TrainingError } from '../src/index.js';
import { loadCO2, loadDiacritics, loadG2P, loadLanguageId } from '../src/data/datasets.js';
import { readCheckpoint, writeCheckpoint } from '../src/tasks/checkpoint.js';
import { fit } from '../src/train/loop.js';
import { Adam } from '../src/train/optimizers/adam.js';
import { tempDir } from './temp-dir.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const temp = () => tempDir('recurrent-cli-');
const run = (args: string[], input?: string) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', ...(input !== undefined && { input }) });

describe('recurrent train (CLI)', () => {
  test('classify with --json: one JSON line, a model directory and a report; predict reads it', () => {
    const out = join(temp(), 'model');
    const r = run(['train', '--max-train', '800', '--epochs', '1', '--hidden', '16', '--json', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const result = JSON.parse(lines[0]!) as {
      task: string;
      metrics: { accuracy: number };
      baseline: { accuracy: number };
      reference: { metrics: { accuracy: number } };
    };
    assert.equal(result.task, 'classify');
    // One short epoch beats the majority class (the reference); the classical baseline (naive Bayes) is reported beside it.
    assert.ok(result.metrics.accuracy > result.reference.metrics.accuracy, JSON.stringify(result));
    assert.ok(result.baseline.accuracy > 0 && result.baseline.accuracy <= 1);
    for (const file of ['config.json', 'weights.safetensors', 'report.html', 'metrics.json', 'checkpoint/latest.json'])
      assert.ok(existsSync(join(out, file)), file);
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
    const child = spawn(
      process.execPath,
      [cli, 'train', '--task', 'forecast', '--epochs', '500', '--hidden', '8', '--out', out],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
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
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as {
      metrics: { interrupted: boolean; epochs: number };
    };
    assert.equal(config.metrics.interrupted, true);
    assert.ok(config.metrics.epochs < 500);
  });
});

/** Runs the real command; returns stdout, failing with its stderr when it does not exit 0. */
function recurrent(args: string[], input?: string): string {
  const r = run(args, input);
  assert.equal(r.status, 0, `recurrent ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
interface JsonResult {
  task: string;
  metrics: Record<string, number>;
  baseline: Record<string, number>;
  reference?: { name: string; metrics: Record<string, number> };
  epochs: number;
  out: string;
}
/** The simple baseline (majority class, per-character majority, letter-to-token, seasonal naive): `reference` where a stronger `baseline` is reported. */
const simple = (r: JsonResult) => r.reference?.metrics ?? r.baseline;
const trainJson = (args: string[]) => JSON.parse(recurrent(['train', ...args, '--json']).trim()) as JsonResult;
const predictJson = (out: string, inputs: string[]) =>
  recurrent(['predict', out, '--json'], `${inputs.join('\n')}\n`)
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { input: string; prediction: string });
/** Examples spread over the whole embedded data set (deterministic). */
const spread = <T>(items: readonly T[], n: number) =>
  Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]!);

describe('each task from the command line: train beats its baseline, predict reads the model directory', () => {
  test("classify: test accuracy and predict's accuracy well above the majority class", () => {
    const out = join(temp(), 'classify');
    const r = trainJson(['--task', 'classify', '--max-train', '800', '--epochs', '2', '--hidden', '16', '--out', out]);
    assert.ok(r.metrics['accuracy']! > simple(r)['accuracy']! + 0.1, JSON.stringify(r));
    const examples = spread(loadLanguageId().examples, 400);
    const predicted = predictJson(
      out,
      examples.map((e) => e.text),
    );
    assert.deepEqual(
      predicted.map((p) => p.input),
      examples.map((e) => e.text),
    );
    const majority =
      Math.max(...[...new Set(examples.map((e) => e.label))].map((l) => examples.filter((e) => e.label === l).length)) /
      examples.length;
    // Each prediction is 'LABEL<tab>PROBABILITY'.
    for (const p of predicted) assert.match(p.prediction, /^(de|en|es|fr|it|nl|pl|pt)\t(0\.\d{3}|1\.000)$/);
    const accuracy =
      predicted.filter((p, i) => p.prediction.split('\t')[0] === examples[i]!.label).length / examples.length;
    assert.ok(accuracy > majority + 0.1, `predict accuracy ${accuracy}, majority ${majority}`);
  });

  test('tag: word accuracy well above the per-character majority; predict restores accents better than leaving words alone', () => {
    const out = join(temp(), 'tag');
    const r = trainJson([
      '--task',
      'tag',
      '--max-train',
      '3000',
      '--epochs',
      '3',
      '--hidden',
      '24',
      '--lr',
      '0.02',
      '--out',
      out,
    ]);
    assert.ok(r.metrics['wordAccuracy']! > simple(r)['wordAccuracy']! + 0.15, JSON.stringify(r));
    const examples = spread(loadDiacritics(), 400);
    const predicted = predictJson(
      out,
      examples.map((e) => e.input),
    );
    const accuracy = predicted.filter((p, i) => p.prediction === examples[i]!.word).length / examples.length;
    const unchanged = examples.filter((e) => e.input === e.word).length / examples.length;
    assert.ok(accuracy > unchanged + 0.1, `predict word accuracy ${accuracy}, words left alone ${unchanged}`);
    assert.equal(
      recurrent(['predict', out, examples[0]!.input]),
      `${examples[0]!.input}\t${predicted[0]!.prediction}\n`,
    );
  });

  test('seq2seq: token error rate below the letter-to-token baseline; predict gives known phonemes', () => {
    const out = join(temp(), 'g2p');
    const r = trainJson([
      '--task',
      'seq2seq',
      '--max-train',
      '3000',
      '--epochs',
      '4',
      '--hidden',
      '32',
      '--lr',
      '0.02',
      '--out',
      out,
    ]);
    assert.ok(r.metrics['tokenErrorRate']! < simple(r)['tokenErrorRate']! - 0.04, JSON.stringify(r));
    const examples = spread(loadG2P(), 150);
    const predicted = predictJson(
      out,
      examples.map((e) => e.word),
    );
    const phonemes = new Set(loadG2P().flatMap((e) => e.phonemes));
    for (const p of predicted) {
      const tokens = p.prediction.split(' ');
      assert.ok(tokens.length > 0 && tokens.every((t) => phonemes.has(t)), `${p.input} -> '${p.prediction}'`);
    }
    const exact = predicted.filter((p, i) => p.prediction === examples[i]!.phonemes.join(' ')).length / examples.length;
    assert.ok(exact > 0.1, `exact phoneme sequences: ${exact}`);
  });

  test('forecast: MASE well below the seasonal naive; the forecast of the held-out months beats seasonal naive + mean growth', () => {
    const out = join(temp(), 'co2');
    const r = trainJson(['--task', 'forecast', '--epochs', '3', '--hidden', '8', '--out', out]);
    assert.ok(r.metrics['mase']! < 0.8 * simple(r)['mase']!, JSON.stringify(r));
    const { values } = loadCO2();
    const held = values.slice(-24);
    const forecast = (
      JSON.parse(recurrent(['predict', out, '--json', ...values.slice(0, -24).map(String)])) as { forecast: number[] }
    ).forecast;
    assert.equal(forecast.length, 24);
    const mae = forecast.reduce((a, f, i) => a + Math.abs(f - held[i]!), 0) / 24;
    assert.ok(
      Math.abs(mae - r.metrics['mae']!) < 1e-3,
      `predict's MAE on the test months ${mae} = train's test MAE ${r.metrics['mae']}`,
    );
    // A model that learned nothing outputs ~0 growth after standardising: the value one season
    // earlier plus the training part's mean seasonal growth. The trained model must beat that.
    const history = values.slice(0, -24);
    const growth = history.slice(12, -24).map((v, i) => v - history[i]!);
    const meanGrowth = growth.reduce((a, g) => a + g, 0) / growth.length;
    const drift = [...history];
    for (let i = 0; i < 24; i++) drift.push(drift[drift.length - 12]! + meanGrowth);
    const driftMae = drift.slice(-24).reduce((a, f, i) => a + Math.abs(f - held[i]!), 0) / 24;
    assert.ok(mae < 0.8 * driftMae, `MAE ${mae}, seasonal naive + mean growth ${driftMae}`);
    assert.equal(
      recurrent(['predict', out, ...values.slice(0, -24).map(String)])
        .trim()
        .split('\n')
        .map(Number).length,
      24,
    );
  });

  test("every train flag reaches the run: the checkpoint's options, the model config and the weights' shapes", () => {
    const out = join(temp(), 'flags');
    const r = trainJson([
      '--task',
      'classify',
      '--cell',
      'lstm',
      '--hidden',
      '7',
      '--layers',
      '2',
      '--bidirectional',
      '--dropout',
      '0.1',
      '--epochs',
      '2',
      '--batch-size',
      '40',
      '--lr',
      '0.005',
      '--clip-norm',
      '2',
      '--patience',
      '3',
      '--schedule',
      'cosine',
      '--max-train',
      '200',
      '--seed',
      '9',
      '--out',
      out,
    ]);
    assert.equal(r.epochs, 2);
    assert.equal(r.out, out);
    const state = JSON.parse(readFileSync(join(out, 'checkpoint', 'epoch-0002', 'state.json'), 'utf8')) as {
      options: Record<string, unknown>;
      fit: { epoch: number };
    };
    assert.deepEqual(state.options, {
      task: 'classify',
      cell: 'lstm',
      hiddenSize: 7,
      numLayers: 2,
      bidirectional: true,
      dropout: 0.1,
      epochs: 2,
      batchSize: 40,
      lr: 0.005,
      seed: 9,
      clipNorm: 2,
      patience: 3,
      schedule: 'cosine',
      maxTrainExamples: 200,
    });
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as {
      modelConfig: Record<string, unknown>;
    };
    assert.equal(config.modelConfig['cell'], 'lstm');
    assert.equal(config.modelConfig['hiddenSize'], 7);
    assert.equal(config.modelConfig['numLayers'], 2);
    assert.equal(config.modelConfig['bidirectional'], true);
    const weights = loadSafetensors(join(out, 'weights.safetensors'));
    const hh = Object.entries(weights).filter(([k]) => /weight_hh_l1_reverse$/.test(k));
    assert.equal(hh.length, 1, Object.keys(weights).join(', '));
    assert.deepEqual(hh[0]![1].shape, [4 * 7, 7], 'LSTM: 4 gates of hidden 7');
    // The progress text: 200 examples in batches of 40.
    const text = run([
      'train',
      '--task',
      'classify',
      '--max-train',
      '200',
      '--batch-size',
      '40',
      '--epochs',
      '1',
      '--hidden',
      '4',
      '--out',
      join(temp(), 'text'),
    ]);
    assert.match(text.stderr, /up to 1 epochs of 5 steps/);

    // --data and --no-bidirectional (tag is bidirectional by default); --seed changes the weights.
    const dir = temp();
    writeFileSync(
      join(dir, 't.jsonl'),
      Array.from({ length: 30 }, (_, i) =>
        JSON.stringify({
          input: 'abc'.slice(0, 1 + (i % 3)),
          tags: 'X Y Z'
            .split(' ')
            .slice(0, 1 + (i % 3))
            .join(' '),
        }),
      ).join('\n'),
    );
    const tagged = (seed: string) => {
      const o = join(dir, `tag-${seed}`);
      trainJson([
        '--task',
        'tag',
        '--data',
        join(dir, 't.jsonl'),
        '--no-bidirectional',
        '--epochs',
        '1',
        '--hidden',
        '4',
        '--seed',
        seed,
        '--out',
        o,
      ]);
      return o;
    };
    const [a, b] = [tagged('1'), tagged('2')];
    const tagState = JSON.parse(readFileSync(join(a, 'checkpoint', 'epoch-0001', 'state.json'), 'utf8')) as {
      options: Record<string, unknown>;
    };
    assert.equal(tagState.options['bidirectional'], false);
    assert.equal(tagState.options['data'], join(dir, 't.jsonl'));
    assert.ok(!Object.keys(loadSafetensors(join(a, 'weights.safetensors'))).some((k) => k.endsWith('_reverse')));
    assert.equal(predictJson(a, ['ab'])[0]!.prediction, 'X Y');
    assert.ok(
      !readFileSync(join(a, 'weights.safetensors')).equals(readFileSync(join(b, 'weights.safetensors'))),
      'another seed, other weights',
    );
  });
});

describe('trainTask (library)', () => {
  const small = { epochs: 1, hiddenSize: 12, maxTrainExamples: 500, batchSize: 32 } as const;

  test('every task trains on a small user file', async () => {
    const dir = temp();
    const files: [string, string, 'classify' | 'tag' | 'seq2seq' | 'forecast'][] = [
      [
        'c.tsv',
        'text\tlabel\n' +
          Array.from({ length: 40 }, (_, i) => `${i % 2 ? 'ab' : 'xy'}${'z'.repeat(i % 5)}\t${i % 2 ? 'A' : 'B'}`).join(
            '\n',
          ),
        'classify',
      ],
      [
        't.jsonl',
        Array.from({ length: 40 }, (_, i) =>
          JSON.stringify({
            input: 'abc'.slice(0, 1 + (i % 3)),
            tags: 'X Y Z'
              .split(' ')
              .slice(0, 1 + (i % 3))
              .join(' '),
          }),
        ).join('\n'),
        'tag',
      ],
      [
        's.csv',
        'source,target\n' +
          Array.from({ length: 40 }, (_, i) => `${'ab'.repeat(1 + (i % 3))},${'B '.repeat(1 + (i % 3)).trim()}`).join(
            '\n',
          ),
        'seq2seq',
      ],
      [
        'f.csv',
        'date,value\n' +
          Array.from({ length: 160 }, (_, i) => `${i},${(10 + Math.sin(i / 2) + i * 0.01).toFixed(3)}`).join('\n'),
        'forecast',
      ],
    ];
    for (const [name, content, task] of files) {
      writeFileSync(join(dir, name), content);
      const outcome = await trainTask({
        task,
        data: join(dir, name),
        epochs: 1,
        hiddenSize: 8,
        batchSize: 8,
        out: join(dir, `${task}-model`),
      });
      assert.ok(
        Object.values(outcome.evaluation.metrics).every(Number.isFinite),
        `${task}: ${JSON.stringify(outcome.evaluation.metrics)}`,
      );
    }
  });

  test('the same seed gives bit-identical weights', async () => {
    const a = join(temp(), 'a');
    const b = join(temp(), 'b');
    await trainTask({ ...small, seed: 3, out: a });
    await trainTask({ ...small, seed: 3, out: b });
    assert.deepEqual(readFileSync(join(a, 'weights.safetensors')), readFileSync(join(b, 'weights.safetensors')));
  });

  test("a loss diverging in epoch 2 stops with advice and keeps the epoch-1 checkpoint, equal to a 1-epoch run's model", async () => {
    // lr 1e30 with one batch per epoch: epoch 1's single step is finite, epoch 2's loss is infinite.
    const diverging = { task: 'forecast', hiddenSize: 8, lr: 1e30, clipNorm: 0, batchSize: 100_000 } as const;
    const out = join(temp(), 'nan');
    const root = join(out, 'checkpoint');
    await assert.rejects(
      trainTask({ ...diverging, epochs: 30, out }),
      (e: unknown) =>
        e instanceof TrainingError &&
        /at epoch 2, step 1/.test(e.message) &&
        /gradient clipping/.test(e.message) &&
        e.message.includes(`The last good checkpoint (the previous epoch) is in ${root}`),
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
    const copy = () =>
      Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, Float32Array.from(t.data)]));
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
          writeCheckpoint(root, info.epoch, {
            weights: model.stateDict(),
            bestWeights: null,
            state: {
              options: {},
              optimizer: null,
              scheduler: null,
              earlyStopping: null,
              generators: {},
              fit: { ...info.state, best: String(info.state.best) },
            },
          });
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
      assert.notDeepEqual(
        now[name],
        data,
        `${name}: epoch 2's first step moved the model, so an overwritten checkpoint would show`,
      );
    }
  });

  test('bad user data is a DataError naming the file and line', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'f.csv'), 'date,value\n1,2\n2,abc\n');
    await assert.rejects(
      trainTask({ task: 'forecast', data: join(dir, 'f.csv'), out: join(dir, 'm') }),
      (e: unknown) => e instanceof DataError && e.line === 3,
    );
  });
});
