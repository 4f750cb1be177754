#!/usr/bin/env node
/**
 * The wasm backend against its own GEMM peak, in one process, items interleaved run by run (the
 * machine's noise hits all alike): the GEMM ceiling (1024³, B prepacked, default threads), then
 * per cell at (64, 100, 128, 256): inference through the block kernel (recurrentSteps: GEMM and
 * gates fused per group of 8 units, the state resident in wasm memory), inference through the
 * per-step calls (recurrentSteps switched off: gemmPacked + cellForward + row masking, each
 * copying its operands in and out), and a training step as bench/run.mjs times it (zeroGrad,
 * forward, mean-squared-error loss against a fixed target over every step's output, backward, one
 * Adam step). Share = nominal FLOPs ÷ median time ÷ the GEMM peak's median.
 *
 *   npm run build && node bench/wasm-share.mjs [--runs 7] [--cells lstm,gru,rnn] [--shape 64,100,128,256] [--lib dist]
 *
 * (--lib: the built library to load, a folder holding index.js; default dist/, else build/src/.)
 *
 * (rnn: tanh.) Gate counts come from the library's table of cell families (src/families.ts).
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { median, randomArray } from './peers/common.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    cells: { type: 'string', default: 'lstm,gru,rnn' },
    shape: { type: 'string', default: '64,100,128,256' },
    lib: { type: 'string' },
  },
});
const lib = (opts.lib ? [opts.lib] : ['dist', 'build/src'].map((d) => join(root, d))).find((d) =>
  existsSync(join(d, 'index.js')),
);
if (!lib) {
  console.error('bench: build first (npm run build)');
  process.exit(1);
}
const r = await import(pathToFileURL(join(lib, 'index.js')).href);
const backend = r.setBackend('wasm');
const threads = backend.startThreads();
const [B, T, I, H] = opts.shape.split(',').map(Number);
const runs = Math.max(3, Number(opts.runs));
const { FAMILIES } = await import(pathToFileURL(join(lib, 'families.js')).href);

const m = 1024;
const a = randomArray(m * m, 1);
const packed = backend.packB({ k: m, n: m, b: randomArray(m * m, 2), ldb: m });
const c = new Float32Array(m * m);
const items = [
  {
    name: 'GEMM 1024³',
    flops: 2 * m ** 3,
    run: () => backend.gemmPacked({ m, a, lda: m, b: packed, c, ldc: m, beta: 0 }),
  },
];

for (const cell of opts.cells.split(',')) {
  const G = FAMILIES[cell].gates;
  const common = { inputSize: I, hiddenSize: H, generator: new r.Generator(1) };
  const layer =
    cell === 'lstm'
      ? new r.nn.LSTM(common)
      : cell === 'gru'
        ? new r.nn.GRU(common)
        : new r.nn.RNN({ ...common, nonlinearity: 'tanh' });
  const x = r.tensor(randomArray(T * B * I, 3), [T, B, I]);
  const target = r.tensor(randomArray(T * B * H, 4), [T, B, H]);
  const optimizer = new r.Adam(layer.parameters(), { lr: 1e-3 });
  const fwd = 2 * T * B * G * H * (I + H);
  const blockKernel = backend.recurrentSteps;
  items.push(
    { name: `${cell} inference, block kernel`, flops: fwd, run: () => r.noGrad(() => layer.forward(x)) },
    {
      name: `${cell} inference, per-step calls`,
      flops: fwd,
      run: () => {
        backend.recurrentSteps = undefined;
        try {
          r.noGrad(() => layer.forward(x));
        } finally {
          backend.recurrentSteps = blockKernel;
        }
      },
    },
    {
      name: `${cell} training step (forward + MSE + backward + Adam)`,
      flops: 2 * T * B * G * H * (2 * I + 3 * H),
      run: () => {
        optimizer.zeroGrad();
        r.mseLoss(layer.forward(x).output, target).backward();
        optimizer.step();
      },
    },
  );
}

const load0 = loadavg();
for (const it of items) it.run(); // warm-up
const times = items.map(() => []);
for (let k = 0; k < runs; k++) {
  items.forEach((it, i) => {
    const t0 = performance.now();
    it.run();
    times[i].push(performance.now() - t0);
  });
}
const load1 = loadavg();
const peak = items[0].flops / median(times[0]) / 1e6;
console.log(
  `wasm backend (${backend.info.variant}, ${threads} thread(s)), (B, T, I, H) = (${B}, ${T}, ${I}, ${H}), ${runs} interleaved runs; load average before ${load0.map((l) => l.toFixed(2)).join(' ')}, after ${load1.map((l) => l.toFixed(2)).join(' ')}\n`,
);
console.log('| item | median ms | min ms | GFLOP/s | share of the wasm GEMM peak |');
console.log('|---|---:|---:|---:|---:|');
items.forEach((it, i) => {
  const ms = median(times[i]);
  const g = it.flops / ms / 1e6;
  console.log(
    `| ${it.name} | ${ms.toFixed(1)} | ${Math.min(...times[i]).toFixed(1)} | ${g.toFixed(1)} | ${((100 * g) / peak).toFixed(0)} % |`,
  );
});
backend.close();
