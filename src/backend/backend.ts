/**
 * The kernel interface. Everything heavy (GEMM, the pointwise part of each recurrent cell step)
 * goes through a Backend, so faster implementations (wasm, native) can replace the plain
 * TypeScript `reference` one without touching the layers. The time-step driver is written once
 * in `nn/recurrent/fused.ts` and calls these kernels.
 *
 * Backends register themselves by name (`registerBackend`); `setBackend` picks one, and
 * `getBackend` picks one on first use from `RECURRENT_BACKEND` (else `'auto'`: native, then wasm,
 * then reference). A backend that cannot run here (addon not built, no WebAssembly SIMD) says why:
 * its factory throws, `setBackend('auto')` skips it, and forcing it throws a ValueError with the
 * reason.
 */
import { ValueError } from '../errors.js';
import type { CellKind } from '../families.js';

// The kernel kinds, their gate counts and cache widths are the cell-family table's.
export { type CellKind, cacheWidth, gateCount } from '../families.js';

/**
 * `C = beta * C + op(A) · op(B) (+ bias)`, row-major. `op(A)` is `[m, k]`, `op(B)` is `[k, n]`,
 * C is `[m, n]`. With `transA`, A is stored `[k, m]`; with `transB`, B is stored `[n, k]`.
 * `lda`/`ldb`/`ldc` are row strides of the stored matrices, and the offsets say where each
 * matrix starts. `bias` (length `n`, at `biasOffset`) is added to every row of C after the
 * product (the reference adds it after the sum, as a separate rounding).
 */
export interface GemmArgs {
  m: number;
  n: number;
  k: number;
  a: Float32Array;
  aOffset?: number;
  lda: number;
  transA?: boolean;
  b: Float32Array;
  bOffset?: number;
  ldb: number;
  transB?: boolean;
  c: Float32Array;
  cOffset?: number;
  ldc: number;
  /** 0 overwrites C, 1 accumulates into it. */
  beta: 0 | 1;
  bias?: Float32Array | null;
  biasOffset?: number;
}

/**
 * `op(B)` (`[k, n]`) prepared once in the backend's preferred layout (panels for the SIMD
 * kernels), to be used by many `gemmPacked` calls, e.g. a recurrent weight at every time step.
 * `release()` frees backend memory at once (wasm); afterwards the matrix must not be used.
 * The packed copy does not follow later changes of the source array.
 */
export interface PackedMatrix {
  readonly k: number;
  readonly n: number;
  release(): void;
}

/** Source of a {@link PackedMatrix}: `op(B)` is `[k, n]`; stored `[n, k]` when `transB`. */
export interface PackArgs {
  k: number;
  n: number;
  b: Float32Array;
  bOffset?: number;
  ldb: number;
  transB?: boolean;
}

/** `C = beta * C + op(A) · B (+ bias)` with B prepacked (`k`, `n` come from it). */
export interface GemmPackedArgs {
  m: number;
  a: Float32Array;
  aOffset?: number;
  lda: number;
  transA?: boolean;
  b: PackedMatrix;
  c: Float32Array;
  cOffset?: number;
  ldc: number;
  beta: 0 | 1;
  bias?: Float32Array | null;
  biasOffset?: number;
}

/**
 * One time step of a cell's pointwise math for `rows` batch rows. Layouts (row-major):
 * - `gx` `[rows, gates*hidden]`: input projection `W_ih x + b_ih` (read at `gxOffset`);
 * - `gh` `[rows, gates*hidden]`: recurrent projection `W_hh h + b_hh`;
 * - `hPrev` `[rows, hidden]` (GRU only; the others ignore it), `cPrev`/`cOut` `[rows, hidden]` (LSTM only);
 * - `hOut` `[rows, hidden]`: the new hidden state before any LSTM projection;
 * - `cache` `[rows, cacheWidth(kind, hidden)]` (at `cacheOffset`): what backward needs.
 */
export interface CellForwardArgs {
  rows: number;
  hidden: number;
  gx: Float32Array;
  gxOffset: number;
  gh: Float32Array;
  hPrev: Float32Array;
  cPrev: Float32Array | null;
  hOut: Float32Array;
  cOut: Float32Array | null;
  cache: Float32Array;
  cacheOffset: number;
}

