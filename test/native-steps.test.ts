/**
 * The native addon's whole-loop kernels (native/src/steps.cpp) against the per-step calls they
 * mirror (src/nn/recurrent/fused.ts): `recurrentSteps` for the inference and training forwards
 * and `recurrentBackward` for the backward's per-step loop must give bit-identical outputs,
 * states and gradients. Shapes cover batch 1, odd hidden sizes (gates not on panel boundaries),
 * lengths (rows ending early), both directions, and hidden sizes that are whole panels, run
 * with the addon's parallel threshold at 0 so that every step is split across the pool's threads
 * by column blocks (forward) and row blocks (backward) as large layers are.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Backend } from '../src/backend/backend.js';
import type { NativeAddon } from '../src/backend/native/index.js';
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

const SHAPES: Shape[] = [
  { module: 'LSTM', T: 6, B: 1, I: 5, H: 64 },
  { module: 'GRU', T: 6, B: 1, I: 5, H: 64 },
  { module: 'LSTM', T: 5, B: 3, I: 4, H: 33 },
  { module: 'GRU', T: 5, B: 3, I: 4, H: 33 },
  { module: 'RNN', T: 5, B: 3, I: 4, H: 33 },
  { module: 'LSTM', T: 7, B: 9, I: 6, H: 64, bidirectional: true, lengths: [7, 3, 5, 7, 1, 6, 7, 2, 4] },
  { module: 'GRU', T: 7, B: 9, I: 6, H: 96, bidirectional: true, lengths: [7, 3, 5, 7, 1, 6, 7, 2, 4] },
  {
    module: 'RNN',
    T: 4,
    B: 17,
    I: 3,
    H: 128,
    bidirectional: true,
    lengths: [4, 1, 2, 3, 4, 4, 2, 1, 3, 4, 4, 1, 2, 3, 4, 2, 3],
  },
  { module: 'LSTM', T: 3, B: 40, I: 8, H: 128 },
  // Split by row ranges through every step (a register tile of rows per thread), odd hidden sizes.
  {
    module: 'LSTM',
    T: 6,
    B: 16,
    I: 5,
    H: 45,
    bidirectional: true,
    lengths: [6, 1, 3, 6, 2, 5, 6, 4, 6, 1, 6, 3, 5, 6, 2, 6],
  },
  { module: 'GRU', T: 5, B: 24, I: 7, H: 50 },
  // W_hh too large for a row split: split by columns, every step.
  { module: 'LSTM', T: 3, B: 20, I: 4, H: 384 },
];

const name = (s: Shape) =>
  `${s.module} T=${s.T} B=${s.B} H=${s.H}${s.bidirectional ? ' bidirectional' : ''}${s.lengths ? ' lengths' : ''}`;

/** Output, states and every gradient of one forward + backward (and an inference forward). */
function run(s: Shape): Record<string, Float32Array> {
  const common = {
    inputSize: s.I,
    hiddenSize: s.H,
    bidirectional: s.bidirectional ?? false,
    generator: new Generator(3),
  };
  const module =
    s.module === 'LSTM' ? new nn.LSTM(common) : s.module === 'GRU' ? new nn.GRU(common) : new nn.RNN(common);
  const gen = new Generator(11);
  const x = randn([s.T, s.B, s.I], { generator: gen, requiresGrad: true });
  const options = s.lengths ? { lengths: s.lengths } : {};
  const inference = noGrad(() => module.forward(x, options)) as { output: Tensor; h: Tensor };
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
  if (r.c) out['c'] = r.c.data;
  for (const [n, p] of module.namedParameters()) out[`grad ${n}`] = p.grad!.data;
  return out;
}

/** The same run with the whole-loop kernels hidden, so the driver makes the per-step calls. */
function runPerStep(backend: Backend, s: Shape): Record<string, Float32Array> {
  const { recurrentSteps, recurrentBackward } = backend;
  backend.recurrentSteps = undefined;
  backend.recurrentBackward = undefined;
  try {
    return run(s);
  } finally {
    backend.recurrentSteps = recurrentSteps;
    backend.recurrentBackward = recurrentBackward;
  }
}

