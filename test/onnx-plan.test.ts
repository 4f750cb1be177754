/**
 * The ONNX run plan (src/onnx/plan.ts): built once per model; memoized nodes (shape and lengths
 * plumbing) follow every change of shape or lengths; repeated runs of one model with varying
 * batch sizes, lengths and inputs give, bit for bit, what a fresh model gives for each input.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { loadNpy } from '../src/io/npy-file.js';
import type { NpyArray } from '../src/io/npy.js';
import { loadOnnx, parseOnnx } from '../src/onnx/index.js';
import { runPlansBuilt } from '../src/onnx/plan.js';
import { decodeModel, encodeModel } from '../src/onnx/proto.js';
import { transposeData } from '../src/onnx/ops/util.js';
import { makeArray } from '../src/onnx/values.js';
import { fixturePath, readFixture } from './helpers.js';

interface TorchCase {
  file: string;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
}

const manifest = readFixture<{ torch: Record<string, TorchCase> }>('interop/manifest.json');
const interop = (file: string) => fixturePath(`interop/${file}`);
const names = Object.keys(manifest.torch).sort();

/** `a` with dimension `axis` cut to its first B rows or tiled to B rows (rows repeat cyclically). */
function resizeBatch(a: NpyArray, axis: number, B: number, shift = 0): NpyArray {
  const shape = [...a.shape];
  const n = shape[axis]!;
  const inner = shape.slice(axis + 1).reduce((x, y) => x * y, 1);
  const outer = shape.slice(0, axis).reduce((x, y) => x * y, 1);
  shape[axis] = B;
  const Ctor = a.data.constructor as new (n: number) => NpyArray['data'];
  const data = new Ctor(outer * B * inner);
  for (let o = 0; o < outer; o++)
    for (let b = 0; b < B; b++) {
      const from = (o * n + ((b + shift) % n)) * inner;
      (data as Float32Array).set((a.data as Float32Array).subarray(from, from + inner), (o * B + b) * inner);
    }
  return { dtype: a.dtype, shape, data } as NpyArray;
}

/** The fixture's inputs at batch B (null: as they are), rows shifted by `shift`. */
function feedsAt(name: string, B: number | null, shift = 0): Record<string, NpyArray> {
  const c = manifest.torch[name]!;
  const model = loadOnnx(interop(c.file));
  return Object.fromEntries(
    Object.entries(c.inputs).map(([input, file]) => {
      const a = loadNpy(interop(file));
      const axis = model.inputs.find((i) => i.name === input)!.dims!.indexOf('batch');
      return [input, B === null ? a : resizeBatch(a, axis, B, shift)];
    }),
  );
}

const bits = (v: NpyArray) =>
  v.data instanceof Float32Array
    ? Array.from(new Uint32Array(v.data.buffer, v.data.byteOffset, v.data.length))
    : Array.from(v.data as ArrayLike<number | bigint>, String);

/** Whether a fresh model runs these feeds (exports that fix their batch refuse other batches, as ONNX Runtime does). */
function runsFresh(file: string, feeds: Record<string, NpyArray>): Record<string, NpyArray> | null {
  try {
    return loadOnnx(file).runArrays(feeds);
  } catch {
    return null;
  }
}

