#!/usr/bin/env node
/**
 * Peer: ONNX Runtime (onnxruntime-node, CPU execution provider), inference only.
 *
 * Runs the ONNX file exported from this library's layer (bench/peers/recurrent.mjs, mode
 * 'export'), so the weights are identical; with `expectedFile` it checks its output against ours
 * (max |difference|, reported). Extra spec fields: onnxFile, expectedFile, threads (intra-op
 * threads; default: all CPUs), inputFile (an .npy file fed to the model's first input instead of
 * the generated (T, B, I) input; read with this library's npy reader).
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { memory, randomArray, readSpec, runChild, timeRuns } from './common.mjs';

const spec = readSpec();
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);

async function npyTensor(ort, file) {
  const lib = ['dist', 'build/src'].map((d) => join(root, d)).find((d) => existsSync(join(d, 'index.js')));
  const { loadNpy } = await import(pathToFileURL(join(lib, 'io', 'npy-file.js')).href);
  const a = loadNpy(file);
  return new ort.Tensor(a.dtype, a.data, a.shape);
}

await runChild(async () => {
  const ort = require('onnxruntime-node');
  const version = require('onnxruntime-node/package.json').version;
  const threads = spec.threads ?? availableParallelism();
  const baselineRssMiB = memory().rssMiB;
  const { B, T, I } = spec;
  const session = await ort.InferenceSession.create(spec.onnxFile, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const input = spec.inputFile
    ? await npyTensor(ort, spec.inputFile)
    : new ort.Tensor('float32', randomArray(T * B * I, 3), [T, B, I]);
  const feeds = { [session.inputNames[0]]: input };
  const outName = session.outputNames[0];
  let maxAbsDiff = null;
  if (spec.expectedFile) {
    const raw = readFileSync(spec.expectedFile); // small files share Node's buffer pool: slice its own bytes
    const expected = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    const got = (await session.run(feeds))[outName].data;
    if (got.length !== expected.length) throw new Error(`output has ${got.length} values, ours ${expected.length}`);
    maxAbsDiff = 0;
    for (let i = 0; i < got.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(got[i] - expected[i]));
  }
  const { times, warmupRuns } = await timeRuns(() => session.run(feeds), spec);
  return { times, warmupRuns, baselineRssMiB, maxAbsDiff, info: { version, threads } };
});