describe('native whole-loop kernels equal the per-step calls, bit for bit', () => {
  const native = backendCases().find((c) => c.name === 'native')!;
  let addon: NativeAddon | null = null;
  let defaultFlops = 0;
  after(() => addon?.configure({ parallelFlops: defaultFlops }));
  for (const split of [false, true]) {
    for (const s of SHAPES) {
      test(`${name(s)}${split ? ', every step split across threads' : ''}`, { skip: native.skip }, () => {
        const backend = useBackend(native);
        addon = (backend as Backend & { addon: NativeAddon }).addon;
        defaultFlops ||= addon.info().parallelFlops;
        addon.configure({ parallelFlops: split ? 0 : defaultFlops });
        assert.ok(backend.recurrentSteps && backend.recurrentBackward, 'the native backend has both kernels');
        const fused = run(s);
        const perStep = runPerStep(backend, s);
        assert.deepEqual(Object.keys(fused).sort(), Object.keys(perStep).sort());
        for (const key of Object.keys(perStep)) {
          assert.ok(
            perStep[key]!.some((v) => v !== 0),
            `${key} is not all zeros`,
          );
          assert.deepEqual(fused[key], perStep[key], `${name(s)}: ${key}`);
        }
      });
    }
  }

  test('forward steps: one pool job per call when split by rows, one per step when split by columns', {
    skip: native.skip,
  }, (t) => {
    const backend = useBackend(native);
    addon = (backend as Backend & { addon: NativeAddon }).addon;
    defaultFlops ||= addon.info().parallelFlops;
    const { threads, mr } = addon.info();
    if (threads < 2) {
      t.skip('one thread: nothing is split');
      return;
    }
    addon.configure({ parallelFlops: 0 });
    const jobs = () => {
      const p = addon!.info().pool!;
      return p.parallelJobs + p.backoffJobs;
    };
    const jobsOf = (B: number, H: number, T: number) => {
      const W = 4 * H;
      const packed = addon!.packB(H, W, new Float32Array(H * W).fill(0.01), 0, W, false);
      const bh = () => new Float32Array(B * H);
      const before = jobs();
      addon!.recurrentSteps(
        2,
        B,
        H,
        0,
        T,
        false,
        0,
        new Float32Array(T * B * W).fill(0.1),
        packed,
        null,
        bh(),
        bh(),
        new Float32Array(T * B * H),
        null,
        new Float32Array(B * W),
        bh(),
        bh(),
      );
      return jobs() - before;
    };
    assert.equal(jobsOf(threads * mr, 64, 5), 1, 'a register tile of rows per thread: one job through every step');
    assert.equal(jobsOf(mr, 64, 5), 5, 'fewer rows than a tile per thread: each step split by columns');
    assert.equal(jobsOf(threads * mr, 384, 5), 5, 'W_hh larger than the L2 budget: each step split by columns');
  });

  test('recurrentSteps projecting its own gx equals the projection GEMM then the steps, bit for bit', {
    skip: native.skip,
  }, () => {
    const backend = useBackend(native);
    addon = (backend as Backend & { addon: NativeAddon }).addon;
    defaultFlops ||= addon.info().parallelFlops;
    const gen = new Generator(5);
    const rand = (n: number) => randn([n], { generator: gen }).data;
    const cases = [
      {
        kind: 2,
        B: 16,
        I: 5,
        H: 45,
        T: 6,
        reverse: true,
        lengths: [6, 1, 3, 6, 2, 5, 6, 4, 6, 1, 6, 3, 5, 6, 2, 6],
        flops: 0,
      },
      { kind: 2, B: 4, I: 7, H: 64, T: 5, reverse: false, lengths: null, flops: 0 },
      { kind: 3, B: 24, I: 3, H: 50, T: 4, reverse: false, lengths: null, flops: 0 },
      { kind: 2, B: 24, I: 3, H: 40, T: 4, reverse: false, lengths: null },
      { kind: 0, B: 3, I: 4, H: 33, T: 5, reverse: true, lengths: [5, 2, 4] },
      { kind: 2, B: 1, I: 6, H: 20, T: 3, reverse: false, lengths: null },
    ];
    for (const c of cases) {
      addon.configure({ parallelFlops: c.flops ?? defaultFlops });
      const G = c.kind === 2 ? 4 : c.kind === 3 ? 3 : 1;
      const { B, I, H, T } = c;
      const W = G * H;
      const x = rand(T * B * I);
      const packedIh = addon.packB(I, W, rand(I * W), 0, W, false);
      const packedHh = addon.packB(H, W, rand(H * W), 0, W, false);
      const [bIh, bHh, h0, c0] = [rand(W), rand(W), rand(B * H), rand(B * H)];
      const lengths = c.lengths ? Int32Array.from(c.lengths) : null;
      // `offset` floats into a larger array: the kernel moves state and scratch to cache-line
      // aligned memory, and views that start anywhere must give the same values.
      const view = (n: number, offset: number, from?: Float32Array) => {
        const v = new Float32Array(n + offset).subarray(offset);
        if (from) v.set(from);
        return v;
      };
      const run = (project: boolean, offset = 0) => {
        // Projecting, the kernel reads and writes no gx block: an empty one is enough.
        const [h, cs, output, gx] = [
          view(B * H, offset, h0),
          view(B * H, offset, c0),
          view(T * B * H, offset),
          view(project ? 0 : T * B * W, offset),
        ];
        const scratch = [view(B * W, offset), view(B * H, offset), view(B * H, offset)] as const;
        const tStart = c.reverse ? T - 1 : 0;
        if (project) {
          addon!.recurrentSteps(
            c.kind,
            B,
            H,
            tStart,
            T,
            c.reverse,
            0,
            gx,
            packedHh,
            view(W, offset, bHh),
            h,
            cs,
            output,
            lengths,
            ...scratch,
            null,
            null,
            null,
            view(x.length, offset, x),
            I,
            packedIh,
            view(W, offset, bIh),
          );
        } else {
          addon!.gemmPacked(T * B, x, 0, I, false, packedIh, gx, 0, W, 0, bIh, 0);
          addon!.recurrentSteps(
            c.kind,
            B,
            H,
            tStart,
            T,
            c.reverse,
            0,
            gx,
            packedHh,
            bHh,
            h,
            cs,
            output,
            lengths,
            ...scratch,
          );
        }
        return { h, c: cs, output, gx };
      };
      const separate = run(false);
      for (const offset of [0, 1, 7]) {
        const projected = run(true, offset);
        for (const key of ['output', 'h', 'c'] as const) {
          assert.ok(
            separate[key].some((v) => v !== 0),
            `${key} is not all zeros`,
          );
          assert.deepEqual(projected[key], separate[key], `kind ${c.kind} B=${B} H=${H} offset ${offset}: ${key}`);
        }
      }
      const scratch = () => [new Float32Array(B * W), new Float32Array(B * H), new Float32Array(B * H)] as const;
      const args = (over: { x?: Float32Array; packedIh?: ArrayBuffer }) => () =>
        addon!.recurrentSteps(
          c.kind,
          B,
          H,
          0,
          T,
          false,
          0,
          new Float32Array(T * B * W),
          packedHh,
          bHh,
          h0.slice(),
          c0.slice(),
          new Float32Array(T * B * H),
          null,
          ...scratch(),
          null,
          null,
          null,
          over.x ?? x,
          I,
          over.packedIh ?? packedIh,
          bIh,
        );
      assert.throws(args({ x: x.subarray(1) }), /x does not fit/);
      assert.throws(args({ packedIh: packedHh }), /packedIh must be W_ih transposed/);
    }
    addon.configure({ parallelFlops: defaultFlops });
  });

  test('recurrentBackward: bad arguments throw instead of touching memory', { skip: native.skip }, () => {
    const backend = useBackend(native);
    const [B, H, T] = [2, 4, 3];
    const W = 4 * H;
    const packedHh = backend.packB({ k: W, n: H, b: new Float32Array(W * H), ldb: H });
    const bh = () => new Float32Array(B * H);
    const args = {
      rows: B,
      hidden: H,
      time: T,
      reverse: false,
      lengths: null,
      packedHh,
      gOut: new Float32Array(T * B * H),
      dhCarry: bh(),
      dcCarry: bh(),
      saved: { h: new Float32Array(T * B * H), c: new Float32Array(T * B * H), cache: new Float32Array(T * B * 5 * H) },
      dgx: new Float32Array(T * B * W),
      dgh: new Float32Array(T * B * W),
      scratch: { dhT: bh(), dc: bh(), dhDirect: bh(), dcPrev: bh(), dhPrev: bh() },
      dbIh: new Float32Array(W),
      dbHh: null,
    };
    backend.recurrentBackward!('lstm', args);
    assert.throws(() => backend.recurrentBackward!('lstm', { ...args, time: 4 }), /does not fit/);
    assert.throws(() => backend.recurrentBackward!('lstm', { ...args, dcCarry: null }), /LSTM needs/);
    assert.throws(
      () => backend.recurrentBackward!('lstm', { ...args, lengths: new Int32Array(3) } as never),
      /one entry per row/,
    );
    assert.throws(() => backend.recurrentBackward!('gru', args), /packedHh must be W_hh/);
    assert.throws(
      () => backend.recurrentBackward!('lstm', { ...args, dbHh: new Float32Array(W - 1) }),
      /dbHh does not fit/,
    );
    assert.throws(
      () =>
        backend.recurrentBackward!('lstm', {
          ...args,
          scratch: { ...args.scratch, dhPrev: new Float32Array(B * H - 1) },
        }),
      /dhPrev does not fit/,
    );
    packedHh.release();
    assert.throws(() => backend.recurrentBackward!('lstm', args), /packB/);
  });
});
