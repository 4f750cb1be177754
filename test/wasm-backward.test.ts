/**
 * The wasm backend's backward loop (recurrentBackward: src/wasm/backward.as, the per-step loop of
 * backwardThroughTime in wasm, a block of steps per call) against the per-step calls it mirrors
 * (cellBackward, gemmPacked, columnSums and the row masking in JS): bit-identical gradients, on
 * one thread (each block in one call), with the step GEMM split over the helper threads, and
 * with blocks of a few steps (small chunks). Against the reference backend: within tolerance
 * (the wasm kernels use a polynomial exp and FMA tiles, so values differ in the last bits).
 * Shapes cover batch 1, odd hidden sizes (partial groups and vectors), lengths (rows ending
 * early) and both directions.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { WasmBackend } from '../src/backend/wasm/index.js';
import { Generator, nn, randn, type Tensor } from '../src/index.js';
import { assertAllClose, backendCases, requireWasmThreads, useBackend, zeroStepsArgs } from './backend-helpers.js';

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
  { module: 'LSTM', T: 6, B: 1, I: 5, H: 13 },
  { module: 'GRU', T: 6, B: 1, I: 5, H: 9 },
  { module: 'RNN', T: 5, B: 3, I: 4, H: 7 },
  { module: 'LSTM', T: 7, B: 9, I: 6, H: 21, bidirectional: true, lengths: [7, 3, 5, 7, 1, 6, 7, 2, 4] },
  { module: 'GRU', T: 7, B: 9, I: 6, H: 24, bidirectional: true, lengths: [7, 3, 5, 7, 1, 6, 7, 2, 4] },
  {
    module: 'RNN',
    T: 4,
    B: 17,
    I: 3,
    H: 33,
    bidirectional: true,
    lengths: [4, 1, 2, 3, 4, 4, 2, 1, 3, 4, 4, 1, 2, 3, 4, 2, 3],
  },
  { module: 'LSTM', T: 3, B: 20, I: 8, H: 40 },
  { module: 'GRU', T: 3, B: 16, I: 8, H: 32 },
];

const name = (s: Shape) =>
  `${s.module} T=${s.T} B=${s.B} H=${s.H}${s.bidirectional ? ' bidirectional' : ''}${s.lengths ? ' lengths' : ''}`;

/** Output, states and every gradient of one forward + backward. */
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
  const r = module.forward(x, s.lengths ? { lengths: s.lengths } : {}) as { output: Tensor; h: Tensor; c?: Tensor };
  let loss = r.output.mul(randn(r.output.shape, { generator: gen })).sum();
  loss = loss.add(r.h.mul(randn(r.h.shape, { generator: gen })).sum());
  if (r.c) loss = loss.add(r.c.mul(randn(r.c.shape, { generator: gen })).sum());
  loss.backward();
  const out: Record<string, Float32Array> = { output: r.output.data, h: r.h.data, 'grad x': x.grad!.data };
  if (r.c) out['c'] = r.c.data;
  for (const [n, p] of module.namedParameters()) out[`grad ${n}`] = p.grad!.data;
  return out;
}

/** The same run with recurrentBackward hidden, so the driver makes the per-step calls. */
function runPerStep(backend: WasmBackend, s: Shape): Record<string, Float32Array> {
  const own = backend.recurrentBackward;
  (backend as { recurrentBackward?: unknown }).recurrentBackward = undefined;
  try {
    return run(s);
  } finally {
    backend.recurrentBackward = own;
  }
}

function assertSame(got: Record<string, Float32Array>, want: Record<string, Float32Array>, label: string): void {
  assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort());
  for (const key of Object.keys(want)) {
    assert.ok(
      want[key]!.some((v) => v !== 0),
      `${label}: ${key} is not all zeros`,
    );
    assert.deepEqual(got[key], want[key], `${label}: ${key}`);
  }
}

const wasm = backendCases().find((c) => c.name === 'wasm')!;
const reference = backendCases().find((c) => c.name === 'reference')!;

