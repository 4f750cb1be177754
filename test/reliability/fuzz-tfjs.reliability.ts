/**
 * Fuzzed TF.js Layers loader (`loadTfjsLayersModel` on model.json + weights.bin written to a
 * folder, then `predict` on a valid input), as in
 * fuzz-parsers.reliability.ts: 10,000+ generated inputs per kind of fault (random bytes,
 * truncations, bit flips of the valid file, forged files), for model.json (with the valid
 * weights) and for the weight data (with the valid model.json). The only acceptable outcomes
 * are a successful parse (and prediction) or a typed error of the expected class (FormatError;
 * ShapeError for forged files, whose shapes can disagree with the layers): never an uncaught
 * crash, another error, a hang or a huge allocation (the manifest and each layer's weights are
 * checked first).
 *
 * The valid model is made by TF.js itself: LSTM (returnSequences) -> Bidirectional(GRU) -> Dense,
 * saved through `tf.io.withSaveHandler` and laid out as TF.js's file:// handler lays it out.
 * The bytes go through the library's own loader: its UTF-8 decoding and JSON.parse, whose
 * failure it must report as a FormatError (this harness converts nothing).
 */
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tensor } from '../../src/index.js';
import { loadTfjsLayersModel } from '../../src/interop/tfjs-file.js';
import { tempDir } from '../temp-dir.js';
import { fuzz } from './outcomes.js';

tf.env().set('PROD', true);

const folder = tempDir('recurrent-fuzz-tfjs-');
const FILE = join(folder, 'model.json');
const encoder = new TextEncoder();

type Json = Record<string, unknown>;

/** model.json and weights.bin of a small TF.js model, as TF.js writes them. */
async function validModel(): Promise<{ modelJson: Json; weights: Uint8Array }> {
  const model = tf.sequential({
    layers: [
      tf.layers.lstm({ units: 3, returnSequences: true, inputShape: [null, 4] }),
      tf.layers.bidirectional({ layer: tf.layers.gru({ units: 2 }) as tf.RNN, mergeMode: 'concat' }),
      tf.layers.dense({ units: 2 }),
    ],
  });
  let artifacts: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const a = artifacts! as tf.io.ModelArtifacts;
  const parts = (Array.isArray(a.weightData) ? a.weightData : [a.weightData!]).map(
    (b) => new Uint8Array(b as ArrayBuffer),
  );
  const weights = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    weights.set(p, at);
    at += p.byteLength;
  }
  const modelJson = JSON.parse(
    JSON.stringify({
      format: 'layers-model',
      generatedBy: 'TensorFlow.js',
      modelTopology: a.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
    }),
  ) as Json;
  return { modelJson, weights };
}

const x = tensor(
  Float32Array.from({ length: 2 * 5 * 4 }, (_, i) => Math.sin(i)),
  [2, 5, 4],
);

/** Writes model.json and weights.bin into the folder, then loads and predicts as a user would. */
function loadAndPredict(modelJson: Uint8Array, weights: Uint8Array): void {
  writeFileSync(FILE, modelJson);
  writeFileSync(join(folder, 'weights.bin'), weights);
  loadTfjsLayersModel(FILE).predict(x);
}

/** Hostile values for the numbers, lists and strings of a model.json. */
const hostile = fc.oneof(
  fc.constantFrom(
    0,
    -1,
    1,
    3,
    2 ** 31,
    2 ** 53,
    1e300,
    -1e300,
    0.5,
    Number.NaN,
    null,
    true,
    '',
    'x',
    [],
    {},
    [null],
    [2 ** 31, 2 ** 31],
    [-1],
    [null, null, 4],
    [null, 5, 4],
    [0, 0],
  ),
  fc.integer({ min: -4, max: 64 }),
  fc.string({ maxLength: 8 }),
);

/** Every (path, value) place in a JSON value, for picking what to forge. */
function places(
  value: unknown,
  path: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  out.push(path);
  if (Array.isArray(value)) value.forEach((v, i) => places(v, [...path, i], out));
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) places(v, [...path, k], out);
  return out;
}

/** A copy of `value` with the place at `path` set to `replacement` (or removed when undefined). */
function forge(value: unknown, path: readonly (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as Json) }) as Record<string | number, unknown>;
  const [head, ...rest] = path;
  if (rest.length === 0 && replacement === undefined) delete copy[head!];
  else copy[head!] = forge(copy[head!], rest, replacement);
  return copy;
}

describe('fuzzed TF.js Layers parser', { timeout: 600_000 }, () => {
  test('model.json and weights', async () => {
    const { modelJson, weights } = await validModel();
    const text = encoder.encode(JSON.stringify(modelJson));
    loadAndPredict(text, weights); // the valid model loads and predicts
    const spots = places(modelJson);
    // Forged model.json: one to three places (a layer's units, a weight's shape, a class name...)
    // set to hostile values or removed.
    const forgedJson = fc
      .array(fc.tuple(fc.nat(spots.length - 1), fc.option(hostile, { nil: undefined })), { minLength: 1, maxLength: 3 })
      .map((changes) =>
        encoder.encode(JSON.stringify(changes.reduce<unknown>((json, [k, v]) => forge(json, spots[k]!, v), modelJson))),
      );
    const errors = { 'forged headers': ['FormatError', 'ShapeError'], other: ['FormatError'] } as const;
    fuzz('TF.js model.json', text, (bytes) => loadAndPredict(bytes, weights), forgedJson, 51, { errors });
    // Forged weight data: the valid bytes cut or padded, or with NaN and infinite floats.
    const forgedWeights = fc
      .tuple(
        fc.integer({ min: -16, max: 16 }),
        fc.array(fc.tuple(fc.nat(weights.length / 4 - 1), fc.constantFrom(Number.NaN, Infinity, -Infinity, 3.4e38)), {
          maxLength: 4,
        }),
      )
      .map(([delta, values]) => {
        const out = new Uint8Array(Math.max(0, weights.length + 4 * delta));
        out.set(weights.subarray(0, Math.min(weights.length, out.length)));
        const view = new DataView(out.buffer);
        for (const [k, v] of values) if (4 * k + 4 <= out.length) view.setFloat32(4 * k, v, true);
        return out;
      });
    fuzz('TF.js weights', weights, (bytes) => loadAndPredict(text, bytes), forgedWeights, 52, { errors });
  });
});
