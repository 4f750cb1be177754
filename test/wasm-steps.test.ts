/**
 * The wasm backend's block of recurrent steps (recurrentSteps: the GEMM and the gates fused per
 * group of 8 hidden units, the groups split over helper threads; and the unfused path, a GEMM then
 * stepForward per step) against the per-step calls the layer driver makes (gemmPacked,
 * cellForward, row masking): bit-identical outputs, final state and, for the training forward
 * (`saved`), the saved states and cell caches. Shapes include batch 1, hidden sizes that are not
 * multiples of 8 (a partial group) or of 4 (partial vectors), lengths and the reverse direction.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type CellKind, cacheWidth, gateCount } from '../src/backend/backend.js';
import type { WasmBackend } from '../src/backend/wasm/index.js';
import { Generator, nn, type Tensor, tensor } from '../src/index.js';
import { maskStepForward } from '../src/nn/recurrent/row-mask.js';
import { backendCases, randomArray, requireWasmThreads, useBackend, zeroStepsArgs } from './backend-helpers.js';

interface Case {
  kind: CellKind;
  B: number;
  H: number;
  T: number;
  reverse: boolean;
  lengths: number[] | null;
  bias: boolean;
}

const CASES: Case[] = [
  { kind: 'lstm', B: 1, H: 13, T: 5, reverse: false, lengths: null, bias: true },
  { kind: 'lstm', B: 3, H: 16, T: 6, reverse: true, lengths: [6, 2, 4], bias: true },
  {
    kind: 'lstm',
    B: 17,
    H: 21,
    T: 4,
    reverse: false,
    lengths: [4, 1, 3, 4, 2, 4, 4, 1, 2, 3, 4, 4, 4, 1, 2, 3, 4],
    bias: false,
  },
  { kind: 'gru', B: 1, H: 9, T: 5, reverse: true, lengths: [3], bias: true },
  { kind: 'gru', B: 5, H: 24, T: 4, reverse: false, lengths: [4, 4, 1, 3, 2], bias: true },
  { kind: 'rnn_tanh', B: 2, H: 7, T: 5, reverse: false, lengths: [5, 3], bias: true },
  { kind: 'rnn_relu', B: 6, H: 10, T: 3, reverse: true, lengths: null, bias: false },
];

const name = (c: Case) =>
  `${c.kind} B=${c.B} H=${c.H} T=${c.T}${c.reverse ? ' reverse' : ''}${c.lengths ? ' lengths' : ''}${c.bias ? '' : ' no bias'}`;

interface Run {
  output: Float32Array;
  h: Float32Array;
  c: Float32Array | null;
  savedH: Float32Array | null;
  savedC: Float32Array | null;
  cache: Float32Array | null;
}

function inputs(c: Case) {
  const GH = gateCount(c.kind) * c.H;
  return {
    gx: randomArray(c.T * c.B * GH, 1, -2, 2),
    wHh: randomArray(GH * c.H, 2, -0.5, 0.5),
    bHh: c.bias ? randomArray(GH, 3) : null,
    h0: randomArray(c.B * c.H, 4),
    c0: randomArray(c.B * c.H, 5),
    lengths: c.lengths ? Int32Array.from(c.lengths) : null,
  };
}

/** The driver's per-step loop (one gx block of all T steps). */
function perStep(backend: WasmBackend, c: Case, withSaved: boolean): Run {
  const { B, H, T, kind } = c;
  const GH = gateCount(kind) * H;
  const CW = cacheWidth(kind, H);
  const x = inputs(c);
  const lstm = kind === 'lstm';
  const packed = backend.packB({ k: H, n: GH, b: x.wHh, ldb: H, transB: true });
  const h = Float32Array.from(x.h0);
  const cs = lstm ? Float32Array.from(x.c0) : null;
  const output = new Float32Array(T * B * H);
  const gh = new Float32Array(B * GH);
  const hRaw = new Float32Array(B * H);
  const cNew = lstm ? new Float32Array(B * H) : null;
  const savedH = withSaved ? new Float32Array(T * B * H) : null;
  const savedC = withSaved && lstm ? new Float32Array(T * B * H) : null;
  const cache = new Float32Array(T * B * CW);
  for (let s = 0; s < T; s++) {
    const t = c.reverse ? T - 1 - s : s;
    savedH?.set(h, t * B * H);
    if (cs) savedC?.set(cs, t * B * H);
    backend.gemmPacked({ m: B, a: h, lda: H, b: packed, c: gh, ldc: GH, beta: 0, bias: x.bHh });
    backend.cellForward(kind, {
      rows: B,
      hidden: H,
      gx: x.gx,
      gxOffset: t * B * GH,
      gh,
      hPrev: h,
      cPrev: cs,
      hOut: hRaw,
      cOut: cNew,
      cache,
      cacheOffset: t * B * CW,
    });
    maskStepForward(x.lengths, t, B, H, H, hRaw, cNew, h, cs, output);
  }
  packed.release();
  return { output, h, c: cs, savedH, savedC, cache: withSaved ? cache : null };
}

