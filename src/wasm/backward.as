// The backward's per-step loop of a recurrent layer (AssemblyScript, WebAssembly SIMD), the
// mirror of backwardThroughTime's loop in src/nn/recurrent/fused.ts (RecurrentBackwardArgs):
// per step, in the opposite order of the forward, the carry from the step processed before
// (maskCarryBackward), the row masking into the step (maskStepBackward), the cell's backward
// (cellBackward), dh_prev = dGH_t · W_hh (gemm), and the bias gradients' step sums (columnSums,
// then db += sums). The same kernels in the same order as the per-step calls, so the same values.
//
// Shapes: B = rows, G·H = GH. dhCarry, dcCarry, dhT, dc, dhDirect, dcPrev, dhPrev `[B, H]`;
// per step t: gOut_t, savedH_t, savedC_t `[B, H]`, cache_t `[B, cacheBlocks·H]`, dgx_t, dgh_t
// `[B, GH]`. Block arrays hold the steps [blockFirst, blockFirst + count) in time order.
import { cacheBlocksOf, gatesOf } from './kinds.generated';
import { cellBackward } from './cells';
import { NR, columnSums, gemm, gemmPanels } from './gemm';

@inline function active(lengths: usize, t: i32, b: i32): bool {
  return lengths == 0 || t < load<i32>(lengths + (<usize>b << 2));
}

/**
 * The carry out of step `tAfter` (maskCarryBackward) for the rows its forward step updated:
 * dhCarry = dhPrev (+ dhDirect when `direct`, the GRU's path around W_hh), dcCarry = dcPrev
 * (when not 0). Rows that had ended keep their carry.
 */
export function backwardCarry(rows: i32, H: i32, tAfter: i32, lengths: usize, direct: i32, dhPrev: usize, dhDirect: usize, dcPrev: usize, dhCarry: usize, dcCarry: usize): void {
  const rowBytes = <usize>H << 2;
  for (let b = 0; b < rows; b++) {
    if (!active(lengths, tAfter, b)) continue;
    const o = <usize>b * rowBytes;
    let j = 0;
    if (direct) {
      for (; j + 4 <= H; j += 4) {
        const q = o + (<usize>j << 2);
        v128.store(dhCarry + q, f32x4.add(v128.load(dhPrev + q), v128.load(dhDirect + q)));
      }
      for (; j < H; j++) {
        const q = o + (<usize>j << 2);
        store<f32>(dhCarry + q, load<f32>(dhPrev + q) + load<f32>(dhDirect + q));
      }
    } else {
      // + 0 as the JS loop does (turns -0 into +0).
      for (; j + 4 <= H; j += 4) {
        const q = o + (<usize>j << 2);
        v128.store(dhCarry + q, f32x4.add(v128.load(dhPrev + q), f32x4.splat(0)));
      }
      for (; j < H; j++) {
        const q = o + (<usize>j << 2);
        store<f32>(dhCarry + q, load<f32>(dhPrev + q) + <f32>0);
      }
    }
    if (dcCarry) memory.copy(dcCarry + o, dcPrev + o, rowBytes);
  }
}

/**
 * One step's pointwise part: the carry out of `tAfter` first (when >= 0), the masking into step
 * t (active rows: dhT = dhCarry + gOut_t, dc = dcCarry; ended rows: zeros), then the cell's
 * backward into dgx_t, dgh_t, dhDirect and dcPrev. dc, dcCarry, dcPrev, savedC_t: 0 except LSTM.
 */
export function backwardPointwise(kind: i32, rows: i32, H: i32, t: i32, tAfter: i32, lengths: usize, gOutT: usize, dhCarry: usize, dcCarry: usize, dhT: usize, dc: usize, cacheT: usize, savedHT: usize, savedCT: usize, dgxT: usize, dghT: usize, dhDirect: usize, dcPrev: usize, dhPrev: usize): void {
  if (tAfter >= 0) backwardCarry(rows, H, tAfter, lengths, dghT != dgxT ? 1 : 0, dhPrev, dhDirect, dcPrev, dhCarry, dcCarry);
  const rowBytes = <usize>H << 2;
  for (let b = 0; b < rows; b++) {
    const o = <usize>b * rowBytes;
    if (!active(lengths, t, b)) {
      memory.fill(dhT + o, 0, rowBytes);
      if (dc) memory.fill(dc + o, 0, rowBytes);
      continue;
    }
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const q = o + (<usize>j << 2);
      v128.store(dhT + q, f32x4.add(v128.load(dhCarry + q), v128.load(gOutT + q)));
    }
    for (; j < H; j++) {
      const q = o + (<usize>j << 2);
      store<f32>(dhT + q, load<f32>(dhCarry + q) + load<f32>(gOutT + q));
    }
    if (dc) memory.copy(dc + o, dcCarry + o, rowBytes);
  }
  cellBackward(kind, rows, H, dhT, dc, cacheT, savedHT, savedCT, dgxT, dghT, dhDirect, dcPrev);
}

