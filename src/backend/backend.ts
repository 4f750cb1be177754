/**
 * The kernel interface. Everything heavy (GEMM, the pointwise part of each recurrent cell step)
 * goes through a Backend, so faster implementations (wasm, native) can replace the plain
 * TypeScript `reference` one without touching the layers. The time-step driver is written once
 * in `nn/recurrent/fused.ts` and calls these kernels.
 */
import { ValueError } from '../errors.js';

/**
 * `C = beta * C + op(A) · op(B)`, row-major. `op(A)` is `[m, k]`, `op(B)` is `[k, n]`, C is `[m, n]`.
 * With `transA`, A is stored `[k, m]`; with `transB`, B is stored `[n, k]`. `lda`/`ldb`/`ldc`
 * are row strides of the stored matrices, and the offsets say where each matrix starts.
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
}

/** The cell families with a fused step kernel. */
export type CellKind = 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru';

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
 * `dcPrev` `[rows, hidden]` (LSTM only).
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

export interface Backend {
  readonly name: BackendName;
  gemm(args: GemmArgs): void;
  cellForward(kind: CellKind, args: CellForwardArgs): void;
  cellBackward(kind: CellKind, args: CellBackwardArgs): void;
}

export type BackendName = 'reference' | 'wasm' | 'native';

/** Number of gate blocks in W_ih/W_hh for each cell family. */
export function gateCount(kind: CellKind): number {
  return kind === 'lstm' ? 4 : kind === 'gru' ? 3 : 1;
}

/** Floats cached per batch row per step for backward. */
export function cacheWidth(kind: CellKind, hidden: number): number {
  // rnn: h; lstm: i, f, g, o, tanh(c); gru: r, z, n, (W_hn h + b_hn)
  return kind === 'lstm' ? 5 * hidden : kind === 'gru' ? 4 * hidden : hidden;
}

const registry = new Map<BackendName, () => Backend>();
let active: Backend | null = null;

/** Makes a backend selectable by name (used by each backend module). */
export function registerBackend(name: BackendName, create: () => Backend): void {
  registry.set(name, create);
}

/**
 * Chooses the kernels: `'auto'` takes the fastest registered backend. Throws a ValueError
 * naming the available ones when the requested backend cannot run here.
 */
export function setBackend(name: BackendName | 'auto'): Backend {
  const order: BackendName[] = name === 'auto' ? ['native', 'wasm', 'reference'] : [name];
  for (const candidate of order) {
    const create = registry.get(candidate);
    if (create) {
      active = create();
      return active;
    }
  }
  throw new ValueError('setBackend', `backend '${name}' is not available here; available: ${[...registry.keys()].join(', ')}`);
}

/** The backend in use (chosen on first use from RECURRENT_BACKEND, else 'auto'). */
export function getBackend(): Backend {
  if (!active) {
    const fromEnv = typeof process !== 'undefined' ? process.env?.['RECURRENT_BACKEND'] : undefined;
    setBackend((fromEnv as BackendName | 'auto' | undefined) ?? 'auto');
  }
  return active!;
}
