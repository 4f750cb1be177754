/**
 * One recurrent layer in one direction over a whole sequence, as ONE autograd op with a
 * hand-written backward through time (as cuDNN does). The time-step driver lives here once;
 * the per-step math comes from the backend's kernels (GEMM and the cell's pointwise step).
 * Three functions, in this order below: `inferenceBlock` (no graph: nothing saved),
 * `forwardSaved` (the same steps, keeping what backward needs) and, beside it,
 * `backwardThroughTime`; `row-mask.ts` holds the length masking of a step, forward and backward.
 * The native addon mirrors their per-step loops in C++ (`recurrentSteps` for both forwards,
 * `recurrentBackward` for the backward; native/src/steps.cpp), one call per block of steps; its
 * `recurrentSteps` also computes each step's GX itself (`recurrentStepsProjectRows`), on the thread
 * that then reads it, with the same values as the block GEMM.
 * G = gate blocks of the kind (src/families.ts).
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
 * steps at once: dW_ih = dGXᵀ·x, dW_hh = dGHᵀ·h_prev, dx = dGX·W_ih (a backend with
 * `recurrentBackwardWeights` computes dW_ih and dW_hh inside its backward loop instead, per block
 * of steps, and dGX, dGH are only read here for dx). Rows past their length get
 * zero gradients and pass dh/dc through unchanged.
 *
 * Kernels: the weights used at every step (W_hhᵀ, W_hrᵀ forward; W_hh, W_hr backward; W_ih when
 * there are several projection blocks or the block kernel projects) are packed once per call
 * with backend.packB and released at the end, or kept across calls in the caller's `packing` (packing.ts); biases are added by the GEMM kernels (after the product, as before); bias gradients
 * are per step backend.columnSums of the step's rows, added up in the order the steps are
 * processed (while those rows are in cache).
 */
import { type Backend, type PackedMatrix, type RecurrentStepsArgs, getBackend } from '../../backend/backend.js';
import { CELL_KINDS, type CellKind, FAMILIES, cacheWidth } from '../../families.js';
import { GradientError } from '../../errors.js';
import { needsGrad } from '../../tensor/autograd.js';
import { multiOpResult } from '../../tensor/ops/result.js';
import type { Tensor } from '../../tensor/tensor.js';
import { swapLeadingDims } from './batch-first.js';
import { uninitializedFloats } from '../../tensor/uninitialized.js';
import type { PackedWeight, WeightPacking } from './packing.js';
import { maskCarryBackward, maskStepBackward, maskStepForward } from './row-mask.js';
import { traced } from '../../tensor/trace.js';

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
  /**
   * Packed weights kept by the caller across calls (see packing.ts); the caller releases them
   * when the weights change. Without it the weights are packed per call and freed at its end.
   */
  packing?: WeightPacking | null;
  /**
   * A `checked` WeightPacking that a module keeps for its calls that build no graph (noGrad, or
   * nothing requiring a gradient): packing a layer's weights took 5 % of an LSTM forward at
   * (32, 50, 64, 128), and between such calls they seldom change. Unused when a graph is built.
   */
  inferencePacking?: WeightPacking | null;
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

/**
 * The sizes of one call: T time, B batch, I input features, G gate blocks, H hidden, P = features
 * of h (projSize || H), GH = G·H, CW = cache floats per row and step; and where the steps read x.
 */
interface Dims {
  T: number;
  B: number;
  I: number;
  H: number;
  P: number;
  GH: number;
  CW: number;
  /** Steps per GX block. */
  blockSteps: number;
  /** The input the steps read: x's data `(T, B, I)`, or `(B, T, I)` with batchFirst. */
  x: Float32Array;
  /**
   * The block kernel reads x (when it projects) and writes the output `(B, T, P)` batch-first in
   * place (`batchFirstTime`); only in {@link recurrentInference}, with a backend that can.
   */
  batchFirst: boolean;
}

