/**
 * Row masking of one time step, forward and backward side by side (the fused layer's only
 * branch on sequence lengths). A batch row b is active at step t while `t < lengths[b]` (every
 * row when lengths is null). Forward: active rows take the step's new state and write it to the
 * output; ended rows keep their state and output zeros. Backward is that rule's gradient.
 *
 * Shapes (flat, row-major): B batch rows, P = features of h (projSize || H), H = features of c.
 *   hNew, h (B, P)   output (T, B, P)   cNew, c (B, H)
 * When every row is active the whole arrays are copied at once (the common case, no lengths).
 */

/** Whether every batch row is still inside its sequence at step t. */
export function allActive(lengths: Int32Array | null, t: number): boolean {
  if (lengths === null) return true;
  for (let b = 0; b < lengths.length; b++) if (t >= lengths[b]!) return false;
  return true;
}

/**
 * Forward: `h[b] = hNew[b]`, `output[t, b] = hNew[b]`, `c[b] = cNew[b]` for active rows b;
 * the other rows keep h and c, and their output row stays zero.
 */
export function maskStepForward(
  lengths: Int32Array | null,
  t: number,
  B: number,
  P: number,
  H: number,
  hNew: Float32Array,
  cNew: Float32Array | null,
  h: Float32Array,
  c: Float32Array | null,
  output: Float32Array,
): void {
  if (allActive(lengths, t)) {
    h.set(hNew);
    output.set(hNew, t * B * P);
    if (c) c.set(cNew!);
    return;
  }
  for (let b = 0; b < B; b++) {
    if (t >= lengths![b]!) continue;
    const row = hNew.subarray(b * P, (b + 1) * P);
    h.set(row, b * P);
    output.set(row, (t * B + b) * P);
    if (c) c.set(cNew!.subarray(b * H, (b + 1) * H), b * H);
  }
}

/**
 * Backward into the step: the gradient of the step's new state. Active rows:
 * `dhT[b] = dhCarry[b] + gOut[t, b]`, `dc[b] = dcCarry[b]`; ended rows: zeros (their state did
 * not come from this step). Returns whether every row was active (for {@link maskCarryBackward}).
 */
export function maskStepBackward(
  lengths: Int32Array | null,
  t: number,
  B: number,
  P: number,
  H: number,
  dhCarry: Float32Array,
  dcCarry: Float32Array | null,
  gOut: Float32Array,
  dhT: Float32Array,
  dc: Float32Array | null,
): boolean {
  const outAt = t * B * P;
  if (allActive(lengths, t)) {
    for (let i = 0; i < B * P; i++) dhT[i] = dhCarry[i]! + gOut[outAt + i]!;
    if (dc) dc.set(dcCarry!);
    return true;
  }
  for (let b = 0; b < B; b++) {
    const on = t < lengths![b]!;
    for (let j = 0; j < P; j++) dhT[b * P + j] = on ? dhCarry[b * P + j]! + gOut[(t * B + b) * P + j]! : 0;
    if (dc) for (let j = 0; j < H; j++) dc[b * H + j] = on ? dcCarry![b * H + j]! : 0;
  }
  return false;
}

/**
 * Backward out of the step: the gradient carried to the previous state. Active rows take the
 * step's `dhPrev` (plus `dhDirect`, the path that skips W_hh, when the family has one) and
 * `dcPrev`; ended rows pass `dhCarry`/`dcCarry` through unchanged (forward kept their state).
 */
export function maskCarryBackward(
  lengths: Int32Array | null,
  t: number,
  all: boolean,
  B: number,
  P: number,
  H: number,
  dhPrev: Float32Array,
  dhDirect: Float32Array | null,
  dcPrev: Float32Array | null,
  dhCarry: Float32Array,
  dcCarry: Float32Array | null,
): void {
  if (all) {
    if (dhDirect) for (let i = 0; i < B * P; i++) dhCarry[i] = dhPrev[i]! + dhDirect[i]!;
    else for (let i = 0; i < B * P; i++) dhCarry[i] = dhPrev[i]! + 0;
    if (dcCarry) dcCarry.set(dcPrev!);
    return;
  }
  for (let b = 0; b < B; b++) {
    if (t >= lengths![b]!) continue;
    for (let j = 0; j < P; j++) dhCarry[b * P + j] = dhPrev[b * P + j]! + (dhDirect ? dhDirect[b * H + j]! : 0);
    if (dcCarry) dcCarry.set(dcPrev!.subarray(b * H, (b + 1) * H), b * H);
  }
}
