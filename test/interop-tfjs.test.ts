/**
 * TF.js Layers models (model.json + weight shards) into our Keras-style layers, and Keras-layout
 * weights into nn modules (and back).
 *
 * The oracle is TF.js itself: models built with @tensorflow/tfjs, given random weights
 * (uniform on [-0.8, 0.8], so gates leave their linear range and a wrong gate order or
 * activation cannot pass), saved through `tf.io.withSaveHandler` and written here as TF.js
 * writes them (model.json with modelTopology + weightsManifest, binary shards). We load the
 * files and compare `predict` (1e-5 abs + 1e-4 rel). TF.js has no GRU with resetAfter true, so
 * that case is a hand-written model.json checked against a float64 reference written from
 * Keras's equations. Keras 2 (Python converter) and Keras 3 topologies are made by rewriting
 * TF.js's, keeping TF.js's outputs as the oracle.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { FormatError, Generator, nn, noGrad, type Tensor, tensor, ValueError } from '../src/index.js';
import * as L from '../src/layers/index.js';
import {
  kerasRecurrentToTorch,
  kerasToTorchModule,
  kerasToTorchStateDict,
  torchRecurrentToKeras,
  torchToKerasLayer,
  torchToKerasWeights,
} from '../src/interop/keras-torch.js';
import { loadTfjsLayersModel } from '../src/interop/tfjs-file.js';
import { parseTfjsLayersModel, parseTfjsWeights, readTfjsWeightManifest } from '../src/interop/tfjs.js';
import { assertClose } from './helpers.js';

tf.env().set('PROD', true); // no "use tfjs-node" banner

const B = 3;
const T = 5;
const F = 4;
const root = mkdtempSync(join(tmpdir(), 'recurrent-tfjs-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirCounter = 0;
const freshDir = (label: string): string => {
  const dir = join(root, `${dirCounter++}-${label}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};

// ---------------------------------------------------------------------------------------------
// Helpers: random data, TF.js <-> ours, writing the TF.js files

function uniformData(size: number, gen: Generator, low = -0.8, high = 0.8): Float32Array {
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = gen.uniform(low, high);
  return data;
}

function normal(shape: number[], gen: Generator): Tensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = gen.normal();
  return tensor(data, shape);
}

/** x (B, T, F) with some steps zeroed: row 1 padded at the end, row 2 at the start (for Masking). */
function paddedInput(gen: Generator, features = F): Tensor {
  const x = normal([B, T, features], gen);
  const zero = (b: number, t: number) => x.data.fill(0, (b * T + t) * features, (b * T + t + 1) * features);
  zero(1, 3);
  zero(1, 4);
  zero(2, 0);
  return x;
}

/** Ids (B, T) in [1, vocab) with padding 0 at the end of row 1 and the start of row 2. */
function paddedIds(gen: Generator, vocab: number): Tensor {
  const data = new Float32Array(B * T);
  for (let i = 0; i < data.length; i++) data[i] = 1 + Math.floor(gen.uniform(0, vocab - 1 - 1e-6));
  data[1 * T + 3] = 0;
  data[1 * T + 4] = 0;
  data[2 * T + 0] = 0;
  return tensor(data, [B, T]);
}

const toTf = (t: Tensor): tf.Tensor => tf.tensor(Array.from(t.data), [...t.shape]);
const fromTf = (t: tf.Tensor): Tensor => tensor(Float32Array.from(t.dataSync() as Float32Array), t.shape);
const listOf = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** Sets every weight of a TF.js model to uniform [-0.8, 0.8] values. */
function randomizeTf(model: tf.LayersModel, gen: Generator): void {
  model.setWeights(model.getWeights().map((w) => tf.tensor(uniformData(w.size, gen), w.shape)));
}

interface Artifacts {
  modelTopology: Record<string, unknown>;
  weightSpecs: { name: string; shape: number[]; dtype: string }[];
  weightData: Uint8Array;
}

/** What TF.js's `model.save` hands to an IOHandler. */
async function artifactsOf(model: tf.LayersModel): Promise<Artifacts> {
  let captured: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      captured = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const a = captured! as tf.io.ModelArtifacts;
  const parts = (Array.isArray(a.weightData) ? a.weightData : [a.weightData!]).map(
    (b) => new Uint8Array(b as ArrayBuffer),
  );
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    joined.set(p, offset);
    offset += p.byteLength;
  }
  return {
    modelTopology: JSON.parse(JSON.stringify(a.modelTopology)) as Record<string, unknown>,
    weightSpecs: JSON.parse(JSON.stringify(a.weightSpecs)) as Artifacts['weightSpecs'],
    weightData: joined,
  };
}

/** Groups of consecutive weights, each stored in `shards` files (split at arbitrary bytes, as TF.js's 4 MB shards are). */
interface GroupLayout {
  count: number;
  shards: number;
}

/**
 * Writes model.json and its shards the way TF.js's file:// handler does: `weightsManifest` of
 * groups `{ paths, weights }`, the data of each group split across its shard files.
 */