describe('ONNX run plan', () => {
  test('the plan is built once per model, not per run', () => {
    const c = manifest.torch['lstm_2layer_bidir_h0c0']!;
    const feeds = [3, 1, 5, 3].map((B) => feedsAt('lstm_2layer_bidir_h0c0', B));
    const before = runPlansBuilt();
    const model = loadOnnx(interop(c.file));
    assert.equal(runPlansBuilt(), before + 1, 'loading builds one plan');
    for (const f of feeds) model.runArrays(f);
    assert.equal(runPlansBuilt(), before + 1, 'runs, at any batch, build none');
  });

  test('repeated runs with varying batch sizes and inputs equal fresh models, bit for bit, for every PyTorch export', () => {
    for (const name of names) {
      const c = manifest.torch[name]!;
      const model = loadOnnx(interop(c.file));
      // Batch sizes up and down, the same batch with other rows, and back to the first input.
      const sequence: [number | null, number][] = [
        [null, 0],
        [1, 0],
        [5, 1],
        [null, 0],
        [null, 1],
        [1, 2],
        [null, 0],
      ];
      const first = model.inputs[0]!;
      const fixtureBatch = feedsAt(name, null)[first.name]!.shape[first.dims!.indexOf('batch')]!;
      let compared = 0;
      for (const [B, shift] of sequence) {
        const feeds = B === null && shift === 0 ? feedsAt(name, null) : feedsAt(name, B ?? fixtureBatch, shift);
        const fresh = runsFresh(interop(c.file), feeds);
        if (!fresh) {
          assert.throws(() => model.runArrays(feeds), `${name}: refused by a fresh model, refused here too`);
          continue;
        }
        const got = model.runArrays(feeds);
        assert.deepEqual(Object.keys(got), Object.keys(fresh), `${name}: outputs`);
        for (const [k, v] of Object.entries(fresh)) {
          assert.deepEqual(got[k]!.shape, v.shape, `${name} B=${B} shift=${shift} ${k}: shape`);
          assert.deepEqual(bits(got[k]!), bits(v), `${name} B=${B} shift=${shift} ${k}: values`);
        }
        compared++;
      }
      assert.ok(compared >= 3, `${name}: at least 3 inputs compared (${compared})`);
    }
  });

  test('the lengths plumbing of pack_padded_sequence is memoized while the lengths repeat, and follows new lengths', () => {
    const name = 'packed_gru_bidir_lengths';
    const c = manifest.torch[name]!;
    const model = loadOnnx(interop(c.file));
    const feeds = feedsAt(name, null);
    model.runArrays(feeds);
    const first = model.lastRunCounts;
    model.runArrays(feeds);
    const second = model.lastRunCounts;
    assert.equal(first.reused, 0, 'the first run computes every node');
    assert.equal(first.executed, model.operatorsPerRun.length);
    assert.ok(second.reused >= 8, `TopK, Range, ScatterElements... are reused: ${JSON.stringify(second)}`);
    assert.equal(second.executed + second.reused, model.operatorsPerRun.length);
    // Other lengths (the same x): everything that depends on them runs again.
    const lengths = feeds['lengths']!.data as BigInt64Array;
    const other = {
      ...feeds,
      lengths: { ...feeds['lengths']!, data: BigInt64Array.from(lengths, (v) => (v > 1n ? v - 1n : v)) } as NpyArray,
    };
    const got = model.runArrays(other);
    const fresh = loadOnnx(interop(c.file)).runArrays(other);
    assert.ok(model.lastRunCounts.reused < second.reused, 'fewer nodes reused with new lengths');
    for (const k of Object.keys(fresh)) assert.deepEqual(bits(got[k]!), bits(fresh[k]!), `${k} with new lengths`);
    // A feed array changed in place by the caller is seen as changed.
    lengths[0] = 3n;
    const again = model.runArrays(feeds);
    const freshAgain = loadOnnx(interop(c.file)).runArrays(feeds);
    for (const k of Object.keys(freshAgain))
      assert.deepEqual(bits(again[k]!), bits(freshAgain[k]!), `${k} after an in-place change`);
  });

  test("the model's own computation runs in every run, even with the same token ids", () => {
    const name = 'classifier_embedding_lstm_linear';
    const model = loadOnnx(interop(manifest.torch[name]!.file));
    const feeds = feedsAt(name, null);
    for (let k = 0; k < 3; k++) model.runArrays(feeds);
    const ops = model.operatorsPerRun;
    // Reused: only the zero state's Gather -> Unsqueeze -> Concat -> ConstantOfShape after Shape.
    // The embedding's Gather, the LSTM, the last steps' Gathers, Concat, Gemm and LogSoftmax (and
    // Shape itself) run in every run.
    assert.deepEqual(model.lastRunCounts, { executed: ops.length - 4, reused: 4 }, ops.join(', '));
  });

  test('a bidirectional layer writes its output in the final layout: the same values as the unfolded graph', () => {
    for (const name of [
      'lstm_nobias_bidir_batchfirst_h0c0_opset14',
      'lstm_2layer_bidir_h0c0',
      'gru_2layer_bidir_batchfirst',
    ]) {
      const c = manifest.torch[name]!;
      const folded = loadOnnx(interop(c.file));
      const ops = folded.operatorsPerRun;
      assert.ok(!ops.includes('Transpose') && !ops.includes('Reshape'), `${name}: ${ops.join(', ')}`);
      assert.ok(
        ops.some((op) => op.includes('directions merged')),
        `${name}: ${ops.join(', ')}`,
      );
      const proto = decodeModel(new Uint8Array(readFileSync(interop(c.file))), c.file);
      const graph = proto.graph!;
      const declared = new Set((graph.output ?? []).map((o) => o.name));
      for (const node of graph.node ?? [])
        for (const out of node.output ?? []) if (out && !declared.has(out)) graph.output!.push({ name: out });
      const unfolded = parseOnnx(encodeModel(proto), `${name} (all values exposed)`);
      assert.ok(unfolded.operatorsPerRun.includes('Transpose'), `${name}: nothing folded when the values are outputs`);
      for (const B of [null, 1, 4]) {
        const feeds = B === null ? feedsAt(name, null) : feedsAt(name, B);
        const a = folded.runArrays(feeds);
        const b = unfolded.runArrays(feeds);
        for (const [k, v] of Object.entries(a)) {
          assert.deepEqual(v.shape, b[k]!.shape, `${name} B=${B} ${k}: shape`);
          assert.deepEqual(bits(v), bits(b[k]!), `${name} B=${B} ${k}: values`);
        }
      }
    }
  });

  test('element copies move bits: NaN payloads, -0 and float64 values come through a transpose unchanged', () => {
    const f32 = makeArray('float32', [2, 3, 2]);
    const raw = new Uint32Array(f32.data.buffer);
    for (let i = 0; i < raw.length; i++) raw[i] = 0x7fc00000 + i; // NaNs with distinct payloads
    raw[5] = 0x80000000; // -0
    const t = transposeData(f32, [1, 0, 2], (shape) => makeArray('float32', shape));
    const out = new Uint32Array(t.data.buffer);
    for (let a = 0; a < 2; a++)
      for (let b = 0; b < 3; b++)
        for (let c = 0; c < 2; c++)
          assert.equal(out[(b * 2 + a) * 2 + c], raw[(a * 3 + b) * 2 + c], `[${a},${b},${c}]`);
    const f64 = makeArray('float64', [2, 3]);
    f64.data.set([0.1, -0, 1e300, Math.PI, -2.5, 7]);
    const t64 = transposeData(f64, [1, 0], (shape) => makeArray('float64', shape));
    assert.deepEqual(Array.from(t64.data), [0.1, Math.PI, -0, -2.5, 1e300, 7]);
    assert.ok(Object.is(t64.data[2], -0));
  });
});