/**
 * The bias gradients' part of one step: db += Σ_rows dg_t for dbIh (from dgx_t) and dbHh (from
 * dgh_t), each when not 0, through `sums` (GH floats), as columnSums then an add.
 */
export function backwardBiasSums(rows: i32, GH: i32, dgxT: usize, dghT: usize, dbIh: usize, dbHh: usize, sums: usize): void {
  for (let which = 0; which < 2; which++) {
    const db = which == 0 ? dbIh : dbHh;
    if (!db) continue;
    columnSums(which == 0 ? dgxT : dghT, rows, GH, sums, 0);
    for (let j = 0; j < GH; j++) {
      const q = <usize>j << 2;
      store<f32>(db + q, load<f32>(db + q) + load<f32>(sums + q));
    }
  }
}

/**
 * `count` backward steps on this thread alone, in one call: t = tStart, tStart + dir, … (dir =
 * -1 for a forward-direction layer, +1 for a reversed one), each backwardPointwise (carrying
 * from the step before; `tAfter` is the step processed just before the block, or -1), dh_prev
 * = dgh_t · W_hh (`packedHh`: packB of W_hh, K = GH, N = H) into dhPrev, backwardBiasSums. The
 * block arrays (gOut, cache, savedH, savedC, dgx, dgh) start at step `blockFirst`. The caller
 * carries out of the last step (backwardCarry) after the last block. `abuf`: gemm scratch.
 */
export function backwardBlock(kind: i32, rows: i32, H: i32, tStart: i32, count: i32, dir: i32, blockFirst: i32, tAfter: i32, lengths: usize, gOut: usize, dhCarry: usize, dcCarry: usize, dhT: usize, dc: usize, cache: usize, savedH: usize, savedC: usize, dgx: usize, dgh: usize, dhDirect: usize, dcPrev: usize, dhPrev: usize, packedHh: usize, dbIh: usize, dbHh: usize, sums: usize, abuf: usize): void {
  const GH = gatesOf(kind) * H;
  const CW = cacheBlocksOf(kind) * H;
  const stateBytes = <usize>(rows * H) << 2;
  const gBytes = <usize>(rows * GH) << 2;
  const cBytes = <usize>(rows * CW) << 2;
  let after = tAfter;
  for (let i = 0; i < count; i++) {
    const t = tStart + i * dir;
    const local = <usize>(t - blockFirst);
    const dgxT = dgx + local * gBytes;
    const dghT = dgh + local * gBytes;
    backwardPointwise(kind, rows, H, t, after, lengths, gOut + local * stateBytes, dhCarry, dcCarry, dhT, dc, cache + local * cBytes, savedH + local * stateBytes, savedC ? savedC + local * stateBytes : 0, dgxT, dghT, dhDirect, dcPrev, dhPrev);
    gemm(rows, H, GH, dghT, GH, 0, packedHh, dhPrev, H, 0, 0, abuf);
    backwardBiasSums(rows, GH, dgxT, dghT, dbIh, dbHh, sums);
    after = t;
  }
}

/** out[j] = Σ_r src[r·width + j] for j in [j0, j1): each column summed as columnSums does (row order, f32). */
export function columnSumsRange(src: usize, rows: i32, width: i32, j0: i32, j1: i32, out: usize): void {
  const step = <usize>width << 2;
  let j = j0;
  for (; j + 4 <= j1; j += 4) {
    let s = f32x4.splat(0);
    let p = src + (<usize>j << 2);
    for (let r = 0; r < rows; r++) {
      s = f32x4.add(s, v128.load(p));
      p += step;
    }
    v128.store(out + (<usize>j << 2), s);
  }
  for (; j < j1; j++) {
    let s: f32 = 0;
    for (let r = 0; r < rows; r++) s += load<f32>(src + (<usize>(r * width + j) << 2));
    store<f32>(out + (<usize>j << 2), s);
  }
}

// The context of a threaded backward (i32 slots at `ctx`, written once per layer call by the
// caller): the layer's sizes and the byte addresses of its resident arrays.
const CX_KIND = 0, CX_ROWS = 1, CX_H = 2, CX_LENGTHS = 3, CX_DH_CARRY = 4, CX_DC_CARRY = 5, CX_DH_T = 6, CX_DC = 7;
const CX_DH_DIRECT = 8, CX_DC_PREV = 9, CX_DH_PREV = 10, CX_PACKED = 11, CX_DB_IH = 12, CX_DB_HH = 13, CX_SUMS = 14;
const CX_G_OUT = 15, CX_CACHE = 16, CX_SAVED_H = 17, CX_SAVED_C = 18, CX_DGX = 19, CX_DGH = 20, CX_FIRST = 21;

