// GEMM kernels (AssemblyScript, WebAssembly SIMD). Compiled by scripts/build-wasm.mjs, which
// also generates ./tiles (the register-tiled microkernels) and the relaxed-SIMD variant.
//
// All pointers are byte addresses in this module's memory; leading dimensions are in floats.
// The JS side (src/backend/wasm) owns memory management: it copies operands in, calls these
// functions, and copies results out.
//
// Layouts:
//   packed B (op(B) is [k, n]): for each K-block of KC rows starting at k0, for each panel of
//     NR = 8 columns: kc x 8 floats (zero padded). Block k0 starts at float k0 * panels * 8.
//   packed A (scratch): a block of mc rows x kc as tiles of MR = 4 rows, each kc x r floats.
import { tile1, tile2, tile3, tile4 } from './tiles';

export const KC: i32 = 256;
export const MC: i32 = 128;
export const NR: i32 = 8;
export const MR: i32 = 4;

/** Floats of a packed [k, n] matrix. */
export function packedFloats(k: i32, n: i32): i32 {
  return k * (((n + NR - 1) / NR) * NR);
}

/** Floats of the A-packing scratch that gemm needs. */
export function packScratchFloats(): i32 {
  return MC * KC;
}

/**
 * Packs op(B) ([k, n]; stored [n, k] when transB) at b into dst. The n columns become panels
 * firstPanel, firstPanel + 1, ... of a packed matrix with `panels` panels in all (so a wide B can
 * be packed a slice of columns at a time); with firstPanel = 0 and panels = ceil(n / 8) this is
 * the whole packed matrix (packedFloats(k, n) floats).
 */
export function packB(k: i32, n: i32, b: usize, ldb: i32, transB: i32, dst: usize, panels: i32, firstPanel: i32): void {
  for (let k0 = 0; k0 < k; k0 += KC) {
    const kc = min(KC, k - k0);
    let out = dst + ((<usize>k0 * <usize>panels * <usize>NR + <usize>(firstPanel * kc * NR)) << 2);
    for (let j0 = 0; j0 < n; j0 += NR) {
      const w = min(NR, n - j0);
      if (!transB) {
        for (let p = 0; p < kc; p++) {
          const src = b + (<usize>((k0 + p) * ldb + j0) << 2);
          const d = out + (<usize>(p * NR) << 2);
          if (w == NR) {
            v128.store(d, v128.load(src));
            v128.store(d, v128.load(src, 16), 16);
          } else {
            for (let j = 0; j < NR; j++) store<f32>(d + (<usize>j << 2), j < w ? load<f32>(src + (<usize>j << 2)) : 0);
          }
        }
      } else {
        for (let jj = 0; jj < NR; jj++) {
          const d = out + (<usize>jj << 2);
          if (jj < w) {
            const src = b + (<usize>((j0 + jj) * ldb + k0) << 2);
            for (let p = 0; p < kc; p++) store<f32>(d + (<usize>(p * NR) << 2), load<f32>(src + (<usize>p << 2)));
          } else {
            for (let p = 0; p < kc; p++) store<f32>(d + (<usize>(p * NR) << 2), 0);
          }
        }
      }
      out += <usize>(kc * NR) << 2;
    }
  }
}

// Rows [0, rows) and K-range [0, kc) of op(A) starting at `a` into tiles of MR rows.
export function packA(rows: i32, kc: i32, a: usize, lda: i32, transA: i32, dst: usize): void {
  for (let i0 = 0; i0 < rows; i0 += MR) {
    const r = min(MR, rows - i0);
    if (!transA) {
      for (let rr = 0; rr < r; rr++) {
        const src = a + (<usize>((i0 + rr) * lda) << 2);
        const d = dst + (<usize>rr << 2);
        for (let p = 0; p < kc; p++) store<f32>(d + (<usize>(p * r) << 2), load<f32>(src + (<usize>p << 2)));
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const src = a + (<usize>(p * lda + i0) << 2);
        const d = dst + (<usize>(p * r) << 2);
        for (let rr = 0; rr < r; rr++) store<f32>(d + (<usize>rr << 2), load<f32>(src + (<usize>rr << 2)));
      }
    }
    dst += <usize>(r * kc) << 2;
  }
}

