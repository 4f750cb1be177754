/**
 * One recurrent layer in one direction over a whole sequence, as ONE autograd op with a
 * hand-written backward through time (as cuDNN does). The time-step driver lives here once;
 * the per-step math comes from the backend's kernels (GEMM and the cell's pointwise step).
 *
 * Layouts (row-major, time-major):
 *   x       (time, batch, inputSize)        h0, hN  (batch, P)      c0, cN (batch, H)   [LSTM]
 *   output  (time, batch, P)                P = projSize || H
 *   W_ih    (G*H, inputSize)   W_hh (G*H, P)   b_ih, b_hh (G*H)   W_hr (P, H)  [LSTM projection]
 *
 * Forward: GX = x·W_ihᵀ + b_ih as GEMMs over blocks of whole steps (GX_BLOCK_ROWS rows at a
 * time; rows are independent, so this equals one GEMM over all steps); then per step (in reverse
 * time order for the reverse direction) GH = h·W_hhᵀ + b_hh, the cell's pointwise kernel, the
 * optional projection h = W_hr·h_raw. Rows whose sequence has ended (t >= length) keep their
 * state and output zeros, so each sequence's final state is its own last valid step, and the
 * reverse direction starts at each sequence's last valid step. Without a graph (noGrad or no
 * input requiring grad) nothing is stored for backward.
 *
 * Backward: per step in the opposite order, the cell's backward kernel gives the gradients of
 * GX and GH (stored for all steps); dh_prev = dGH·W_hh. Weight gradients are then GEMMs over all
 * steps at once: dW_ih = dGXᵀ·x, dW_hh = dGHᵀ·h_prev, dx = dGX·W_ih. Rows past their length get
 * zero gradients and pass dh/dc through unchanged.
 *
 * Kernels: the weights used at every step (W_hhᵀ, W_hrᵀ forward; W_hh, W_hr backward; W_ih when
 * there are several projection blocks) are packed once per call with backend.packB and released
 * at the end; biases are added by the GEMM kernels (after the product, as before); bias gradients
 * are backend.columnSums. With the reference backend every value is bit-for-bit what the plain
 * loops gave (same operations in the same order).
 */
import { type CellKind, cacheWidth, gateCount, getBackend } from '../../backend/backend.js';
import { needsGrad } from '../../tensor/autograd.js';
import { multiOpResult } from '../../tensor/ops/result.js';
import type { Tensor } from '../../tensor/tensor.js';

export interface FusedLayerArgs {
  kind: CellKind;
  /** (time, batch, inputSize) */
  x: Tensor;
  /** (batch, P) */
  h0: Tensor;
  /** (batch, H), LSTM only */
  c0: Tensor | null;
  wIh: Tensor;
  wHh: Tensor;
  bIh: Tensor | null;
  bHh: Tensor | null;
  wHr: Tensor | null;
  /** Valid steps per batch row, or null when all rows use every step. */
  lengths: Int32Array | null;
  /** Process time from last to first (the reverse direction of a bidirectional layer). */
  reverse: boolean;
}

export interface FusedLayerResult {
  /** (time, batch, P) */
  output: Tensor;
  /** (batch, P) */
  h: Tensor;
  /** (batch, H), LSTM only */
  c: Tensor | null;
}

/** Rows of the input projection computed per GEMM (a block of whole time steps). */
const GX_BLOCK_ROWS = 1024;

/** Whether every batch row is still inside its sequence at step t. */
function allActive(lengths: Int32Array | null, t: number): boolean {
  if (lengths === null) return true;
  for (let b = 0; b < lengths.length; b++) if (t >= lengths[b]!) return false;
  return true;
}