/** The sizes of a call whose x is `(T, B, I)`, or `(B, T, I)` when `batchFirst`. */
function dimsOf(args: FusedLayerArgs, batchFirst = false): Dims {
  const [s0, s1, I] = args.x.shape as [number, number, number];
  const [T, B] = batchFirst ? [s1, s0] : [s0, s1];
  const G = CELL_KINDS[args.kind].gates;
  const H = args.wHh.shape[0]! / G;
  const blockSteps = Math.max(1, Math.min(T, Math.ceil(GX_BLOCK_ROWS / Math.max(B, 1))));
  return {
    T,
    B,
    I,
    H,
    P: args.wHh.shape[1]!,
    GH: G * H,
    CW: cacheWidth(args.kind, H),
    blockSteps,
    x: args.x.data,
    batchFirst: false,
  };
}

/** The state one direction carries through time, and the per-step scratch. */
interface StepState {
  /** (T, B, P): every step's output (zeros where a row has ended). */
  output: Float32Array;
  /** (B, P), (B, H) [LSTM]: the state, updated in place. */
  h: Float32Array;
  c: Float32Array | null;
  /** Scratch of one step: GH (B, GH), the cell's h (B, H) and c (B, H), the projected h (B, P). */
  gh: Float32Array;
  hRaw: Float32Array;
  cNew: Float32Array | null;
  hProj: Float32Array | null;
}

/**
 * The state and scratch of one call. The output comes from uninitialized memory (no page faults
 * on fresh zeroed pages), zeroed only when rows may end early (lengths): every step writes every
 * active row, in inference and in the training forward alike, so without lengths every element
 * is written.
 */
function stepState(args: FusedLayerArgs, d: Dims): StepState {
  const { T, B, H, P, GH } = d;
  const hasCell = FAMILIES[CELL_KINDS[args.kind].family].hasCell;
  const output = uninitializedFloats(T * B * P);
  if (args.lengths) output.fill(0);
  return {
    output,
    h: Float32Array.from(args.h0.data),
    c: hasCell ? Float32Array.from(args.c0!.data) : null,
    gh: scratch(args, 'gh', B * GH),
    hRaw: scratch(args, 'hRaw', B * H),
    cNew: hasCell ? scratch(args, 'cNew', B * H) : null,
    hProj: args.wHr ? scratch(args, 'hProj', B * P) : null,
  };
}

/** A weight packed for this call, or taken from (and kept in) the caller's `packing`. */
function pack(
  backend: Backend,
  args: FusedLayerArgs,
  which: PackedWeight,
  source: Parameters<Backend['packB']>[0],
): PackedMatrix {
  return args.packing ? args.packing.get(backend, which, source) : backend.packB(source);
}

/**
 * The weights packed for the forward GEMMs: W_ihᵀ `[I, GH]` (only when there are several GX
 * blocks, or `projecting`: the block kernel projects the inputs), W_hhᵀ `[P, GH]`, W_hrᵀ `[H, P]`.
 * Release with {@link releaseAll}.
 */
function packForward(
  backend: Backend,
  args: FusedLayerArgs,
  d: Dims,
  projecting: boolean,
): { ih: PackedMatrix | null; hh: PackedMatrix; hr: PackedMatrix | null } {
  const { T, I, H, P, GH, blockSteps } = d;
  const ih =
    T > blockSteps || projecting
      ? pack(backend, args, 'ihT', { k: I, n: GH, b: args.wIh.data, ldb: I, transB: true })
      : null;
  const hh = pack(backend, args, 'hhT', { k: P, n: GH, b: args.wHh.data, ldb: P, transB: true });
  const hr = args.wHr ? pack(backend, args, 'hrT', { k: H, n: P, b: args.wHr.data, ldb: H, transB: true }) : null;
  return { ih, hh, hr };
}

/**
 * The large arrays of a training step, kept from one step to the next instead of allocated fresh
 * each time (page faults on first touch, zeroing and garbage collection of tens of MB per step):
 * the backward's dGX and dGH `(T, B, GH)` (26 MB apiece for an LSTM at (64, 100, 128, 256)) and
 * the forward's saved activations (h_prev, c_prev, h_raw, the cell cache: 46 MB there). An array
 * is taken out while it is in use and given back when the backward that reads it ends; at most
 * SCRATCH_KEPT arrays are kept (the most recent). Every user writes all of an array before
 * reading it, so recycled arrays need no clearing.
 */
