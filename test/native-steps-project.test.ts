/**
 * The layers on the native backend with `recurrentSteps` projecting each step's inputs itself
 * (`recurrentStepsProjectRows`, src/nn/recurrent/fused.ts; here set to 1 so that every batch
 * size projects) against the same layers with it unset (the projection GEMM per block of steps, then `recurrentSteps` reading gx): outputs, states and
 * every gradient must be bit-identical, for inference and training, LSTM/GRU/RNN, batch 1, 16 and
 * 64, lengths, both directions, T over several GX blocks (1024 rows a block, so 16 steps at
 * B = 64, 64 at B = 16, 1024 at B = 1), with the addon's default parallel threshold and with 0
 * (every call split across the pool's threads).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Backend, RecurrentStepsArgs } from '../src/backend/backend.js';
import type { NativeAddon } from '../src/backend/native/index.js';
import type { CellKind } from '../src/families.js';
import { Generator, nn, noGrad, randn, type Tensor } from '../src/index.js';
import { backendCases, useBackend } from './backend-helpers.js';

interface Shape {
  module: 'RNN' | 'LSTM' | 'GRU';
  T: number;
  B: number;
  I: number;
  H: number;
  bidirectional?: boolean;
  lengths?: number[];
}

/** Lengths from T down, varied (row r ends at a different step from its neighbours). */
const varied = (T: number, B: number) => Array.from({ length: B }, (_, r) => T - ((r * 7) % T));

const SHAPES: Shape[] = [
  { module: 'LSTM', T: 1030, B: 1, I: 3, H: 16 },
  { module: 'GRU', T: 1030, B: 1, I: 3, H: 16, bidirectional: true },
  { module: 'LSTM', T: 9, B: 1, I: 5, H: 64 },
  { module: 'LSTM', T: 70, B: 16, I: 6, H: 45, bidirectional: true, lengths: varied(70, 16) },
  { module: 'GRU', T: 70, B: 16, I: 6, H: 32 },
  { module: 'RNN', T: 70, B: 16, I: 6, H: 33, bidirectional: true, lengths: varied(70, 16) },
  { module: 'LSTM', T: 40, B: 64, I: 8, H: 64, bidirectional: true, lengths: varied(40, 64) },
  { module: 'GRU', T: 40, B: 64, I: 8, H: 48 },
  { module: 'RNN', T: 40, B: 64, I: 8, H: 64, lengths: varied(40, 64) },
  { module: 'LSTM', T: 5, B: 64, I: 8, H: 32 },
  // W_hh too large for the row split: split by column blocks.
  { module: 'LSTM', T: 20, B: 64, I: 8, H: 384 },
];

const name = (s: Shape) =>
  `${s.module} T=${s.T} B=${s.B} H=${s.H}${s.bidirectional ? ' bidirectional' : ''}${s.lengths ? ' lengths' : ''}`;

/** Output, states and every gradient of one forward + backward, and an inference forward. */
function run(s: Shape): Record<string, Float32Array> {
  const common = {
    inputSize: s.I,
    hiddenSize: s.H,
    bidirectional: s.bidirectional ?? false,
    generator: new Generator(5),
  };
  const module =
    s.module === 'LSTM' ? new nn.LSTM(common) : s.module === 'GRU' ? new nn.GRU(common) : new nn.RNN(common);
  const gen = new Generator(17);
  const x = randn([s.T, s.B, s.I], { generator: gen, requiresGrad: true });
  const options = s.lengths ? { lengths: s.lengths } : {};
  const inference = noGrad(() => module.forward(x, options)) as { output: Tensor; h: Tensor; c?: Tensor };
  const r = module.forward(x, options) as { output: Tensor; h: Tensor; c?: Tensor };
  let loss = r.output.mul(randn(r.output.shape, { generator: gen })).sum();
  loss = loss.add(r.h.mul(randn(r.h.shape, { generator: gen })).sum());
  if (r.c) loss = loss.add(r.c.mul(randn(r.c.shape, { generator: gen })).sum());
  loss.backward();
  const out: Record<string, Float32Array> = {
    'inference output': inference.output.data,
    'inference h': inference.h.data,
    output: r.output.data,
    h: r.h.data,
    'grad x': x.grad!.data,
  };
  if (inference.c) out['inference c'] = inference.c.data;
  if (r.c) out['c'] = r.c.data;
  for (const [n, p] of module.namedParameters()) out[`grad ${n}`] = p.grad!.data;
  return out;
}

