#!/usr/bin/env node
/**
 * Peer: onnxruntime-web (its WebAssembly backend, SIMD, with threads) in Node.js, inference only:
 * the browser runtime a user would pick next to our wasm backend.
 *
 * Runs the same ONNX file as the ORT peer (exported from this library's layer by
 * bench/peers/recurrent.mjs, mode 'export'), from the installed package (its .wasm files come
 * from node_modules/onnxruntime-web/dist: nothing is downloaded); with `expectedFile` it checks its
 * output against ours (max |difference|, reported). Extra spec fields: onnxFile, expectedFile,
 * threads (wasm threads; default: all CPUs).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { memory, randomArray, readSpec, runChild, timeRuns } from './common.mjs';

const spec = readSpec();
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

await runChild(async () => {
  const ort = await import('onnxruntime-web');
  // The package's exports do not include package.json: read it from its folder.
  const version = JSON.parse(readFileSync(join(root, 'node_modules/onnxruntime-web/package.json'), 'utf8')).version;
  const threads = spec.threads ?? availableParallelism();
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.simd = true;
  const baselineRssMiB = memory().rssMiB;
  const { B, T, I } = spec;
  const session = await ort.InferenceSession.create(new Uint8Array(readFileSync(spec.onnxFile)), {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  });
  const input = new ort.Tensor('float32', randomArray(T * B * I, 3), [T, B, I]);
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
  // OS threads of this process after the runs (Linux): the wasm thread pool shows up here as
  // worker threads, so the report can tell whether threads were really used.
  let osThreads = null;
  try {
    osThreads = readdirSync('/proc/self/task').length;
  } catch {}
  return {
    times,
    warmupRuns,
    baselineRssMiB,
    maxAbsDiff,
    info: { version, threads: ort.env.wasm.numThreads, osThreads },
  };
});