/** Slots of the context block of backwardStepPart. */
export const BACKWARD_CONTEXT_INTS: i32 = 22;

@inline function cx(ctx: usize, slot: i32): usize {
  return <usize>load<u32>(ctx + (<usize>slot << 2));
}

/** [lo, hi) of part `part` of `parts` equal shares of n items in units of `unit` (the last may be short). */
@inline function shareLo(n: i32, unit: i32, part: i32, parts: i32): i32 {
  const units = (n + unit - 1) / unit;
  return min(n, ((units * part + parts - 1) / parts) * unit);
}

/**
 * Part `part` of `parts` of one backward step t (the threads' equal shares; `ctx`: the context
 * block above). Phase 0, by rows: the carry out of `tAfter` (when >= 0), the masking and the
 * cell's backward for the part's rows. Phase 1, by columns (after every part of phase 0): dh_prev
 * = dgh_t · W_hh for the part's panels of dh_prev (gemmPanels), and the bias gradients' step sums
 * for the part's columns of G·H. Each element is computed by the same code in the same order as
 * backwardBlock does it, so any split gives the same values.
 */
export function backwardStepPart(ctx: usize, t: i32, tAfter: i32, phase: i32, part: i32, parts: i32, abuf: usize): void {
  const kind = <i32>cx(ctx, CX_KIND);
  const B = <i32>cx(ctx, CX_ROWS);
  const H = <i32>cx(ctx, CX_H);
  const GH = gatesOf(kind) * H;
  const CW = cacheBlocksOf(kind) * H;
  const local = <usize>(t - <i32>cx(ctx, CX_FIRST));
  const dgxT = cx(ctx, CX_DGX) + ((local * <usize>(B * GH)) << 2);
  const dghT = cx(ctx, CX_DGH) + ((local * <usize>(B * GH)) << 2);
  if (phase == 0) {
    const r0 = shareLo(B, 1, part, parts);
    const r1 = shareLo(B, 1, part + 1, parts);
    if (r1 <= r0) return;
    const n = r1 - r0;
    const rowH = <usize>(r0 * H) << 2;
    const lengths = cx(ctx, CX_LENGTHS);
    const len: usize = lengths ? lengths + (<usize>r0 << 2) : 0;
    const dc = cx(ctx, CX_DC);
    const dcCarry = cx(ctx, CX_DC_CARRY);
    const dcPrev = cx(ctx, CX_DC_PREV);
    const savedC = cx(ctx, CX_SAVED_C);
    const stepH = (local * <usize>(B * H)) << 2;
    backwardPointwise(
      kind, n, H, t, tAfter, len,
      cx(ctx, CX_G_OUT) + stepH + rowH,
      cx(ctx, CX_DH_CARRY) + rowH,
      dcCarry ? dcCarry + rowH : 0,
      cx(ctx, CX_DH_T) + rowH,
      dc ? dc + rowH : 0,
      cx(ctx, CX_CACHE) + ((local * <usize>(B * CW) + <usize>(r0 * CW)) << 2),
      cx(ctx, CX_SAVED_H) + stepH + rowH,
      savedC ? savedC + stepH + rowH : 0,
      dgxT + (<usize>(r0 * GH) << 2),
      dghT + (<usize>(r0 * GH) << 2),
      cx(ctx, CX_DH_DIRECT) + rowH,
      dcPrev ? dcPrev + rowH : 0,
      cx(ctx, CX_DH_PREV) + rowH,
    );
    return;
  }
  const panels = (H + NR - 1) / NR;
  const q0 = shareLo(panels, 1, part, parts);
  const q1 = shareLo(panels, 1, part + 1, parts);
  if (q1 > q0) gemmPanels(B, H, GH, dghT, GH, 0, cx(ctx, CX_PACKED), cx(ctx, CX_DH_PREV), H, 0, 0, abuf, q0, q1);
  const j0 = shareLo(GH, 4, part, parts);
  const j1 = shareLo(GH, 4, part + 1, parts);
  const sums = cx(ctx, CX_SUMS);
  for (let which = 0; which < 2; which++) {
    const db = cx(ctx, which == 0 ? CX_DB_IH : CX_DB_HH);
    if (!db) continue;
    columnSumsRange(which == 0 ? dgxT : dghT, B, GH, j0, j1, sums);
    for (let j = j0; j < j1; j++) {
      const q = <usize>j << 2;
      store<f32>(db + q, load<f32>(db + q) + load<f32>(sums + q));
    }
  }
}
