#!/usr/bin/env node
/**
 * Item: `recurrent predict MODEL.onnx --input ... --out DIR --repeat 10` against ONNX Runtime on
 * every PyTorch export in test/fixtures/interop/torch (the manifest's `torch` section: small
 * models where the time per operator, not the kernels, decides), at batch 1 and at a larger batch.
 *
 *   node bench/peers/predict-fixtures.mjs '{"rounds":3,"batches":[1,64]}'
 *
 * For each fixture and batch: the fixture's inputs cut to the first batch row (batch 1) or tiled
 * along the batch dimension (larger batches; the dimension is the one the model names `batch`),
 * written as .npy files (an export whose graph fixes the batch, as PyTorch's pack_padded_sequence
 * exports do, runs once, at the fixture's own batch, marked "fixed"). Then `rounds` rounds, each: our CLI in a fresh process
 * (`--repeat 10 --json`: the median of its 10 timed runs, no warm-up), then ONNX Runtime in a
 * fresh process (this file in `ort` mode: session created with all graph optimizations and the
 * default threads, the same .npy inputs, 10 timed runs, no warm-up, their median). The ratio is
 * the median over rounds of ours divided by the median over rounds of ORT's. Also reported: the
 * CLI's whole wall time per process, ORT's the same way, and the largest |difference| between
 * the two outputs of the last round.
 * Prints one line `BENCH_RESULT {json}`; with `"table": true` also a Markdown table on stderr.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MARKER, median, readSpec, runChild } from './common.mjs';

const spec = readSpec();
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const lib = ['dist', 'build/src'].map((d) => join(root, d)).find((d) => existsSync(join(d, 'index.js')));
const fixtures = join(root, 'test', 'fixtures', 'interop');
const REPEAT = 10;

async function library() {
  if (!lib) throw new Error('build first (npm run build)');
  const [npy, onnx] = await Promise.all([
    import(pathToFileURL(join(lib, 'io', 'npy-file.js')).href),
    import(pathToFileURL(join(lib, 'onnx', 'index.js')).href),
  ]);
  return { ...npy, ...onnx };
}

/** Runs a child to completion (bounded); its JSON line (`json`) or BENCH_RESULT object, and its wall time. */
function run(args, { json = false } = {}) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 });
  const wallMs = performance.now() - t0;
  if (r.error) throw new Error(`${args[0]}: ${r.error.message}`);
  const lines = r.stdout.split('\n');
  const line = json ? lines.find((l) => l.startsWith('{')) : lines.find((l) => l.startsWith(MARKER));
  if (r.status !== 0 || !line)
    throw new Error(
      `${args.slice(0, 2).join(' ')} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().slice(-400)}`,
    );
  const result = JSON.parse(json ? line : line.slice(MARKER.length));
  if (result.error) throw new Error(result.error);
  return { ...result, wallMs };
}

/** `a` with its dimension `axis` cut to its first row (B = 1) or tiled to B rows. */
function resizeBatch(a, axis, B) {
  const shape = [...a.shape];
  const n = shape[axis];
  const inner = shape.slice(axis + 1).reduce((x, y) => x * y, 1);
  const outer = shape.slice(0, axis).reduce((x, y) => x * y, 1);
  shape[axis] = B;
  const data = new a.data.constructor(outer * B * inner);
  for (let o = 0; o < outer; o++)
    for (let b = 0; b < B; b++)
      data.set(a.data.subarray((o * n + (b % n)) * inner, (o * n + (b % n) + 1) * inner), (o * B + b) * inner);
  return { dtype: a.dtype, shape, data };
}