export function fusedRecurrentLayer(args: FusedLayerArgs): FusedLayerResult {
  const { kind, x, h0, c0, wIh, wHh, bIh, bHh, wHr, lengths, reverse } = args;
  const backend = getBackend();
  const [T, B, I] = x.shape as [number, number, number];
  const G = gateCount(kind);
  const H = wHh.shape[0]! / G;
  const P = wHh.shape[1]!;
  const GH = G * H;
  const CW = cacheWidth(kind, H);
  const isLstm = kind === 'lstm';
  const active = (t: number, b: number) => lengths === null || t < lengths[b]!;

  const inputs: Tensor[] = [x, h0, wIh, wHh];
  if (c0) inputs.push(c0);
  if (bIh) inputs.push(bIh);
  if (bHh) inputs.push(bHh);
  if (wHr) inputs.push(wHr);
  // Without a graph (inference, noGrad) nothing is kept for backward: the cache is one step's
  // scratch and the per-step history is not stored.
  const record = needsGrad(inputs);

  // Input projection GX = x·W_ihᵀ + b_ih, computed for a block of steps at a time (rows are
  // independent, so the values are the same as one GEMM over all steps) to keep it small and
  // in cache. The kernel adds the bias after the product.
  const blockSteps = Math.max(1, Math.min(T, Math.ceil(GX_BLOCK_ROWS / Math.max(B, 1))));
  const gx = new Float32Array(blockSteps * B * GH);
  const packedIh = T > blockSteps ? backend.packB({ k: I, n: GH, b: wIh.data, ldb: I, transB: true }) : null;
  let blockFirst = 0; // first time index of the block in gx

  const hPrevAll = record ? new Float32Array(T * B * P) : null;
  const cPrevAll = isLstm && record ? new Float32Array(T * B * H) : null;
  const hRawAll = wHr && record ? new Float32Array(T * B * H) : null;
  const cache = new Float32Array((record ? T : 1) * B * CW);
  const output = new Float32Array(T * B * P);
  const h = Float32Array.from(h0.data);
  const c = isLstm ? Float32Array.from(c0!.data) : null;
  const gh = new Float32Array(B * GH);
  const hRaw = new Float32Array(B * H);
  const cNew = isLstm ? new Float32Array(B * H) : null;
  const hProj = wHr ? new Float32Array(B * P) : null;

  // The recurrent weights, prepared once for the per-step GEMMs (W_hhᵀ: [P, GH]; W_hrᵀ: [H, P]).
  const packedHh = backend.packB({ k: P, n: GH, b: wHh.data, ldb: P, transB: true });
  const packedHr = wHr ? backend.packB({ k: H, n: P, b: wHr.data, ldb: H, transB: true }) : null;
  const bHhData = bHh?.data ?? null;
  const bIhData = bIh?.data ?? null;
  // Inference without a projection: backends that can run a whole block of steps in one call do
  // (the native addon; it gives exactly the per-step results).
  const blockKernel = !record && !wHr && backend.recurrentSteps ? backend.recurrentSteps.bind(backend) : null;
  try {
    for (let s = 0; s < T; s++) {
      const t = reverse ? T - 1 - s : s;
      if (s % blockSteps === 0) {
        const steps = Math.min(blockSteps, T - s);
        blockFirst = reverse ? T - s - steps : s;
        const rows = steps * B;
        if (packedIh) {
          backend.gemmPacked({ m: rows, a: x.data, aOffset: blockFirst * B * I, lda: I, b: packedIh, c: gx, ldc: GH, beta: 0, bias: bIhData });
        } else {
          backend.gemm({ m: rows, n: GH, k: I, a: x.data, aOffset: blockFirst * B * I, lda: I, b: wIh.data, ldb: I, transB: true, c: gx, ldc: GH, beta: 0, bias: bIhData });
        }
        if (blockKernel) {
          blockKernel(kind, { rows: B, hidden: H, tStart: t, count: steps, reverse, blockFirst, gx, packedHh, bHh: bHhData, h, c, output, lengths, gh, hRaw, cNew, cache });
          s += steps - 1;
          continue;
        }
      }
      if (record) {
        hPrevAll!.set(h, t * B * P);
        if (c) cPrevAll!.set(c, t * B * H);
      }
      backend.gemmPacked({ m: B, a: h, lda: P, b: packedHh, c: gh, ldc: GH, beta: 0, bias: bHhData });
      backend.cellForward(kind, { rows: B, hidden: H, gx, gxOffset: (t - blockFirst) * B * GH, gh, hPrev: h, cPrev: c, hOut: hRaw, cOut: cNew, cache, cacheOffset: record ? t * B * CW : 0 });
      let hNew = hRaw;
      if (packedHr) {
        if (record) hRawAll!.set(hRaw, t * B * H);
        backend.gemmPacked({ m: B, a: hRaw, lda: H, b: packedHr, c: hProj!, ldc: P, beta: 0 });
        hNew = hProj!;
      }
      if (allActive(lengths, t)) {
        h.set(hNew);
        output.set(hNew, t * B * P);
        if (c) c.set(cNew!);
        continue;
      }
      for (let b = 0; b < B; b++) {
        if (!active(t, b)) continue;
        const row = hNew.subarray(b * P, (b + 1) * P);
        h.set(row, b * P);
        output.set(row, (t * B + b) * P);
        if (c) c.set(cNew!.subarray(b * H, (b + 1) * H), b * H);
      }
    }
  } finally {
    packedIh?.release();
    packedHh.release();
    packedHr?.release();
  }

  const outputs = [
    { data: output, shape: [T, B, P] },
    { data: h, shape: [B, P] },
    ...(c ? [{ data: c, shape: [B, H] }] : []),
  ];

  const results = multiOpResult(`${kind}Layer`, inputs, outputs, (grads) => {
    const gOut = grads[0]!;
    const dhCarry = Float32Array.from(grads[1]!);
    const dcCarry = c ? Float32Array.from(grads[2]!) : null;
    // For RNN and LSTM the gradients of the two projections are equal (the cell kernels write
    // the same values to both), so one array serves as both; only GRU's differ (the n gate).
    const dgx = new Float32Array(T * B * GH);
    const dgh = kind === 'gru' ? new Float32Array(T * B * GH) : dgx;
    const dhT = new Float32Array(B * P);
    const dhRaw = wHr ? new Float32Array(B * H) : dhT;
    const dc = c ? new Float32Array(B * H) : null;
    const dhDirect = new Float32Array(B * H);
    const dcPrev = c ? new Float32Array(B * H) : null;
    const dhPrev = new Float32Array(B * P);
    const dWhr = wHr ? new Float32Array(P * H) : null;
    const isGru = kind === 'gru';

    // W_hh ([GH, P]) and W_hr ([P, H]) as the B of the per-step GEMMs, prepared once.
    const packedHhN = backend.packB({ k: GH, n: P, b: wHh.data, ldb: P });
    const packedHrN = wHr ? backend.packB({ k: P, n: H, b: wHr.data, ldb: H }) : null;
    try {
      for (let s = T - 1; s >= 0; s--) {
        const t = reverse ? T - 1 - s : s;
        const all = allActive(lengths, t);
        const outAt = t * B * P;
        if (all) {
          for (let i = 0; i < B * P; i++) dhT[i] = dhCarry[i]! + gOut[outAt + i]!;
          if (dc) dc.set(dcCarry!);
        } else {
          for (let b = 0; b < B; b++) {
            const on = active(t, b);
            for (let j = 0; j < P; j++) dhT[b * P + j] = on ? dhCarry[b * P + j]! + gOut[(t * B + b) * P + j]! : 0;
            if (dc) for (let j = 0; j < H; j++) dc[b * H + j] = on ? dcCarry![b * H + j]! : 0;
          }
        }
        if (packedHrN) {
          const hRawAt = t * B * H;
          backend.gemm({ m: P, n: H, k: B, a: dhT, lda: P, transA: true, b: hRawAll!, bOffset: hRawAt, ldb: H, c: dWhr!, ldc: H, beta: 1 });
          backend.gemmPacked({ m: B, a: dhT, lda: P, b: packedHrN, c: dhRaw, ldc: H, beta: 0 });
        }
        backend.cellBackward(kind, {
          rows: B, hidden: H, dh: dhRaw, dc, cache, cacheOffset: t * B * CW,
          hPrev: hPrevAll!, hPrevOffset: t * B * P, cPrev: cPrevAll, cPrevOffset: t * B * H,
          dgx, dgxOffset: t * B * GH, dgh, dghOffset: t * B * GH, dhPrev: dhDirect, dcPrev,
        });
        // dh_prev = dGH · W_hh (+ the GRU's direct path z * dh).
        backend.gemmPacked({ m: B, a: dgh, aOffset: t * B * GH, lda: GH, b: packedHhN, c: dhPrev, ldc: P, beta: 0 });
        if (all) {
          if (isGru) for (let i = 0; i < B * P; i++) dhCarry[i] = dhPrev[i]! + dhDirect[i]!;
          else for (let i = 0; i < B * P; i++) dhCarry[i] = dhPrev[i]! + 0;
          if (dcCarry) dcCarry.set(dcPrev!);
          continue;
        }
        for (let b = 0; b < B; b++) {
          if (!active(t, b)) continue;
          for (let j = 0; j < P; j++) dhCarry[b * P + j] = dhPrev[b * P + j]! + (isGru ? dhDirect[b * H + j]! : 0);
          if (dcCarry) dcCarry.set(dcPrev!.subarray(b * H, (b + 1) * H), b * H);
        }
      }
    } finally {
      packedHhN.release();
      packedHrN?.release();
    }

    const need = (t: Tensor) => t.requiresGrad;
    let dx: Float32Array | null = null;
    if (need(x)) {
      dx = new Float32Array(T * B * I);
      backend.gemm({ m: T * B, n: I, k: GH, a: dgx, lda: GH, b: wIh.data, ldb: I, c: dx, ldc: I, beta: 0 });
    }
    let dWih: Float32Array | null = null;
    if (need(wIh)) {
      dWih = new Float32Array(GH * I);
      backend.gemm({ m: GH, n: I, k: T * B, a: dgx, lda: GH, transA: true, b: x.data, ldb: I, c: dWih, ldc: I, beta: 0 });
    }
    let dWhh: Float32Array | null = null;
    if (need(wHh)) {
      dWhh = new Float32Array(GH * P);
      backend.gemm({ m: GH, n: P, k: T * B, a: dgh, lda: GH, transA: true, b: hPrevAll!, ldb: P, c: dWhh, ldc: P, beta: 0 });
    }
    const result: (Float32Array | null)[] = [dx, dhCarry, dWih, dWhh];
    if (c0) result.push(dcCarry);
    const columnSums = (src: Float32Array) => {
      const out = new Float32Array(GH);
      backend.columnSums(src, T * B, GH, out);
      return out;
    };
    const dbIh = bIh && need(bIh) ? columnSums(dgx) : null;
    const dbHh = bHh && need(bHh) ? (dgh === dgx && dbIh ? Float32Array.from(dbIh) : columnSums(dgh)) : null;
    if (bIh) result.push(dbIh);
    if (bHh) result.push(dbHh);
    if (wHr) result.push(dWhr);
    return result;
  });

  return { output: results[0]!, h: results[1]!, c: c ? results[2]! : null };
}
