/**
 * Pointwise cell kernels (cellForward / cellBackward, all four kinds) and columnSums of every
 * available backend against the reference backend, within 1e-5 + 1e-4·|reference|, for hidden
 * sizes that are and are not multiples of the vector widths, several batch sizes, nonzero
 * offsets, and inputs that saturate the nonlinearities. Outputs outside each kernel's region are
 * checked untouched.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Backend, type CellKind, cacheWidth, gateCount } from '../src/backend/backend.js';
import { referenceBackend } from '../src/backend/reference/index.js';
import { loadNativeAddon } from '../src/backend/native/index.js';
import { assertAllClose, backendCases, randomArray, useBackend } from './backend-helpers.js';

const KINDS: CellKind[] = ['rnn_tanh', 'rnn_relu', 'lstm', 'gru'];
const HIDDEN = [1, 3, 4, 5, 8, 13, 16, 17, 33, 64];
const ROWS = [1, 2, 5];

interface Buffers {
  [name: string]: Float32Array;
}

const clone = (b: Buffers): Buffers => Object.fromEntries(Object.entries(b).map(([k, v]) => [k, v.slice()]));

function forwardCase(
  backend: Backend,
  kind: CellKind,
  rows: number,
  H: number,
  seed: number,
  scale: number,
  label: string,
): void {
  const W = gateCount(kind) * H;
  const CW = cacheWidth(kind, H);
  const gxOffset = 3 * W + 1;
  const cacheOffset = 2 * CW + 5;
  const init: Buffers = {
    gx: randomArray(gxOffset + rows * W + 4, seed, -scale, scale),
    gh: randomArray(rows * W, seed + 1, -scale, scale),
    hPrev: randomArray(rows * H, seed + 2, -1, 1),
    cPrev: randomArray(rows * H, seed + 3, -scale, scale),
    hOut: randomArray(rows * H, seed + 4),
    cOut: randomArray(rows * H, seed + 5),
    cache: randomArray(cacheOffset + rows * CW + 7, seed + 6),
  };
  const run = (be: Backend) => {
    const b = clone(init);
    be.cellForward(kind, {
      rows,
      hidden: H,
      gx: b['gx']!,
      gxOffset,
      gh: b['gh']!,
      hPrev: b['hPrev']!,
      cPrev: kind === 'lstm' ? b['cPrev']! : null,
      hOut: b['hOut']!,
      cOut: kind === 'lstm' ? b['cOut']! : null,
      cache: b['cache']!,
      cacheOffset,
    });
    return b;
  };
  const want = run(referenceBackend);
  const got = run(backend);
  for (const name of Object.keys(init))
    assertAllClose(got[name]!, want[name]!, `${label} forward ${kind} rows=${rows} H=${H} ${name}`);
}

function backwardCase(backend: Backend, kind: CellKind, rows: number, H: number, seed: number, label: string): void {
  const W = gateCount(kind) * H;
  const CW = cacheWidth(kind, H);
  const cacheOffset = CW + 3;
  const hPrevOffset = 2 * H + 1;
  const cPrevOffset = H + 2;
  const dgxOffset = W + 5;
  const dghOffset = 2 * W + 1;
  // Cache values in the ranges a forward pass produces (gates in (0,1), tanh in (-1,1)).
  const init: Buffers = {
    dh: randomArray(rows * H, seed, -2, 2),
    dc: randomArray(rows * H, seed + 1, -2, 2),
    cache: randomArray(cacheOffset + rows * CW + 2, seed + 2, kind === 'rnn_relu' ? -1 : 0.01, 0.99),
    hPrev: randomArray(hPrevOffset + rows * H + 1, seed + 3),
    cPrev: randomArray(cPrevOffset + rows * H + 1, seed + 4, -3, 3),
    dgx: randomArray(dgxOffset + rows * W + 3, seed + 5),
    dgh: randomArray(dghOffset + rows * W + 3, seed + 6),
    dhPrev: randomArray(rows * H, seed + 7),
    dcPrev: randomArray(rows * H, seed + 8),
  };
  const run = (be: Backend) => {
    const b = clone(init);
    const lstm = kind === 'lstm';
    be.cellBackward(kind, {
      rows,
      hidden: H,
      dh: b['dh']!,
      dc: lstm ? b['dc']! : null,
      cache: b['cache']!,
      cacheOffset,
      hPrev: b['hPrev']!,
      hPrevOffset,
      cPrev: lstm ? b['cPrev']! : null,
      cPrevOffset,
      dgx: b['dgx']!,
      dgxOffset,
      dgh: b['dgh']!,
      dghOffset,
      dhPrev: b['dhPrev']!,
      dcPrev: lstm ? b['dcPrev']! : null,
    });
    return b;
  };
  const want = run(referenceBackend);
  const got = run(backend);
  for (const name of Object.keys(init))
    assertAllClose(got[name]!, want[name]!, `${label} backward ${kind} rows=${rows} H=${H} ${name}`);
}

function nativeIsas(): string[] {
  try {
    return loadNativeAddon().addon.info().isas;
  } catch {
    return [];
  }
}

describe('backend cell kernels against reference', () => {
  for (const bc of backendCases()) {
    if (bc.name === 'reference') continue;
    describe(bc.name, () => {
      const variants = bc.name === 'native' && !bc.skip ? nativeIsas() : [''];
      for (const isa of variants) {
        const label = isa ? `${bc.name}/${isa}` : bc.name;
        const withIsa = (fn: (be: Backend) => void) => () => {
          const backend = useBackend(bc);
          const addon = isa ? loadNativeAddon().addon : null;
          const before = addon?.info().isa;
          if (addon) assert.equal(addon.setIsa(isa), true);
          try {
            fn(backend);
          } finally {
            if (addon && before) addon.setIsa(before);
          }
        };
        for (const kind of KINDS) {
          test(
            `${label}: ${kind} forward`,
            { skip: bc.skip },
            withIsa((backend) => {
              let seed = 1;
              for (const H of HIDDEN) for (const rows of ROWS) forwardCase(backend, kind, rows, H, seed++, 3, label);
              // Saturating inputs (exp clamping, sigmoid/tanh tails).
              for (const H of [7, 16]) forwardCase(backend, kind, 3, H, seed++, 120, `${label} saturated`);
            }),
          );
          test(
            `${label}: ${kind} backward`,
            { skip: bc.skip },
            withIsa((backend) => {
              let seed = 100;
              for (const H of HIDDEN) for (const rows of ROWS) backwardCase(backend, kind, rows, H, seed++, label);
            }),
          );
        }
        test(
          `${label}: columnSums`,
          { skip: bc.skip },
          withIsa((backend) => {
            for (const [rows, width] of [
              [1, 1],
              [3, 5],
              [17, 64],
              [200, 33],
              [1000, 130],
              [7, 1024],
            ] as const) {
              const src = randomArray(rows * width, rows + width);
              const want = new Float32Array(width + 2).fill(7);
              const got = new Float32Array(width + 2).fill(7);
              referenceBackend.columnSums(src, rows, width, want);
              backend.columnSums(src, rows, width, got);
              // Sums of `rows` terms in another order: add the float32 summation bound.
              let absMax = 0;
              for (const v of src) absMax = Math.max(absMax, Math.abs(v));
              assertAllClose(
                got,
                want,
                `${label} columnSums ${rows}x${width}`,
                1e-5 + 2 * rows * rows * 2 ** -24 * absMax,
                1e-4,
              );
              assert.equal(got[width], 7, 'columnSums wrote past its output');
            }
          }),
        );
      }
    });
  }
});