function writeTfjs(
  dir: string,
  art: Artifacts,
  layout: GroupLayout[] = [{ count: art.weightSpecs.length, shards: 1 }],
  extra: Record<string, unknown> = {},
): string {
  const weightsManifest: { paths: string[]; weights: Artifacts['weightSpecs'] }[] = [];
  let spec = 0;
  let byte = 0;
  layout.forEach((group, g) => {
    const specs = art.weightSpecs.slice(spec, spec + group.count);
    spec += group.count;
    const bytes = specs.reduce((n, s) => n + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
    const data = art.weightData.subarray(byte, byte + bytes);
    byte += bytes;
    const paths: string[] = [];
    for (let k = 0; k < group.shards; k++) {
      const name =
        layout.length === 1 && group.shards === 1 ? 'weights.bin' : `group${g + 1}-shard${k + 1}of${group.shards}.bin`;
      const start = Math.floor((k * data.length) / group.shards);
      const end = Math.floor(((k + 1) * data.length) / group.shards);
      writeFileSync(join(dir, name), data.subarray(start, end));
      paths.push(`./${name}`);
    }
    weightsManifest.push({ paths, weights: specs });
  });
  assert.equal(spec, art.weightSpecs.length, 'layout covers every weight');
  const modelJson = {
    modelTopology: art.modelTopology,
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: null,
    weightsManifest,
    ...extra,
  };
  const path = join(dir, 'model.json');
  writeFileSync(path, JSON.stringify(modelJson));
  return path;
}

/** Saves a TF.js model to a fresh folder; returns model.json's path. */
async function saveTf(model: tf.LayersModel, label: string, layout?: GroupLayout[]): Promise<string> {
  return writeTfjs(freshDir(label), await artifactsOf(model), layout);
}

function comparePredictions(ours: L.Model, theirs: tf.LayersModel, x: Tensor | Tensor[], label: string): void {
  const xs = listOf(x);
  const expected = listOf(theirs.predict(xs.length === 1 ? toTf(xs[0]!) : xs.map(toTf)) as tf.Tensor | tf.Tensor[]);
  const actual = listOf(ours.predict(xs.length === 1 ? xs[0]! : xs) as Tensor | Tensor[]);
  assert.equal(actual.length, expected.length, `${label}: number of outputs`);
  actual.forEach((a, i) => assertClose(a, fromTf(expected[i]!), `${label} output ${i}`));
}

/** Whether two tensors differ beyond the tolerance somewhere (for the negative controls). */
function differs(a: Tensor, b: Tensor): boolean {
  return Array.from(a.data).some((v, i) => Math.abs(v - b.data[i]!) > 1e-5 + 1e-4 * Math.abs(b.data[i]!));
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/**
 * Keras's GRU with resetAfter (float64, from the equations): x (B, T, F), kernel (F, 3U),
 * recurrent (U, 3U), bias (2, 3U), blocks z, r, h. Returns the sequence (B, T, U) in step order
 * (reversed time order with goBackwards, as Keras) and the final h (B, U).
 */
function gruResetAfterReference(
  x: Tensor,
  kernel: Tensor,
  recurrent: Tensor,
  bias: Tensor,
  goBackwards = false,
): { sequence: Float64Array; h: Float64Array } {
  const [batch, time, features] = x.shape as [number, number, number];
  const U = recurrent.shape[0]!;
  const W = 3 * U;
  const sequence = new Float64Array(batch * time * U);
  const hAll = new Float64Array(batch * U);
  for (let b = 0; b < batch; b++) {
    let h = new Float64Array(U);
    for (let s = 0; s < time; s++) {
      const t = goBackwards ? time - 1 - s : s;
      const gx = new Float64Array(W);
      const gh = new Float64Array(W);
      for (let j = 0; j < W; j++) {
        let a = bias.data[j]!;
        for (let f = 0; f < features; f++) a += x.data[(b * time + t) * features + f]! * kernel.data[f * W + j]!;
        gx[j] = a;
        let r = bias.data[W + j]!;
        for (let u = 0; u < U; u++) r += h[u]! * recurrent.data[u * W + j]!;
        gh[j] = r;
      }
      const next = new Float64Array(U);
      for (let u = 0; u < U; u++) {
        const z = sigmoid(gx[u]! + gh[u]!);
        const r = sigmoid(gx[U + u]! + gh[U + u]!);
        const candidate = Math.tanh(gx[2 * U + u]! + r * gh[2 * U + u]!);
        next[u] = z * h[u]! + (1 - z) * candidate;
      }
      h = next;
      sequence.set(h, (b * time + s) * U);
    }
    hAll.set(h, b * U);
  }
  return { sequence, h: hAll };
}

/** Bidirectional 'concat' with returnSequences from two reference runs: output[:, t] = [forward_t, backward at input step t]. */
function concatBidirectional(forward: Float64Array, backward: Float64Array, U: number): Float64Array {
  const out = new Float64Array(B * T * 2 * U);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      out.set(forward.subarray((b * T + t) * U, (b * T + t + 1) * U), (b * T + t) * 2 * U);
      out.set(backward.subarray((b * T + (T - 1 - t)) * U, (b * T + (T - 1 - t) + 1) * U), (b * T + t) * 2 * U + U);
    }
  }
  return out;
}

const toF32 = (v: Float64Array, shape: number[]): Tensor => tensor(Float32Array.from(v), shape);

/** The weight data of weights in order, as TF.js lays it out. */
function joinWeights(weights: Tensor[]): Uint8Array {
  const out = new Float32Array(weights.reduce((n, w) => n + w.size, 0));
  let offset = 0;
  for (const w of weights) {
    out.set(w.data, offset);
    offset += w.size;
  }
  return new Uint8Array(out.buffer);
}

/** Expects a FormatError whose message contains every word (and whose file is `file`, when given). */
function assertFormatError(f: () => unknown, words: string[], file?: string): FormatError {
  let caught: unknown = null;
  try {
    f();
  } catch (error) {
    caught = error;
  }
  assert.ok(
    caught instanceof FormatError,
    `expected a FormatError, got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`,
  );
  for (const w of words) assert.ok(caught.message.includes(w), `message should mention '${w}': ${caught.message}`);
  if (file !== undefined) assert.equal(caught.file, file);
  return caught;
}

// ---------------------------------------------------------------------------------------------
// TF.js model.json -> our models: predict matches TF.js