/**
 * The backward of one step. Inputs: `dh` `[rows, hidden]` (gradient of hOut), `dc`
 * `[rows, hidden]` (gradient of cOut, LSTM only), the step's `cache`, `hPrev` and `cPrev`.
 * Outputs (all written with `=`): `dgx` `[rows, gates*hidden]` at `dgxOffset` and `dgh`
 * `[rows, gates*hidden]` at `dghOffset` (gradients of the two projections), `dhPrev`
 * `[rows, hidden]` (the direct path from hPrev, not through W_hh; zeros except for GRU) and
 * `dcPrev` `[rows, hidden]` (LSTM only). For RNN and LSTM the values written to dgx and dgh are
 * equal, and the driver may pass the same array and offset for both (kernels must allow it).
 */
export interface CellBackwardArgs {
  rows: number;
  hidden: number;
  dh: Float32Array;
  dc: Float32Array | null;
  cache: Float32Array;
  cacheOffset: number;
  hPrev: Float32Array;
  hPrevOffset: number;
  cPrev: Float32Array | null;
  cPrevOffset: number;
  dgx: Float32Array;
  dgxOffset: number;
  dgh: Float32Array;
  dghOffset: number;
  dhPrev: Float32Array;
  dcPrev: Float32Array | null;
}

/**
 * A block of recurrent steps in one call (no LSTM projection, so P = hidden): `count` steps
 * t = tStart, tStart ± 1, … (minus when `reverse`). For each: `gh = h · W_hhᵀ + b_hh` with
 * `packedHh` = W_hhᵀ packed (`[hidden, G·hidden]`), the cell's pointwise step from `gx`
 * (`[steps of the block, rows, G·hidden]`, step t at `(t - blockFirst)·rows·G·hidden`) and `gh`,
 * then every row with `t < lengths[row]` (all rows when lengths is null) copies its new state
 * into `h` (`[rows, hidden]`), `c` (LSTM) and `output[t]` (`[time, rows, hidden]`). `gh`, `hRaw`
 * and `cNew` are scratch of one step. With `saved` (training), before step t the state goes to
 * `saved.h`/`saved.c` (`[time, rows, hidden]`) and the cell's cache to `saved.cache`
 * (`[time, rows, cacheWidth]`). It must give exactly what the per-step calls (gemmPacked,
 * cellForward, the copies) give: it mirrors the per-step loops of `inferenceBlock` and
 * `forwardSaved` in nn/recurrent/fused.ts (cellStep, then maskStepForward).
 */
export interface RecurrentStepsArgs {
  rows: number;
  hidden: number;
  tStart: number;
  count: number;
  reverse: boolean;
  blockFirst: number;
  gx: Float32Array;
  packedHh: PackedMatrix;
  bHh: Float32Array | null;
  h: Float32Array;
  c: Float32Array | null;
  output: Float32Array;
  lengths: Int32Array | null;
  gh: Float32Array;
  hRaw: Float32Array;
  cNew: Float32Array | null;
  saved?: { h: Float32Array; c: Float32Array | null; cache: Float32Array } | null;
  /**
   * Only for a backend with `recurrentStepsProjectRows`: the kernel computes gx itself,
   * `x_t · W_ihᵀ + b_ih`, from `x` (`[time, rows, inputSize]`), `packedIh` = W_ihᵀ packed
   * (`[inputSize, G·hidden]`) and `bIh` (`[G·hidden]` or null): the same values as one projection
   * GEMM over the block, computed where they are then read (native: each step its own, in that
   * core's cache; wasm: the whole block at once in its memory). `gx` is then neither read nor
   * written, and may be empty.
   */
  project?: { x: Float32Array; inputSize: number; packedIh: PackedMatrix; bIh: Float32Array | null } | null;
  /**
   * Only for a backend with `recurrentStepsBatchFirst`: the sequence's length `time` when `output`
   * is batch-first, `[rows, time, hidden]` (and `project.x` `[rows, time, inputSize]`), instead of
   * time-major: the same values, read and written in place. Absent or 0: time-major.
   */
  batchFirstTime?: number;
}