const SCRATCH_KEPT = 16;
const backwardScratch = {
  kept: [] as Float32Array[],
  take(length: number): Float32Array {
    const k = this.kept.findIndex((b) => b.length === length);
    return k >= 0 ? this.kept.splice(k, 1)[0]! : new Float32Array(length);
  },
  give(b: Float32Array): void {
    this.kept.push(b);
    if (this.kept.length > SCRATCH_KEPT) this.kept.shift();
  },
};

/**
 * Scratch of one call without a `packing`, by name: reused by the next call asking for the same
 * name and length (calls run one at a time, and no scratch outlives its call). A fresh typed
 * array costs tens of microseconds, as much as a batch-1 layer's whole step loop.
 */
const callScratch = new Map<string, Float32Array>();

/** The gx of a block kernel that projects its inputs itself (it reads and writes no gx block). */
const NO_GX = new Float32Array(0);

/** A scratch buffer of this call (kept in the caller's `packing` for the next call, when there is one). */
function scratch(args: FusedLayerArgs, name: string, length: number): Float32Array {
  if (args.packing) return args.packing.scratch(name, length);
  let b = callScratch.get(name);
  if (!b || b.length !== length) {
    b = new Float32Array(length);
    callScratch.set(name, b);
  }
  return b;
}

/** Frees the matrices packed for this call (those kept in the caller's `packing` stay). */
function releaseAll(args: FusedLayerArgs, packed: Record<string, PackedMatrix | null>): void {
  if (args.packing) return;
  for (const p of Object.values(packed)) p?.release();
}

/**
 * GX = x·W_ihᵀ + b_ih for `steps` whole steps from time `blockFirst` into gx `(steps, B, GH)`
 * (rows are independent, so blocks give the values of one GEMM over all steps; the kernel adds
 * the bias after the product).
 */
function projectInputs(
  backend: Backend,
  args: FusedLayerArgs,
  d: Dims,
  packedIh: PackedMatrix | null,
  blockFirst: number,
  steps: number,
  gx: Float32Array,
): void {
  const { B, I, GH } = d;
  const rows = steps * B;
  const bias = args.bIh?.data ?? null;
  if (packedIh) {
    backend.gemmPacked({
      m: rows,
      a: d.x,
      aOffset: blockFirst * B * I,
      lda: I,
      b: packedIh,
      c: gx,
      ldc: GH,
      beta: 0,
      bias,
    });
  } else {
    backend.gemm({
      m: rows,
      n: GH,
      k: I,
      a: d.x,
      aOffset: blockFirst * B * I,
      lda: I,
      b: args.wIh.data,
      ldb: I,
      transB: true,
      c: gx,
      ldc: GH,
      beta: 0,
      bias,
    });
  }
}

/**
 * One step's math: GH = h·W_hhᵀ + b_hh, the cell's pointwise kernel (gates, new h and c; cache
 * at `cacheOffset`), the optional projection. Returns the new h `(B, P)` (not yet masked).
 */
function cellStep(
  backend: Backend,
  args: FusedLayerArgs,
  d: Dims,
  s: StepState,
  packedHh: PackedMatrix,
  packedHr: PackedMatrix | null,
  gx: Float32Array,
  gxOffset: number,
  cache: Float32Array,
  cacheOffset: number,
): Float32Array {
  const { B, H, P, GH } = d;
  backend.gemmPacked({ m: B, a: s.h, lda: P, b: packedHh, c: s.gh, ldc: GH, beta: 0, bias: args.bHh?.data ?? null });
  backend.cellForward(args.kind, {
    rows: B,
    hidden: H,
    gx,
    gxOffset,
    gh: s.gh,
    hPrev: s.h,
    cPrev: s.c,
    hOut: s.hRaw,
    cOut: s.cNew,
    cache,
    cacheOffset,
  });
  if (!packedHr) return s.hRaw;
  backend.gemmPacked({ m: B, a: s.hRaw, lda: H, b: packedHr, c: s.hProj!, ldc: P, beta: 0 });
  return s.hProj!;
}