describe('loadTfjsLayersModel: TF.js Sequential models, predict matches TF.js', () => {
  test('simpleRNN (relu, returnSequences) -> dense (tanh)', async () => {
    const gen = new Generator(1);
    const m = tf.sequential({
      layers: [
        tf.layers.simpleRNN({ units: 3, activation: 'relu', returnSequences: true, inputShape: [T, F] }),
        tf.layers.dense({ units: 2, activation: 'tanh' }),
      ],
    });
    randomizeTf(m, gen);
    const ours = loadTfjsLayersModel(await saveTf(m, 'simple-rnn'));
    assert.ok(ours instanceof L.Sequential);
    assert.deepEqual(
      ours.layers.map((l) => l.className),
      ['SimpleRNN', 'Dense'],
    );
    comparePredictions(ours, m, normal([B, T, F], gen), 'simpleRNN -> dense');
  });

  test("lstm with TF.js's default recurrentActivation (hardSigmoid) is loaded with it", async () => {
    const gen = new Generator(2);
    const m = tf.sequential({ layers: [tf.layers.lstm({ units: 3, inputShape: [T, F] })] });
    randomizeTf(m, gen);
    const path = await saveTf(m, 'lstm-hard-sigmoid');
    const modelJson = JSON.parse(readFileSync(path, 'utf8')) as {
      modelTopology: { config: { layers: { config: Record<string, unknown> }[] } };
    };
    assert.equal(
      modelJson.modelTopology.config.layers[0]!.config.recurrent_activation,
      'hard_sigmoid',
      'TF.js saved its default',
    );
    const ours = loadTfjsLayersModel(path);
    assert.equal((ours.layers[0] as L.LSTM).recurrentActivation, 'hardSigmoid');
    const x = normal([B, T, F], gen);
    comparePredictions(ours, m, x, 'lstm hardSigmoid');
    // Negative control: the same weights with sigmoid gates give other outputs, so the check above can fail.
    const sigmoidLstm = L.lstm({ units: 3, recurrentActivation: 'sigmoid' });
    const control = L.sequential([L.input({ shape: [T, F] }), sigmoidLstm]);
    sigmoidLstm.setWeights(ours.layers[0]!.getWeights());
    assert.ok(
      differs(control.predict(x) as Tensor, fromTf(m.predict(toTf(x)) as tf.Tensor)),
      'sigmoid gates differ from hardSigmoid ones',
    );
  });

  test('lstm (sigmoid, useBias false, goBackwards, returnSequences) -> dense softmax', async () => {
    const gen = new Generator(3);
    const m = tf.sequential({
      layers: [
        tf.layers.lstm({
          units: 4,
          recurrentActivation: 'sigmoid',
          useBias: false,
          goBackwards: true,
          returnSequences: true,
          inputShape: [T, F],
        }),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    randomizeTf(m, gen);
    comparePredictions(
      loadTfjsLayersModel(await saveTf(m, 'lstm-backwards')),
      m,
      normal([B, T, F], gen),
      'lstm goBackwards',
    );
  });

  test('masking -> gru (resetAfter false, the TF.js form) with padded steps', async () => {
    const gen = new Generator(4);
    const m = tf.sequential({
      layers: [
        tf.layers.masking({ maskValue: 0, inputShape: [T, F] }),
        tf.layers.gru({ units: 3, returnSequences: true }),
      ],
    });
    randomizeTf(m, gen);
    const ours = loadTfjsLayersModel(await saveTf(m, 'gru-masked'));
    const g = ours.layers[1] as L.GRU;
    assert.equal(g.resetAfter, false);
    assert.equal(g.recurrentActivation, 'hardSigmoid');
    comparePredictions(ours, m, paddedInput(gen), 'masking -> gru');
  });

  test('embedding(maskZero) -> bidirectional(lstm, concat) -> timeDistributed(dense) -> dropout, weights in 3 shards', async () => {
    const gen = new Generator(5);
    const vocab = 9;
    const m = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: vocab, outputDim: F, maskZero: true, inputLength: T }),
        tf.layers.bidirectional({
          layer: tf.layers.lstm({ units: 3, recurrentActivation: 'sigmoid', returnSequences: true }) as tf.RNN,
          mergeMode: 'concat',
        }),
        tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2 }) }),
        tf.layers.dropout({ rate: 0.3 }),
      ],
    });
    randomizeTf(m, gen);
    const path = await saveTf(m, 'embedding-bidi', [{ count: m.getWeights().length, shards: 3 }]);
    const ours = loadTfjsLayersModel(path);
    assert.deepEqual(
      ours.layers.map((l) => l.className),
      ['Embedding', 'Bidirectional', 'TimeDistributed', 'Dropout'],
    );
    assert.equal((ours.layers[0] as L.Embedding).maskZero, true);
    comparePredictions(ours, m, paddedIds(gen, vocab), 'embedding -> bidirectional lstm -> timeDistributed dense');
  });

  test('bidirectional(gru) first, mergeMode ave, -> dense', async () => {
    const gen = new Generator(6);
    const m = tf.sequential({
      layers: [
        tf.layers.bidirectional({
          layer: tf.layers.gru({ units: 3, recurrentActivation: 'sigmoid' }) as tf.RNN,
          mergeMode: 'ave',
          inputShape: [T, F],
        }),
        tf.layers.dense({ units: 2 }),
      ],
    });
    randomizeTf(m, gen);
    comparePredictions(
      loadTfjsLayersModel(await saveTf(m, 'bidi-gru-ave')),
      m,
      normal([B, T, F], gen),
      'bidirectional gru ave',
    );
  });

  test('bidirectional(simpleRNN), mergeMode sum and mul, returnSequences', async () => {
    for (const mergeMode of ['sum', 'mul'] as const) {
      const gen = new Generator(7);
      const m = tf.sequential({
        layers: [
          tf.layers.bidirectional({
            layer: tf.layers.simpleRNN({ units: 3, returnSequences: true }) as tf.RNN,
            mergeMode,
            inputShape: [T, F],
          }),
        ],
      });
      randomizeTf(m, gen);
      comparePredictions(
        loadTfjsLayersModel(await saveTf(m, `bidi-rnn-${mergeMode}`)),
        m,
        normal([B, T, F], gen),
        `bidirectional simpleRNN ${mergeMode}`,
      );
    }
  });

  test('stacked lstm -> gru -> simpleRNN with variable-length time (batch_input_shape [null, null, F])', async () => {
    const gen = new Generator(8);
    const m = tf.sequential({
      layers: [
        tf.layers.lstm({ units: 4, recurrentActivation: 'sigmoid', returnSequences: true, inputShape: [null, F] }),
        tf.layers.gru({ units: 3, returnSequences: true }),
        tf.layers.simpleRNN({ units: 2 }),
      ],
    });
    randomizeTf(m, gen);
    const ours = loadTfjsLayersModel(await saveTf(m, 'stacked'));
    comparePredictions(ours, m, normal([B, T, F], gen), 'stacked, T=5');
    comparePredictions(ours, m, normal([2, 7, F], gen), 'stacked, T=7');
  });
});