describe('wasm recurrentBackward equals the per-step calls, bit for bit', () => {
  for (const s of SHAPES) {
    test(`${name(s)}: one thread, whole loop and blocks of a few steps`, { skip: wasm.skip }, () => {
      const backend = useBackend(wasm) as WasmBackend;
      const { parallelMinFlops, chunkFloats } = backend;
      try {
        backend.recurrentBackwardWeights = false;
        backend.parallelMinFlops = Infinity;
        assertSame(run(s), runPerStep(backend, s), `${name(s)}, one block`);
        // About two steps of this shape per block: several blocks, the last one partial.
        const perStep = { LSTM: 16, GRU: 12, RNN: 4 }[s.module];
        backend.chunkFloats = 2 * s.B * s.H * perStep + 1;
        assertSame(run(s), runPerStep(backend, s), `${name(s)}, small blocks`);
      } finally {
        backend.recurrentBackwardWeights = true;
        backend.parallelMinFlops = parallelMinFlops;
        backend.chunkFloats = chunkFloats;
      }
    });
  }
  test('with helper threads: every step GEMM split across threads, the same values', { skip: wasm.skip }, (t) => {
    const backend = useBackend(wasm) as WasmBackend;
    if (requireWasmThreads(backend, t) < 2) return;
    const { parallelMinFlops } = backend;
    backend.recurrentBackwardWeights = false;
    try {
      for (const s of SHAPES.filter((x) => x.B >= 16)) {
        backend.parallelMinFlops = Infinity;
        const want = runPerStep(backend, s);
        backend.parallelMinFlops = 0;
        assertSame(run(s), want, `${name(s)}, split`);
      }
    } finally {
      backend.recurrentBackwardWeights = true;
      backend.parallelMinFlops = parallelMinFlops;
    }
  });
});

/**
 * recurrentBackward computing the weight gradients itself (a GEMM per block of steps from dgx/dgh
 * in wasm memory, one GEMM of [x | h_prev] when dgh is dgx): the weight gradients equal the
 * driver's all-steps GEMMs within 1e-5 abs / 1e-4 rel (sums in another order); everything else
 * stays bit-identical. One block, several blocks, and the GEMMs split over the helper threads.
 */
describe('wasm recurrentBackward with the weight gradients inside', () => {
  function assertNear(got: Record<string, Float32Array>, want: Record<string, Float32Array>, label: string): void {
    assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort());
    for (const key of Object.keys(want)) {
      assert.ok(
        want[key]!.some((v) => v !== 0),
        `${label}: ${key} is not all zeros`,
      );
      if (key.startsWith('grad weight_')) assertAllClose(got[key]!, want[key]!, `${label}: ${key}`, 1e-5, 1e-4);
      else assert.deepEqual(got[key], want[key], `${label}: ${key}`);
    }
  }
  for (const s of SHAPES) {
    test(name(s), { skip: wasm.skip }, () => {
      const backend = useBackend(wasm) as WasmBackend;
      const { parallelMinFlops, chunkFloats } = backend;
      try {
        backend.recurrentBackwardWeights = false;
        const want = run(s);
        backend.recurrentBackwardWeights = true;
        backend.parallelMinFlops = Infinity;
        assertNear(run(s), want, `${name(s)}, one block`);
        backend.chunkFloats = 2 * s.B * s.H * 16 + 1;
        assertNear(run(s), want, `${name(s)}, small blocks`);
        backend.chunkFloats = chunkFloats;
        backend.parallelMinFlops = 0;
        assertNear(run(s), want, `${name(s)}, split over the threads that are ready`);
      } finally {
        backend.recurrentBackwardWeights = true;
        backend.parallelMinFlops = parallelMinFlops;
        backend.chunkFloats = chunkFloats;
      }
    });
  }
  test('the weights are checked for room', { skip: wasm.skip }, () => {
    const backend = useBackend(wasm) as WasmBackend;
    const [B, H, T, I] = [2, 4, 3, 5];
    const W = 4 * H;
    const packedHh = backend.packB({ k: W, n: H, b: new Float32Array(W * H), ldb: H });
    const bh = () => new Float32Array(B * H);
    const dgx = new Float32Array(T * B * W);
    const args = (dWih: Float32Array) => ({
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
      dgx,
      dgh: dgx,
      scratch: { dhT: bh(), dc: bh(), dhDirect: bh(), dcPrev: bh(), dhPrev: bh() },
      dbIh: null,
      dbHh: null,
      weights: { x: new Float32Array(T * B * I), inputSize: I, dWih, dWhh: new Float32Array(W * H), gatesOut: false },
    });
    backend.recurrentBackward('lstm', args(new Float32Array(W * I)));
    assert.throws(() => backend.recurrentBackward('lstm', args(new Float32Array(W * I - 1))), /dWih is too short/);
    packedHh.release();
  });
});