/**
 * The backend's block kernel for the forward steps (`recurrentSteps`, mirroring the per-step loops
 * of {@link inferenceBlock} and {@link forwardSaved}), where it has one; not with a projection.
 * `projects`: the kernel computes each step's GX itself (a backend with `recurrentStepsProjectRows`
 * at most B), from x and the packed W_ihᵀ, instead of reading a block that {@link projectInputs}
 * wrote (the backward reads no GX, so training may use it too).
 */
function blockKernelOf(
  backend: Backend,
  args: FusedLayerArgs,
  d: Dims,
): { run: NonNullable<Backend['recurrentSteps']>; projects: boolean } | null {
  if (args.wHr || !backend.recurrentSteps) return null;
  const minRows = backend.recurrentStepsProjectRows;
  return { run: backend.recurrentSteps.bind(backend), projects: minRows !== undefined && d.B >= minRows };
}

/**
 * The block kernel's arguments for `steps` steps from the s-th processed (`first`), whose GX block
 * starts at time `blockFirst`; with `project` the kernel fills gx itself.
 */
function blockArgs(
  args: FusedLayerArgs,
  d: Dims,
  s: StepState,
  packed: { ih: PackedMatrix | null; hh: PackedMatrix },
  gx: Float32Array,
  first: number,
  steps: number,
  blockFirst: number,
  project: boolean,
): RecurrentStepsArgs {
  return {
    rows: d.B,
    hidden: d.H,
    tStart: timeAt(args.reverse, d.T, first),
    count: steps,
    reverse: args.reverse,
    blockFirst,
    gx,
    packedHh: packed.hh,
    bHh: args.bHh?.data ?? null,
    h: s.h,
    c: s.c,
    output: s.output,
    lengths: args.lengths,
    gh: s.gh,
    hRaw: s.hRaw,
    cNew: s.cNew,
    project: project ? { x: d.x, inputSize: d.I, packedIh: packed.ih!, bIh: args.bIh?.data ?? null } : null,
    ...(d.batchFirst && { batchFirstTime: d.T }),
  };
}

/** Time index of the s-th step processed (from the end when reverse). */
const timeAt = (reverse: boolean, T: number, s: number) => (reverse ? T - 1 - s : s);

/**
 * Inference (no graph): the steps with nothing kept for backward. Per GX block, a backend with a
 * block kernel (`recurrentSteps`: the native addon, mirroring this loop; not with a projection)
 * runs all its steps in one call; otherwise per step {@link cellStep} then
 * {@link maskStepForward}. The cache is one step's scratch.
 */
function inferenceBlock(backend: Backend, args: FusedLayerArgs, d: Dims): StepState {
  const { T, B, GH, CW, blockSteps } = d;
  const { kind, lengths, reverse } = args;
  const s = stepState(args, d);
  const blockKernel = blockKernelOf(backend, args, d);
  const cache = blockKernel ? null : scratch(args, 'cache', B * CW);
  const projects = blockKernel?.projects ?? false;
  const gx = projects ? NO_GX : scratch(args, 'gx', blockSteps * B * GH);
  const packed = packForward(backend, args, d, projects);
  try {
    for (let first = 0; first < T; first += blockSteps) {
      const steps = Math.min(blockSteps, T - first);
      const blockFirst = reverse ? T - first - steps : first;
      if (!projects) projectInputs(backend, args, d, packed.ih, blockFirst, steps, gx);
      if (blockKernel) {
        blockKernel.run(kind, blockArgs(args, d, s, packed, gx, first, steps, blockFirst, projects));
        continue;
      }
      for (let i = first; i < first + steps; i++) {
        const t = timeAt(reverse, T, i);
        const hNew = cellStep(backend, args, d, s, packed.hh, packed.hr, gx, (t - blockFirst) * B * GH, cache!, 0);
        maskStepForward(lengths, t, B, d.P, d.H, hNew, s.cNew, s.h, s.c, s.output);
      }
    }
  } finally {
    releaseAll(args, packed);
  }
  return s;
}