describe('loadTfjsLayersModel: TF.js functional models', () => {
  test('lstm(returnState) -> dense(h) as the initial state of a simpleRNN; outputs [rnn, lstm sequence, c]', async () => {
    // (No Masking here: TF.js's predict fails on a masked multi-output model with an initial state.)
    const gen = new Generator(11);
    const x = tf.input({ shape: [T, F] });
    const [seq, h, c] = tf.layers
      .lstm({ units: 3, recurrentActivation: 'sigmoid', returnSequences: true, returnState: true })
      .apply(x) as tf.SymbolicTensor[];
    const init = tf.layers.dense({ units: 2, activation: 'tanh' }).apply(h!) as tf.SymbolicTensor;
    const z = tf.layers
      .simpleRNN({ units: 2, returnSequences: true })
      .apply(seq!, { initialState: [init] }) as tf.SymbolicTensor;
    const m = tf.model({ inputs: x, outputs: [z, seq!, c!] });
    randomizeTf(m, gen);
    const ours = loadTfjsLayersModel(await saveTf(m, 'functional-state'));
    assert.ok(!(ours instanceof L.Sequential));
    assert.equal(ours.hasSingleOutput, false);
    comparePredictions(ours, m, normal([B, T, F], gen), 'functional returnState + initialState');
  });

  test('two inputs, shared masking and gru applied to both (node index 1), a shared dense, two outputs', async () => {
    const gen = new Generator(12);
    const a = tf.input({ shape: [T, F] });
    const b = tf.input({ shape: [T, F] });
    const mask = tf.layers.masking({ maskValue: 0 });
    const shared = tf.layers.gru({ units: 3 });
    const head = tf.layers.dense({ units: 2 });
    const branch = (input: tf.SymbolicTensor) =>
      head.apply(shared.apply(mask.apply(input)) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const m = tf.model({ inputs: [a, b], outputs: [branch(a), branch(b)] });
    randomizeTf(m, gen);
    const ours = loadTfjsLayersModel(
      await saveTf(m, 'functional-shared', [
        { count: 3, shards: 1 },
        { count: 2, shards: 2 },
      ]),
    );
    comparePredictions(ours, m, [paddedInput(gen), normal([B, T, F], gen)], 'shared layers');
  });

  test('bidirectional(lstm) with mergeMode null and returnState: every output', async () => {
    const gen = new Generator(13);
    const x = tf.input({ shape: [T, F] });
    const outs = tf.layers
      .bidirectional({
        layer: tf.layers.lstm({
          units: 3,
          recurrentActivation: 'sigmoid',
          returnSequences: true,
          returnState: true,
        }) as tf.RNN,
        mergeMode: null as unknown as undefined,
      })
      .apply(x) as tf.SymbolicTensor[];
    const m = tf.model({ inputs: x, outputs: outs });
    randomizeTf(m, gen);
    const ours = loadTfjsLayersModel(await saveTf(m, 'bidi-null'));
    const predicted = ours.predict(normal([1, T, F], new Generator(0)));
    assert.equal(listOf(predicted).length, 6, 'forward, backward, h_f, c_f, h_b, c_b');
    comparePredictions(ours, m, normal([B, T, F], gen), 'bidirectional mergeMode null returnState');
  });
});

describe('parseTfjsLayersModel: other writers of model.json', () => {
  /** TF.js's Sequential [lstm, dense] as the Python converter writes a Keras 2 model. */
  async function keras2Style() {
    const gen = new Generator(21);
    const m = tf.sequential({
      layers: [
        tf.layers.lstm({ units: 3, recurrentActivation: 'sigmoid', returnSequences: true, inputShape: [T, F] }),
        tf.layers.dense({ units: 2 }),
      ],
    });
    randomizeTf(m, gen);
    const art = await artifactsOf(m);
    const layers = (art.modelTopology.config as { layers: { class_name: string; config: Record<string, unknown> }[] })
      .layers;
    const [lstmLayer, denseLayer] = layers as [
      { class_name: string; config: Record<string, unknown> },
      { class_name: string; config: Record<string, unknown> },
    ];
    const { batch_input_shape: batchShape, ...lstmConfig } = lstmLayer.config;
    art.modelTopology = {
      keras_version: '2.15.0',
      backend: 'tensorflow',
      model_config: {
        class_name: 'Sequential',
        config: {
          name: 'sequential',
          layers: [
            {
              class_name: 'InputLayer',
              config: {
                batch_input_shape: batchShape,
                dtype: 'float32',
                sparse: false,
                ragged: false,
                name: 'lstm_input',
              },
            },
            {
              class_name: 'LSTM',
              config: {
                ...lstmConfig,
                name: 'lstm',
                time_major: false,
                zero_output_for_mask: false,
                implementation: 2,
              },
            },
            { class_name: 'Dense', config: { ...denseLayer.config, name: 'dense' } },
          ],
        },
      },
    };
    art.weightSpecs = art.weightSpecs.map((s) => ({
      ...s,
      name: s.name.replace(/^lstm_LSTM\d+\//, 'lstm/lstm_cell/').replace(/^dense_Dense\d+\//, 'dense/') + ':0',
    }));
    return { m, art, gen };
  }

  test('Keras 2 (Python converter): model_config, an InputLayer entry, lstm/lstm_cell/kernel:0 names, 2 groups', async () => {
    const { m, art, gen } = await keras2Style();
    const path = writeTfjs(
      freshDir('keras2'),
      art,
      [
        { count: 3, shards: 1 },
        { count: 2, shards: 2 },
      ],
      { convertedBy: 'TensorFlow.js Converter v4.22.0' },
    );
    const ours = loadTfjsLayersModel(path);
    assert.deepEqual(
      ours.layers.map((l) => l.name),
      ['lstm', 'dense'],
    );
    comparePredictions(ours, m, normal([B, T, F], gen), 'keras 2 style');
  });

  test('Keras 3 functional: class Functional, { args, kwargs } nodes, __keras_tensor__ references, initial_state in kwargs', async () => {
    const gen = new Generator(22);
    const x = tf.input({ shape: [T, F] });
    const [seq, h] = tf.layers
      .gru({ units: 3, recurrentActivation: 'sigmoid', returnSequences: true, returnState: true })
      .apply(x) as tf.SymbolicTensor[];
    const init = tf.layers.dense({ units: 2 }).apply(h!) as tf.SymbolicTensor;
    const z = tf.layers
      .simpleRNN({ units: 2, returnSequences: true })
      .apply(seq!, { initialState: [init] }) as tf.SymbolicTensor;
    const m = tf.model({ inputs: x, outputs: z });
    randomizeTf(m, gen);
    const art = await artifactsOf(m);
    const config = art.modelTopology.config as {
      layers: {
        name: string;
        class_name: string;
        config: Record<string, unknown>;
        inbound_nodes: [string, number, number, object][][];
      }[];
      input_layers: unknown[];
      output_layers: unknown[];
    };
    const tensorRef = ([layer, node, index]: [string, number, number, object?]) => ({
      class_name: '__keras_tensor__',
      config: { shape: [null], dtype: 'float32', keras_history: [layer, node, index] },
    });
    const layers = config.layers.map((l) => {
      const nodes = l.inbound_nodes.map((node) => {
        const [first, ...states] = node;
        return {
          args: [tensorRef(first!)],
          kwargs: states.length ? { initial_state: states.map(tensorRef), training: false } : { mask: null },
        };
      });
      const cfg = { ...l.config };
      if (l.class_name === 'InputLayer') {
        cfg.batch_shape = cfg.batch_input_shape;
        delete cfg.batch_input_shape;
      }
      return {
        module: 'keras.layers',
        class_name: l.class_name,
        config: cfg,
        registered_name: null,
        name: l.name,
        inbound_nodes: nodes,
      };
    });
    art.modelTopology = {
      class_name: 'Functional',
      config: {
        name: 'functional',
        trainable: true,
        layers,
        input_layers: config.input_layers[0],
        output_layers: config.output_layers[0],
      },
    };
    const ours = loadTfjsLayersModel(writeTfjs(freshDir('keras3'), art));
    comparePredictions(ours, m, normal([B, T, F], gen), 'keras 3 style');
  });

  test('GRU resetAfter true (Keras, not TF.js): hand-written model.json against the float64 reference, also bidirectional', () => {
    const gen = new Generator(23);
    const U = 3;
    const gruConfig = (name: string) => ({
      class_name: 'GRU',
      config: {
        name,
        units: U,
        activation: 'tanh',
        recurrent_activation: 'sigmoid',
        use_bias: true,
        reset_after: true,
        return_sequences: true,
        return_state: false,
        go_backwards: false,
        stateful: false,
        unroll: false,
      },
    });
    const kernel = tensor(uniformData(F * 3 * U, gen), [F, 3 * U]);
    const recurrent = tensor(uniformData(U * 3 * U, gen), [U, 3 * U]);
    const bias = tensor(uniformData(2 * 3 * U, gen), [2, 3 * U]);
    const back = [
      tensor(uniformData(F * 3 * U, gen), [F, 3 * U]),
      tensor(uniformData(U * 3 * U, gen), [U, 3 * U]),
      tensor(uniformData(2 * 3 * U, gen), [2, 3 * U]),
    ] as const;
    const x = normal([B, T, F], gen);
    const spec = (name: string, t: Tensor) => ({ name, shape: [...t.shape], dtype: 'float32' });

    const single = {
      format: 'layers-model',
      modelTopology: {
        class_name: 'Sequential',
        config: {
          name: 'seq',
          layers: [{ ...gruConfig('gru'), config: { ...gruConfig('gru').config, batch_input_shape: [null, T, F] } }],
        },
      },
      weightsManifest: [
        {
          paths: ['weights.bin'],
          weights: [
            spec('gru/gru_cell/kernel', kernel),
            spec('gru/gru_cell/recurrent_kernel', recurrent),
            spec('gru/gru_cell/bias', bias),
          ],
        },
      ],
    };
    const model = parseTfjsLayersModel(single, joinWeights([kernel, recurrent, bias]), 'gru.json');
    const reference = gruResetAfterReference(x, kernel, recurrent, bias);
    assertClose(model.predict(x) as Tensor, toF32(reference.sequence, [B, T, U]), 'gru resetAfter vs reference');
    // The same layer as nn.GRU.
    const torchGru = kerasToTorchModule(model.layers[0] as L.GRU);
    const out = noGrad(() => torchGru.forward(x));
    assertClose(out.output as Tensor, toF32(reference.sequence, [B, T, U]), 'nn.GRU output vs reference');
    assertClose(out.h, toF32(reference.h, [1, B, U]), 'nn.GRU h vs reference');

    const bidi = {
      format: 'layers-model',
      modelTopology: {
        class_name: 'Sequential',
        config: {
          layers: [
            { class_name: 'InputLayer', config: { batch_shape: [null, T, F], name: 'x' } },
            {
              class_name: 'Bidirectional',
              config: { name: 'bidirectional', merge_mode: 'concat', layer: gruConfig('gru') },
            },
          ],
        },
      },
      weightsManifest: [
        {
          paths: ['a.bin', 'b.bin'],
          weights: [
            spec('bidirectional/forward_gru/gru_cell/kernel', kernel),
            spec('bidirectional/forward_gru/gru_cell/recurrent_kernel', recurrent),
            spec('bidirectional/forward_gru/gru_cell/bias', bias),
            spec('bidirectional/backward_gru/gru_cell/kernel', back[0]),
            spec('bidirectional/backward_gru/gru_cell/recurrent_kernel', back[1]),
            spec('bidirectional/backward_gru/gru_cell/bias', back[2]),
          ],
        },
      ],
    };
    const bidiModel = parseTfjsLayersModel(
      bidi,
      joinWeights([kernel, recurrent, bias, ...back]).buffer as ArrayBuffer,
      'bidi-gru.json',
    );
    const backward = gruResetAfterReference(x, back[0], back[1], back[2], true);
    const expected = toF32(concatBidirectional(reference.sequence, backward.sequence, U), [B, T, 2 * U]);
    assertClose(bidiModel.predict(x) as Tensor, expected, 'bidirectional gru resetAfter vs reference');
    const torchBidi = kerasToTorchModule(bidiModel.layers[0]!);
    assertClose(
      noGrad(() => (torchBidi as nn.GRU).forward(x)).output as Tensor,
      expected,
      'bidirectional nn.GRU vs reference',
    );
  });

  test('parseTfjsWeights and readTfjsWeightManifest give the weights by name and their layout', async () => {
    const gen = new Generator(24);
    const m = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [F] })] });
    randomizeTf(m, gen);
    const art = await artifactsOf(m);
    const path = writeTfjs(freshDir('weights'), art);
    const modelJson = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    const manifest = readTfjsWeightManifest(modelJson, path);
    assert.equal(manifest.byteLength, 4 * (F * 3 + 3));
    assert.deepEqual(
      manifest.weights.map((w) => [w.shape, w.byteOffset]),
      [
        [[F, 3], 0],
        [[3], 4 * F * 3],
      ],
    );
    const weights = parseTfjsWeights(modelJson, art.weightData, path);
    const kernel = weights.get(art.weightSpecs[0]!.name)!;
    assertClose(kernel, fromTf(m.getWeights()[0]!), 'kernel by name');
    // TF.js's in-memory artifacts (weightSpecs, no manifest) parse as well.
    const fromArtifacts = parseTfjsLayersModel(
      { modelTopology: art.modelTopology, weightSpecs: art.weightSpecs },
      art.weightData,
      'artifacts',
    );
    const x = normal([B, F], gen);
    assertClose(fromArtifacts.predict(x) as Tensor, fromTf(m.predict(toTf(x)) as tf.Tensor), 'from ModelArtifacts');
  });
});

