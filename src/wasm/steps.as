// Inference steps with the recurrent GEMM and the cell's gates fused per panel group
// (AssemblyScript, WebAssembly SIMD): a group is 8 hidden units, and its G gate panels (8
// columns each of W_hhᵀ: gate g's columns g·H + 8u … g·H + 8u + 7) sit next to each other in
// the gate-interleaved packing (packGates), so a group's gh is a small rows x G·8 block that
// stays in L1 while the gates are computed from it. Threads split the groups (stepPanels(u0,
// u1)); each packs its own copy of A = h.
//
// Every gh element is computed by the same tiles, in the same order, with the bias added at the
// same point as by gemm/gemmPanels, and the pointwise math is cellForward's: the results are the
// values of the per-step calls (gemmPacked, cellForward, row masking).
import { KC, MC, MR, NR, packA } from './gemm';
import { tile1, tile1p3, tile1p4, tile2, tile3, tile4 } from './tiles';
import { KIND_GRU, KIND_LSTM, KIND_RNN_TANH, cacheBlocksOf, gatesOf } from './kinds.generated';
import { ld, splat, st, vsigmoid, vtanh } from './cells';

/** Floats of a thread's scratch for stepPanels: A packed (MC x KC) and one group's gh (MC x 32). */
export function stepScratchFloats(): i32 {
  return MC * KC + MC * 4 * NR;
}

/** Rows of h packed at once by stepPanels for a K of P (0: P too large for the fused path). */
export function stepRowsPerBlock(P: i32): i32 {
  const rows = ((MC * KC) / max(P, 1)) & ~(MR - 1);
  return min(MC, rows);
}

/**
 * Repacks a packed W_hhᵀ (packB layout, [P, G·H]) at `src` into the gate-interleaved layout at
 * `dst`: per K-block, panel u·G + g holds columns g·H + 8u … g·H + 8u + 7 (zero padded past H).
 * `dst` has P · G · ceil(H / 8) · 8 floats.
 */
export function packGates(kind: i32, P: i32, H: i32, src: usize, dst: usize): void {
  const G = gatesOf(kind);
  const GH = G * H;
  const srcPanels = (GH + NR - 1) / NR;
  const groups = (H + NR - 1) / NR;
  const panels = groups * G;
  for (let k0 = 0; k0 < P; k0 += KC) {
    const kc = min(KC, P - k0);
    const sblk = src + ((<usize>k0 * <usize>srcPanels * <usize>NR) << 2);
    const dblk = dst + ((<usize>k0 * <usize>panels * <usize>NR) << 2);
    for (let u = 0; u < groups; u++) {
      for (let g = 0; g < G; g++) {
        const d = dblk + (<usize>((u * G + g) * kc * NR) << 2);
        for (let jj = 0; jj < NR; jj++) {
          const j = u * NR + jj;
          const col = g * H + j;
          const s = sblk + (<usize>((col / NR) * kc * NR + (col % NR)) << 2);
          for (let p = 0; p < kc; p++) {
            store<f32>(d + (<usize>(p * NR + jj) << 2), j < H ? load<f32>(s + (<usize>(p * NR) << 2)) : 0);
          }
        }
      }
    }
  }
}

/**
 * One inference step for the groups [u0, u1) of hidden units (8 each): for every row b of
 * `rows`, gh = h·W_hhᵀ + b_hh for the group's G·8 columns (`bp`: packGates layout, K = P = H,
 * `bias`: 0 or G·H floats), then the cell: new h into hNext `[rows, H]`, c `[rows, H]` updated
 * in place (LSTM), the output row `out` `[rows, H]`; rows with t >= lengths[b] (`lengths`: 0 or
 * rows i32) keep h (copied to hNext) and c and output zeros. gx is `[rows, G·H]` for this step.
 * `cache`: 0, or the step's `[rows, cacheBlocks·H]` block that cellForward writes (training; every
 * row, as cellForward). `scratch`: stepScratchFloats() floats of this thread.
 */