/** recurrentSteps over all T steps in one block. */
function block(backend: WasmBackend, c: Case, withSaved: boolean): Run {
  const { B, H, T, kind } = c;
  const GH = gateCount(kind) * H;
  const CW = cacheWidth(kind, H);
  const x = inputs(c);
  const lstm = kind === 'lstm';
  const packed = backend.packB({ k: H, n: GH, b: x.wHh, ldb: H, transB: true });
  const run: Run = {
    output: new Float32Array(T * B * H),
    h: Float32Array.from(x.h0),
    c: lstm ? Float32Array.from(x.c0) : null,
    savedH: withSaved ? new Float32Array(T * B * H) : null,
    savedC: withSaved && lstm ? new Float32Array(T * B * H) : null,
    cache: withSaved ? new Float32Array(T * B * CW) : null,
  };
  // Built as a variable, not passed as a literal: the one-step `cache` scratch of the argument
  // type is not used by this backend.
  const args = {
    rows: B,
    hidden: H,
    tStart: c.reverse ? T - 1 : 0,
    count: T,
    reverse: c.reverse,
    blockFirst: 0,
    gx: x.gx,
    packedHh: packed,
    bHh: x.bHh,
    h: run.h,
    c: run.c,
    output: run.output,
    lengths: x.lengths,
    gh: new Float32Array(B * GH),
    hRaw: new Float32Array(B * H),
    cNew: lstm ? new Float32Array(B * H) : null,
    cache: new Float32Array(B * CW),
    saved: withSaved ? { h: run.savedH!, c: run.savedC, cache: run.cache! } : null,
  };
  backend.recurrentSteps(kind, args);
  packed.release();
  return run;
}

const wasm = backendCases().find((b) => b.name === 'wasm')!;

describe('wasm recurrentSteps equals the per-step calls', () => {
  for (const c of CASES) {
    for (const withSaved of [false, true]) {
      test(`${name(c)}${withSaved ? ', saved (training forward)' : ''}`, { skip: wasm.skip }, () => {
        const backend = useBackend(wasm) as WasmBackend;
        const want = perStep(backend, c, withSaved);
        const savedMin = backend.parallelMinFlops;
        try {
          for (const fuse of [true, false]) {
            backend.fuseSteps = fuse;
            backend.parallelMinFlops = Infinity;
            assert.deepEqual(block(backend, c, withSaved), want, `${name(c)}: fused ${fuse}, one thread`);
          }
        } finally {
          backend.fuseSteps = true;
          backend.parallelMinFlops = savedMin;
        }
      });
    }
  }
  test('with helper threads: every step split across threads, the same values', { skip: wasm.skip }, (t) => {
    const backend = useBackend(wasm) as WasmBackend;
    if (requireWasmThreads(backend, t) < 2) return;
    const savedMin = backend.parallelMinFlops;
    try {
      for (const c of CASES) {
        const want = perStep(backend, c, true);
        backend.parallelMinFlops = 0;
        assert.deepEqual(block(backend, c, true), want, `${name(c)}: split over threads`);
      }
    } finally {
      backend.parallelMinFlops = savedMin;
    }
  });
  test('the saved arrays are checked for room', { skip: wasm.skip }, () => {
    const backend = useBackend(wasm) as WasmBackend;
    const c = CASES[0]!;
    assert.throws(() => {
      const { B, H, T } = c;
      const GH = 4 * H;
      const packed = backend.packB({ k: H, n: GH, b: new Float32Array(GH * H), ldb: H, transB: true });
      const args = zeroStepsArgs({ B, H, T, G: 4 }, packed, {
        saved: { h: new Float32Array(T * B * H), c: new Float32Array(T * B * H), cache: new Float32Array(3) },
      });
      backend.recurrentSteps('lstm', args);
    }, /saved.cache needs elements/);
  });
});

/**
 * recurrentSteps with `project`: each block's GX computed inside from x, the packed W_ihᵀ and b_ih
 * equals the GX the driver's projection GEMM (gemmPacked) computes, so the outputs, final state
 * and saved arrays are bit-identical; the blocks start at several times (blockFirst > 0).
 */