/** What the forward keeps for backward, per step t (all time-major). */
interface Saved {
  /** (T, B, P): h before step t. */
  hPrev: Float32Array;
  /** (T, B, H): c before step t, LSTM only. */
  cPrev: Float32Array | null;
  /** (T, B, H): the cell's h before the projection, only with one. */
  hRaw: Float32Array | null;
  /** (T, B, CW): the cell kernel's cache. */
  cache: Float32Array;
  /** Given back for reuse when the backward ended (a second backward through the graph is refused). */
  released: boolean;
  /** The backend whose memory holds the arrays that are resident (Backend.residentFloats). */
  owner: Backend;
}

/**
 * An array of saved activations: in the backend's own memory where it offers that (the kernels
 * then write and read it in place), else a recycled one.
 */
function savedFloats(backend: Backend, length: number): Float32Array {
  return backend.residentFloats?.(length) ?? backwardScratch.take(length);
}

/** Resident arrays of a graph dropped before its backward ran, given back when it is collected. */
const unreleasedSaved = new FinalizationRegistry<{ owner: Backend; arrays: Float32Array[] }>(({ owner, arrays }) => {
  for (const a of arrays) owner.releaseResident?.(a);
});

/** Gives the saved arrays back (resident ones to their backend), once. */
function releaseSaved(saved: Saved): void {
  for (const b of [saved.hPrev, saved.cPrev, saved.hRaw, saved.cache]) {
    if (b && !saved.owner.releaseResident?.(b)) backwardScratch.give(b);
  }
  unreleasedSaved.unregister(saved);
  saved.released = true;
}

/** Forward with saved activations: the same steps as {@link inferenceBlock}, keeping {@link Saved}. */
function forwardSaved(backend: Backend, args: FusedLayerArgs, d: Dims): { s: StepState; saved: Saved } {
  const { T, B, H, P, GH, CW, blockSteps } = d;
  const { lengths, reverse } = args;
  const s = stepState(args, d);
  const saved: Saved = {
    hPrev: savedFloats(backend, T * B * P),
    cPrev: s.c ? savedFloats(backend, T * B * H) : null,
    hRaw: args.wHr ? backwardScratch.take(T * B * H) : null,
    cache: savedFloats(backend, T * B * CW),
    released: false,
    owner: backend,
  };
  if (backend.residentFloats) {
    const arrays = [saved.hPrev, saved.cPrev, saved.cache].filter((a): a is Float32Array => a !== null);
    unreleasedSaved.register(saved, { owner: backend, arrays }, saved);
  }
  const blockKernel = blockKernelOf(backend, args, d);
  const projects = blockKernel?.projects ?? false;
  const gx = projects ? NO_GX : scratch(args, 'gx', blockSteps * B * GH);
  const packed = packForward(backend, args, d, projects);
  try {
    for (let first = 0; first < T; first += blockSteps) {
      const steps = Math.min(blockSteps, T - first);
      const blockFirst = reverse ? T - first - steps : first;
      if (!projects) projectInputs(backend, args, d, packed.ih, blockFirst, steps, gx);
      if (blockKernel) {
        blockKernel.run(args.kind, {
          ...blockArgs(args, d, s, packed, gx, first, steps, blockFirst, projects),
          saved: { h: saved.hPrev, c: saved.cPrev, cache: saved.cache },
        });
        continue;
      }
      for (let i = first; i < first + steps; i++) {
        const t = timeAt(reverse, T, i);
        saved.hPrev.set(s.h, t * B * P);
        if (s.c) saved.cPrev!.set(s.c, t * B * H);
        const hNew = cellStep(
          backend,
          args,
          d,
          s,
          packed.hh,
          packed.hr,
          gx,
          (t - blockFirst) * B * GH,
          saved.cache,
          t * B * CW,
        );
        if (saved.hRaw) saved.hRaw.set(s.hRaw, t * B * H);
        maskStepForward(lengths, t, B, P, H, hNew, s.cNew, s.h, s.c, s.output);
      }
    }
  } finally {
    releaseAll(args, packed);
  }
  return { s, saved };
}

