#!/usr/bin/env node
/**
 * Item: `recurrent predict MODEL.onnx --input x=X.npy --out DIR --repeat 10` against ONNX Runtime
 * on the same file, a recurrent layer exported by PyTorch (torch.onnx.export, batch_first,
 * opset 14: the graph a PyTorch user hands over, with its Shape / ConstantOfShape / Transpose /
 * Squeeze nodes around the recurrent node).
 *
 *   node bench/peers/predict.mjs '{"cell":"lstm","B":1,"T":100,"I":32,"H":64}'
 *
 * The model comes from bench/torch_export.py (system Python with torch; spec.python, default
 * /usr/bin/python3). Then `rounds` rounds (default 5), each: our CLI in a fresh process with
 * `--repeat 10 --json` (its median of the 10 timed runs: the CLI times `run` only, no warm-up),
 * then ONNX Runtime in a fresh process (peers/ort.mjs: session created, the same .npy input, 10
 * timed runs, no warm-up, default threads). The ratio is the median over rounds of ours divided
 * by the median over rounds of ORT's. Also reported: the CLI's whole wall time per process.
 * Prints one line `BENCH_RESULT {json}`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MARKER, median, readSpec, runChild } from './common.mjs';

const spec = readSpec();
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const lib = ['dist', 'build/src'].map((d) => join(root, d)).find((d) => existsSync(join(d, 'index.js')));

/** Runs a child to completion (bounded) and returns its BENCH_RESULT object, or its JSON stdout line. */
function run(cmd, args, { env = process.env, json = false } = {}) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd: root, env, encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20 });
  const wallMs = performance.now() - t0;
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  const lines = r.stdout.split('\n');
  const line = json ? lines.find((l) => l.startsWith('{')) : lines.find((l) => l.startsWith(MARKER));
  if (r.status !== 0 || !line)
    throw new Error(
      `${args.slice(0, 2).join(' ')} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`,
    );
  const result = JSON.parse(json ? line : line.slice(MARKER.length));
  if (result.error) throw new Error(result.error);
  return { ...result, wallMs };
}

await runChild(async () => {
  if (!lib) throw new Error('build first (npm run build)');
  const { cell = 'lstm', B, T, I, H } = spec;
  const rounds = spec.rounds ?? 5;
  const repeat = spec.repeat ?? 10;
  const dir = mkdtempSync(join(tmpdir(), 'recurrent-predict-'));
  try {
    const env = { ...process.env };
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
    const exported = run(
      spec.python ?? '/usr/bin/python3',
      [join(here, '..', 'torch_export.py'), JSON.stringify({ cell, B, T, I, H, dir })],
      { env },
    );
    const ours = [];
    const ort = [];
    const oursWall = [];
    for (let k = 0; k < rounds; k++) {
      const cli = run(
        process.execPath,
        [
          '--single-threaded-gc', // as the command's shebang runs it
          join(lib, 'cli', 'main.js'),
          'predict',
          exported.onnxFile,
          '--input',
          `x=${exported.inputFile}`,
          '--out',
          join(dir, 'out'),
          '--repeat',
          String(repeat),
          '--json',
        ],
        { json: true },
      );
      ours.push(cli.timing.medianMs);
      oursWall.push(cli.wallMs);
      const o = run(process.execPath, [
        join(here, 'ort.mjs'),
        JSON.stringify({
          cell,
          B,
          T,
          I,
          H,
          onnxFile: exported.onnxFile,
          inputFile: exported.inputFile,
          warmupMs: 0,
          minRuns: repeat,
          maxRuns: repeat,
        }),
      ]);
      ort.push(median(o.times));
    }
    const operators = [
      ...new Set(
        readFileSync(exported.onnxFile)
          .toString('latin1')
          .match(
            /(?:LSTM|GRU|RNN|Transpose|Squeeze|Shape|ConstantOfShape|Gather|Unsqueeze|Concat)(?=\x12|\x1a|\x22)/g,
          ) ?? [],
      ),
    ];
    return {
      ours,
      ort,
      oursWall,
      ratio: median(ours) / median(ort),
      info: { torch: exported.torch, repeat, rounds, operators },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
