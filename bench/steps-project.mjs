#!/usr/bin/env node
/**
 * The native backend's layers with `recurrentSteps` projecting each step's inputs itself
 * (`recurrentStepsProjectRows`, src/nn/recurrent/fused.ts) against the block projection GEMM
 * followed by `recurrentSteps` reading gx (the same property unset), in one process, the two
 * alternating call by call (the machine's noise hits both alike). One layer, one direction;
 * shape (batch, steps, input, hidden). `--cpu`: one thread, the process's CPU time
 * (process.cpuUsage), which time slicing by other processes does not inflate; else wall time at
 * the addon's default threads. Prints the medians and projecting ÷ block GEMM.
 *
 *   npm run build && node bench/steps-project.mjs [--cell lstm] [--shape 64,100,128,256] [--mode infer|train] [--runs 15] [--cpu]
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './peers/common.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lib = ['dist', 'build/src'].map((d) => join(root, d)).find((d) => existsSync(join(d, 'index.js')));
if (!lib) throw new Error('build first: npm run build');
const { values: o } = parseArgs({
  options: {
    cell: { type: 'string', default: 'lstm' },
    shape: { type: 'string', default: '64,100,128,256' },
    mode: { type: 'string', default: 'infer' },
    runs: { type: 'string', default: '15' },
    cpu: { type: 'boolean', default: false },
  },
});
const { nn, noGrad, randn, Generator, setBackend, getBackend } = await import(
  pathToFileURL(join(lib, 'index.js')).href
);
setBackend('native');
const backend = getBackend();
if (o.cpu) backend.addon.configure({ threads: 1 });
const rows = backend.recurrentStepsProjectRows;
const [B, T, I, H] = o.shape.split(',').map(Number);
const Module = { lstm: nn.LSTM, gru: nn.GRU, rnn: nn.RNN }[o.cell];
const layer = new Module({ inputSize: I, hiddenSize: H, generator: new Generator(1) });
const x = randn([T, B, I], { generator: new Generator(2) });
const once = () => {
  if (o.mode === 'infer') return void noGrad(() => layer.forward(x));
  for (const p of layer.parameters()) p.grad = null;
  layer.forward(x).output.sum().backward();
};
const timed = () => {
  if (o.cpu) {
    const c0 = process.cpuUsage();
    once();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1e3;
  }
  const t0 = process.hrtime.bigint();
  once();
  return Number(process.hrtime.bigint() - t0) / 1e6;
};
const times = { projecting: [], block: [] };
for (let r = 0; r < Number(o.runs); r++) {
  for (const k of r % 2 ? ['block', 'projecting'] : ['projecting', 'block']) {
    backend.recurrentStepsProjectRows = k === 'projecting' ? 1 : undefined;
    once(); // warm-up (scratch, packing) for this variant
    times[k].push(timed());
  }
}
backend.recurrentStepsProjectRows = rows;
const [p, b] = [median(times.projecting), median(times.block)];
console.log(
  `${o.cell} ${o.mode} (${B}, ${T}, ${I}, ${H}), ${o.cpu ? 'one thread, CPU time' : 'wall'}, load ${loadavg()[0].toFixed(1)}: ` +
    `projecting ${p.toFixed(3)} ms, block GEMM ${b.toFixed(3)} ms, ratio ${(p / b).toFixed(3)}`,
);