/** ORT child: `{ort: true, onnxFile, inputs: {name: file}}` -> the 10 run times and the outputs' files. */
async function ortChild() {
  const require = createRequire(import.meta.url);
  const ort = require('onnxruntime-node');
  const { loadNpy, saveNpy } = await library();
  const session = await ort.InferenceSession.create(spec.onnxFile, {
    executionProviders: ['cpu'],
    intraOpNumThreads: availableParallelism(),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const feeds = {};
  for (const [name, file] of Object.entries(spec.inputs)) {
    const a = loadNpy(file);
    feeds[name] = new ort.Tensor(a.dtype, a.data, a.shape);
  }
  const times = [];
  let outputs;
  for (let k = 0; k < REPEAT; k++) {
    const t0 = performance.now();
    outputs = await session.run(feeds);
    times.push(performance.now() - t0);
  }
  mkdirSync(spec.out, { recursive: true });
  for (const [name, t] of Object.entries(outputs))
    if (t.type === 'float32')
      saveNpy(join(spec.out, `${name}.npy`), { dtype: 'float32', shape: [...t.dims], data: t.data });
  return { times };
}

function maxAbsDiff(loadNpy, dirA, dirB) {
  let max = 0;
  for (const f of readdirSync(dirB)) {
    if (!existsSync(join(dirA, f))) continue;
    const a = loadNpy(join(dirA, f)).data;
    const b = loadNpy(join(dirB, f)).data;
    if (a.length !== b.length) return Infinity;
    for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(Number(a[i]) - Number(b[i])));
  }
  return max;
}

async function parent() {
  const { loadNpy, saveNpy, loadOnnx } = await library();
  const manifest = JSON.parse(readFileSync(join(fixtures, 'manifest.json'), 'utf8')).torch;
  const names = Object.keys(manifest)
    .filter((n) => !spec.only || spec.only.some((o) => n.includes(o)))
    .sort();
  const rounds = spec.rounds ?? 3;
  const batches = spec.batches ?? [1, 64];
  const dir = mkdtempSync(join(tmpdir(), 'recurrent-predict-fixtures-'));
  const rows = [];
  const load = [loadavg()[0]];
  try {
    for (const name of names) {
      const entry = manifest[name];
      const onnxFile = join(fixtures, entry.file);
      const model = loadOnnx(onnxFile);
      const done = new Set();
      for (const wanted of batches) {
        // Inputs at batch `B`; an export whose graph fixes its batch (PyTorch's pack_padded_sequence
        // traces the batch into its zero state) runs at the fixture's own batch instead, once.
        const make = (B) => {
          const inputs = {};
          const arrays = {};
          for (const [input, file] of Object.entries(entry.inputs)) {
            const info = model.inputs.find((i) => i.name === input);
            const axis = info?.dims?.findIndex((d) => d === 'batch') ?? -1;
            if (axis < 0) throw new Error(`${name}: input '${input}' has no dimension named 'batch'`);
            const a = loadNpy(join(fixtures, file));
            arrays[input] = B === null ? a : resizeBatch(a, axis, B);
            inputs[input] = join(dir, `${name}.B${B}.${input}.npy`);
            saveNpy(inputs[input], arrays[input]);
          }
          return { inputs, arrays };
        };
        let B = wanted;
        let made = make(B);
        let fixedBatch = false;
        try {
          model.runArrays(made.arrays);
        } catch {
          made = make(null);
          B = Object.values(made.arrays)[0].shape[model.inputs[0].dims.indexOf('batch')];
          fixedBatch = true;
        }
        if (done.has(B)) continue;
        done.add(B);
        const { inputs } = made;
        const ours = [];
        const ort = [];
        const oursWall = [];
        const ortWall = [];
        const outOurs = join(dir, 'ours');
        const outOrt = join(dir, 'ort');
        for (let k = 0; k < rounds; k++) {
          rmSync(outOurs, { recursive: true, force: true });
          rmSync(outOrt, { recursive: true, force: true });
          const inputArgs = Object.entries(inputs).flatMap(([n, f]) => ['--input', `${n}=${f}`]);
          const cli = run(
            [
              join(lib, 'cli', 'main.js'),
              'predict',
              onnxFile,
              ...inputArgs,
              '--out',
              outOurs,
              '--repeat',
              String(REPEAT),
              '--json',
            ],
            { json: true },
          );
          ours.push(cli.timing.medianMs);
          oursWall.push(cli.wallMs);
          const o = run([fileURLToPath(import.meta.url), JSON.stringify({ ort: true, onnxFile, inputs, out: outOrt })]);
          ort.push(median(o.times));
          ortWall.push(o.wallMs);
        }
        load.push(loadavg()[0]);
        const row = {
          name,
          B,
          fixedBatch,
          ours,
          ort,
          ratio: median(ours) / median(ort),
          oursWallMs: median(oursWall),
          ortWallMs: median(ortWall),
          maxAbsDiff: maxAbsDiff(loadNpy, outOurs, outOrt),
          operatorsPerRun: model.operatorsPerRun.length,
        };
        rows.push(row);
        process.stderr.write(
          `${name} B=${B}: ours ${median(ours).toFixed(3)} ms, ORT ${median(ort).toFixed(3)} ms, ratio ${row.ratio.toFixed(2)} (|diff| ${row.maxAbsDiff.toExponential(1)})\n`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (spec.table) {
    const f = (v) => (v < 1 ? v.toFixed(3) : v.toPrecision(3));
    process.stderr.write(
      `\n| export | B | nodes per run | ours, ms (rounds) | ORT, ms (rounds) | ratio | whole command, ours / ORT, ms |\n|---|---:|---:|---|---|---:|---|\n`,
    );
    for (const r of rows)
      process.stderr.write(
        `| ${r.name} | ${r.B}${r.fixedBatch ? ' (fixed)' : ''} | ${r.operatorsPerRun} | ${f(median(r.ours))} (${r.ours.map(f).join('/')}) | ${f(median(r.ort))} (${r.ort.map(f).join('/')}) | ${r.ratio <= 1.5 ? `**${r.ratio.toFixed(2)}×**` : `${r.ratio.toFixed(2)}× (missed)`} | ${r.oursWallMs.toFixed(0)} / ${r.ortWallMs.toFixed(0)} |\n`,
      );
    process.stderr.write(`\nload average (1 min) during the run: ${load.map((l) => l.toFixed(1)).join(', ')}\n`);
  }
  return { rows, rounds, repeat: REPEAT, loadAverage: load };
}

await runChild(spec.ort ? ortChild : parent);