/**
 * Backward through time. Inputs: the gradients of the outputs, gOut `(T, B, P)`, gh `(B, P)`,
 * gc `(B, H)` [LSTM]. Per step in the opposite order of the forward: {@link maskStepBackward},
 * the projection's backward (dW_hr += dhᵀ·h_raw, dh_raw = dh·W_hr), the cell's backward kernel
 * (dGX, dGH `(T, B, GH)`), dh_prev = dGH·W_hh, {@link maskCarryBackward}. Then over all steps
 * at once: dx = dGX·W_ih `(T·B, I)`, dW_ih = dGXᵀ·x `(GH, I)`, dW_hh = dGHᵀ·h_prev `(GH, P)`,
 * db_ih, db_hh = column sums of dGX, dGH. Returns the gradients in the op's input order.
 */
function backwardThroughTime(
  backend: Backend,
  args: FusedLayerArgs,
  d: Dims,
  saved: Saved,
  grads: Float32Array[],
): (Float32Array | null)[] {
  const { T, B, I, H, P, GH, CW } = d;
  const { kind, x, wIh, wHh, bIh, bHh, wHr, lengths, reverse } = args;
  if (saved.released) {
    throw new GradientError(
      `backward through a ${kind} layer a second time: its saved activations are freed by the first backward (as in PyTorch without retain_graph); run the forward again`,
    );
  }
  const gOut = grads[0]!;
  const dhCarry = Float32Array.from(grads[1]!);
  const hasCell = saved.cPrev !== null;
  const dcCarry = hasCell ? Float32Array.from(grads[2]!) : null;
  // Without a path from h_prev besides W_hh (RNN, LSTM) the gradients of the two projections are
  // equal (the cell kernels write the same values to both), so one array serves as both.
  const direct = FAMILIES[CELL_KINDS[kind].family].directHiddenPath;
  // Every element of dGX and dGH is written below (the cell kernels write with `=`, zeros for
  // ended rows), so recycled arrays need no clearing.
  const dgx = backwardScratch.take(T * B * GH);
  const dgh = direct ? backwardScratch.take(T * B * GH) : dgx;
  const dhT = new Float32Array(B * P);
  const dhRaw = wHr ? new Float32Array(B * H) : dhT;
  const dc = hasCell ? new Float32Array(B * H) : null;
  const dhDirect = new Float32Array(B * H);
  const dcPrev = hasCell ? new Float32Array(B * H) : null;
  const dhPrev = new Float32Array(B * P);
  const dWhr = wHr ? new Float32Array(P * H) : null;

  // W_hh ([GH, P]) and W_hr ([P, H]) as the B of the per-step GEMMs, prepared once.
  const packed = {
    hh: pack(backend, args, 'hh', { k: GH, n: P, b: wHh.data, ldb: P }),
    hr: wHr ? pack(backend, args, 'hr', { k: P, n: H, b: wHr.data, ldb: H }) : null,
  };
  // Bias gradients: per step, the column sums of that step's rows of dGX (dGH), added in step
  // order while the rows are in cache (one pass over all steps' rows at the end read 2·T·B·GH
  // floats back from memory). dGH's equal dGX's when the family has no direct h path.
  const need = (t: Tensor) => t.requiresGrad;
  const dbIh = bIh && need(bIh) ? new Float32Array(GH) : null;
  const dbHhOwn = bHh && need(bHh) && dgh !== dgx ? new Float32Array(GH) : null;
  const stepSums = (bIh && need(bIh)) || (bHh && need(bHh)) ? new Float32Array(GH) : null;
  const addStepSums = (db: Float32Array | null, dg: Float32Array, t: number) => {
    if (!db) return;
    backend.columnSums(dg.subarray(t * B * GH, (t + 1) * B * GH), B, GH, stepSums!);
    for (let j = 0; j < GH; j++) db[j] = db[j]! + stepSums![j]!;
  };
  // The backend's mirror of the loop below in one call, where it has one (not with a projection).
  const stepsKernel = !wHr && backend.recurrentBackward ? backend.recurrentBackward.bind(backend) : null;
  // The weight gradients from that kernel, where it computes them (from dgx, dgh while it holds
  // them); then dgx, dgh are only read here for dx, or for db_hh when it equals db_ih's sums.
  const kernelWeights = stepsKernel !== null && backend.recurrentBackwardWeights === true;
  const dWih: Float32Array | null = need(wIh) ? new Float32Array(GH * I) : null;
  const dWhh: Float32Array | null = need(wHh) ? new Float32Array(GH * P) : null;
  const dbHhFromGates = bHh !== null && need(bHh) && dgh === dgx && !dbIh;
  try {
    if (stepsKernel) {
      stepsKernel(kind, {
        rows: B,
        hidden: H,
        time: T,
        reverse,
        lengths,
        packedHh: packed.hh,
        gOut,
        dhCarry,
        dcCarry,
        saved: { h: saved.hPrev, c: saved.cPrev, cache: saved.cache },
        dgx,
        dgh,
        scratch: { dhT, dc, dhDirect, dcPrev, dhPrev },
        dbIh,
        dbHh: dbHhOwn,
        weights: kernelWeights ? { x: x.data, inputSize: I, dWih, dWhh, gatesOut: need(x) || dbHhFromGates } : null,
      });
    }
    for (let s = stepsKernel ? -1 : T - 1; s >= 0; s--) {
      const t = timeAt(reverse, T, s);
      const all = maskStepBackward(lengths, t, B, P, H, dhCarry, dcCarry, gOut, dhT, dc);
      if (packed.hr) {
        backend.gemm({
          m: P,
          n: H,
          k: B,
          a: dhT,
          lda: P,
          transA: true,
          b: saved.hRaw!,
          bOffset: t * B * H,
          ldb: H,
          c: dWhr!,
          ldc: H,
          beta: 1,
        });
        backend.gemmPacked({ m: B, a: dhT, lda: P, b: packed.hr, c: dhRaw, ldc: H, beta: 0 });
      }
      backend.cellBackward(kind, {
        rows: B,
        hidden: H,
        dh: dhRaw,
        dc,
        cache: saved.cache,
        cacheOffset: t * B * CW,
        hPrev: saved.hPrev,
        hPrevOffset: t * B * P,
        cPrev: saved.cPrev,
        cPrevOffset: t * B * H,
        dgx,
        dgxOffset: t * B * GH,
        dgh,
        dghOffset: t * B * GH,
        dhPrev: dhDirect,
        dcPrev,
      });
      // dh_prev = dGH · W_hh (+ the GRU's direct path z * dh, in maskCarryBackward).
      backend.gemmPacked({ m: B, a: dgh, aOffset: t * B * GH, lda: GH, b: packed.hh, c: dhPrev, ldc: P, beta: 0 });
      addStepSums(dbIh, dgx, t);
      addStepSums(dbHhOwn, dgh, t);
      maskCarryBackward(lengths, t, all, B, P, H, dhPrev, direct ? dhDirect : null, dcPrev, dhCarry, dcCarry);
    }
  } finally {
    releaseAll(args, packed);
  }

  let dx: Float32Array | null = null;
  if (need(x)) {
    dx = new Float32Array(T * B * I);
    backend.gemm({ m: T * B, n: I, k: GH, a: dgx, lda: GH, b: wIh.data, ldb: I, c: dx, ldc: I, beta: 0 });
  }
  if (dWih && !kernelWeights) {
    backend.gemm({ m: GH, n: I, k: T * B, a: dgx, lda: GH, transA: true, b: x.data, ldb: I, c: dWih, ldc: I, beta: 0 });
  }
  if (dWhh && !kernelWeights) {
    backend.gemm({
      m: GH,
      n: P,
      k: T * B,
      a: dgh,
      lda: GH,
      transA: true,
      b: saved.hPrev,
      ldb: P,
      c: dWhh,
      ldc: P,
      beta: 0,
    });
  }
  const result: (Float32Array | null)[] = [dx, dhCarry, dWih, dWhh];
  if (args.c0) result.push(dcCarry);
  let dbHh = dbHhOwn;
  if (bHh && need(bHh) && dgh === dgx) {
    // (dbHhFromGates: the sums read dgx below.)
    if (dbIh) {
      dbHh = Float32Array.from(dbIh);
    } else {
      dbHh = new Float32Array(GH);
      for (let s = T - 1; s >= 0; s--) addStepSums(dbHh, dgx, timeAt(reverse, T, s));
    }
  }
  if (bIh) result.push(dbIh);
  if (bHh) result.push(dbHh);
  if (wHr) result.push(dWhr);
  backwardScratch.give(dgx);
  if (dgh !== dgx) backwardScratch.give(dgh);
  releaseSaved(saved);
  return result;
}

