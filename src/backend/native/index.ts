/**
 * The `native` backend: a C++17 N-API addon (native/, built by scripts/build-native.mjs) with
 * AVX-512 / AVX2+FMA / portable kernels chosen at run time and a persistent worker thread for
 * large GEMMs. Kernels work in place on the caller's Float32Arrays (no copies).
 *
 * Importing this module only registers the backend; the addon is loaded when the backend is
 * first chosen, and if it cannot be (not Node.js, not built, wrong platform) the backend reports
 * why instead. No `node:` imports: Node built-ins come from `process.getBuiltinModule`, so the
 * module is harmless in a browser bundle.
 */
import { ValueError } from '../../errors.js';
import {
  type AdamStepArgs,
  type AdditiveScoresArgs,
  type AdditiveScoresBackwardArgs,
  type Backend,
  type CellBackwardArgs,
  type CellForwardArgs,
  type CellKind,
  type GemmArgs,
  type GemmPackedArgs,
  type PackArgs,
  type PackedMatrix,
  type RecurrentBackwardArgs,
  type RecurrentStepsArgs,
  getBackend,
  registerBackend,
} from '../backend.js';
import { CELL_KINDS } from '../../families.js';

/** The addon's exports (see native/src/addon.cpp). */
export interface NativeAddon {
  gemm(
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    aOff: number,
    lda: number,
    transA: boolean,
    b: Float32Array,
    bOff: number,
    ldb: number,
    transB: boolean,
    c: Float32Array,
    cOff: number,
    ldc: number,
    beta: number,
    bias: Float32Array | null,
    biasOff: number,
  ): void;
  packB(k: number, n: number, b: Float32Array, bOff: number, ldb: number, transB: boolean): ArrayBuffer;
  releasePacked(packed: ArrayBuffer): void;
  gemmPacked(
    m: number,
    a: Float32Array,
    aOff: number,
    lda: number,
    transA: boolean,
    packed: ArrayBuffer,
    c: Float32Array,
    cOff: number,
    ldc: number,
    beta: number,
    bias: Float32Array | null,
    biasOff: number,
  ): void;
  cellForward(
    kind: number,
    rows: number,
    hidden: number,
    gx: Float32Array,
    gxOff: number,
    gh: Float32Array,
    hPrev: Float32Array,
    cPrev: Float32Array | null,
    hOut: Float32Array,
    cOut: Float32Array | null,
    cache: Float32Array,
    cacheOff: number,
  ): void;
  cellBackward(
    kind: number,
    rows: number,
    hidden: number,
    dh: Float32Array,
    dc: Float32Array | null,
    cache: Float32Array,
    cacheOff: number,
    hPrev: Float32Array,
    hPrevOff: number,
    cPrev: Float32Array | null,
    cPrevOff: number,
    dgx: Float32Array,
    dgxOff: number,
    dgh: Float32Array,
    dghOff: number,
    dhPrev: Float32Array,
    dcPrev: Float32Array | null,
  ): void;
  columnSums(src: Float32Array, rows: number, width: number, out: Float32Array): void;
  adamStep(arrays: Float32Array[], perParam: Float64Array, scalars: Float64Array, flags: number): void;
  firstNonFinite(values: Float32Array): number;
  addInto(target: Float32Array, source: Float32Array): void;
  additiveScores(
    batch: number,
    steps: number,
    source: number,
    hidden: number,
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    scores: Float32Array,
  ): void;
  additiveScoresBackward(
    batch: number,
    steps: number,
    source: number,
    hidden: number,
    g: Float32Array,
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    dq: Float32Array | null,
    dk: Float32Array | null,
    dv: Float32Array | null,
  ): void;
  pointwiseLossBackward(
    kind: number,
    delta: number,
    x: Float32Array,
    y: Float32Array,
    g: Float32Array | null,
    g0: number,
    scale: number,
    gi: Float32Array,
  ): void;
  recurrentSteps(
    kind: number,
    rows: number,
    hidden: number,
    tStart: number,
    count: number,
    reverse: boolean,
    blockFirst: number,
    gx: Float32Array,
    packedHh: ArrayBuffer,
    bHh: Float32Array | null,
    h: Float32Array,
    c: Float32Array | null,
    output: Float32Array,
    lengths: Int32Array | null,
    gh: Float32Array,
    hRaw: Float32Array,
    cNew: Float32Array | null,
    savedH?: Float32Array | null,
    savedC?: Float32Array | null,
    cacheAll?: Float32Array | null,
    x?: Float32Array | null,
    inputSize?: number,
    packedIh?: ArrayBuffer,
    bIh?: Float32Array | null,
    time?: number,
  ): void;
  recurrentBackward(
    kind: number,
    rows: number,
    hidden: number,
    time: number,
    reverse: boolean,
    lengths: Int32Array | null,
    packedHh: ArrayBuffer,
    gOut: Float32Array,
    dhCarry: Float32Array,
    dcCarry: Float32Array | null,
    cacheAll: Float32Array,
    savedH: Float32Array,
    savedC: Float32Array | null,
    dgx: Float32Array,
    dgh: Float32Array,
    dhT: Float32Array,
    dc: Float32Array | null,
    dhDirect: Float32Array,
    dcPrev: Float32Array | null,
    dhPrev: Float32Array,
    dbIh: Float32Array | null,
    dbHh: Float32Array | null,
  ): void;
  info(): NativeInfo;
  /** Switches the kernel set ('avx512' | 'avx2' | 'generic'); false when not supported here. */
  setIsa(name: string): boolean;
  configure(options: { threads?: number; spinMicros?: number; parallelFlops?: number }): NativeInfo;
}

