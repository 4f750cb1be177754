#!/usr/bin/env node
/**
 * Kernel and layer benchmarks for the reference, wasm and native backends, measured in one
 * process with the backends interleaved run by run (the machine's noise hits all alike).
 * Prints the median (and min) of N runs per backend and the speed-up ratios.
 *
 *   npm run build && node bench/kernels.mjs [--runs 7] [--backends reference,wasm,native,native1t]
 *                                          [--only gemm|lstm|gru] [--json out.json]
 *
 * `native1t` is the native backend restricted to one thread. Items:
 *   GEMM M x K x N with B prepacked (the shapes of the project's kernel notes), GFLOP/s;
 *   LSTM forward (inference, no graph) and forward+backward (a training step: forward with graph,
 *   backward from a fixed gradient of the output), batch 64, 100 steps, input 128, hidden 256;
 *   GRU forward, same sizes.
 */
import { existsSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lib = ['dist', 'build/src'].map((d) => join(root, d)).find((d) => existsSync(join(d, 'backend/wasm/index.js')));
if (!lib) {
  console.error('bench: build first (npm run build)');
  process.exit(1);
}
const load = (p) => import(pathToFileURL(join(lib, p)).href);
const { nn, tensor, noGrad } = await load('index.js');
await load('backend/reference/index.js');
await load('backend/wasm/index.js');
await load('backend/native/index.js');
const { setBackend, backendStatus } = await load('backend/backend.js');

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const runs = Math.max(5, Number(opt('runs', '7')));
const only = opt('only', '');
const wanted = opt('backends', 'reference,wasm,native1t,native').split(',');
const jsonOut = opt('json', '');

const status = Object.fromEntries(backendStatus().map((s) => [s.name, s]));
const columns = wanted.filter((name) => {
  const base = name === 'native1t' ? 'native' : name;
  if (status[base]?.available) return true;
  console.log(`(skipping ${name}: ${status[base]?.reason ?? 'unknown backend'})`);
  return false;
});

function select(name) {
  const base = name === 'native1t' ? 'native' : name;
  const backend = setBackend(base);
  if (base === 'native') {
    const info = backend.addon.info();
    if (!select.threads) select.threads = info.threads;
    backend.addon.configure({ threads: name === 'native1t' ? 1 : select.threads });
  }
  return backend;
}

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function randomArray(n, seed) {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s >>> 8) / (1 << 24) - 0.5;
  }
  return out;
}

/**
 * An item: setup(backendName) -> { run() } prepared per backend; `runs` interleaved rounds,
 * each round timing every backend once. `inner` repeats very short runs inside one timing.
 */
function measure(label, setup, { flops = 0, inner = () => 1, runsFor = () => runs } = {}) {
  const prepared = columns.map((name) => {
    select(name);
    const s = setup(name);
    return { name, ...s, times: [], inner: inner(name) };
  });
  // Warm-up (JIT, wasm tier-up, worker start): one untimed run each.
  for (const p of prepared) {
    select(p.name);
    for (let i = 0; i < p.inner; i++) p.run();
  }
  const maxRuns = Math.max(...prepared.map((p) => runsFor(p.name)));
  for (let r = 0; r < maxRuns; r++) {
    for (const p of prepared) {
      if (p.times.length >= runsFor(p.name)) continue;
      select(p.name);
      const t0 = performance.now();
      for (let i = 0; i < p.inner; i++) p.run();
      p.times.push((performance.now() - t0) / p.inner);
    }
  }
  const row = { label, flops, results: {} };
  for (const p of prepared) {
    row.results[p.name] = { median: median(p.times), min: Math.min(...p.times), runs: p.times.length };
    p.cleanup?.();
  }
  return row;
}

const rows = [];