/**
 * The backward's per-step loop in one call (no LSTM projection, so P = hidden): for every step
 * in the opposite order of the forward (`reverse` is the forward's direction) over `time` steps,
 * `maskStepBackward`, the cell's backward kernel into `dgx`/`dgh` at t (`[time, rows, G·hidden]`;
 * `dgh` may be `dgx` itself for families without a direct h path), `dhPrev = dgh_t · W_hh` with
 * `packedHh` = W_hh packed (`[G·hidden, hidden]`), then `maskCarryBackward`. `dhCarry`/`dcCarry`
 * (`[rows, hidden]`) come in as the gradients of the final state and leave as those of the initial
 * state. `gOut` is the gradient of the output (`[time, rows, hidden]`); `saved` what the forward
 * kept. `scratch` holds five `[rows, hidden]` arrays (dc and dcPrev null except for LSTM).
 * `dbIh`/`dbHh` (`[G·hidden]`, or null): bias gradients, to which each step adds the column sums
 * of its rows of dgx (dgh), in the order the steps are processed. It must give exactly what the
 * per-step calls give: it mirrors `backwardThroughTime`'s loop in nn/recurrent/fused.ts.
 */
export interface RecurrentBackwardArgs {
  rows: number;
  hidden: number;
  time: number;
  reverse: boolean;
  lengths: Int32Array | null;
  packedHh: PackedMatrix;
  gOut: Float32Array;
  dhCarry: Float32Array;
  dcCarry: Float32Array | null;
  saved: { h: Float32Array; c: Float32Array | null; cache: Float32Array };
  dgx: Float32Array;
  dgh: Float32Array;
  scratch: {
    dhT: Float32Array;
    dc: Float32Array | null;
    dhDirect: Float32Array;
    dcPrev: Float32Array | null;
    dhPrev: Float32Array;
  };
  dbIh: Float32Array | null;
  dbHh: Float32Array | null;
  /**
   * Only for a backend with `recurrentBackwardWeights`: the weight gradients, computed by the
   * kernel from each block of steps' dgx/dgh while they are in its memory, instead of by the
   * driver's all-steps GEMMs: `dWih = dgxᵀ · x` (`[G·hidden, inputSize]`, x `[time, rows,
   * inputSize]`) and `dWhh = dghᵀ · h_prev` (`[G·hidden, hidden]`), each written whole (null: not
   * wanted). The same products summed in another order (blocks of steps in processing order), so
   * equal to the GEMMs' within rounding. `gatesOut` false: dgx and dgh need not be written (no
   * caller reads them).
   */
  weights?: {
    x: Float32Array;
    inputSize: number;
    dWih: Float32Array | null;
    dWhh: Float32Array | null;
    gatesOut: boolean;
  } | null;
}

/**
 * One Adam / AdamW step over every parameter in one call (see `adamKernel` in
 * train/optimizers/adam.ts, the reference it must equal bit for bit). Per parameter: its values,
 * gradient, first and second moment averages (and their running maximum with amsgrad), all of
 * one length, updated in place, and the step's scalars that depend on its step count.
 * `weightDecay` is an L2 term for Adam; AdamW (`decoupled`) multiplies by `decay` instead.
 */
export interface AdamStepArgs {
  params: {
    param: Float32Array;
    grad: Float32Array;
    m: Float32Array;
    v: Float32Array;
    vmax: Float32Array | null;
    stepSize: number;
    bc2Sqrt: number;
  }[];
  beta1: number;
  beta2: number;
  oneMinusBeta1: number;
  oneMinusBeta2: number;
  eps: number;
  weightDecay: number;
  decay: number;
  decoupled: boolean;
  amsgrad: boolean;
  maximize: boolean;
}

/**
 * Additive attention scores (src/tensor/ops/additive-scores.ts, whose loops are the reference):
 * q (batch, steps, hidden), k (batch, source, hidden), v (hidden) -> scores (batch, steps, source),
 * scores[b, t, s] = Σ_h v[h] · tanh(q[b, t, h] + k[b, s, h]).
 */
export interface AdditiveScoresArgs {
  batch: number;
  steps: number;
  source: number;
  hidden: number;
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  scores: Float32Array;
}