/**
 * Inference only, for callers that hold no autograd graph (the ONNX runtime): {@link
 * inferenceBlock}'s arrays as they are, without Tensors or graph bookkeeping around them:
 * output `(T, B, P)`, h `(B, P)`, c `(B, H)` [LSTM].
 *
 * With `batchFirst`, `args.x` is `(B, T, I)` and the output comes back `(B, T, P)`, with the same
 * values. A backend with `recurrentStepsBatchFirst` reads x (when its block kernel projects; else
 * a time-major copy feeds the projection GEMMs) and writes the output in place; otherwise x is
 * copied to time-major before the steps and the output to batch-first after them. With one row
 * or one step the two layouts are the same memory, and nothing moves.
 */
export function recurrentInference(
  args: FusedLayerArgs,
  batchFirst = false,
): {
  output: Float32Array;
  h: Float32Array;
  c: Float32Array | null;
} {
  const backend = getBackend();
  const d = dimsOf(args, batchFirst);
  if (batchFirst && d.B > 1 && d.T > 1) {
    const kernel = blockKernelOf(backend, args, d);
    if (!kernel || !backend.recurrentStepsBatchFirst) {
      d.x = swapLeadingDims(args.x.data, d.B, d.T, d.I);
      const { output, h, c } = inferenceBlock(backend, args, d);
      return { output: swapLeadingDims(output, d.T, d.B, d.P), h, c };
    }
    d.batchFirst = true;
    if (!kernel.projects) d.x = swapLeadingDims(args.x.data, d.B, d.T, d.I);
  }
  const { output, h, c } = inferenceBlock(backend, args, d);
  return { output, h, c };
}

