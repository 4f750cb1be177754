#!/usr/bin/env node
/**
 * Where the time of one of this library's items goes: the item is timed plainly first, then with
 * every backend kernel call wrapped in a timer (the wrappers cost about 0.1 µs a call) and, for a
 * training step, each phase timed (forward, loss, backward, optimizer step).
 *
 * Kernel calls are grouped by function and shape (`gemmPacked 64x256x1024` = m x k x n);
 * "outside the kernels" is the instrumented total minus the kernel time: the JavaScript time-step
 * driver, copies, allocation of fresh arrays (page faults), autograd and garbage collection.
 * Then the kernel calls of one run are recorded with their arguments and replayed on their own
 * ("alone": no driver, no allocation, no per-call timers; N-API call costs included), in total
 * and per group; plain time minus the replay is what the layer adds around its kernels.
 * Node's 'gc' performance entries give the main thread's GC pauses.
 *
 * Spec: as bench/peers/recurrent.mjs (backend, threads, cell, mode, B, T, I, H, warmupMs), runs (default 5).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median, randomArray, readSpec, runChild } from './common.mjs';

const spec = readSpec();
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const lib = ['dist', 'build/src'].map((d) => join(root, d)).find((d) => existsSync(join(d, 'index.js')));

await runChild(async () => {
  if (!lib) throw new Error('build first (npm run build)');
  // The wasm backend reads its thread count when it is created.
  if ((spec.backend ?? 'native') === 'wasm' && spec.threads) process.env.RECURRENT_WASM_THREADS = String(spec.threads);
  const r = await import(pathToFileURL(join(lib, 'index.js')).href);
  const families = await import(pathToFileURL(join(lib, 'families.js')).href);
  const { cell, mode, B, T, I, H } = spec;
  const runs = spec.runs ?? 5;
  const backend = r.setBackend(spec.backend ?? 'native');
  const info = {
    backend: spec.backend ?? 'native',
    execArgv: process.execArgv.filter((a) => !a.startsWith('--cpu-prof')),
  };
  if (info.backend === 'native') {
    if (spec.threads) backend.addon.configure({ threads: spec.threads });
    info.threads = backend.addon.info().threads;
  } else if (info.backend === 'wasm') {
    info.threads = backend.startThreads();
  } else {
    info.threads = 1;
  }
  const Layer = cell === 'lstm' ? r.nn.LSTM : cell === 'gru' ? r.nn.GRU : r.nn.RNN;
  const layer = new Layer({ inputSize: I, hiddenSize: H, generator: new r.Generator(1234) });
  const x = r.tensor(randomArray(T * B * I, 3), [T, B, I]);
  const phases = { forward: 0, loss: 0, backward: 0, optimizer: 0 };
  const phaseKernels = { forward: 0, loss: 0, backward: 0, optimizer: 0 };
  let phase = 'forward';
  let run;
  if (mode === 'forward') {
    run = () => {
      const t0 = performance.now();
      r.noGrad(() => layer.forward(x));
      phases.forward += performance.now() - t0;
    };
  } else {
    const target = r.tensor(randomArray(T * B * H, 4), [T, B, H]);
    const optimizer = new r.Adam(layer.parameters(), { lr: 1e-3 });
    run = () => {
      const t0 = performance.now();
      phase = 'forward';
      optimizer.zeroGrad();
      const { output } = layer.forward(x);
      const t1 = performance.now();
      phase = 'loss';
      const loss = r.mseLoss(output, target);
      const t2 = performance.now();
      phase = 'backward';
      loss.backward();
      const t3 = performance.now();
      phase = 'optimizer';
      optimizer.step();
      const t4 = performance.now();
      phases.forward += t1 - t0;
      phases.loss += t2 - t1;
      phases.backward += t3 - t2;
      phases.optimizer += t4 - t3;
    };
  }

  // Warm-up (at least 2 runs, more until spec.warmupMs, default 300, has passed), then plain timing.
  const warmupMs = spec.warmupMs ?? 300;
  for (let i = 0, t = performance.now(); i < 5000 && (i < 2 || performance.now() - t < warmupMs); i++) run();
  const plain = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    run();
    plain.push(performance.now() - t0);
  }

  // Instrumented timing.
  const kernels = new Map();
  const originals = {};
  const keys = new Map(); // key -> flops per call
  let recording = null; // [key, name, args][] while recording the calls of one run
  const held = []; // releases of packed matrices kept alive for the replay
  const kernelNames = ['gemm', 'gemmPacked', 'packB', 'cellForward', 'cellBackward', 'columnSums'];
  if (backend.recurrentSteps) kernelNames.push('recurrentSteps'); // native: a block of inference steps
  if (backend.recurrentBackward) kernelNames.push('recurrentBackward'); // the backward's per-step loop in one call
  if (backend.adamStep) kernelNames.push('adamStep'); // the optimizer over every parameter in one call
  for (const name of kernelNames) {
    const original = backend[name].bind(backend);
    originals[name] = original;
    backend[name] = (...args) => {
      const a = args[0];
      let key = name;
      let flops = 0;
      if (name === 'gemm') {
        key = `gemm ${a.m}x${a.k}x${a.n}${a.transA ? ' (Aᵀ)' : ''}`;
        flops = 2 * a.m * a.n * a.k;
      } else if (name === 'gemmPacked') {
        key = `gemmPacked ${a.m}x${a.b.k}x${a.b.n}`;
        flops = 2 * a.m * a.b.k * a.b.n;
      } else if (name === 'cellForward' || name === 'cellBackward') {
        key = `${name} ${args[0]} (${args[1].rows}x${args[1].hidden})`;
      } else if (name === 'recurrentSteps') {
        const s = args[1];
        const gates = families.gateCount(args[0]);
        key = `recurrentSteps ${args[0]} (${s.rows}x${s.hidden}, ${s.count} steps)`;
        flops = 2 * s.rows * s.hidden * gates * s.hidden * s.count;
      } else if (name === 'recurrentBackward') {
        // dh_prev = dG·W_hh every step, and with `weights` the weight gradients dGᵀ·[x, h_prev] too.
        const s = args[1];
        const gates = families.gateCount(args[0]);
        const w = s.weights;
        key = `recurrentBackward ${args[0]} (${s.rows}x${s.hidden}, ${s.time} steps${w ? ', with dW' : ''})`;
        flops = 2 * s.rows * gates * s.hidden * s.hidden * s.time;
        if (w) flops += 2 * s.rows * gates * s.hidden * ((w.dWih ? w.inputSize : 0) + (w.dWhh ? s.hidden : 0)) * s.time;
      } else if (name === 'adamStep') {
        key = `adamStep (${a.params.reduce((n, p) => n + p.param.length, 0)} parameters)`;
      }
      if (recording) {
        recording.push([key, name, args]);
        keys.set(key, flops);
        const result = original(...args);
        if (name === 'packB') {
          held.push(result.release.bind(result));
          result.release = () => {};
        }
        return result;
      }
      const t0 = performance.now();
      const result = original(...args);
      const ms = performance.now() - t0;
      const entry = kernels.get(key) ?? { key, calls: 0, ms: 0, flops: 0 };
      entry.calls++;
      entry.ms += ms;
      entry.flops += flops;
      kernels.set(key, entry);
      phaseKernels[phase] += ms;
      return result;
    };
  }
  run(); // one instrumented warm-up
  kernels.clear();
  for (const k of Object.keys(phases)) phases[k] = 0;
  for (const k of Object.keys(phaseKernels)) phaseKernels[k] = 0;
  let gcMs = 0;
  let gcCount = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      gcCount++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const instrumented = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    run();
    instrumented.push(performance.now() - t0);
  }
  await new Promise((resolve) => setTimeout(resolve, 20)); // let the gc entries arrive
  observer.disconnect();
  // Replay: the kernel calls of one run, recorded with their arguments, run again on their own
  // (no driver, no autograd, no allocation), each kernel group timed as a block without
  // per-call timers. This is the kernels' own cost, N-API/JS call overhead included.
  recording = [];
  run();
  const calls = recording;
  recording = null;
  const replayGroup = (list) => {
    for (const [, name, args] of list) {
      if (name === 'packB') originals.packB(...args).release();
      else originals[name](...args);
    }
  };
  const groups = new Map();
  for (const c of calls) groups.set(c[0], [...(groups.get(c[0]) ?? []), c]);
  const replayMs = new Map();
  const replayAll = [];
  for (let i = 0; i < runs + 2; i++) {
    const t0 = performance.now();
    replayGroup(calls);
    if (i >= 2) replayAll.push(performance.now() - t0);
  }
  for (const [key, list] of groups) {
    const times = [];
    for (let i = 0; i < runs + 2; i++) {
      const t0 = performance.now();
      replayGroup(list);
      if (i >= 2) times.push(performance.now() - t0);
    }
    replayMs.set(key, median(times));
  }
  for (const release of held) release();

  // The smallest call: gemmPacked on a 1 x 1 x 1 problem, i.e. the per-call cost of crossing
  // into the backend (argument unwrapping, checks) with no arithmetic to speak of.
  const tiny = originals.packB({ k: 1, n: 1, b: new Float32Array(1), ldb: 1 });
  const a1 = new Float32Array(1);
  const c1 = new Float32Array(1);
  const tinyCall = () => originals.gemmPacked({ m: 1, a: a1, lda: 1, b: tiny, c: c1, ldc: 1, beta: 0 });
  for (let i = 0; i < 2000; i++) tinyCall();
  const callTimes = [];
  for (let rep = 0; rep < 5; rep++) {
    const t0 = performance.now();
    for (let i = 0; i < 5000; i++) tinyCall();
    callTimes.push(((performance.now() - t0) / 5000) * 1000);
  }
  tiny.release();

  const perRun = (v) => v / runs;
  const list = [...kernels.values()].map((e) => ({
    key: e.key,
    calls: perRun(e.calls),
    ms: perRun(e.ms),
    gflops: e.flops ? e.flops / e.ms / 1e6 : null,
    aloneMs: replayMs.get(e.key) ?? null,
    aloneGflops: e.flops && replayMs.get(e.key) ? perRun(e.flops) / replayMs.get(e.key) / 1e6 : null,
  }));
  list.sort((a, b) => b.ms - a.ms);
  const instrumentedMean = instrumented.reduce((s, v) => s + v, 0) / runs;
  const kernelMs = list.reduce((s, e) => s + e.ms, 0);
  return {
    info,
    plainMedianMs: median(plain),
    instrumentedMeanMs: instrumentedMean,
    kernelMs,
    outsideKernelsMs: instrumentedMean - kernelMs,
    replayMs: median(replayAll),
    replayCalls: calls.length,
    minCallUs: median(callTimes),
    kernels: list,
    phases: mode === 'train' ? Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, perRun(v)])) : null,
    phaseKernels:
      mode === 'train' ? Object.fromEntries(Object.entries(phaseKernels).map(([k, v]) => [k, perRun(v)])) : null,
    gcPauseMsPerRun: perRun(gcMs),
    gcCountPerRun: perRun(gcCount),
  };
});