describe('wasm recurrentSteps with the input projection inside', () => {
  const I = 11;
  function run(backend: WasmBackend, c: Case, inside: boolean, blockSteps: number): Run {
    const { B, H, T, kind } = c;
    const GH = gateCount(kind) * H;
    const CW = cacheWidth(kind, H);
    const x = inputs(c);
    const xs = randomArray(T * B * I, 6);
    const wIh = randomArray(GH * I, 7, -0.5, 0.5);
    const bIh = c.bias ? randomArray(GH, 8) : null;
    const lstm = kind === 'lstm';
    const packedHh = backend.packB({ k: H, n: GH, b: x.wHh, ldb: H, transB: true });
    const packedIh = backend.packB({ k: I, n: GH, b: wIh, ldb: I, transB: true });
    const out: Run = {
      output: new Float32Array(T * B * H),
      h: Float32Array.from(x.h0),
      c: lstm ? Float32Array.from(x.c0) : null,
      savedH: new Float32Array(T * B * H),
      savedC: lstm ? new Float32Array(T * B * H) : null,
      cache: new Float32Array(T * B * CW),
    };
    const gx = new Float32Array(blockSteps * B * GH);
    for (let first = 0; first < T; first += blockSteps) {
      const steps = Math.min(blockSteps, T - first);
      const blockFirst = c.reverse ? T - first - steps : first;
      if (!inside) {
        backend.gemmPacked({
          m: steps * B,
          a: xs,
          aOffset: blockFirst * B * I,
          lda: I,
          b: packedIh,
          c: gx,
          ldc: GH,
          beta: 0,
          bias: bIh,
        });
      }
      backend.recurrentSteps(kind, {
        rows: B,
        hidden: H,
        tStart: c.reverse ? T - 1 - first : first,
        count: steps,
        reverse: c.reverse,
        blockFirst,
        gx,
        packedHh,
        bHh: x.bHh,
        h: out.h,
        c: out.c,
        output: out.output,
        lengths: x.lengths,
        gh: new Float32Array(B * GH),
        hRaw: new Float32Array(B * H),
        cNew: lstm ? new Float32Array(B * H) : null,
        saved: { h: out.savedH!, c: out.savedC, cache: out.cache! },
        project: inside ? { x: xs, inputSize: I, packedIh, bIh } : null,
      });
    }
    packedHh.release();
    packedIh.release();
    return out;
  }

  for (const c of CASES) {
    test(name(c), { skip: wasm.skip }, () => {
      const backend = useBackend(wasm) as WasmBackend;
      const savedMin = backend.parallelMinFlops;
      try {
        for (const threads of [false, true]) {
          backend.parallelMinFlops = threads ? 0 : Infinity;
          for (const blockSteps of [c.T, 2]) {
            const want = run(backend, c, false, blockSteps);
            assert.ok(want.output.some((v) => v !== 0));
            assert.deepEqual(
              run(backend, c, true, blockSteps),
              want,
              `${name(c)}: blocks of ${blockSteps}, threads ${threads}`,
            );
          }
        }
      } finally {
        backend.parallelMinFlops = savedMin;
      }
    });
  }

  test('a packed W_ihᵀ of the wrong shape or released is refused', { skip: wasm.skip }, () => {
    const backend = useBackend(wasm) as WasmBackend;
    const c = CASES[0]!;
    const { B, H, T } = c;
    const GH = 4 * H;
    const packedHh = backend.packB({ k: H, n: GH, b: new Float32Array(GH * H), ldb: H, transB: true });
    const wrong = backend.packB({ k: I + 1, n: GH, b: new Float32Array(GH * (I + 1)), ldb: I + 1, transB: true });
    const args = (packedIh: typeof wrong) =>
      zeroStepsArgs({ B, H, T, G: 4 }, packedHh, {
        project: { x: new Float32Array(T * B * I), inputSize: I, packedIh, bIh: null },
      });
    assert.throws(() => backend.recurrentSteps('lstm', args(wrong)), /expected \[11, 52\]/);
    wrong.release();
    assert.throws(() => backend.recurrentSteps('lstm', args(wrong)), /released/);
    packedHh.release();
  });
});

describe('wasm layers: the input projection inside recurrentSteps changes no value', () => {
  for (const kind of ['lstm', 'gru', 'rnn'] as const) {
    test(`${kind}: output and every gradient bit-identical with and without it`, { skip: wasm.skip }, () => {
      const backend = useBackend(wasm) as WasmBackend;
      // Batch 200: blocks of 6 steps, so 13 steps make three GX blocks (the last partial).
      const [B, T, I, H] = [200, 13, 5, 12];
      const once = (inside: boolean) => {
        backend.recurrentStepsProjectRows = inside ? 1 : undefined;
        const common = { inputSize: I, hiddenSize: H, generator: new Generator(3) };
        const layer = kind === 'lstm' ? new nn.LSTM(common) : kind === 'gru' ? new nn.GRU(common) : new nn.RNN(common);
        const x = tensor(randomArray(T * B * I, 9), [T, B, I], { requiresGrad: true });
        const { output } = layer.forward(x);
        output
          .mul(tensor(randomArray(T * B * H, 10), [T, B, H]))
          .sum()
          .backward();
        return [output.data, x.grad!.data, ...layer.parameters().map((p: Tensor) => p.grad!.data)];
      };
      try {
        const want = once(false);
        assert.deepEqual(once(true), want);
      } finally {
        backend.recurrentStepsProjectRows = 1;
      }
    });
  }
});