/**
 * `run` with the backend's `recurrentStepsProjectRows` set to 1 (`project`) or unset, counting the block kernel's
 * calls that were given `project` and the GEMM calls made from JS (the block projections).
 */
function runWith(backend: Backend, s: Shape, project: boolean) {
  const { recurrentSteps, recurrentStepsProjectRows, gemm } = backend;
  const counts = { projecting: 0, plain: 0, gemm: 0 };
  backend.recurrentStepsProjectRows = project ? 1 : undefined;
  backend.recurrentSteps = (kind: CellKind, a: RecurrentStepsArgs) => {
    if (a.project) counts.projecting++;
    else counts.plain++;
    recurrentSteps!.call(backend, kind, a);
  };
  backend.gemm = (a) => {
    counts.gemm++;
    gemm.call(backend, a);
  };
  try {
    return { values: run(s), counts };
  } finally {
    backend.recurrentSteps = recurrentSteps;
    backend.recurrentStepsProjectRows = recurrentStepsProjectRows;
    backend.gemm = gemm;
  }
}

describe('native layers: recurrentSteps projecting the inputs equals the block projection, bit for bit', () => {
  const native = backendCases().find((c) => c.name === 'native')!;
  let addon: NativeAddon | null = null;
  let defaultFlops = 0;
  after(() => addon?.configure({ parallelFlops: defaultFlops }));
  for (const split of [false, true]) {
    for (const s of SHAPES) {
      test(`${name(s)}${split ? ', every call split across threads' : ''}`, { skip: native.skip }, () => {
        const backend = useBackend(native);
        addon = (backend as Backend & { addon: NativeAddon }).addon;
        defaultFlops ||= addon.info().parallelFlops;
        addon.configure({ parallelFlops: split ? 0 : defaultFlops });
        const projecting = runWith(backend, s, true);
        const blockGemm = runWith(backend, s, false);
        // The paths taken: every block call projects (no JS GEMM in the forwards; the backward's
        // dx, dW_ih, dW_hh are three GEMMs per direction), against none with the flag off.
        const directions = s.bidirectional ? 2 : 1;
        assert.ok(projecting.counts.projecting > 0);
        assert.equal(projecting.counts.plain, 0);
        assert.equal(projecting.counts.gemm, 3 * directions);
        assert.equal(blockGemm.counts.projecting, 0);
        assert.equal(blockGemm.counts.plain, projecting.counts.projecting);
        for (const key of Object.keys(blockGemm.values)) {
          assert.ok(
            blockGemm.values[key]!.some((v) => v !== 0),
            `${key} is not all zeros`,
          );
          assert.deepEqual(projecting.values[key], blockGemm.values[key], `${name(s)}: ${key}`);
        }
        assert.deepEqual(Object.keys(projecting.values).sort(), Object.keys(blockGemm.values).sort());
      });
    }
  }

  test('the native backend projects from a register tile of rows up (8), not at batch 1', { skip: native.skip }, () => {
    const backend = useBackend(native);
    assert.equal(backend.recurrentStepsProjectRows, 8);
    const { recurrentSteps } = backend;
    const projecting: boolean[] = [];
    backend.recurrentSteps = (kind: CellKind, a: RecurrentStepsArgs) => {
      projecting.push(Boolean(a.project));
      recurrentSteps!.call(backend, kind, a);
    };
    try {
      for (const B of [1, 7, 8, 16]) {
        const lstm = new nn.LSTM({ inputSize: 3, hiddenSize: 8, generator: new Generator(1) });
        noGrad(() => lstm.forward(randn([4, B, 3], { generator: new Generator(2) })));
      }
    } finally {
      backend.recurrentSteps = recurrentSteps;
    }
    assert.deepEqual(projecting, [false, false, true, true]);
  });
});
