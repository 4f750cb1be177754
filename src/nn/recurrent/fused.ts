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
 * Forward: GX = x·W_ihᵀ + b_ih for all steps in one GEMM; then per step (in reverse time order
 * for the reverse direction) GH = h·W_hhᵀ + b_hh, the cell's pointwise kernel, the optional
 * projection h = W_hr·h_raw. Rows whose sequence has ended (t >= length) keep their state and
 * output zeros, so each sequence's final state is its own last valid step, and the reverse
 * direction starts at each sequence's last valid step.
 *
 * Backward: per step in the opposite order, the cell's backward kernel gives the gradients of
 * GX and GH (stored for all steps); dh_prev = dGH·W_hh. Weight gradients are then GEMMs over all
 * steps at once: dW_ih = dGXᵀ·x, dW_hh = dGHᵀ·h_prev, dx = dGX·W_ih. Rows past their length get
 * zero gradients and pass dh/dc through unchanged.
 */
import { type CellKind, cacheWidth, gateCount, getBackend } from '../../backend/backend.js';
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

function addRowBias(buffer: Float32Array, rows: number, bias: Float32Array): void {
  const width = bias.length;
  for (let r = 0; r < rows; r++) {
    const at = r * width;
    for (let j = 0; j < width; j++) buffer[at + j]! += bias[j]!;
  }
}