/**
 * C[m, n] (row stride ldc) = [C +] op(A) · B [+ bias], B packed by packB with the same k and n.
 * op(A) is [m, k] (A stored [k, m] with row stride lda when transA). `bias` is 0 or a pointer to
 * n floats. `abuf` is scratch of packScratchFloats() floats.
 */
export function gemm(m: i32, n: i32, k: i32, a: usize, lda: i32, transA: i32, bp: usize, c: usize, ldc: i32, accumulate: i32, bias: usize, abuf: usize): void {
  gemmPanels(m, n, k, a, lda, transA, bp, c, ldc, accumulate, bias, abuf, 0, (n + NR - 1) / NR);
}

/**
 * Like gemm, but only for the columns of panels [q0, q1) (columns 8·q0 up to 8·q1 or n): the
 * same code computes every element as gemm does, so threads that each take a range of panels
 * give a bit-identical C. `c` and `bias` point at column 0, as for gemm.
 */
export function gemmPanels(m: i32, n: i32, k: i32, a: usize, lda: i32, transA: i32, bp: usize, c: usize, ldc: i32, accumulate: i32, bias: usize, abuf: usize, q0: i32, q1: i32): void {
  const panels = (n + NR - 1) / NR;
  const ldcBytes = <usize>ldc << 2;
  for (let k0 = 0; k0 < k; k0 += KC) {
    const kc = min(KC, k - k0);
    const acc = k0 > 0 || accumulate != 0 ? 1 : 0;
    const bs: usize = k0 == 0 ? bias : 0;
    const bblk = bp + (<usize>k0 * <usize>panels * <usize>NR << 2);
    for (let i0 = 0; i0 < m; i0 += MC) {
      const mc = min(MC, m - i0);
      const asrc = transA ? a + (<usize>(k0 * lda + i0) << 2) : a + (<usize>(i0 * lda + k0) << 2);
      packA(mc, kc, asrc, lda, transA, abuf);
      for (let q = q0; q < q1; q++) {
        const bpan = bblk + (<usize>(q * kc * NR) << 2);
        const jc = q * NR;
        const ncols = min(NR, n - jc);
        const bj: usize = bs ? bs + (<usize>jc << 2) : 0;
        let ap = abuf;
        let cp = c + (<usize>(i0 * ldc + jc) << 2);
        for (let ir = 0; ir < mc; ir += MR) {
          const r = mc - ir;
          if (r >= 4) tile4(kc, ap, bpan, cp, ldcBytes, ncols, acc, bj);
          else if (r == 3) tile3(kc, ap, bpan, cp, ldcBytes, ncols, acc, bj);
          else if (r == 2) tile2(kc, ap, bpan, cp, ldcBytes, ncols, acc, bj);
          else tile1(kc, ap, bpan, cp, ldcBytes, ncols, acc, bj);
          ap += <usize>(min(r, MR) * kc) << 2;
          cp += ldcBytes * MR;
        }
      }
    }
  }
}

/** out[j] (+)= sum over r < rows of src[r * width + j]; accumulates into out when `accumulate`. */
export function columnSums(src: usize, rows: i32, width: i32, out: usize, accumulate: i32): void {
  let j = 0;
  for (; j + 16 <= width; j += 16) {
    const o = out + (<usize>j << 2);
    let s0 = accumulate ? v128.load(o) : f32x4.splat(0);
    let s1 = accumulate ? v128.load(o, 16) : f32x4.splat(0);
    let s2 = accumulate ? v128.load(o, 32) : f32x4.splat(0);
    let s3 = accumulate ? v128.load(o, 48) : f32x4.splat(0);
    let p = src + (<usize>j << 2);
    const step = <usize>width << 2;
    for (let r = 0; r < rows; r++) {
      s0 = f32x4.add(s0, v128.load(p));
      s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32));
      s3 = f32x4.add(s3, v128.load(p, 48));
      p += step;
    }
    v128.store(o, s0);
    v128.store(o, s1, 16);
    v128.store(o, s2, 32);
    v128.store(o, s3, 48);
  }
  for (; j < width; j++) {
    const o = out + (<usize>j << 2);
    let s: f32 = accumulate ? load<f32>(o) : 0;
    for (let r = 0; r < rows; r++) s += load<f32>(src + (<usize>(r * width + j) << 2));
    store<f32>(o, s);
  }
}

/** Where the heap starts (the JS side manages memory above it). */
export function heapBase(): usize {
  return __heap_base;
}
