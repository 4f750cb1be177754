/**
 * The generate task end to end on a small text: `recurrent train --task generate` (chars and
 * words, streams and windows), `recurrent generate` (streamed, same seed same text, unknown
 * prompt words), `recurrent evaluate` against an in-process scoring of the same file, --resume,
 * and the errors.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { loadSafetensors } from '../src/io/safetensors-file.js';
import { loadOnnx } from '../src/onnx/index.js';
import { loadTextCorpus } from '../src/data/text-corpus.js';
import { loadLanguageModel } from '../src/tasks/language-model-dir.js';
import { loadPredictor } from '../src/tasks/model-dir.js';
import { prepareGenerate } from '../src/tasks/generate.js';
import { Generator, models } from '../src/index.js'; // also registers the backends
import { scoreStream } from '../src/train/lm-score.js';
import { tempDir } from './temp-dir.js';

type LanguageModel = models.LanguageModel;
const { KneserNey } = models;

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
const corpus = loadTextCorpus();
const small = ['--hidden', '16', '--batch-size', '4', '--bptt', '16', '--seed', '1'];

describe('recurrent train --task generate / generate / evaluate', () => {
  const dir = tempDir('recurrent-lm-');
  const textFile = join(dir, 'text.txt');
  writeFileSync(textFile, corpus.slice(0, 6000));
  const heldOut = join(dir, 'held-out.txt');
  writeFileSync(heldOut, corpus.slice(200000, 201500));
  const out = join(dir, 'chars');

  test('train on a text file: bits per character against Kneser-Ney, a model directory', () => {
    const r = run([
      'train',
      '--task',
      'generate',
      '--data',
      textFile,
      '--epochs',
      '2',
      ...small,
      '--json',
      '--out',
      out,
    ]);
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout) as {
      metrics: { bitsPerChar: number };
      baseline: { bitsPerChar: number };
      baselineName: string;
    };
    assert.match(result.baselineName, /Kneser-Ney 5-gram/);
    assert.ok(result.metrics.bitsPerChar > 0 && result.metrics.bitsPerChar < 6.2, JSON.stringify(result));
    assert.ok(result.baseline.bitsPerChar > 0 && result.baseline.bitsPerChar < 6.2);
  });

  test('generate: the prompt, then --length tokens; the same seed gives the same text, another seed another', () => {
    const args = ['generate', out, '--prompt', 'And God', '--length', '50', '--temperature', '1', '--top-p', '0.95'];
    const a = run([...args, '--seed', '4']);
    assert.equal(a.status, 0, a.stderr);
    assert.ok(a.stdout.startsWith('And God'));
    assert.equal(Array.from(a.stdout).length, 'And God'.length + 50 + 1); // + the final newline
    assert.equal(run([...args, '--seed', '4']).stdout, a.stdout);
    assert.notEqual(run([...args, '--seed', '5']).stdout, a.stdout);
    const greedy = run(['generate', out, '--prompt', 'And', '--length', '20', '--temperature', '0']);
    assert.equal(
      run(['generate', out, '--prompt', 'And', '--length', '20', '--temperature', '0', '--seed', '9']).stdout,
      greedy.stdout,
      'greedy ignores the seed',
    );
  });

  test('the predictor streams tokens for recurrent serve: the text recurrent generate prints; an abort stops it', async () => {
    const predictor = loadPredictor(out);
    let text = '';
    for await (const piece of predictor.stream!('And God', new AbortController().signal)) text += piece;
    assert.equal(
      `And God${text}\n`,
      run(['generate', out, '--prompt', 'And God', '--length', '200', '--temperature', '0.8', '--seed', '0']).stdout,
    );
    const abort = new AbortController();
    let count = 0;
    for await (const piece of predictor.stream!('And God', abort.signal)) {
      void piece;
      if (++count === 5) abort.abort();
    }
    assert.equal(count, 5);
  });

  test('evaluate: bits per character of a held-out file, as scoring it in one stream in-process gives', () => {
    const r = run(['evaluate', out, '--data', heldOut, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const { metrics } = JSON.parse(r.stdout) as { metrics: { bitsPerChar: number } };
    const { model, tokenizer } = loadLanguageModel(out);
    const expected = scoreStream(model, tokenizer.encode(readFileSync(heldOut, 'utf8')));
    assert.equal(expected.count, 1499);
    assert.ok(Math.abs(metrics.bitsPerChar - expected.bitsPerToken) < 1e-9);
    const bad = run(['evaluate', out, '--data', join(dir, 'missing.txt')]);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /missing\.txt: file not found/);
  });

  test('export: the step graph with the tokenizer in its metadata; greedy continuation in our ONNX runtime as in generate', () => {
    const file = join(dir, 'chars.onnx');
    const r = run(['export', out, '--format', 'onnx', '--out', file, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const onnx = loadOnnx(file);
    const { model, tokenizer } = loadLanguageModel(out);
    assert.deepEqual(JSON.parse(onnx.metadata['recurrent.data']!).tokenizer, tokenizer.toJSON());
    const H = model.config.hiddenSize;
    let h = new Float32Array(H);
    let c = new Float32Array(H);
    /** One graph step: feeds `id`, keeps the new states, returns the most probable next id (never <unk>). */
    const step = (id: number): number => {
      const result = onnx.run({
        token: { dtype: 'int64', shape: [1], data: BigInt64Array.of(BigInt(id)) },
        h: { dtype: 'float32', shape: [1, 1, H], data: h },
        c: { dtype: 'float32', shape: [1, 1, H], data: c },
      });
      h = Float32Array.from(result['new_h']!.data);
      c = Float32Array.from(result['new_c']!.data);
      const masked = Array.from(result['logits']!.data, (v, k) => (tokenizer.excluded.includes(k) ? -Infinity : v));
      return masked.indexOf(Math.max(...masked));
    };
    let next = 0;
    for (const id of tokenizer.encode('And')) next = step(id);
    let text = '';
    for (let i = 0; i < 20; i++) {
      text += tokenizer.decode(next, null);
      next = step(next);
    }
    const greedy = run(['generate', out, '--prompt', 'And', '--length', '20', '--temperature', '0']);
    assert.equal(greedy.stdout, `And${text}\n`);
  });

  test('the prepared task scores another file like its test part: the model beside Kneser-Ney fitted on the training text', () => {
    const settings = {
      cell: 'gru' as const,
      hiddenSize: 8,
      numLayers: 1,
      bidirectional: false,
      dropout: 0,
      batchSize: 4,
      maxTrainExamples: 0,
    };
    const prepared = prepareGenerate(corpus.slice(0, 6000), 'six thousand characters', settings, new Generator(2), {
      tokens: 'chars',
      bptt: 16,
      batching: 'streams',
    });
    const evaluation = prepared.evaluateFile!(heldOut);
    const model = prepared.model as LanguageModel;
    const ids = model.codec!.encode(readFileSync(heldOut, 'utf8'));
    assert.ok(Math.abs(evaluation.metrics['bitsPerChar']! - scoreStream(model, ids).bitsPerToken) < 1e-12);
    const train = model.codec!.encode(corpus.slice(0, 6000)).slice(0, 5400);
    const kn = KneserNey.fit(train, { order: 5, vocabSize: model.config.vocabSize }).score(ids);
    assert.ok(Math.abs(evaluation.baseline['bitsPerChar']! - kn.nll / kn.count / Math.LN2) < 1e-12);
    assert.equal(evaluation.primary.name, 'bitsPerChar');
  });

  test('--resume after 1 epoch gives the weights of an uninterrupted 2-epoch run', () => {
    const resumed = join(dir, 'resumed');
    assert.equal(
      run(['train', '--task', 'generate', '--data', textFile, '--epochs', '1', ...small, '--json', '--out', resumed])
        .status,
      0,
    );
    const r = run(['train', '--resume', resumed, '--epochs', '2', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const a = loadSafetensors(join(out, 'weights.safetensors'));
    const b = loadSafetensors(join(resumed, 'weights.safetensors'));
    for (const [name, t] of Object.entries(a)) assert.deepEqual(Array.from(b[name]!.data), Array.from(t.data), name);
  });

  test('words, random windows and tied weights: perplexity; unknown prompt words are read as <unk>', () => {
    const words = join(dir, 'words');
    writeFileSync(textFile, corpus.slice(0, 30000));
    const r = run([
      'train',
      '--task',
      'generate',
      '--data',
      textFile,
      '--tokens',
      'words',
      '--batching',
      'windows',
      '--tie-weights',
      'yes',
      '--epochs',
      '1',
      ...small,
      '--json',
      '--out',
      words,
    ]);
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { metrics: { perplexity: number; bitsPerWord: number } };
    assert.ok(Math.abs(result.metrics.perplexity - 2 ** result.metrics.bitsPerWord) < 1e-6 * result.metrics.perplexity);
    const { model, tokenizer } = loadLanguageModel(words);
    assert.equal(model.config.tieWeights, true);
    assert.ok(!Object.keys(model.stateDict()).includes('head.weight'), 'tied: no separate output weight');
    assert.equal(tokenizer.encode('Zyzzyva')[0], tokenizer.vocabulary.unkId);
    const g = run(['generate', words, '--prompt', 'And Zyzzyva said', '--length', '12']);
    assert.equal(g.status, 0, g.stderr);
    assert.ok(g.stdout.startsWith('And Zyzzyva said'));
    assert.doesNotMatch(g.stdout, /<unk>/);
  });

  test('errors: --bidirectional, an empty file, an unknown --tokens', () => {
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '\n\n');
    const e = run(['train', '--task', 'generate', '--data', empty, '--out', join(dir, 'x')]);
    assert.notEqual(e.status, 0);
    assert.match(e.stderr, /empty\.txt: is empty/);
    const b = run(['train', '--task', 'generate', '--data', textFile, '--bidirectional', '--out', join(dir, 'y')]);
    assert.match(b.stderr, /--bidirectional does not apply/);
    const t = run(['train', '--task', 'generate', '--data', textFile, '--tokens', 'bytes', '--out', join(dir, 'z')]);
    assert.match(t.stderr, /--tokens must be one of chars, words/);
  });
});