function columnSums(buffer: Float32Array, rows: number, width: number): Float32Array {
  const out = new Float32Array(width);
  for (let r = 0; r < rows; r++) {
    const at = r * width;
    for (let j = 0; j < width; j++) out[j]! += buffer[at + j]!;
  }
  return out;
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

  // Input projection for every step at once.
  const gx = new Float32Array(T * B * GH);
  backend.gemm({ m: T * B, n: GH, k: I, a: x.data, lda: I, b: wIh.data, ldb: I, transB: true, c: gx, ldc: GH, beta: 0 });
  if (bIh) addRowBias(gx, T * B, bIh.data);

  const hPrevAll = new Float32Array(T * B * P);
  const cPrevAll = isLstm ? new Float32Array(T * B * H) : null;
  const hRawAll = wHr ? new Float32Array(T * B * H) : null;
  const cache = new Float32Array(T * B * CW);
  const output = new Float32Array(T * B * P);
  const h = Float32Array.from(h0.data);
  const c = isLstm ? Float32Array.from(c0!.data) : null;
  const gh = new Float32Array(B * GH);
  const hRaw = new Float32Array(B * H);
  const cNew = isLstm ? new Float32Array(B * H) : null;
  const hProj = wHr ? new Float32Array(B * P) : null;

  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    hPrevAll.set(h, t * B * P);
    if (c) cPrevAll!.set(c, t * B * H);
    backend.gemm({ m: B, n: GH, k: P, a: h, lda: P, b: wHh.data, ldb: P, transB: true, c: gh, ldc: GH, beta: 0 });
    if (bHh) addRowBias(gh, B, bHh.data);
    backend.cellForward(kind, { rows: B, hidden: H, gx, gxOffset: t * B * GH, gh, hPrev: h, cPrev: c, hOut: hRaw, cOut: cNew, cache, cacheOffset: t * B * CW });
    let hNew = hRaw;
    if (wHr) {
      hRawAll!.set(hRaw, t * B * H);
      backend.gemm({ m: B, n: P, k: H, a: hRaw, lda: H, b: wHr.data, ldb: H, transB: true, c: hProj!, ldc: P, beta: 0 });
      hNew = hProj!;
    }
    for (let b = 0; b < B; b++) {
      if (!active(t, b)) continue;
      const row = hNew.subarray(b * P, (b + 1) * P);
      h.set(row, b * P);
      output.set(row, (t * B + b) * P);
      if (c) c.set(cNew!.subarray(b * H, (b + 1) * H), b * H);
    }
  }

  const inputs: Tensor[] = [x, h0, wIh, wHh];
  if (c0) inputs.push(c0);
  if (bIh) inputs.push(bIh);
  if (bHh) inputs.push(bHh);
  if (wHr) inputs.push(wHr);
  const outputs = [
    { data: output, shape: [T, B, P] },
    { data: h, shape: [B, P] },
    ...(c ? [{ data: c, shape: [B, H] }] : []),
  ];

  const results = multiOpResult(`${kind}Layer`, inputs, outputs, (grads) => {
    const gOut = grads[0]!;
    const dhCarry = Float32Array.from(grads[1]!);
    const dcCarry = c ? Float32Array.from(grads[2]!) : null;
    const dgx = new Float32Array(T * B * GH);
    const dgh = new Float32Array(T * B * GH);
    const dhT = new Float32Array(B * P);
    const dhRaw = wHr ? new Float32Array(B * H) : dhT;
    const dc = c ? new Float32Array(B * H) : null;
    const dhDirect = new Float32Array(B * H);
    const dcPrev = c ? new Float32Array(B * H) : null;
    const dhPrev = new Float32Array(B * P);
    const dWhr = wHr ? new Float32Array(P * H) : null;

    for (let s = T - 1; s >= 0; s--) {
      const t = reverse ? T - 1 - s : s;
      for (let b = 0; b < B; b++) {
        const on = active(t, b);
        for (let j = 0; j < P; j++) dhT[b * P + j] = on ? dhCarry[b * P + j]! + gOut[(t * B + b) * P + j]! : 0;
        if (dc) for (let j = 0; j < H; j++) dc[b * H + j] = on ? dcCarry![b * H + j]! : 0;
      }
      if (wHr) {
        const hRawAt = t * B * H;
        backend.gemm({ m: P, n: H, k: B, a: dhT, lda: P, transA: true, b: hRawAll!, bOffset: hRawAt, ldb: H, c: dWhr!, ldc: H, beta: 1 });
        backend.gemm({ m: B, n: H, k: P, a: dhT, lda: P, b: wHr.data, ldb: H, c: dhRaw, ldc: H, beta: 0 });
      }
      backend.cellBackward(kind, {
        rows: B, hidden: H, dh: dhRaw, dc, cache, cacheOffset: t * B * CW,
        hPrev: hPrevAll, hPrevOffset: t * B * P, cPrev: cPrevAll, cPrevOffset: t * B * H,
        dgx, dgxOffset: t * B * GH, dgh, dghOffset: t * B * GH, dhPrev: dhDirect, dcPrev,
      });
      // dh_prev = dGH · W_hh (+ the GRU's direct path z * dh).
      backend.gemm({ m: B, n: P, k: GH, a: dgh, aOffset: t * B * GH, lda: GH, b: wHh.data, ldb: P, c: dhPrev, ldc: P, beta: 0 });
      for (let b = 0; b < B; b++) {
        if (!active(t, b)) continue;
        for (let j = 0; j < P; j++) dhCarry[b * P + j] = dhPrev[b * P + j]! + (kind === 'gru' ? dhDirect[b * H + j]! : 0);
        if (dcCarry) dcCarry.set(dcPrev!.subarray(b * H, (b + 1) * H), b * H);
      }
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
      backend.gemm({ m: GH, n: P, k: T * B, a: dgh, lda: GH, transA: true, b: hPrevAll, ldb: P, c: dWhh, ldc: P, beta: 0 });
    }
    const result: (Float32Array | null)[] = [dx, dhCarry, dWih, dWhh];
    if (c0) result.push(dcCarry);
    if (bIh) result.push(need(bIh) ? columnSums(dgx, T * B, GH) : null);
    if (bHh) result.push(need(bHh) ? columnSums(dgh, T * B, GH) : null);
    if (wHr) result.push(dWhr);
    return result;
  });

  return { output: results[0]!, h: results[1]!, c: c ? results[2]! : null };
}