export interface NativeInfo {
  /** Kernel set in use. */
  isa: string;
  /** Kernel sets this CPU supports, fastest first. */
  isas: string[];
  threads: number;
  spinMicros: number;
  parallelFlops: number;
  mr: number;
  nr: number;
  kc: number;
  /** The worker pool's counters since the addon loaded (jobs split over threads, jobs run alone while backing off). */
  pool?: { parallelJobs: number; backoffJobs: number; backoffs: number; callerChunks: number; workerChunks: number };
}

const ADDON_FILE = 'native/build/Release/recurrent_native.node';

type GetBuiltin = (id: string) => unknown;

function nodeBuiltins(): GetBuiltin {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: GetBuiltin } }).process;
  if (!proc?.versions?.node) throw new Error('the native addon needs Node.js (this runtime is not Node.js)');
  if (typeof proc.getBuiltinModule !== 'function') {
    throw new Error(
      `the native backend needs Node.js >= 20.16 (process.getBuiltinModule); this is ${proc.versions.node}`,
    );
  }
  return proc.getBuiltinModule;
}

let loaded: { addon: NativeAddon; path: string } | null = null;

/**
 * What a user does to build the addon, correct from their own project: npm's `install` script
 * builds it (`npm rebuild recurrent` runs it again; npm 11 asks for approval of install scripts
 * first); the build script can also be run directly from the package root.
 */
function nativeBuildHint(packageRoot: string | null, join: (...parts: string[]) => string): string {
  const direct = packageRoot ? `, or \`node ${join(packageRoot, 'scripts/build-native.mjs')}\`` : '';
  return `run \`npm rebuild recurrent\` in your project (with npm 11 or newer, first \`npm install-scripts approve recurrent\`)${direct}; the build needs a C++17 compiler, make and Python (node-gyp)`;
}

/** Finds and loads the addon (throws an Error saying why it cannot). */
/** The addon of the native backend when it is the backend in use (null under the others): its kernel settings. */
export function activeNativeAddon(): NativeAddon | null {
  const backend = getBackend() as { name: string; addon?: NativeAddon };
  return backend.name === 'native' && backend.addon ? backend.addon : null;
}