/**
 * The fused op: {@link inferenceBlock} without a graph (noGrad, or no input requiring grad),
 * else {@link forwardSaved} with {@link backwardThroughTime} as the op's backward.
 */
export const fusedRecurrentLayer = traced(
  'recurrent',
  function fusedRecurrentLayer(args: FusedLayerArgs): FusedLayerResult {
    const { kind, h0, c0, wIh, wHh, bIh, bHh, wHr } = args;
    const backend = getBackend();
    const d = dimsOf(args);
    const inputs: Tensor[] = [args.x, h0, wIh, wHh];
    if (c0) inputs.push(c0);
    if (bIh) inputs.push(bIh);
    if (bHh) inputs.push(bHh);
    if (wHr) inputs.push(wHr);
    const record = needsGrad(inputs);
    // Without a graph, the module's kept packing (when it has one and the caller gave none).
    const noGraphArgs =
      !record && !args.packing && args.inferencePacking ? { ...args, packing: args.inferencePacking } : args;
    const run = record ? forwardSaved(backend, args, d) : { s: inferenceBlock(backend, noGraphArgs, d), saved: null };
    const { output, h, c } = run.s;
    const outputs = [
      { data: output, shape: [d.T, d.B, d.P] },
      { data: h, shape: [d.B, d.P] },
      ...(c ? [{ data: c, shape: [d.B, d.H] }] : []),
    ];
    const results = multiOpResult(`${kind}Layer`, inputs, outputs, (grads) =>
      backwardThroughTime(backend, args, d, run.saved!, grads),
    );
    return { output: results[0]!, h: results[1]!, c: c ? results[2]! : null };
  },
);
