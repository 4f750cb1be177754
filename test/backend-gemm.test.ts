/**
 * GEMM of every available backend (reference included) against a float64 GEMM.
 *
 * Tolerance per element: 1e-5 + 1e-4·|exact| + 2(k+2)·u·Σ|terms| with u = 2^-24. The last term is
 * the standard bound for summing k+2 float32 terms in any order (recursive or blocked, with or
 * without FMA); without it, two correct float32 GEMMs that add in different orders can disagree
 * by more than 1e-4 relative where the sum cancels (Σ|a·b| ≫ |Σa·b|), e.g. for k in the hundreds.
 * A wrong element (a missed or duplicated term, a wrong index) is off by about |a·b|, far above
 * the bound, so the test still catches it.
 *
 * Also checked: elements of C outside the m x n block (strides, offsets) are left untouched,
 * packed and unpacked B give the same result, and the native addon's kernel sets (AVX-512,
 * AVX2, generic) and thread splits all pass.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import type { Backend } from '../src/backend/backend.js';
import { type NativeAddon, loadNativeAddon } from '../src/backend/native/index.js';
import type { WasmBackend } from '../src/backend/wasm/index.js';
import { ATOL, RTOL, backendCases, randomArray, requireWasmThreads, useBackend } from './backend-helpers.js';

const U = 2 ** -24;

interface GemmCase {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  padA: number;
  padB: number;
  padC: number;
  aOff: number;
  bOff: number;
  cOff: number;
  beta: 0 | 1;
  bias: boolean;
  biasOff: number;
  packed: boolean;
  seed: number;
}

function runCase(backend: Backend, g: GemmCase, label: string): void {
  const { m, n, k, transA, transB, beta } = g;
  const lda = (transA ? m : k) + g.padA;
  const ldb = (transB ? k : n) + g.padB;
  const ldc = n + g.padC;
  const aRows = transA ? k : m;
  const bRows = transB ? n : k;
  const a = randomArray(g.aOff + aRows * lda + 3, g.seed);
  const b = randomArray(g.bOff + bRows * ldb + 3, g.seed + 1);
  const c0 = randomArray(g.cOff + m * ldc + 3, g.seed + 2);
  const bias = g.bias ? randomArray(g.biasOff + n + 2, g.seed + 3) : null;
  const c = c0.slice();
  const A = (i: number, p: number) => a[g.aOff + (transA ? p * lda + i : i * lda + p)]!;
  const B = (p: number, j: number) => b[g.bOff + (transB ? j * ldb + p : p * ldb + j)]!;

  if (g.packed) {
    const packed = backend.packB({ k, n, b, bOffset: g.bOff, ldb, transB });
    try {
      backend.gemmPacked({
        m,
        a,
        aOffset: g.aOff,
        lda,
        transA,
        b: packed,
        c,
        cOffset: g.cOff,
        ldc,
        beta,
        bias,
        biasOffset: g.biasOff,
      });
    } finally {
      packed.release();
    }
  } else {
    backend.gemm({
      m,
      n,
      k,
      a,
      aOffset: g.aOff,
      lda,
      transA,
      b,
      bOffset: g.bOff,
      ldb,
      transB,
      c,
      cOffset: g.cOff,
      ldc,
      beta,
      bias,
      biasOffset: g.biasOff,
    });
  }

  // op(A) as [m, k] and op(B)ᵀ as [n, k], dense, for fast float64 dot products.
  const opA = new Float64Array(m * k);
  const opBt = new Float64Array(n * k);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) opA[i * k + p] = A(i, p);
  for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) opBt[j * k + p] = B(p, j);
  const inBlock = new Uint8Array(c.length);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const at = g.cOff + i * ldc + j;
      inBlock[at] = 1;
      let sum = beta ? c0[at]! : 0;
      let abs = Math.abs(sum);
      const ai = i * k;
      const bj = j * k;
      for (let p = 0; p < k; p++) {
        const t = opA[ai + p]! * opBt[bj + p]!;
        sum += t;
        abs += Math.abs(t);
      }
      if (bias) {
        sum += bias[g.biasOff + j]!;
        abs += Math.abs(bias[g.biasOff + j]!);
      }
      const tol = ATOL + RTOL * Math.abs(sum) + 2 * (k + 2) * U * abs;
      const got = c[at]!;
      if (!(Math.abs(got - sum) <= tol)) {
        assert.fail(
          `${label}: C[${i},${j}] = ${got}, expected ${sum} (tolerance ${tol.toExponential(2)}) for ${JSON.stringify(g)}`,
        );
      }
    }
  }
  for (let at = 0; at < c.length; at++) {
    if (!inBlock[at] && !Object.is(c[at], c0[at]))
      assert.fail(`${label}: element ${at} outside C's block changed for ${JSON.stringify(g)}`);
  }
}

const gemmCase = (maxM: number, maxN: number, maxK: number) =>
  fc.record<GemmCase>({
    m: fc.integer({ min: 0, max: maxM }),
    n: fc.integer({ min: 0, max: maxN }),
    k: fc.integer({ min: 0, max: maxK }),
    transA: fc.boolean(),
    transB: fc.boolean(),
    padA: fc.integer({ min: 0, max: 3 }),
    padB: fc.integer({ min: 0, max: 3 }),
    padC: fc.integer({ min: 0, max: 3 }),
    aOff: fc.integer({ min: 0, max: 5 }),
    bOff: fc.integer({ min: 0, max: 5 }),
    cOff: fc.integer({ min: 0, max: 5 }),
    beta: fc.constantFrom<0 | 1>(0, 1),
    bias: fc.boolean(),
    biasOff: fc.integer({ min: 0, max: 3 }),
    packed: fc.boolean(),
    seed: fc.integer({ min: 1, max: 1 << 30 }),
  });

/** Shapes that cross the kernels' block sizes (K-blocks of 256, row blocks of 128, panels of 8/16/32). */
const FIXED: Partial<GemmCase>[] = [
  { m: 64, n: 1024, k: 384 },
  { m: 1, n: 256, k: 96 },
  { m: 32, n: 512, k: 192 },
  { m: 130, n: 70, k: 520 },
  { m: 257, n: 33, k: 300, transA: true },
  { m: 100, n: 300, k: 513, transB: true, packed: true },
  { m: 96, n: 40, k: 1100, transA: true, transB: true, beta: 1 },
  { m: 9, n: 1, k: 1 },
  { m: 1, n: 1, k: 700, bias: true },
];
const base: GemmCase = {
  m: 1,
  n: 1,
  k: 1,
  transA: false,
  transB: false,
  padA: 1,
  padB: 2,
  padC: 3,
  aOff: 2,
  bOff: 1,
  cOff: 3,
  beta: 0,
  bias: true,
  biasOff: 1,
  packed: false,
  seed: 7,
};

