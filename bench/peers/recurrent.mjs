#!/usr/bin/env node
/**
 * Peer: this library (`recurrent`), one backend per process.
 *
 * Extra spec fields: backend 'native' | 'wasm' | 'reference'; threads (native and wasm; default: all
 * CPUs up to 8). Mode 'export' writes the layer as ONNX (`onnxFile`) and its
 * output for the bench input (`expectedFile`, raw float32) so the ONNX Runtime peer runs the
 * very same weights and can check its output against ours.
 *
 * Inference: `noGrad(() => layer.forward(x))`, x (T, B, I) time-major.
 * Training step: zeroGrad, forward, mseLoss against a fixed target (T, B, H), backward, Adam step.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { memory, randomArray, readSpec, runChild, timeRuns } from './common.mjs';

const spec = readSpec();
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const lib = ['dist', 'build/src'].map((d) => join(root, d)).find((d) => existsSync(join(d, 'index.js')));

/** Builds the layer with seeded weights (the same in every process for the same cell and sizes). */
function makeLayer(r, cell, I, H) {
  const Layer = cell === 'lstm' ? r.nn.LSTM : cell === 'gru' ? r.nn.GRU : r.nn.RNN;
  return new Layer({ inputSize: I, hiddenSize: H, generator: new r.Generator(1234) });
}

await runChild(async () => {
  if (!lib) throw new Error('build first (npm run build)');
  // The wasm backend reads its thread count when it is created.
  if ((spec.backend ?? 'native') === 'wasm' && spec.threads) process.env.RECURRENT_WASM_THREADS = String(spec.threads);
  const r = await import(pathToFileURL(join(lib, 'index.js')).href);
  const { cell, mode, B, T, I, H } = spec;
  const backendName = spec.backend ?? 'native';
  const backend = r.setBackend(backendName);
  const info = { backend: backendName };
  if (backendName === 'native') {
    if (spec.threads) backend.addon.configure({ threads: spec.threads });
    const ni = backend.addon.info();
    info.isa = ni.isa;
    info.threads = ni.threads;
  } else if (backendName === 'wasm') {
    info.variant = backend.info?.variant;
    info.threads = backend.startThreads();
  } else {
    info.threads = 1;
  }
  const baselineRssMiB = memory().rssMiB;

  const layer = makeLayer(r, cell, I, H);
  const x = r.tensor(randomArray(T * B * I, 3), [T, B, I]);

  if (mode === 'export') {
    const exported = r.exportOnnx(layer, x, spec.onnxFile);
    if (spec.expectedFile) {
      const { output } = r.noGrad(() => layer.forward(x));
      writeFileSync(
        spec.expectedFile,
        new Uint8Array(output.data.buffer, output.data.byteOffset, output.data.byteLength),
      );
    }
    return {
      ok: true,
      bytes: exported.bytes,
      inputs: exported.inputs.map((v) => v.name),
      outputs: exported.outputs.map((v) => v.name),
      info,
    };
  }

  let run;
  if (mode === 'forward') {
    run = () => r.noGrad(() => layer.forward(x));
  } else {
    const target = r.tensor(randomArray(T * B * H, 4), [T, B, H]);
    const optimizer = new r.Adam(layer.parameters(), { lr: 1e-3 });
    run = () => {
      optimizer.zeroGrad();
      const { output } = layer.forward(x);
      r.mseLoss(output, target).backward();
      optimizer.step();
    };
  }
  const { times, warmupRuns } = await timeRuns(run, spec);
  return { times, warmupRuns, baselineRssMiB, info };
});