export function loadNativeAddon(): { addon: NativeAddon; path: string } {
  if (loaded) return loaded;
  const builtin = nodeBuiltins();
  const fs = builtin('fs') as { existsSync(p: string): boolean; readFileSync(p: string, enc: string): string };
  const path = builtin('path') as { join(...p: string[]): string; dirname(p: string): string };
  const url = builtin('url') as { fileURLToPath(u: string | URL): string };
  const module = builtin('module') as { createRequire(from: string | URL): (id: string) => unknown };
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};

  // RECURRENT_NATIVE_ADDON names the addon file (and nothing else is tried); otherwise the package
  // root is a few levels above this file (dist/backend/native or build/src/backend/native).
  const candidates: string[] = [];
  const roots: string[] = [];
  const forced = env['RECURRENT_NATIVE_ADDON'];
  if (forced) {
    candidates.push(forced);
  } else {
    let dir = path.dirname(url.fileURLToPath(import.meta.url));
    for (let i = 0; i < 6; i++) {
      roots.push(dir);
      candidates.push(path.join(dir, ADDON_FILE));
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) {
    if (forced) throw new Error(`the addon was not found at RECURRENT_NATIVE_ADDON=${forced}`);
    // The package root holds native/binding.gyp (an installed package, or a clone of the repository).
    const root = roots.find((r) => fs.existsSync(path.join(r, 'native/binding.gyp')));
    let why = ' (npm did not run its install script)';
    if (root) {
      const status = path.join(root, 'native/build-status.json');
      if (fs.existsSync(status)) {
        try {
          const s = JSON.parse(fs.readFileSync(status, 'utf8')) as { ok?: boolean; reason?: string };
          why = s.ok === false && s.reason ? ` (last build: ${s.reason})` : '';
        } catch {
          // ignore an unreadable status file
        }
      }
    }
    throw new Error(`the addon was not built${why}: ${nativeBuildHint(root ?? null, path.join)}`);
  }
  const require = module.createRequire(import.meta.url);
  let addon: NativeAddon;
  try {
    addon = require(found) as NativeAddon;
  } catch (error) {
    throw new Error(
      `the addon at ${found} could not be loaded: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (typeof addon.gemm !== 'function' || typeof addon.cellForward !== 'function')
    throw new Error(`${found} is not this library's addon`);
  loaded = { addon, path: found };
  return loaded;
}

class NativePacked implements PackedMatrix {
  constructor(
    readonly k: number,
    readonly n: number,
    readonly buffer: ArrayBuffer,
    private readonly addon: NativeAddon,
  ) {}
  /** Frees the packed copy now (its ArrayBuffer is detached); otherwise the GC frees it. */
  release(): void {
    this.addon.releasePacked(this.buffer);
  }
}

/** Builds the backend object over a loaded addon. */
export function createNativeBackend(addon: NativeAddon): Backend & { readonly addon: NativeAddon } {
  return {
    name: 'native',
    addon,
    gemm(a: GemmArgs): void {
      addon.gemm(
        a.m,
        a.n,
        a.k,
        a.a,
        a.aOffset ?? 0,
        a.lda,
        a.transA ?? false,
        a.b,
        a.bOffset ?? 0,
        a.ldb,
        a.transB ?? false,
        a.c,
        a.cOffset ?? 0,
        a.ldc,
        a.beta,
        a.bias ?? null,
        a.biasOffset ?? 0,
      );
    },
    packB(a: PackArgs): PackedMatrix {
      return new NativePacked(a.k, a.n, addon.packB(a.k, a.n, a.b, a.bOffset ?? 0, a.ldb, a.transB ?? false), addon);
    },
    gemmPacked(a: GemmPackedArgs): void {
      if (!(a.b instanceof NativePacked))
        throw new ValueError('gemmPacked', 'the matrix was not packed by the native backend');
      addon.gemmPacked(
        a.m,
        a.a,
        a.aOffset ?? 0,
        a.lda,
        a.transA ?? false,
        a.b.buffer,
        a.c,
        a.cOffset ?? 0,
        a.ldc,
        a.beta,
        a.bias ?? null,
        a.biasOffset ?? 0,
      );
    },
    cellForward(kind: CellKind, a: CellForwardArgs): void {
      addon.cellForward(
        CELL_KINDS[kind].code,
        a.rows,
        a.hidden,
        a.gx,
        a.gxOffset,
        a.gh,
        a.hPrev,
        a.cPrev,
        a.hOut,
        a.cOut,
        a.cache,
        a.cacheOffset,
      );
    },
    cellBackward(kind: CellKind, a: CellBackwardArgs): void {
      addon.cellBackward(
        CELL_KINDS[kind].code,
        a.rows,
        a.hidden,
        a.dh,
        a.dc,
        a.cache,
        a.cacheOffset,
        a.hPrev,
        a.hPrevOffset,
        a.cPrev,
        a.cPrevOffset,
        a.dgx,
        a.dgxOffset,
        a.dgh,
        a.dghOffset,
        a.dhPrev,
        a.dcPrev,
      );
    },
    columnSums(src: Float32Array, rows: number, width: number, out: Float32Array): void {
      addon.columnSums(src, rows, width, out);
    },
    adamStep(a: AdamStepArgs): void {
      const flags =
        (a.decoupled ? 1 : 0) |
        (a.weightDecay !== 0 && !a.decoupled ? 2 : 0) |
        (a.amsgrad ? 4 : 0) |
        (a.maximize ? 8 : 0);
      const arrays = a.params.flatMap((p) =>
        a.amsgrad ? [p.param, p.grad, p.m, p.v, p.vmax!] : [p.param, p.grad, p.m, p.v],
      );
      const perParam = new Float64Array(a.params.length * 2);
      a.params.forEach((p, i) => {
        perParam[2 * i] = p.stepSize;
        perParam[2 * i + 1] = p.bc2Sqrt;
      });
      addon.adamStep(
        arrays,
        perParam,
        Float64Array.of(a.beta1, a.beta2, a.oneMinusBeta1, a.oneMinusBeta2, a.eps, a.weightDecay, a.decay),
        flags,
      );
    },
    addInto(target: Float32Array, source: Float32Array): void {
      addon.addInto(target, source);
    },
    additiveScores(a: AdditiveScoresArgs): void {
      addon.additiveScores(a.batch, a.steps, a.source, a.hidden, a.q, a.k, a.v, a.scores);
    },
    additiveScoresBackward(a: AdditiveScoresBackwardArgs): void {
      addon.additiveScoresBackward(a.batch, a.steps, a.source, a.hidden, a.g, a.q, a.k, a.v, a.dq, a.dk, a.dv);
    },
    pointwiseLossBackward(kind, delta, x, y, g, g0, scale, gi): void {
      addon.pointwiseLossBackward(kind === 'mse' ? 0 : kind === 'l1' ? 1 : 2, delta, x, y, g, g0, scale, gi);
    },
    firstNonFinite(values: Float32Array): number {
      return addon.firstNonFinite(values);
    },
    /**
     * `recurrentSteps` computes each step's input projection itself when given `project`; below a
     * register tile of rows (8 with AVX-512) one block GEMM over all the block's steps is faster
     * (bench/RESULTS.md, 2026-12-03 branch lstmproj: 1.14–1.19× the CPU time at 1 and 2 rows).
     */
    recurrentStepsProjectRows: 8,
    /** `recurrentSteps` reads a batch-first x and writes a batch-first output in place (a stride per step and row). */
    recurrentStepsBatchFirst: true,
    /**
     * The mirror of the per-step loops of `inferenceBlock` and `forwardSaved`
     * (src/nn/recurrent/fused.ts), in one addon call.
     */
    recurrentSteps(kind: CellKind, a: RecurrentStepsArgs): void {
      const p = a.project ?? null;
      if (!(a.packedHh instanceof NativePacked) || (p && !(p.packedIh instanceof NativePacked)))
        throw new ValueError('recurrentSteps', 'the matrix was not packed by the native backend');
      addon.recurrentSteps(
        CELL_KINDS[kind].code,
        a.rows,
        a.hidden,
        a.tStart,
        a.count,
        a.reverse,
        a.blockFirst,
        a.gx,
        a.packedHh.buffer,
        a.bHh,
        a.h,
        a.c,
        a.output,
        a.lengths,
        a.gh,
        a.hRaw,
        a.cNew,
        a.saved?.h ?? null,
        a.saved?.c ?? null,
        a.saved?.cache ?? null,
        p?.x ?? null,
        p?.inputSize ?? 0,
        p ? (p.packedIh as NativePacked).buffer : undefined,
        p?.bIh ?? null,
        a.batchFirstTime ?? 0,
      );
    },
    /** The mirror of `backwardThroughTime`'s per-step loop (src/nn/recurrent/fused.ts), in one addon call. */
    recurrentBackward(kind: CellKind, a: RecurrentBackwardArgs): void {
      if (!(a.packedHh instanceof NativePacked))
        throw new ValueError('recurrentBackward', 'the matrix was not packed by the native backend');
      addon.recurrentBackward(
        CELL_KINDS[kind].code,
        a.rows,
        a.hidden,
        a.time,
        a.reverse,
        a.lengths,
        a.packedHh.buffer,
        a.gOut,
        a.dhCarry,
        a.dcCarry,
        a.saved.cache,
        a.saved.h,
        a.saved.c,
        a.dgx,
        a.dgh,
        a.scratch.dhT,
        a.scratch.dc,
        a.scratch.dhDirect,
        a.scratch.dcPrev,
        a.scratch.dhPrev,
        a.dbIh,
        a.dbHh,
      );
    },
  };
}

registerBackend('native', () => createNativeBackend(loadNativeAddon().addon));