export function stepPanels(kind: i32, rows: i32, H: i32, h: usize, bp: usize, bias: usize, gx: usize, c: usize, hNext: usize, out: usize, lengths: usize, t: i32, u0: i32, u1: i32, cache: usize, scratch: usize): void {
  const G = gatesOf(kind);
  const P = H;
  const GH = G * H;
  const panels = ((H + NR - 1) / NR) * G;
  const mcMax = stepRowsPerBlock(P);
  const S = scratch + (<usize>(MC * KC) << 2);
  const ldsBytes = <usize>(G * NR) << 2;
  for (let i0 = 0; i0 < rows; i0 += mcMax) {
    const mc = min(mcMax, rows - i0);
    for (let k0 = 0; k0 < P; k0 += KC) {
      packA(mc, min(KC, P - k0), h + (<usize>(i0 * P + k0) << 2), P, 0, scratch + (<usize>(mc * k0) << 2));
    }
    for (let u = u0; u < u1; u++) {
      const w = min(NR, H - u * NR);
      if (mc == 1 && G >= 3) {
        // One row (batch 1): all the group's gate panels in one pass (tile1's arithmetic).
        for (let k0 = 0; k0 < P; k0 += KC) {
          const kc = min(KC, P - k0);
          const bpan = bp + (<usize>(k0 * panels * NR + u * G * kc * NR) << 2);
          const bj: usize = k0 == 0 && bias ? bias + (<usize>(u * NR) << 2) : 0;
          const ap = scratch + (<usize>k0 << 2);
          const stride = <usize>(kc * NR) << 2;
          if (G == 4) tile1p4(kc, ap, bpan, stride, S, w, k0 > 0 ? 1 : 0, bj, <usize>H << 2);
          else tile1p3(kc, ap, bpan, stride, S, w, k0 > 0 ? 1 : 0, bj, <usize>H << 2);
        }
        groupPointwise(kind, i0, mc, H, GH, u * NR, w, S, ldsBytes, gx, h, c, hNext, out, lengths, t, cache);
        continue;
      }
      for (let g = 0; g < G; g++) {
        for (let k0 = 0; k0 < P; k0 += KC) {
          const kc = min(KC, P - k0);
          const bpan = bp + (<usize>(k0 * panels * NR + (u * G + g) * kc * NR) << 2);
          const acc = k0 > 0 ? 1 : 0;
          const bj: usize = k0 == 0 && bias ? bias + (<usize>(g * H + u * NR) << 2) : 0;
          let ap = scratch + (<usize>(mc * k0) << 2);
          let cp = S + (<usize>(g * NR) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const r = mc - ir;
            if (r >= 4) tile4(kc, ap, bpan, cp, ldsBytes, w, acc, bj);
            else if (r == 3) tile3(kc, ap, bpan, cp, ldsBytes, w, acc, bj);
            else if (r == 2) tile2(kc, ap, bpan, cp, ldsBytes, w, acc, bj);
            else tile1(kc, ap, bpan, cp, ldsBytes, w, acc, bj);
            ap += <usize>(min(r, MR) * kc) << 2;
            cp += ldsBytes * MR;
          }
        }
      }
      groupPointwise(kind, i0, mc, H, GH, u * NR, w, S, ldsBytes, gx, h, c, hNext, out, lengths, t, cache);
    }
  }
}

