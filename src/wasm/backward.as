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
import { columnSums, gemm } from './gemm';

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