/**
 * Its backward: adds the gradients of q, k and v (null: not wanted) given g (batch, steps, source).
 * The tanh values are computed again rather than kept: a (batch, steps, source, hidden) array per
 * decoder step cost more to allocate than the kernel takes to recompute it.
 */
export interface AdditiveScoresBackwardArgs {
  batch: number;
  steps: number;
  source: number;
  hidden: number;
  g: Float32Array;
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  dq: Float32Array | null;
  dk: Float32Array | null;
  dv: Float32Array | null;
}

export interface Backend {
  readonly name: BackendName;
  /** General GEMM (any transposes, strides, offsets). */
  gemm(args: GemmArgs): void;
  /** Prepares `op(B)` for repeated `gemmPacked` calls. */
  packB(args: PackArgs): PackedMatrix;
  /** GEMM with a B prepared by this backend's `packB`. */
  gemmPacked(args: GemmPackedArgs): void;
  cellForward(kind: CellKind, args: CellForwardArgs): void;
  cellBackward(kind: CellKind, args: CellBackwardArgs): void;
  /** `out[j] = Σ_r src[r * width + j]` for `r < rows` (bias gradients). */
  columnSums(src: Float32Array, rows: number, width: number, out: Float32Array): void;
  /**
   * Optional: several inference steps in one call (see RecurrentStepsArgs). The driver uses it
   * where a backend has it; it exists where crossing into the kernels costs more than the
   * kernels themselves at small batches (the native addon: two N-API calls per step).
   */
  recurrentSteps?(kind: CellKind, args: RecurrentStepsArgs): void;
  /**
   * Optional: `recurrentSteps` takes `project` (RecurrentStepsArgs) and computes the input
   * projections itself, which pays from this many rows (batch) up; the driver then passes x and
   * the packed W_ihᵀ instead of gx. Absent: never.
   */
  recurrentStepsProjectRows?: number;
  /**
   * Optional: `recurrentSteps` takes `batchFirstTime` (RecurrentStepsArgs), so a batch-first
   * inference reads its input and writes its output in place; the driver otherwise transposes
   * them around the steps. Absent: false.
   */
  recurrentStepsBatchFirst?: boolean;
  /** Optional: the backward's per-step loop in one call (see RecurrentBackwardArgs). */
  recurrentBackward?(kind: CellKind, args: RecurrentBackwardArgs): void;
  /** Optional: `recurrentBackward` takes `weights` (RecurrentBackwardArgs) and computes the weight gradients. */
  recurrentBackwardWeights?: boolean;
  /**
   * Optional: `length` floats in the backend's own memory, as a Float32Array view that stays
   * valid until `releaseResident` (null when the backend cannot give one now). The training
   * forward keeps what the backward reads (RecurrentStepsArgs' `saved`) in such arrays, so
   * `recurrentSteps` writes it and `recurrentBackward` reads it where it is, with no copy in
   * either direction (the wasm backend on a shared memory: a view into that memory).
   */
  residentFloats?(length: number): Float32Array | null;
  /** Gives back an array from `residentFloats`; true if it was one (false: not this backend's). */
  releaseResident?(array: Float32Array): boolean;
  /** Optional: the Adam / AdamW update of all parameters in one call (see AdamStepArgs). */
  adamStep?(args: AdamStepArgs): void;
  /**
   * Optional: the gradient of an element-wise loss, `gi[i] = f'(x[i] - y[i]) · (g[i] or g0) ·
   * scale` (mse: f' = 2d; l1: sign d; huber: d clamped to ±delta), exactly as `pointwiseBackward`
   * in train/losses.ts computes it (double precision, the same order).
   */
  pointwiseLossBackward?(
    kind: 'mse' | 'l1' | 'huber',
    delta: number,
    x: Float32Array,
    y: Float32Array,
    g: Float32Array | null,
    g0: number,
    scale: number,
    gi: Float32Array,
  ): void;
  /** Optional: `target[i] += source[i]` (the same float32 additions as the loop in tensor/autograd.ts). */
  addInto?(target: Float32Array, source: Float32Array): void;
  /** Optional: additive attention scores in one call (a Bahdanau decoder runs them every step). */
  additiveScores?(args: AdditiveScoresArgs): void;
  /** Optional, with `additiveScores`: its backward. */
  additiveScoresBackward?(args: AdditiveScoresBackwardArgs): void;
  /** Optional: the index of the first NaN or ±Infinity in `values`, or -1 (input checks). */
  firstNonFinite?(values: Float32Array): number;
}

