/**
 * Seq2Seq ONNX export: encoder.onnx + decoder_step.onnx run in onnxruntime-node and in our own
 * runtime (loadOnnx), fed greedily for 5 steps, agree with `model.encode` + `model.step` at every
 * step (1e-5 abs + 1e-4 rel): the encoder's h, c and attention memory (values, keys, padding),
 * and each step's logits, new_h and new_c; with batch and source sizes that differ from the example.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import ort from 'onnxruntime-node';
import { Generator, models, noGrad, saveModelDirectory, Tensor } from '../src/index.js';
import type { NpyArray } from '../src/io/npy.js';
import { exportSeq2SeqOnnx, loadOnnx } from '../src/onnx/index.js';
import { exportSeq2SeqModelDirectory } from '../src/tasks/export-onnx.js';
import { assertClose } from './helpers.js';
import { tempDir } from './temp-dir.js';

const int64 = (values: readonly number[]): NpyArray => ({
  dtype: 'int64',
  shape: [values.length],
  data: BigInt64Array.from(values.map(BigInt)),
});
const int64Matrix = (t: Tensor): NpyArray => ({
  dtype: 'int64',
  shape: [...t.shape],
  data: BigInt64Array.from(Array.from(t.data, (x) => BigInt(x))),
});

function sourceIds(g: Generator, lengths: readonly number[], time: number, vocab: number): Tensor {
  const data = new Float32Array(lengths.length * time);
  lengths.forEach((n, b) => {
    for (let t = 0; t < n; t++) data[b * time + t] = 1 + Math.floor(g.random() * (vocab - 1));
  });
  return new Tensor(data, [lengths.length, time]);
}

type Feeds = Record<string, Tensor | NpyArray>;

async function ortRun(session: ort.InferenceSession, feeds: Feeds): Promise<Record<string, Tensor>> {
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [name, v] of Object.entries(feeds))
    ortFeeds[name] =
      v instanceof Tensor ? new ort.Tensor('float32', v.data, [...v.shape]) : new ort.Tensor(v.dtype, v.data, v.shape);
  const result = await session.run(ortFeeds);
  return Object.fromEntries(
    Object.entries(result).map(([k, t]) => [
      k,
      new Tensor(Float32Array.from(t.data as Float32Array), t.dims as number[]),
    ]),
  );
}

const cases: [string, Partial<models.Seq2SeqConfig>][] = [
  ['GRU, Luong attention', { cell: 'gru', attention: 'luong' }],
  [
    'LSTM, Luong attention, 2 layers, bidirectional encoder',
    { cell: 'lstm', attention: 'luong', numLayers: 2, bidirectionalEncoder: true },
  ],
  ['GRU, no attention, bidirectional encoder', { cell: 'gru', attention: 'none', bidirectionalEncoder: true }],
  ['LSTM, no attention, 2 layers', { cell: 'lstm', attention: 'none', numLayers: 2 }],
  ['GRU, Bahdanau attention, 2 layers', { cell: 'gru', attention: 'bahdanau', numLayers: 2 }],
  [
    'LSTM, Bahdanau attention, bidirectional encoder',
    { cell: 'lstm', attention: 'bahdanau', bidirectionalEncoder: true },
  ],
];

describe('ONNX export: Seq2Seq as encoder.onnx + decoder_step.onnx', () => {
  cases.forEach(([label, extra], k) => {
    test(label, async () => {
      const config: models.Seq2SeqConfig = {
        sourceVocabSize: 11,
        targetVocabSize: 9,
        embeddingDim: 5,
        hiddenSize: 6,
        dropout: 0.2,
        ...extra,
      };
      const model = new models.Seq2Seq(config, new Generator(100 + k));
      const g = new Generator(7 + k);
      const dir = tempDir('recurrent-s2s-onnx-');
      const written = exportSeq2SeqOnnx(model, sourceIds(g, [4, 2], 4, 11), [4, 2], dir);
      const lstm = config.cell === 'lstm';
      const attention = config.attention !== 'none';
      const memoryNames = attention ? ['memory_values', 'memory_keys', 'memory_padding'] : [];
      assert.deepEqual(
        written.encoder.inputs.map((i) => i.name),
        ['source', 'lengths'],
      );
      assert.deepEqual(
        written.encoder.outputs.map((o) => o.name),
        ['h', ...(lstm ? ['c'] : []), ...memoryNames],
      );
      assert.deepEqual(
        written.decoderStep.inputs.map((i) => i.name),
        ['previous', 'h', ...(lstm ? ['c'] : []), ...memoryNames],
      );
      assert.deepEqual(
        written.decoderStep.outputs.map((o) => o.name),
        ['logits', 'new_h', ...(lstm ? ['new_c'] : [])],
      );

      // Batch 3 and source length 6, unlike the example (2, 4): the axes are symbolic.
      const lengths = [6, 3, 1];
      const source = sourceIds(g, lengths, 6, 11);
      const encoderFeeds: Feeds = { source: int64Matrix(source), lengths: int64(lengths) };
      const ortEncoder = await ort.InferenceSession.create(written.encoder.file);
      const ortDecoder = await ort.InferenceSession.create(written.decoderStep.file);
      const ourEncoder = loadOnnx(written.encoder.file);
      const ourDecoder = loadOnnx(written.decoderStep.file);

      model.eval();
      {
        let state = noGrad(() => model.encode(source, lengths));
        const encodedOrt = await ortRun(ortEncoder, encoderFeeds);
        const encodedOurs = ourEncoder.run(encoderFeeds);
        for (const [name, encoded] of [
          ['onnxruntime', encodedOrt],
          ['our runtime', encodedOurs],
        ] as const) {
          assertClose(encoded['h']!, state.rnn.h, `${label}: encoder h (${name})`);
          if (lstm) assertClose(encoded['c']!, state.rnn.c!, `${label}: encoder c (${name})`);
          if (attention) {
            assertClose(encoded['memory_values']!, state.memory.values, `${label}: memory values (${name})`);
            assertClose(encoded['memory_keys']!, state.memory.keys, `${label}: memory keys (${name})`);
            assertClose(encoded['memory_padding']!, state.memory.padding, `${label}: memory padding (${name})`);
          }
        }
        const memory = (encoded: Record<string, Tensor>): Feeds =>
          Object.fromEntries(memoryNames.map((n) => [n, encoded[n]!]));
        let ortState: Feeds = { h: encodedOrt['h']!, ...(lstm ? { c: encodedOrt['c']! } : {}) };
        let ourState: Feeds = { h: encodedOurs['h']!, ...(lstm ? { c: encodedOurs['c']! } : {}) };
        const ortMemory = memory(encodedOrt);
        const ourMemory = memory(encodedOurs);
        let previous = new Array<number>(lengths.length).fill(model.config.bosId);
        for (let t = 0; t < 5; t++) {
          const expected = noGrad(() => model.step(previous, state));
          const fromOrt = await ortRun(ortDecoder, { previous: int64(previous), ...ortState, ...ortMemory });
          const fromOurs = ourDecoder.run({ previous: int64(previous), ...ourState, ...ourMemory });
          assertClose(fromOrt['logits']!, expected.logits, `${label}: step ${t} logits (onnxruntime)`);
          assertClose(fromOurs['logits']!, expected.logits, `${label}: step ${t} logits (our runtime)`);
          assertClose(fromOrt['new_h']!, expected.state.rnn.h, `${label}: step ${t} h (onnxruntime)`);
          assertClose(fromOurs['new_h']!, expected.state.rnn.h, `${label}: step ${t} h (our runtime)`);
          if (lstm) {
            assertClose(fromOrt['new_c']!, expected.state.rnn.c!, `${label}: step ${t} c (onnxruntime)`);
            assertClose(fromOurs['new_c']!, expected.state.rnn.c!, `${label}: step ${t} c (our runtime)`);
          }
          state = expected.state;
          ortState = { h: fromOrt['new_h']!, ...(lstm ? { c: fromOrt['new_c']! } : {}) };
          ourState = { h: fromOurs['new_h']!, ...(lstm ? { c: fromOurs['new_c']! } : {}) };
          // Greedy: every runtime is fed the reference model's argmax (ties cannot split them).
          previous = [...expected.logits.argmax(1)];
        }
      }
    });
  });

  test('a seq2seq model directory exports both graphs into the output directory', async () => {
    const dir = tempDir('recurrent-s2s-dir-');
    const s2s = { sourceVocabSize: 7, targetVocabSize: 6, hiddenSize: 4, embeddingDim: 3, cell: 'lstm' as const };
    const model = new models.Seq2Seq(s2s, new Generator(5));
    saveModelDirectory(dir, model, { task: 'seq2seq', modelConfig: s2s, data: { maxLength: 5 } });
    const out = join(dir, 'onnx');
    const result = exportSeq2SeqModelDirectory(dir, out);
    assert.equal(result.encoder.file, join(out, 'encoder.onnx'));
    assert.equal(result.decoderStep.file, join(out, 'decoder_step.onnx'));
    const source = new Tensor(Float32Array.of(1, 4, 6, 0, 2, 3), [2, 3]);
    const encoded = loadOnnx(result.encoder.file).run({ source: int64Matrix(source), lengths: int64([3, 1]) });
    model.eval();
    const state = noGrad(() => model.encode(source, [3, 1]));
    const expected = noGrad(() => model.step([2, 2], state));
    const step = loadOnnx(result.decoderStep.file).run({
      previous: int64([2, 2]),
      h: encoded['h']!,
      c: encoded['c']!,
      memory_values: encoded['memory_values']!,
      memory_keys: encoded['memory_keys']!,
      memory_padding: encoded['memory_padding']!,
    });
    assertClose(step['logits']!, expected.logits, 'model directory: logits');
    const session = await ort.InferenceSession.create(result.decoderStep.file);
    assert.deepEqual([...session.inputNames], ['previous', 'h', 'c', 'memory_values', 'memory_keys', 'memory_padding']);
  });

  test('a source that is not (batch, source) ids is refused', () => {
    const model = new models.Seq2Seq(
      { sourceVocabSize: 5, targetVocabSize: 5, hiddenSize: 3, embeddingDim: 2 },
      new Generator(1),
    );
    const dir = tempDir('recurrent-s2s-onnx-');
    assert.throws(
      () => exportSeq2SeqOnnx(model, new Tensor(new Float32Array(4), [4]), [4], dir),
      /exampleSource must be a Tensor/,
    );
    assert.throws(
      () => exportSeq2SeqOnnx(model, new Tensor(new Float32Array(4), [1, 4]), [4, 4], dir),
      /exampleLengths must be an array of 1/,
    );
  });
});