// ---------------------------------------------------------------------------------------------
// Bad files

describe('loadTfjsLayersModel: bad files are FormatErrors naming the file and the weight or layer', () => {
  async function saved(label: string) {
    const m = tf.sequential({
      layers: [tf.layers.lstm({ units: 3, inputShape: [T, F] }), tf.layers.dense({ units: 2 })],
    });
    randomizeTf(m, new Generator(31));
    const art = await artifactsOf(m);
    const dir = freshDir(label);
    const path = writeTfjs(dir, art);
    const json = JSON.parse(readFileSync(path, 'utf8')) as {
      format: string;
      modelTopology: {
        class_name: string;
        config: { layers: { class_name: string; config: Record<string, unknown> }[] };
      };
      weightsManifest: { paths: string[]; weights: Record<string, unknown>[] }[];
    };
    const rewrite = () => writeFileSync(path, JSON.stringify(json));
    return { art, dir, path, json, rewrite, weights: join(dir, 'weights.bin') };
  }

  test('a truncated weights.bin names weights.bin (file loader) and the first weight that does not fit (parser)', async () => {
    const { art, path, json, weights } = await saved('truncated');
    const bytes = readFileSync(weights);
    writeFileSync(weights, bytes.subarray(0, bytes.length - 6));
    const error = assertFormatError(
      () => loadTfjsLayersModel(path),
      ['truncated', `${bytes.length - 6} bytes`, `${bytes.length}`],
      weights,
    );
    assert.ok(error.message.includes(path), 'names model.json too');
    const lastWeight = art.weightSpecs[art.weightSpecs.length - 1]!.name;
    assertFormatError(
      () => parseTfjsLayersModel(json, art.weightData.subarray(0, art.weightData.length - 6), 'model.json'),
      ['truncated', lastWeight],
      'model.json',
    );
    assertFormatError(
      () => parseTfjsLayersModel(json, new Uint8Array(art.weightData.length + 4), 'model.json'),
      ['4 bytes too many'],
    );
  });

  test('a manifest shape that disagrees with the layer names the weight and the layer', async () => {
    const { path, json, rewrite } = await saved('shape');
    const kernel = json.weightsManifest[0]!.weights[0]!;
    const name = kernel.name as string;
    kernel.shape = [12, F]; // same size as (F, 12): the bytes fit, the layout does not
    rewrite();
    const layerName = json.modelTopology.config.layers[0]!.config.name as string;
    assertFormatError(() => loadTfjsLayersModel(path), [name, layerName, `[12, ${F}]`, `[${F}, 12]`], path);
    kernel.shape = [F + 1, 12]; // more bytes than the file holds
    rewrite();
    assertFormatError(() => loadTfjsLayersModel(path), ['truncated', 'weights.bin']);
  });

  test('an unknown layer class names the layer and the class', async () => {
    const { path, json, rewrite } = await saved('unknown-class');
    json.modelTopology.config.layers[1]!.class_name = 'Conv1D';
    rewrite();
    const layerName = json.modelTopology.config.layers[1]!.config.name as string;
    assertFormatError(() => loadTfjsLayersModel(path), [layerName, 'Conv1D', 'not supported'], path);
  });

  test('a non-float32 dtype or a quantized weight names the weight', async () => {
    const { path, json, rewrite } = await saved('dtype');
    const spec = json.weightsManifest[0]!.weights[1]!;
    spec.dtype = 'int32';
    rewrite();
    assertFormatError(() => loadTfjsLayersModel(path), [spec.name as string, 'int32', 'float32'], path);
    spec.dtype = 'float32';
    spec.quantization = { dtype: 'uint8', scale: 0.01, min: -1, original_dtype: 'float32' };
    rewrite();
    assertFormatError(() => loadTfjsLayersModel(path), [spec.name as string, 'quantized', 'uint8'], path);
  });

  test('a missing weight, an extra weight, a missing shard, a graph model, bad JSON', async () => {
    const { path, json, rewrite, dir } = await saved('misc');
    const specs = json.weightsManifest[0]!.weights;
    const original = specs[3]!.name as string; // dense kernel
    specs[3]!.name = 'somewhere_else/kernel';
    rewrite();
    const denseName = json.modelTopology.config.layers[1]!.config.name as string;
    assertFormatError(() => loadTfjsLayersModel(path), [denseName, 'kernel', 'does not have'], path);
    specs[3]!.name = original;
    json.weightsManifest.push({
      paths: ['extra.bin'],
      weights: [{ name: 'extra/bias', shape: [2], dtype: 'float32' }],
    });
    writeFileSync(join(dir, 'extra.bin'), new Uint8Array(8));
    rewrite();
    assertFormatError(() => loadTfjsLayersModel(path), ['extra/bias', 'no layer']);
    json.weightsManifest.pop();
    json.weightsManifest[0]!.paths = ['./missing.bin'];
    rewrite();
    assertFormatError(() => loadTfjsLayersModel(path), ['cannot be read', 'ENOENT'], join(dir, 'missing.bin'));
    json.weightsManifest[0]!.paths = ['./weights.bin'];
    json.format = 'graph-model';
    rewrite();
    assertFormatError(() => loadTfjsLayersModel(path), ['graph-model', 'layers-model'], path);
    writeFileSync(path, '{"modelTopology": ');
    assertFormatError(() => loadTfjsLayersModel(path), ['not valid JSON'], path);
  });

  test('a topology that needs far more weights than the manifest holds is refused before building', async () => {
    const { art, json } = await saved('units');
    json.modelTopology.config.layers[0]!.config.units = 100000;
    assertFormatError(
      () => parseTfjsLayersModel(json, art.weightData, 'model.json'),
      ['needs at least', 'weightsManifest holds'],
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Keras layers -> nn modules: forward matches TF.js

/** A one-layer TF.js model around `layer` with random weights, and its loaded twin's layer. */
async function loadedPair(layer: tf.layers.Layer, label: string, gen: Generator, inputShape: number[] = [T, F]) {
  const x = tf.input({ shape: inputShape });
  const m = tf.model({ inputs: x, outputs: layer.apply(x) as tf.SymbolicTensor });
  randomizeTf(m, gen);
  const ours = loadTfjsLayersModel(await saveTf(m, label));
  return { m, layer: ours.layers[1]! };
}

describe('kerasToTorchModule: nn modules from loaded layers match TF.js', () => {
  test('LSTM (sigmoid) -> nn.LSTM: output, and h, c against returnState', async () => {
    const gen = new Generator(41);
    const { m, layer } = await loadedPair(
      tf.layers.lstm({ units: 4, recurrentActivation: 'sigmoid', returnSequences: true }),
      'nn-lstm',
      gen,
    );
    const x = normal([B, T, F], gen);
    const module = kerasToTorchModule(layer as L.LSTM);
    assert.ok(module instanceof nn.LSTM);
    assert.equal(module.batchFirst, true);
    const out = noGrad(() => module.forward(x));
    assertClose(out.output as Tensor, fromTf(m.predict(toTf(x)) as tf.Tensor), 'nn.LSTM output vs TF.js');
    // Final states against a returnState twin with the same weights.
    const stateful = L.lstm({ units: 4, recurrentActivation: 'sigmoid', returnState: true });
    stateful.ensureBuilt([null, T, F]);
    stateful.setWeights(layer.getWeights());
    const [, h, c] = stateful.apply(x) as Tensor[];
    assertClose(out.h, h!.reshape([1, B, 4]), 'nn.LSTM h');
    assertClose(out.c, c!.reshape([1, B, 4]), 'nn.LSTM c');
  });

  test('SimpleRNN (tanh and relu) -> nn.RNN', async () => {
    for (const activation of ['tanh', 'relu'] as const) {
      const gen = new Generator(42);
      const { m, layer } = await loadedPair(
        tf.layers.simpleRNN({ units: 3, activation, returnSequences: true }),
        `nn-rnn-${activation}`,
        gen,
      );
      const x = normal([B, T, F], gen);
      const module = kerasToTorchModule(layer as L.SimpleRNN);
      assert.equal(module.nonlinearity, activation);
      assertClose(
        noGrad(() => module.forward(x)).output as Tensor,
        fromTf(m.predict(toTf(x)) as tf.Tensor),
        `nn.RNN ${activation} vs TF.js`,
      );
    }
  });

  test('Bidirectional LSTM and SimpleRNN (concat, returnSequences) -> bidirectional nn modules', async () => {
    const cases = [
      ['lstm', tf.layers.lstm({ units: 3, recurrentActivation: 'sigmoid', returnSequences: true })],
      ['rnn', tf.layers.simpleRNN({ units: 3, returnSequences: true })],
    ] as const;
    for (const [label, inner] of cases) {
      const gen = new Generator(43);
      const { m, layer } = await loadedPair(
        tf.layers.bidirectional({ layer: inner as unknown as tf.RNN }),
        `nn-bidi-${label}`,
        gen,
      );
      const x = normal([B, T, F], gen);
      const dict = kerasToTorchStateDict(layer);
      assert.ok(
        'weight_ih_l0_reverse' in dict && 'bias_hh_l0_reverse' in dict,
        'the backward direction under _reverse names',
      );
      const module = kerasToTorchModule(layer) as nn.LSTM | nn.RNN;
      assert.equal(module.bidirectional, true);
      assertClose(
        noGrad(() => module.forward(x)).output as Tensor,
        fromTf(m.predict(toTf(x)) as tf.Tensor),
        `bidirectional ${label} vs TF.js`,
      );
    }
  });

  test("Bidirectional LSTM without returnSequences: concat(h forward, h backward) is TF.js's output", async () => {
    const gen = new Generator(44);
    const { m, layer } = await loadedPair(
      tf.layers.bidirectional({
        layer: tf.layers.lstm({ units: 3, recurrentActivation: 'sigmoid' }) as unknown as tf.RNN,
      }),
      'nn-bidi-last',
      gen,
    );
    const x = normal([B, T, F], gen);
    const { h } = noGrad(() => (kerasToTorchModule(layer) as nn.LSTM).forward(x));
    const joined = tensor(
      new Float32Array(B * 6).map((_, i) => h.data[(Math.floor((i % 6) / 3) * B + Math.floor(i / 6)) * 3 + (i % 3)]!),
      [B, 6],
    );
    assertClose(joined, fromTf(m.predict(toTf(x)) as tf.Tensor), 'h_f ++ h_b vs TF.js');
  });

  test('stacked LSTMs -> one nn.LSTM with numLayers 2 (layerIndex)', async () => {
    const gen = new Generator(45);
    const x0 = tf.input({ shape: [T, F] });
    const l1 = tf.layers.lstm({ units: 3, recurrentActivation: 'sigmoid', returnSequences: true });
    const l2 = tf.layers.lstm({ units: 3, recurrentActivation: 'sigmoid', returnSequences: true });
    const m = tf.model({ inputs: x0, outputs: l2.apply(l1.apply(x0)) as tf.SymbolicTensor });
    randomizeTf(m, gen);
    const ours = loadTfjsLayersModel(await saveTf(m, 'nn-stacked'));
    const module = new nn.LSTM({ inputSize: F, hiddenSize: 3, numLayers: 2, batchFirst: true });
    module.loadStateDict({
      ...kerasToTorchStateDict(ours.layers[1]!),
      ...kerasToTorchStateDict(ours.layers[2]!, { layerIndex: 1 }),
    });
    const x = normal([B, T, F], gen);
    assertClose(
      noGrad(() => module.forward(x)).output as Tensor,
      fromTf(m.predict(toTf(x)) as tf.Tensor),
      'stacked nn.LSTM vs TF.js',
    );
  });

  test('Dense and TimeDistributed(Dense) -> nn.Linear; Embedding -> nn.Embedding', async () => {
    const gen = new Generator(46);
    const dense = await loadedPair(tf.layers.dense({ units: 3 }), 'nn-dense', gen, [F]);
    const x = normal([B, F], gen);
    const linear = kerasToTorchModule(dense.layer as L.Dense);
    assertClose(
      noGrad(() => linear.forward(x)),
      fromTf(dense.m.predict(toTf(x)) as tf.Tensor),
      'nn.Linear vs TF.js dense',
    );
    const td = await loadedPair(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2 }) }), 'nn-td', gen);
    const xs = normal([B, T, F], gen);
    assertClose(
      noGrad(() => (kerasToTorchModule(td.layer) as nn.Linear).forward(xs)),
      fromTf(td.m.predict(toTf(xs)) as tf.Tensor),
      'nn.Linear vs TF.js timeDistributed(dense)',
    );
    const emb = await loadedPair(tf.layers.embedding({ inputDim: 7, outputDim: 3 }), 'nn-embedding', gen, [T]);
    const ids = paddedIds(gen, 7);
    assertClose(
      noGrad(() => kerasToTorchModule(emb.layer as L.Embedding).forward(ids)),
      fromTf(emb.m.predict(toTf(ids)) as tf.Tensor),
      'nn.Embedding vs TF.js',
    );
  });

  test('refusals: GRU reset-before, hardSigmoid gates, goBackwards, Dense with an activation', async () => {
    const gen = new Generator(47);
    const gru = (await loadedPair(tf.layers.gru({ units: 3, recurrentActivation: 'sigmoid' }), 'nn-gru-before', gen))
      .layer;
    assert.throws(
      () => kerasToTorchStateDict(gru),
      (e: unknown) =>
        e instanceof ValueError &&
        /resetAfter false/.test(e.message) &&
        /no exact PyTorch equivalent/.test(e.message) &&
        /reset-after/.test(e.message),
    );
    const hard = (await loadedPair(tf.layers.lstm({ units: 3 }), 'nn-lstm-hard', gen)).layer;
    assert.throws(
      () => kerasToTorchModule(hard),
      (e: unknown) => e instanceof ValueError && /hardSigmoid/.test(e.message),
    );
    const backwards = (await loadedPair(tf.layers.simpleRNN({ units: 3, goBackwards: true }), 'nn-rnn-back', gen))
      .layer;
    assert.throws(
      () => kerasToTorchModule(backwards),
      (e: unknown) => e instanceof ValueError && /goBackwards/.test(e.message),
    );
    const softmax = (
      await loadedPair(tf.layers.dense({ units: 3, activation: 'softmax' }), 'nn-dense-softmax', gen, [F])
    ).layer as L.Dense;
    assert.throws(
      () => kerasToTorchModule(softmax),
      (e: unknown) => e instanceof ValueError && /ignoreActivation/.test(e.message),
    );
    assert.ok(kerasToTorchModule(softmax, { ignoreActivation: true }) instanceof nn.Linear);
    assert.throws(
      () =>
        kerasRecurrentToTorch('gru', {
          kernel: tensor(uniformData(12, gen), [F, 3]),
          recurrentKernel: tensor(uniformData(3, gen), [1, 3]),
          bias: tensor(uniformData(3, gen), [3]),
        }),
      /reset-before/,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// nn -> Keras

describe('torchToKerasWeights / torchToKerasLayer: nn modules as Keras layers', () => {
  const x = normal([B, T, F], new Generator(50));

  test('nn.LSTM, nn.GRU, nn.RNN(relu), bidirectional, second layer of a stack: the Keras layer computes the same', () => {
    const modules: [string, nn.LSTM | nn.GRU | nn.RNN, number][] = [
      ['lstm', new nn.LSTM({ inputSize: F, hiddenSize: 3, batchFirst: true, generator: new Generator(51) }), 0],
      ['gru', new nn.GRU({ inputSize: F, hiddenSize: 3, batchFirst: true, generator: new Generator(52) }), 0],
      [
        'rnn relu',
        new nn.RNN({
          inputSize: F,
          hiddenSize: 3,
          nonlinearity: 'relu',
          batchFirst: true,
          generator: new Generator(53),
        }),
        0,
      ],
      [
        'bidirectional lstm',
        new nn.LSTM({
          inputSize: F,
          hiddenSize: 3,
          bidirectional: true,
          batchFirst: true,
          generator: new Generator(54),
        }),
        0,
      ],
      [
        'bidirectional gru',
        new nn.GRU({
          inputSize: F,
          hiddenSize: 3,
          bidirectional: true,
          batchFirst: true,
          generator: new Generator(55),
        }),
        0,
      ],
      [
        'gru without bias',
        new nn.GRU({ inputSize: F, hiddenSize: 3, bias: false, batchFirst: true, generator: new Generator(56) }),
        0,
      ],
    ];
    for (const [label, module] of modules) {
      // Wider weights than PyTorch's init, so the gates leave their linear range.
      for (const p of module.parameters()) p.data.set(uniformData(p.size, new Generator(p.size)));
      const layer = torchToKerasLayer(module);
      const expected = noGrad(() => module.forward(x)).output as Tensor;
      assertClose(layer.apply(x) as Tensor, expected, `${label}: Keras layer vs nn`);
    }
    const stack = new nn.LSTM({
      inputSize: F,
      hiddenSize: 3,
      numLayers: 2,
      batchFirst: true,
      generator: new Generator(57),
    });
    const first = torchToKerasLayer(stack, { layerIndex: 0 });
    const second = torchToKerasLayer(stack, { layerIndex: 1 });
    assertClose(
      second.apply(first.apply(x) as Tensor) as Tensor,
      noGrad(() => stack.forward(x)).output as Tensor,
      'stacked lstm, layer by layer',
    );
  });

  test('round trips: Keras -> state dict -> Keras weights, and nn -> Keras -> nn', () => {
    const gen = new Generator(60);
    for (const kind of ['rnn', 'lstm', 'gru'] as const) {
      const G = { rnn: 1, lstm: 4, gru: 3 }[kind];
      const U = 3;
      const keras = {
        kernel: tensor(uniformData(F * G * U, gen), [F, G * U]),
        recurrentKernel: tensor(uniformData(U * G * U, gen), [U, G * U]),
        bias:
          kind === 'gru' ? tensor(uniformData(2 * G * U, gen), [2, G * U]) : tensor(uniformData(G * U, gen), [G * U]),
      };
      const dict = kerasRecurrentToTorch(kind, keras, { layerIndex: 2, reverse: true });
      assert.deepEqual(Object.keys(dict).sort(), [
        'bias_hh_l2_reverse',
        'bias_ih_l2_reverse',
        'weight_hh_l2_reverse',
        'weight_ih_l2_reverse',
      ]);
      assert.deepEqual([...dict.weight_ih_l2_reverse!.shape], [G * U, F]);
      const back = torchRecurrentToKeras(kind, dict, { layerIndex: 2, reverse: true });
      assertClose(back.kernel, keras.kernel, `${kind} kernel round trip`, 0, 0);
      assertClose(back.recurrentKernel, keras.recurrentKernel, `${kind} recurrent_kernel round trip`, 0, 0);
      assertClose(back.bias!, keras.bias, `${kind} bias round trip`, 0, 0);
    }
    // The GRU block order: PyTorch's r block (rows 0..U) is Keras's block 1 (columns U..2U), transposed.
    const U = 2;
    const kernel = tensor(
      Float32Array.from({ length: F * 3 * U }, (_, i) => i),
      [F, 3 * U],
    );
    const w = kerasRecurrentToTorch(
      'gru',
      { kernel, recurrentKernel: tensor(new Float32Array(U * 3 * U), [U, 3 * U]), bias: null },
      { resetAfter: true },
    ).weight_ih_l0!;
    assert.deepEqual(
      Array.from(w.data.subarray(0, F)),
      [0, 1, 2, 3].map((f) => f * 3 * U + U),
      'r row 0 = Keras column U',
    );
    assert.deepEqual(
      Array.from(w.data.subarray(U * F, U * F + F)),
      [0, 1, 2, 3].map((f) => f * 3 * U),
      'z row 0 = Keras column 0',
    );
    // Linear and Embedding.
    const linear = new nn.Linear({ inFeatures: F, outFeatures: 3, generator: gen });
    const [k, b] = torchToKerasWeights(linear);
    assert.deepEqual([...k!.shape], [F, 3]);
    const dense = torchToKerasLayer(linear) as L.Dense;
    assertClose(
      dense.apply(x) as Tensor,
      noGrad(() => linear.forward(x)),
      'dense vs linear',
    );
    assertClose(kerasToTorchStateDict(dense).weight!, linear.weight, 'linear weight round trip', 0, 0);
    assertClose(b!, linear.bias!, 'linear bias', 0, 0);
    const emb = new nn.Embedding({ numEmbeddings: 5, embeddingDim: 3, generator: gen });
    assertClose(kerasToTorchStateDict(torchToKerasLayer(emb)).weight!, emb.weight, 'embedding round trip', 0, 0);
  });
});