export type BackendName = 'reference' | 'wasm' | 'native';

const BACKEND_NAMES: readonly BackendName[] = ['native', 'wasm', 'reference'];

/**
 * A backend factory. It throws (any Error; its message is the reason) when the backend cannot
 * run here; it is called at most once per name, and both outcomes are remembered.
 */
export type BackendFactory = () => Backend;

const registry = new Map<BackendName, BackendFactory>();
const created = new Map<BackendName, { backend: Backend } | { reason: string }>();
let active: Backend | null = null;

/** Makes a backend selectable by name (used by each backend module). */
export function registerBackend(name: BackendName, create: BackendFactory): void {
  registry.set(name, create);
  created.delete(name);
}

function instantiate(name: BackendName): { backend: Backend } | { reason: string } {
  let entry = created.get(name);
  if (entry) return entry;
  const create = registry.get(name);
  if (!create) {
    // Only the native backend is ever left out: the browser entry point does not include it.
    const reason =
      name === 'native'
        ? "it is not part of this entry point (a Node.js addon, which the browser entry leaves out); in Node.js, import 'recurrent' (not 'recurrent/browser')"
        : `it is not registered (this entry point does not include the ${name} backend)`;
    return { reason };
  }
  try {
    entry = { backend: create() };
  } catch (error) {
    entry = { reason: error instanceof Error ? error.message : String(error) };
  }
  created.set(name, entry);
  return entry;
}

/** Whether each known backend can run here, and if not, why. */
export function backendStatus(): { name: BackendName; available: boolean; reason?: string }[] {
  return BACKEND_NAMES.map((name) => {
    const entry = instantiate(name);
    return 'backend' in entry ? { name, available: true } : { name, available: false, reason: entry.reason };
  });
}

/**
 * Chooses the kernels: `'auto'` takes the fastest backend that can run here (native, then wasm,
 * then reference). Forcing a backend that cannot run throws a ValueError saying why.
 */
export function setBackend(name: BackendName | 'auto'): Backend {
  if (name !== 'auto' && !BACKEND_NAMES.includes(name)) {
    throw new ValueError(
      'setBackend',
      `unknown backend '${String(name)}'; expected 'auto', ${BACKEND_NAMES.map((n) => `'${n}'`).join(', ')}`,
    );
  }
  if (name === 'auto') {
    const reasons: string[] = [];
    for (const candidate of BACKEND_NAMES) {
      const entry = instantiate(candidate);
      if ('backend' in entry) {
        active = entry.backend;
        return active;
      }
      reasons.push(`${candidate}: ${entry.reason}`);
    }
    throw new ValueError('setBackend', `no backend can run here (${reasons.join('; ')})`);
  }
  const entry = instantiate(name);
  if ('reason' in entry) throw new ValueError('setBackend', `backend '${name}' cannot run here: ${entry.reason}`);
  active = entry.backend;
  return active;
}

/** The backend in use (chosen on first use from RECURRENT_BACKEND, else 'auto'). */
export function getBackend(): Backend {
  if (!active) {
    const fromEnv = typeof process !== 'undefined' ? process.env?.['RECURRENT_BACKEND'] : undefined;
    const wanted = fromEnv === undefined || fromEnv === '' ? 'auto' : fromEnv;
    if (
      fromEnv !== undefined &&
      fromEnv !== '' &&
      wanted !== 'auto' &&
      !BACKEND_NAMES.includes(wanted as BackendName)
    ) {
      throw new ValueError(
        'RECURRENT_BACKEND',
        `unknown backend '${wanted}'; expected 'auto', ${BACKEND_NAMES.map((n) => `'${n}'`).join(', ')}`,
      );
    }
    setBackend(wanted as BackendName | 'auto');
  }
  return active!;
}
