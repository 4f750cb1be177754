/**
 * ONNX step graph of a LanguageModel: greedy generation with onnxruntime-node (state fed back
 * through the graph's inputs and outputs) gives the same tokens as the library, and the logits
 * agree at every step; our own ONNX runtime too.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import ort from 'onnxruntime-node';
import { Generator, models } from '../src/index.js';
import { exportLanguageModelStep } from '../src/onnx/export-language-model.js';
import { parseOnnx } from '../src/onnx/index.js';
import { assertClose } from './helpers.js';

const cases: [string, models.LanguageModelConfig][] = [
  ['LSTM, 2 layers, tied weights', { vocabSize: 13, hiddenSize: 8, numLayers: 2, cell: 'lstm', tieWeights: true }],
  ['GRU, 1 layer', { vocabSize: 13, embeddingDim: 5, hiddenSize: 7, cell: 'gru' }],
  ['RNN, 3 layers', { vocabSize: 13, embeddingDim: 4, hiddenSize: 6, numLayers: 3, cell: 'rnn' }],
];

describe('ONNX step graph of LanguageModel', () => {
  for (const [label, config] of cases) {
    test(`${label}: greedy tokens and logits match onnxruntime-node and our runtime`, async () => {
      const lm = new models.LanguageModel(config, new Generator(21));
      const { bytes, inputs, outputs } = exportLanguageModelStep(lm);
      const lstm = config.cell === 'lstm';
      assert.deepEqual(
        inputs.map((i) => i.name),
        lstm ? ['token', 'h', 'c'] : ['token', 'h'],
      );
      assert.deepEqual(
        outputs.map((o) => o.name),
        lstm ? ['logits', 'new_h', 'new_c'] : ['logits', 'new_h'],
      );
      const session = await ort.InferenceSession.create(bytes);
      const ours = parseOnnx(bytes, 'lm.onnx');
      const L = config.numLayers ?? 1;
      const H = config.hiddenSize!;
      // Two streams at once (batch 2), each started from a different prompt token.
      let h = new Float32Array(L * 2 * H);
      let c = new Float32Array(L * 2 * H);
      let tokens = [3, 7];
      const library = [lm.session({ temperature: 0 }), lm.session({ temperature: 0 })];
      library.forEach((s, b) => s.feed([tokens[b]!]));
      for (let step = 0; step < 20; step++) {
        const feeds: Record<string, ort.Tensor> = {
          token: new ort.Tensor('int64', BigInt64Array.from(tokens.map(BigInt)), [2]),
          h: new ort.Tensor('float32', h, [L, 2, H]),
        };
        if (lstm) feeds['c'] = new ort.Tensor('float32', c, [L, 2, H]);
        const result = await session.run(feeds);
        const logits = result['logits']!.data as Float32Array;
        const own = ours.run({
          token: { dtype: 'int64', shape: [2], data: BigInt64Array.from(tokens.map(BigInt)) },
          h: { dtype: 'float32', shape: [L, 2, H], data: h },
          ...(lstm && { c: { dtype: 'float32' as const, shape: [L, 2, H], data: c } }),
        });
        assertClose(own['logits']!, Array.from(logits), `${label} step ${step} (our runtime)`);
        const next = [0, 1].map((b) => {
          const row = logits.subarray(b * config.vocabSize, (b + 1) * config.vocabSize);
          assertClose(Array.from(row), Array.from(library[b]!.nextLogits!), `${label} step ${step} stream ${b} logits`);
          let best = 0;
          for (let v = 1; v < row.length; v++) if (row[v]! > row[best]!) best = v;
          return best;
        });
        const fromLibrary = library.map((s) => s.step().id);
        assert.deepEqual(next, fromLibrary, `${label} step ${step}: greedy tokens`);
        tokens = next;
        h = Float32Array.from(result['new_h']!.data as Float32Array);
        if (lstm) c = Float32Array.from(result['new_c']!.data as Float32Array);
      }
    });
  }
});
