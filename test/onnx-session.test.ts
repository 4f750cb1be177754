/**
 * The ONNX runtime does the work that does not change between runs once per model: constant
 * nodes at load, Transpose / Squeeze around a recurrent node folded into it, recurrent weights
 * packed once (not per run), shape-only nodes reused while the input shapes repeat. Each of these
 * must leave the outputs as they were: they are compared with PyTorch's (the fixtures) and with a
 * graph in which the optimization cannot apply.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { getBackend } from '../src/backend/backend.js';
import { Tensor } from '../src/index.js';
import { loadNpy } from '../src/io/npy-file.js';
import type { NpyArray } from '../src/io/npy.js';
import { loadOnnx, parseOnnx } from '../src/onnx/index.js';
import { decodeModel, encodeModel } from '../src/onnx/proto.js';
import { assertClose, fixturePath, readFixture } from './helpers.js';

interface TorchCase {
  file: string;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
}

const manifest = readFixture<{ torch: Record<string, TorchCase> }>('interop/manifest.json');
const interop = (file: string) => fixturePath(`interop/${file}`);
const feedsOf = (c: TorchCase) =>
  Object.fromEntries(Object.entries(c.inputs).map(([k, f]) => [k, loadNpy(interop(f))]));

/** Counts the backend's packB calls while `fn` runs. */
function countPacks(fn: () => void): number {
  const backend = getBackend();
  const original = backend.packB;
  let count = 0;
  backend.packB = (args) => {
    count++;
    return original.call(backend, args);
  };
  try {
    fn();
  } finally {
    backend.packB = original;
  }
  return count;
}

describe('ONNX runtime: work done once per model', () => {
  test('recurrent weights are packed at the first run only, whatever the number of runs', () => {
    for (const name of ['lstm_batchfirst_opset14', 'gru_nobias_2layer_h0_opset14', 'lstm_2layer_bidir_h0c0']) {
      const c = manifest.torch[name]!;
      const model = loadOnnx(interop(c.file));
      const feeds = feedsOf(c);
      const first = countPacks(() => model.run(feeds));
      assert.ok(first > 0, `${name}: the first run packs the weights`);
      assert.equal(
        countPacks(() => {
          for (let k = 0; k < 5; k++) model.run(feeds);
        }),
        0,
        `${name}: later runs pack nothing`,
      );
      // A second model from the same file has its own packed weights.
      assert.equal(
        countPacks(() => loadOnnx(interop(c.file)).run(feeds)),
        first,
        `${name}: a new model packs again`,
      );
      const out = model.run(feeds);
      for (const [k, f] of Object.entries(c.outputs)) {
        const e = loadNpy(interop(f));
        assertClose(out[k]!, new Tensor(e.data as Float32Array, e.shape), `${name} ${k} after repeated runs`);
      }
    }
  });

  test('a batch_first export runs as Shape, the memoized zero state and one recurrent node with the layout nodes folded in', () => {
    const model = loadOnnx(interop(manifest.torch['lstm_batchfirst_opset14']!.file));
    const ops = model.operatorsPerRun;
    assert.ok(!ops.includes('Constant'), `constants are computed at load: ${ops.join(', ')}`);
    assert.ok(!ops.includes('Transpose') && !ops.includes('Squeeze'), `layout nodes are folded: ${ops.join(', ')}`);
    assert.ok(ops.includes('LSTM (batch-first X, batch-first Y)'), ops.join(', '));
  });

  test('folding changes no value: the same graph with the intermediate values as extra outputs (not foldable) agrees', () => {
    for (const name of [
      'lstm_batchfirst_opset14',
      'rnn_tanh_bidir_batchfirst_opset14',
      'gru_2layer_bidir_batchfirst',
      'tagger_gru_linear_every_step_opset14',
      'classifier_embedding_lstm_linear',
    ]) {
      const c = manifest.torch[name]!;
      const proto = decodeModel(new Uint8Array(readFileSync(interop(c.file))), c.file);
      const graph = proto.graph!;
      // Every node output becomes a graph output: nothing may be folded away, nothing freed early.
      const declared = new Set((graph.output ?? []).map((o) => o.name));
      for (const node of graph.node ?? []) {
        for (const out of node.output ?? []) if (out && !declared.has(out)) graph.output!.push({ name: out });
      }
      const unfolded = parseOnnx(encodeModel(proto), `${name} (all values exposed)`);
      const folded = loadOnnx(interop(c.file));
      assert.ok(
        unfolded.operatorsPerRun.every((op) => !op.includes('batch-first')),
        `${name}: nothing folded when the values are outputs`,
      );
      const feeds = feedsOf(c);
      const a = folded.runArrays(feeds);
      const b = unfolded.runArrays(feeds);
      for (const [k, v] of Object.entries(a)) {
        assert.deepEqual(v.shape, b[k]!.shape, `${name} ${k}: shape`);
        assert.deepEqual(
          Array.from(v.data as ArrayLike<number | bigint>, Number),
          Array.from(b[k]!.data as ArrayLike<number | bigint>, Number),
          `${name} ${k}: values`,
        );
      }
    }
  });

  test('shape-only nodes follow a new input shape, and outputs are not shared between runs', () => {
    const c = manifest.torch['lstm_batchfirst_opset14']!;
    const model = loadOnnx(interop(c.file));
    const x = loadNpy(interop(c.inputs['x']!)) as NpyArray & { data: Float32Array };
    const [B, T, I] = x.shape as [number, number, number];
    const first = model.runArrays({ x });
    // Batch 1: the memoized zero state (from Shape -> Gather -> ConstantOfShape) must follow the new batch.
    const one: NpyArray = { dtype: 'float32', shape: [1, T, I], data: x.data.slice(T * I, 2 * T * I) };
    const single = model.runArrays({ x: one });
    assert.deepEqual(single['h']!.shape, [1, 1, first['h']!.shape[2]!]);
    const H = first['h']!.shape[2]!;
    assertClose(
      single['output']!.data as Float32Array,
      Array.from((first['output']!.data as Float32Array).slice(T * H, 2 * T * H)),
      'row 1 alone equals row 1 of the batch',
    );
    const again = model.runArrays({ x });
    assert.deepEqual(again['output']!.data, first['output']!.data);
    assert.notEqual(again['output']!.data, first['output']!.data, 'each run returns its own arrays');
    (again['output']!.data as Float32Array).fill(0);
    assert.deepEqual(
      model.runArrays({ x })['output']!.data,
      first['output']!.data,
      'writing to an output does not change later runs',
    );
    assert.equal(B, 2);
  });
});
