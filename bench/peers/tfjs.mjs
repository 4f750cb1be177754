#!/usr/bin/env node
/**
 * Peer: TensorFlow.js (@tensorflow/tfjs) with its `cpu` (plain JavaScript) or `wasm`
 * (@tensorflow/tfjs-backend-wasm, XNNPACK) backend. Extra spec field: backend 'cpu' | 'wasm'.
 *
 * The model is one tf.layers recurrent layer with returnSequences (batch-first input (B, T, I),
 * output (B, T, H)): lstm and gru with recurrentActivation 'sigmoid' (PyTorch's; tfjs defaults to
 * hardSigmoid), simpleRNN with tanh. tfjs's GRU only has reset_after = false (the reset gate
 * multiplies h before W_hh·h), the same GEMM sizes as PyTorch's variant. Weights: glorotUniform
 * (the default orthogonal recurrent initializer is slow to set up at these sizes; timing is not
 * affected).
 *
 * Inference: model.predict(x) and reading the result back (dataSync).
 * Training step: model.trainOnBatch(x, y): forward, mean squared error, backward, Adam step.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { memory, randomArray, readSpec, runChild, timeRuns } from './common.mjs';

const spec = readSpec();
const require = createRequire(import.meta.url);

await runChild(async () => {
  const tf = await import('@tensorflow/tfjs');
  const backendName = spec.backend ?? 'cpu';
  const info = { backend: backendName, version: tf.version.tfjs };
  if (backendName === 'wasm') {
    const tfw = await import('@tensorflow/tfjs-backend-wasm');
    const wasmFile = require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm');
    tfw.setWasmPaths(`${dirname(wasmFile)}/`);
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs wasm backend failed to initialize');
    await tf.ready();
    info.simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
    info.multithread = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT');
    info.threads = typeof tfw.getThreadsCount === 'function' ? tfw.getThreadsCount() : 1;
  } else {
    if (!(await tf.setBackend('cpu'))) throw new Error('tfjs cpu backend failed to initialize');
    await tf.ready();
    info.threads = 1;
  }
  const baselineRssMiB = memory().rssMiB;

  const { cell, mode, B, T, I, H } = spec;
  const common = {
    units: H,
    returnSequences: true,
    inputShape: [T, I],
    kernelInitializer: 'glorotUniform',
    recurrentInitializer: 'glorotUniform',
  };
  const layer =
    cell === 'lstm'
      ? tf.layers.lstm({ ...common, recurrentActivation: 'sigmoid' })
      : cell === 'gru'
        ? tf.layers.gru({ ...common, recurrentActivation: 'sigmoid' })
        : tf.layers.simpleRNN({ ...common, activation: 'tanh' });
  const model = tf.sequential({ layers: [layer] });
  const x = tf.tensor3d(randomArray(B * T * I, 3), [B, T, I]);

  let run;
  if (mode === 'forward') {
    run = () => {
      const out = model.predict(x);
      out.dataSync();
      out.dispose();
    };
  } else {
    const y = tf.tensor3d(randomArray(B * T * H, 4), [B, T, H]);
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
    run = () => model.trainOnBatch(x, y);
  }
  const { times, warmupRuns } = await timeRuns(run, spec);
  info.tensorsAfter = tf.memory().numTensors;
  return { times, warmupRuns, baselineRssMiB, info };
});