// The cell for rows [i0, i0 + mc) and units [j0, j0 + w): gh from the group block S (row stride
// ldsBytes, gate g at float g·8), the rest as cellForward (same expressions in the same order).
// Without a cache (inference) ended rows skip the math; with one, every row computes it (cellForward
// writes every row's cache) and only the commit depends on the row's length.
function groupPointwise(kind: i32, i0: i32, mc: i32, H: i32, GH: i32, j0: i32, w: i32, S: usize, ldsBytes: usize, gx: usize, h: usize, c: usize, hNext: usize, out: usize, lengths: usize, t: i32, cache: usize): void {
  const HB = <usize>H << 2;
  const CWB = <usize>(cacheBlocksOf(kind) * H) << 2;
  for (let bl = 0; bl < mc; bl++) {
    const b = i0 + bl;
    const active = lengths == 0 || t < load<i32>(lengths + (<usize>b << 2));
    const y = S + <usize>bl * ldsBytes;
    const x = gx + (<usize>(b * GH + j0) << 2);
    const rowAt = (<usize>(b * H + j0) << 2);
    const k = cache + <usize>b * CWB + (<usize>j0 << 2);
    for (let jj = 0; jj < w; jj += 4) {
      const cnt = min(4, w - jj);
      const o4 = <usize>jj << 2;
      const at = rowAt + o4;
      if (!active && cache == 0) {
        st(hNext + at, ld(h + at, cnt), cnt);
        st(out + at, splat(0), cnt);
        continue;
      }
      let hv: v128;
      let cv = splat(0);
      if (kind == KIND_LSTM) {
        const i = vsigmoid(f32x4.add(ld(x + o4, cnt), ld(y + o4, cnt)));
        const f = vsigmoid(f32x4.add(ld(x + HB + o4, cnt), ld(y + 32 + o4, cnt)));
        const gg = vtanh(f32x4.add(ld(x + 2 * HB + o4, cnt), ld(y + 64 + o4, cnt)));
        const o = vsigmoid(f32x4.add(ld(x + 3 * HB + o4, cnt), ld(y + 96 + o4, cnt)));
        cv = f32x4.add(f32x4.mul(f, ld(c + at, cnt)), f32x4.mul(i, gg));
        const tc = vtanh(cv);
        hv = f32x4.mul(o, tc);
        if (cache != 0) {
          st(k + o4, i, cnt);
          st(k + HB + o4, f, cnt);
          st(k + 2 * HB + o4, gg, cnt);
          st(k + 3 * HB + o4, o, cnt);
          st(k + 4 * HB + o4, tc, cnt);
        }
      } else if (kind == KIND_GRU) {
        const r = vsigmoid(f32x4.add(ld(x + o4, cnt), ld(y + o4, cnt)));
        const z = vsigmoid(f32x4.add(ld(x + HB + o4, cnt), ld(y + 32 + o4, cnt)));
        const ghn = ld(y + 64 + o4, cnt);
        const n = vtanh(f32x4.add(ld(x + 2 * HB + o4, cnt), f32x4.mul(r, ghn)));
        hv = f32x4.add(f32x4.mul(f32x4.sub(splat(1.0), z), n), f32x4.mul(z, ld(h + at, cnt)));
        if (cache != 0) {
          st(k + o4, r, cnt);
          st(k + HB + o4, z, cnt);
          st(k + 2 * HB + o4, n, cnt);
          st(k + 3 * HB + o4, ghn, cnt);
        }
      } else {
        const pre = f32x4.add(ld(x + o4, cnt), ld(y + o4, cnt));
        hv = kind == KIND_RNN_TANH ? vtanh(pre) : f32x4.pmax(pre, splat(0));
        if (cache != 0) st(k + o4, hv, cnt);
      }
      if (!active) {
        st(hNext + at, ld(h + at, cnt), cnt);
        st(out + at, splat(0), cnt);
        continue;
      }
      if (kind == KIND_LSTM) st(c + at, cv, cnt);
      st(hNext + at, hv, cnt);
      st(out + at, hv, cnt);
    }
  }
}

/**
 * `count` steps of stepPanels on this thread alone, all groups, in one call (t = tStart, tStart
 * ± 1, …; step t's gx at gx + (t - blockFirst)·rows·G·H floats, its output row block likewise at
 * `out`, its cache block at `cache` when not 0). h alternates between hA (the state at the start)
 * and hB; with savedH (and savedC for LSTM) the state before step t is copied to its block there
 * first. Returns 0 when the final h is in hA, 1 when in hB.
 */
export function stepBlock(kind: i32, rows: i32, H: i32, hA: usize, hB: usize, bp: usize, bias: usize, gx: usize, c: usize, out: usize, lengths: usize, tStart: i32, count: i32, reverse: i32, blockFirst: i32, cache: usize, savedH: usize, savedC: usize, scratch: usize): i32 {
  const GH = gatesOf(kind) * H;
  const CW = cacheBlocksOf(kind) * H;
  const groups = (H + NR - 1) / NR;
  const stateBytes = <usize>(rows * H) << 2;
  let h = hA;
  let hNext = hB;
  for (let i = 0; i < count; i++) {
    const t = reverse ? tStart - i : tStart + i;
    const local = <usize>(t - blockFirst);
    if (savedH) memory.copy(savedH + local * stateBytes, h, stateBytes);
    if (savedC) memory.copy(savedC + local * stateBytes, c, stateBytes);
    const k: usize = cache ? cache + ((local * <usize>(rows * CW)) << 2) : 0;
    stepPanels(kind, rows, H, h, bp, bias, gx + ((local * <usize>(rows * GH)) << 2), c, hNext, out + local * stateBytes, lengths, t, 0, groups, k, scratch);
    const swap = h;
    h = hNext;
    hNext = swap;
  }
  return h == hA ? 0 : 1;
}