/** The native addon, when it is the backend under test (to switch kernel sets and threading). */
function nativeAddon(): NativeAddon | null {
  try {
    return loadNativeAddon().addon;
  } catch {
    return null;
  }
}

describe('backend GEMM against float64', () => {
  for (const bc of backendCases()) {
    describe(bc.name, () => {
      test('random shapes, transposes, strides, offsets, beta, bias, packed (property)', { skip: bc.skip }, () => {
        const backend = useBackend(bc);
        fc.assert(
          fc.property(gemmCase(40, 40, 300), (g) => runCase(backend, g, bc.name)),
          { numRuns: 200 },
        );
      });

      test('shapes crossing block sizes', { skip: bc.skip }, () => {
        const backend = useBackend(bc);
        let seed = 11;
        for (const f of FIXED) {
          for (const packed of [false, true])
            runCase(backend, { ...base, ...f, packed: f.packed ?? packed, seed: seed++ }, bc.name);
        }
      });

      test('packed B can be reused and released', { skip: bc.skip }, () => {
        const backend = useBackend(bc);
        const k = 37,
          n = 29,
          m = 5;
        const b = randomArray(k * n, 3);
        const packed = backend.packB({ k, n, b, ldb: n });
        assert.equal(packed.k, k);
        assert.equal(packed.n, n);
        const outs: Float32Array[] = [];
        for (let r = 0; r < 3; r++) {
          const c = new Float32Array(m * n);
          backend.gemmPacked({ m, a: randomArray(m * k, 100), lda: k, b: packed, c, ldc: n, beta: 0 });
          outs.push(c);
        }
        packed.release();
        assert.deepEqual(outs[1], outs[0]);
        assert.deepEqual(outs[2], outs[0]);
        if (bc.name !== 'reference') {
          assert.throws(
            () =>
              backend.gemmPacked({
                m,
                a: randomArray(m * k, 100),
                lda: k,
                b: packed,
                c: new Float32Array(m * n),
                ldc: n,
                beta: 0,
              }),
            /released/,
          );
        }
      });

      test('out-of-range operands throw instead of reading or writing past the array', {
        skip: bc.skip ?? (bc.name === 'reference' ? 'the reference backend does not check bounds' : undefined),
      }, () => {
        const backend = useBackend(bc);
        const a = new Float32Array(10),
          b = new Float32Array(16),
          c = new Float32Array(16);
        assert.throws(
          () => backend.gemm({ m: 4, n: 4, k: 4, a, lda: 4, b, ldb: 4, c, ldc: 4, beta: 0 }),
          /fit|needs elements/,
        );
        assert.throws(
          () => backend.gemm({ m: 4, n: 4, k: 4, a: b, lda: 4, b, ldb: 4, c: a, ldc: 4, beta: 0 }),
          /fit|needs elements/,
        );
      });
    });
  }

  describe('wasm with helper threads (every GEMM split across threads)', () => {
    const wasm = backendCases().find((c) => c.name === 'wasm')!;
    test('property and fixed shapes, and bit-identical to one thread', { skip: wasm.skip }, (t) => {
      const backend = useBackend(wasm) as WasmBackend;
      const threads = requireWasmThreads(backend, t);
      if (threads < 2) return;
      const saved = backend.parallelMinFlops;
      backend.parallelMinFlops = 0;
      try {
        fc.assert(
          fc.property(gemmCase(40, 40, 600), (g) => runCase(backend, g, 'wasm/threads')),
          { numRuns: 150 },
        );
        let seed = 700;
        for (const f of FIXED)
          runCase(backend, { ...base, ...f, packed: f.packed ?? false, seed: seed++ }, 'wasm/threads');
        // The split changes which thread computes a row, not how: results are bit-identical.
        for (const [m, n, k, transA] of [
          [64, 1024, 384, false],
          [37, 100, 70, false],
          [96, 40, 300, true],
          [9, 17, 5, false],
        ] as const) {
          const a = randomArray(m * k, seed++);
          const b = randomArray(k * n, seed++);
          const bias = randomArray(n, seed++);
          const run = (minFlops: number): Float32Array => {
            backend.parallelMinFlops = minFlops;
            const c = randomArray(m * n, 1);
            backend.gemm({ m, n, k, a, lda: transA ? m : k, transA, b, ldb: n, c, ldc: n, beta: 1, bias });
            return c;
          };
          assert.deepEqual(run(0), run(Infinity), `${m}x${n}x${k}${transA ? ' transA' : ''}: threads vs one thread`);
        }
      } finally {
        backend.parallelMinFlops = saved;
      }
    });
  });

  describe('wasm with tiny operand chunks (every chunked copy path)', () => {
    const wasm = backendCases().find((c) => c.name === 'wasm')!;
    test('property and fixed shapes with chunks of 700 floats', { skip: wasm.skip }, () => {
      const backend = useBackend(wasm) as WasmBackend;
      const saved = backend.chunkFloats;
      backend.chunkFloats = 700;
      try {
        fc.assert(
          fc.property(gemmCase(40, 40, 600), (g) => runCase(backend, g, 'wasm/chunked')),
          { numRuns: 150 },
        );
        let seed = 500;
        for (const f of FIXED)
          runCase(backend, { ...base, ...f, packed: f.packed ?? false, seed: seed++ }, 'wasm/chunked');
        const src = randomArray(300 * 37, 9);
        const got = new Float32Array(37);
        const want = new Float32Array(37);
        backend.columnSums(src, 300, 37, got);
        for (let r = 0; r < 300; r++) for (let j = 0; j < 37; j++) want[j] = want[j]! + src[r * 37 + j]!;
        for (let j = 0; j < 37; j++) assert.ok(Math.abs(got[j]! - want[j]!) <= 1e-4, `columnSums ${j}`);
      } finally {
        backend.chunkFloats = saved;
      }
    });
  });

  describe('native kernel sets and thread splits', () => {
    const addon = nativeAddon();
    const native = backendCases().find((c) => c.name === 'native')!;
    const skip = addon ? native.skip : (native.skip ?? 'native addon not loadable');
    const saved = addon?.info();
    after(() => {
      if (addon && saved) {
        addon.setIsa(saved.isa);
        addon.configure({ threads: saved.threads, parallelFlops: saved.parallelFlops });
      }
    });
    for (const isa of addon?.info().isas ?? ['avx512', 'avx2', 'generic']) {
      test(`${isa} kernels, one thread and forced thread splits`, { skip }, () => {
        const backend = useBackend(native);
        assert.equal(addon!.setIsa(isa), true);
        assert.equal(addon!.info().isa, isa);
        for (const threads of [1, 2, 3]) {
          addon!.configure({ threads, parallelFlops: threads === 1 ? 1e12 : 0 });
          fc.assert(
            fc.property(gemmCase(70, 90, 300), (g) => runCase(backend, g, `native/${isa}/${threads}T`)),
            { numRuns: 60 },
          );
          let seed = 1000;
          for (const f of FIXED)
            runCase(backend, { ...base, ...f, packed: f.packed ?? false, seed: seed++ }, `native/${isa}/${threads}T`);
        }
        addon!.configure({ threads: saved!.threads, parallelFlops: saved!.parallelFlops });
      });
    }
    test('a matrix packed for another kernel set is refused', { skip }, () => {
      const backend = useBackend(native);
      const isas = addon!.info().isas;
      if (isas.length < 2) return;
      addon!.setIsa(isas[0]!);
      const packed = backend.packB({ k: 4, n: 4, b: new Float32Array(16), ldb: 4 });
      addon!.setIsa(isas[1]!);
      assert.throws(
        () =>
          backend.gemmPacked({
            m: 1,
            a: new Float32Array(4),
            lda: 4,
            b: packed,
            c: new Float32Array(4),
            ldc: 4,
            beta: 0,
          }),
        /pack it again/,
      );
      addon!.setIsa(saved!.isa);
    });
  });
});