describe('wasm recurrentBackward against the reference backend (tolerance: polynomial exp, FMA)', () => {
  for (const s of SHAPES) {
    test(name(s), { skip: wasm.skip ?? reference.skip }, () => {
      useBackend(wasm);
      const got = run(s);
      useBackend(reference);
      const want = run(s);
      for (const key of Object.keys(want)) assertAllClose(got[key]!, want[key]!, `${name(s)}: ${key}`, 1e-4, 1e-4);
    });
  }
});

describe('wasm recurrentBackward: bad arguments throw', () => {
  test('a packed matrix of the wrong shape, a released one, short arrays', { skip: wasm.skip }, () => {
    const backend = useBackend(wasm) as WasmBackend;
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
    backend.recurrentBackward('lstm', args);
    assert.throws(() => backend.recurrentBackward('lstm', { ...args, time: 4 }), /gOut/);
    assert.throws(() => backend.recurrentBackward('lstm', { ...args, dcCarry: null }), /LSTM needs/);
    assert.throws(
      () => backend.recurrentBackward('lstm', { ...args, lengths: new Int32Array(1) }),
      /lengths has 1 rows/,
    );
    assert.throws(() => backend.recurrentBackward('gru', args), /packed W_hh is \[16, 4\], expected \[12, 4\]/);
    packedHh.release();
    assert.throws(() => backend.recurrentBackward('lstm', args), /packed by the wasm backend/);
  });
});

/**
 * The training forward's saved activations (h, c and the cell cache) live in wasm memory
 * (residentFloats), where recurrentSteps writes them and recurrentBackward reads them: the same
 * values, bit for bit, as with them copied out to JS arrays and back in; and every resident
 * array is given back when the backward ends.
 */
describe('wasm saved activations resident in wasm memory', () => {
  // T·B above 1024 rows: the forward runs in two blocks of steps.
  const shapes: Shape[] = [...SHAPES, { module: 'GRU', T: 70, B: 16, I: 3, H: 8, bidirectional: true }];
  function copiedOut(backend: WasmBackend, s: Shape): Record<string, Float32Array> {
    (backend as { residentFloats: unknown }).residentFloats = () => null;
    try {
      return run(s);
    } finally {
      delete (backend as { residentFloats?: unknown }).residentFloats; // the class's own again
    }
  }
  for (const s of shapes) {
    test(name(s), { skip: wasm.skip }, () => {
      const backend = useBackend(wasm) as WasmBackend;
      const { parallelMinFlops, chunkFloats } = backend;
      // Each setting against the copied-out run of the same setting (block boundaries change
      // the order in which the weight gradients are summed).
      const settings: [string, () => void][] = [
        ['one block', () => {}],
        ['small blocks', () => (backend.chunkFloats = 2 * s.B * s.H * 16 + 1)],
        ['split over the threads that are ready', () => (backend.parallelMinFlops = 0)],
      ];
      try {
        for (const [label, set] of settings) {
          set();
          const want = copiedOut(backend, s);
          const blocks = backend.heap.liveBlocks;
          let made = 0;
          const own = backend.residentFloats.bind(backend);
          backend.residentFloats = (n: number) => {
            const a = own(n);
            if (a) made++;
            return a;
          };
          try {
            assertSame(run(s), want, `${name(s)}, resident, ${label}`);
          } finally {
            delete (backend as { residentFloats?: unknown }).residentFloats;
          }
          assert.ok(made >= 2, `${label}: resident arrays were made (${made})`);
          assert.equal(backend.heap.liveBlocks, blocks, `${label}: every resident array was given back`);
        }
      } finally {
        backend.parallelMinFlops = parallelMinFlops;
        backend.chunkFloats = chunkFloats;
      }
    });
  }
  test('a resident array is checked for room before the kernels write into it', { skip: wasm.skip }, () => {
    const backend = useBackend(wasm) as WasmBackend;
    const [B, H, T] = [2, 8, 3];
    const GH = 3 * H;
    const short = backend.residentFloats(T * B * H - 1);
    assert.ok(short, 'the wasm backend in Node runs on a shared memory');
    const packedHh = backend.packB({ k: H, n: GH, b: new Float32Array(H * GH), ldb: GH });
    try {
      assert.throws(
        () =>
          backend.recurrentSteps(
            'gru',
            zeroStepsArgs({ B, H, T, G: 3 }, packedHh, {
              saved: { h: short!, c: null, cache: new Float32Array(T * B * 4 * H) },
            }),
          ),
        /recurrentSteps saved\.h: \[0, 48\) lies outside the array's 47 floats/,
      );
    } finally {
      backend.releaseResident(short!);
      packedHh.release();
    }
  });
});
