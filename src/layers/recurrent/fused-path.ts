/**
 * Runs a Keras recurrent layer on the fused kernel of `nn/recurrent/fused.ts` (one autograd op
 * per sequence, forward and backward through time), when its configuration maps onto it.
 *
 * Weights: Keras stores `kernel (inputDim, G*units)` and `recurrent_kernel (units, G*units)`;
 * the kernel wants PyTorch's `W_ih (G*units, inputDim)` and `W_hh (G*units, units)`, i.e. the
 * transposes, with the gate blocks in PyTorch order (each family maps its own; see
 * `FusedWeights`). The mapping is done with differentiable ops, so gradients reach the Keras
 * weights.
 *
 * Masks: Keras skips masked steps (state and output carried over). The kernel instead takes
 * per-row lengths: rows shorter than `time` stop early, and their padded outputs are zeros. A
 * mask maps onto lengths when, in processing order (reversed for `goBackwards`), every row is
 * either
 *   - a prefix of real steps (`1 1 1 0 0`): run forward with lengths; a masked step's output is
 *     the state it carries, the row's final state;
 *   - a suffix of real steps (`0 0 1 1 1`): run the kernel's reverse direction over the
 *     time-reversed input with lengths, and reverse its outputs back; a masked step's output is
 *     the initial state (nothing has happened yet).
 * Rows with no real step, or masks with holes, take the per-step path instead.
 */
import type { CellKind } from '../../backend/backend.js';
import { ValueError } from '../../errors.js';
import { fusedRecurrentLayer } from '../../nn/recurrent/fused.js';
import { where } from '../../tensor/ops/elementwise.js';
import { Tensor } from '../../tensor/tensor.js';

/** Weights in the fused kernel's (PyTorch's) layout. */
export interface FusedWeights {
  kind: CellKind;
  /** (G*units, inputDim) */
  wIh: Tensor;
  /** (G*units, units) */
  wHh: Tensor;
  /** (G*units) or null */
  bIh: Tensor | null;
  /** (G*units) or null */
  bHh: Tensor | null;
}

/** How a mask, in processing order, maps onto the kernel's lengths. */
export type MaskLayout =
  | { kind: 'none' }
  | { kind: 'prefix'; lengths: Int32Array }
  | { kind: 'suffix'; lengths: Int32Array }
  | { kind: 'other'; reason: string };

/** Reverses dim `dim` (a differentiable copy). */
export function flip(t: Tensor, dim: number): Tensor {
  const n = t.shape[dim]!;
  return t.indexSelect(
    dim,
    Int32Array.from({ length: n }, (_, i) => n - 1 - i),
  );
}

/**
 * Classifies a `(batch, time)` 0/1 mask. `reversed`: read it in reversed time order (the
 * processing order of `goBackwards`).
 */
export function maskLayout(mask: Tensor | null, reversed: boolean): MaskLayout {
  if (!mask) return { kind: 'none' };
  const [B, T] = mask.shape as [number, number];
  const at = (b: number, s: number) => mask.data[b * T + (reversed ? T - 1 - s : s)] !== 0;
  const lengths = new Int32Array(B);
  let prefix = true;
  let suffix = true;
  let full = true;
  for (let b = 0; b < B; b++) {
    let n = 0;
    for (let s = 0; s < T; s++) if (at(b, s)) n++;
    if (n === 0) return { kind: 'other', reason: `row ${b} of the mask has no real step` };
    lengths[b] = n;
    if (n === T) continue;
    full = false;
    for (let s = 0; s < T; s++) {
      if (at(b, s) !== s < n) prefix = false;
      if (at(b, s) !== s >= T - n) suffix = false;
    }
  }
  if (full) return { kind: 'none' };
  if (prefix) return { kind: 'prefix', lengths };
  if (suffix) return { kind: 'suffix', lengths };
  return {
    kind: 'other',
    reason:
      'the mask is not a contiguous run of real steps at one end of every row (it has holes, or pads some rows on the left and others on the right)',
  };
}

export interface FusedRunArgs {
  weights: FusedWeights;
  /** (batch, time, inputDim), original time order */
  x: Tensor;
  /** Initial states, each (batch, units): [h] or [h, c]. */
  states: Tensor[];
  /** The mask's layout in processing order; must not be 'other'. */
  layout: MaskLayout;
  /** The mask (batch, time) in original order, needed for 'prefix'/'suffix'. */
  mask: Tensor | null;
  goBackwards: boolean;
  /** Whether the per-step outputs are wanted (returnSequences). */
  needSequence: boolean;
}

export interface StepResults {
  /** (batch, time, units) in processing order (reversed for goBackwards), or null when not wanted. */
  sequence: Tensor | null;
  /** Final states, each (batch, units). */
  states: Tensor[];
}

export function runFusedPath(args: FusedRunArgs): StepResults {
  const { weights, x, states, layout, mask, goBackwards, needSequence } = args;
  if (layout.kind === 'other')
    throw new ValueError('runFusedPath', `the mask cannot map onto lengths: ${layout.reason}`);
  const suffix = layout.kind === 'suffix';
  const timeMajor = x.transpose(0, 1); // (time, batch, inputDim)
  // The kernel reads `z` forward (prefix/none) or backward (suffix); see the file comment.
  const reverseInput = suffix ? !goBackwards : goBackwards;
  const z = reverseInput ? flip(timeMajor, 0) : timeMajor;
  const result = fusedRecurrentLayer({
    kind: weights.kind,
    x: z,
    h0: states[0]!,
    c0: states[1] ?? null,
    wIh: weights.wIh,
    wHh: weights.wHh,
    bIh: weights.bIh,
    bHh: weights.bHh,
    wHr: null,
    lengths: layout.kind === 'none' ? null : layout.lengths,
    reverse: suffix,
  });
  const finalStates = result.c ? [result.h, result.c] : [result.h];
  if (!needSequence) return { sequence: null, states: finalStates };
  let sequence = suffix ? flip(result.output, 0) : result.output; // (time, batch, units), processing order
  if (layout.kind !== 'none') {
    const [B, T] = mask!.shape as [number, number];
    // (time, batch, 1) mask in processing order.
    const m = new Float32Array(T * B);
    for (let s = 0; s < T; s++)
      for (let b = 0; b < B; b++) m[s * B + b] = mask!.data[b * T + (goBackwards ? T - 1 - s : s)]!;
    const fill = suffix ? states[0]! : result.h;
    sequence = where(new Tensor(m, [T, B, 1]), sequence, fill.unsqueeze(0));
  }
  return { sequence: sequence.transpose(0, 1), states: finalStates };
}
