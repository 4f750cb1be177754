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
import { maskStepForward } from '../src/nn/recurrent/row-mask.js';
import { backendCases, randomArray, requireWasmThreads, useBackend } from './backend-helpers.js';

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
      const args = {
        rows: B,
        hidden: H,
        tStart: 0,
        count: T,
        reverse: false,
        blockFirst: 0,
        gx: new Float32Array(T * B * GH),
        packedHh: packed,
        bHh: null,
        h: new Float32Array(B * H),
        c: new Float32Array(B * H),
        output: new Float32Array(T * B * H),
        lengths: null,
        gh: new Float32Array(B * GH),
        hRaw: new Float32Array(B * H),
        cNew: new Float32Array(B * H),
        cache: new Float32Array(B * 5 * H),
        saved: { h: new Float32Array(T * B * H), c: new Float32Array(T * B * H), cache: new Float32Array(3) },
      };
      backend.recurrentSteps('lstm', args);
    }, /saved.cache needs elements/);
  });
});