if (!only || only === 'gemm') {
  for (const [m, k, n] of [
    [64, 384, 1024],
    [1, 96, 256],
    [32, 192, 512],
    [6400, 128, 1024],
  ]) {
    const flops = 2 * m * n * k;
    rows.push(
      measure(
        `GEMM ${m}x${k}x${n} (B packed)`,
        (name) => {
          const backend = select(name);
          const a = randomArray(m * k, 1),
            b = randomArray(k * n, 2),
            c = new Float32Array(m * n);
          const packed = backend.packB({ k, n, b, ldb: n });
          return {
            run: () => backend.gemmPacked({ m, a, lda: k, b: packed, c, ldc: n, beta: 0 }),
            cleanup: () => packed.release(),
          };
        },
        {
          flops,
          inner: (name) => Math.max(1, Math.round((name === 'reference' ? 2e7 : 2e8) / flops)),
          runsFor: (name) => (name === 'reference' && flops > 1e9 ? 5 : runs),
        },
      ),
    );
  }
}

const T = 100,
  B = 64,
  I = 128,
  H = 256;
function layerItem(label, kind, training) {
  return measure(
    label,
    (name) => {
      select(name);
      const Layer = kind === 'lstm' ? nn.LSTM : nn.GRU;
      const layer = new Layer({ inputSize: I, hiddenSize: H });
      const data = randomArray(T * B * I, 3);
      if (!training) {
        const x = tensor(data, [T, B, I]);
        return { run: () => noGrad(() => layer.forward(x)) };
      }
      // Backward is seeded with a fixed gradient of the output (as from a loss over every step),
      // so the time is the layer's own forward and backward, not a loss function's.
      const gradOut = tensor(randomArray(T * B * H, 4), [T, B, H]);
      return {
        run: () => {
          const x = tensor(data, [T, B, I], { requiresGrad: true });
          for (const p of layer.parameters()) p.grad = null;
          const { output } = layer.forward(x);
          output.backward(gradOut);
        },
      };
    },
    { runsFor: (name) => (name === 'reference' ? 5 : runs) },
  );
}
if (!only || only === 'lstm') {
  rows.push(layerItem(`LSTM forward (B=${B}, T=${T}, I=${I}, H=${H})`, 'lstm', false));
  rows.push(layerItem('LSTM forward+backward (training step)', 'lstm', true));
}
if (!only || only === 'gru') rows.push(layerItem(`GRU forward (B=${B}, T=${T}, I=${I}, H=${H})`, 'gru', false));

// Report.
const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms >= 0.1 ? ms.toFixed(2) : ms.toFixed(4));
const env = `Node ${process.versions.node}, ${status.native?.available ? `native ${setBackend('native').addon.info().isa} x${select.threads ?? '?'} threads` : 'no native'}, ${status.wasm?.available ? `wasm ${setBackend('wasm').info.variant}` : 'no wasm'}`;
console.log(`\nmedian ms of ${runs} runs (min in brackets), ${env}\n`);
const head = [
  'item',
  ...columns.map((c) => `${c} ms`),
  ...(columns.includes('reference') ? columns.filter((c) => c !== 'reference').map((c) => `ref/${c}`) : []),
  ...(columns.includes('wasm') && columns.includes('native') ? ['wasm/native'] : []),
];
console.log(head.join(' | '));
for (const row of rows) {
  const cells = [row.label];
  for (const c of columns) {
    const r = row.results[c];
    let cell = `${fmt(r.median)} [${fmt(r.min)}]`;
    if (row.flops) cell += ` ${(row.flops / r.median / 1e6).toFixed(1)} GF/s`;
    cells.push(cell);
  }
  if (columns.includes('reference'))
    for (const c of columns.filter((x) => x !== 'reference'))
      cells.push(`${(row.results.reference.median / row.results[c].median).toFixed(1)}x`);
  if (columns.includes('wasm') && columns.includes('native'))
    cells.push(`${(row.results.wasm.median / row.results.native.median).toFixed(1)}x`);
  console.log(cells.join(' | '));
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ env, runs, rows }, null, 2));
