/**
 * Worker threads for the wasm backend's GEMM, over one shared `WebAssembly.Memory`.
 *
 * Each helper is a worker (Node.js `worker_threads`, or a browser Web Worker) that instantiates
 * the same compiled kernels module on the same shared memory, so operands never move: the caller
 * writes a job (the `gemmPanels` kernel's arguments: a range of column panels of C) into the helper's
 * control block, itself in the shared memory, and wakes it with `Atomics.notify`. The caller
 * computes its own rows meanwhile and then waits for the helper's `done` counter.
 *
 * Waking a sleeping worker costs tens of microseconds (KERNEL-NOTES.md), about the time of one
 * recurrent GEMM at batch 64, so after each job a helper spins for a short while before it sleeps
 * again: the next time step's GEMM then reaches it in well under a microsecond.
 *
 * Columns of C are split between the caller and the helpers at the packed panels of B (8
 * columns), so each thread reads only its part of B, which for a recurrent weight can then stay
 * in that core's cache from one time step to the next. Every element of C is computed by the
 * same code in the same order as without threads: the results are bit-identical to a
 * single-threaded run.
 *
 * Helpers start lazily, at the first GEMM big enough to split, and asynchronously: until a
 * helper reports ready, its share runs on the caller. They never keep a Node.js process alive.
 */
import type { WasmHeap, WasmMemory } from './heap.js';

/** Int32 slots of one control block (128 bytes: cache lines of its own). */
const SLOT = { seq: 0, done: 1, stop: 2, ready: 3, fn: 4, args: 5 } as const;
const CONTROL_INTS = 32;
/**
 * The kernels a helper runs, by the code in the `fn` slot: 0 gemmPanels (m, n, k, a, lda,
 * transA, bp, c, ldc, accumulate, bias, abuf, q0, q1), 1 stepPanels (see src/wasm/steps.as; the
 * helper's scratch is its last argument), 2 backwardStepPart (src/wasm/backward.as; likewise).
 */
const KERNELS = ['gemmPanels', 'stepPanels', 'backwardStepPart'] as const;
/** Argument slots (the most any kernel takes). */
const ARG_COUNT = 16;

/**
 * The helper's program, run as a classic script (Node's `eval` worker or a browser Blob
 * worker). Kept as source text so that no separate file has to be found or bundled.
 */
const WORKER_SOURCE = `'use strict';
const SEQ = ${SLOT.seq}, DONE = ${SLOT.done}, STOP = ${SLOT.stop}, READY = ${SLOT.ready}, FN = ${SLOT.fn}, ARGS = ${SLOT.args};
function start(message) {
  const { module, memory, control, spinMs } = message;
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const kernels = ${JSON.stringify(KERNELS)}.map((name) => exports[name]);
  const ctrl = new Int32Array(memory.buffer, control, ${CONTROL_INTS});
  const a = (i) => ctrl[ARGS + i] >>> 0;
  Atomics.store(ctrl, READY, 1);
  Atomics.notify(ctrl, READY);
  let seen = 0;
  for (;;) {
    let seq = Atomics.load(ctrl, SEQ);
    if (seq === seen) {
      // Spin a little (the next time step's job usually comes within microseconds), then sleep.
      const until = performance.now() + spinMs;
      let spins = 0;
      while (seq === seen && (++spins & 1023 || performance.now() < until)) seq = Atomics.load(ctrl, SEQ);
      while (seq === seen) {
        Atomics.wait(ctrl, SEQ, seen);
        seq = Atomics.load(ctrl, SEQ);
      }
    }
    if (Atomics.load(ctrl, STOP)) return;
    seen = seq;
    kernels[ctrl[FN]](a(0), a(1), a(2), a(3), a(4), a(5), a(6), a(7), a(8), a(9), a(10), a(11), a(12), a(13), a(14), a(15));
    Atomics.store(ctrl, DONE, seq);
    Atomics.notify(ctrl, DONE);
  }
}
if (typeof require === 'function') require('node:worker_threads').parentPort.once('message', start);
else self.onmessage = (event) => start(event.data);
`;

/** What a worker looks like to this module, in Node.js and in browsers. */
interface WorkerLike {
  postMessage(message: unknown): void;
  terminate(): unknown;
  unref?(): void;
  on?(event: 'error', listener: (error: unknown) => void): void;
  onerror?: ((event: unknown) => void) | null;
}

interface ProcessLike {
  versions?: { node?: string };
  env?: Record<string, string | undefined>;
  getBuiltinModule?: (id: string) => unknown;
}

function nodeProcess(): ProcessLike | undefined {
  const proc = (globalThis as { process?: ProcessLike }).process;
  return proc?.versions?.node ? proc : undefined;
}

/** Starts a worker running `source`, or returns null where workers cannot be made. */
function spawnWorker(source: string): WorkerLike | null {
  const proc = nodeProcess();
  if (proc) {
    const threads = proc.getBuiltinModule?.('node:worker_threads') as
      | { Worker: new (code: string, options: { eval: true }) => WorkerLike }
      | undefined;
    return threads ? new threads.Worker(source, { eval: true }) : null;
  }
  const g = globalThis as {
    Worker?: new (url: string) => WorkerLike;
    Blob?: new (parts: string[], options: { type: string }) => unknown;
    URL?: { createObjectURL(blob: unknown): string };
  };
  if (!g.Worker || !g.Blob || !g.URL?.createObjectURL) return null;
  return new g.Worker(g.URL.createObjectURL(new g.Blob([source], { type: 'text/javascript' })));
}

/** CPUs this runtime may use (Node: availableParallelism; browsers: hardwareConcurrency). */
function cpuCount(): number {
  const os = nodeProcess()?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number } | undefined;
  if (os?.availableParallelism) return os.availableParallelism();
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return nav?.hardwareConcurrency ?? 1;
}

/**
 * Threads (the caller included) to use: `RECURRENT_WASM_THREADS` if set, else the CPUs, at
 * most 8. 1 means no helpers.
 */
export function wasmThreadCount(): number {
  const fromEnv = nodeProcess()?.env?.['RECURRENT_WASM_THREADS'];
  if (fromEnv !== undefined && fromEnv !== '') {
    const n = Number(fromEnv);
    if (Number.isInteger(n) && n >= 1) return Math.min(n, 64);
  }
  return Math.max(1, Math.min(8, cpuCount()));
}

/**
 * Whether shared wasm memory and workers exist here (browsers: only on cross-origin isolated
 * pages, where SharedArrayBuffer is available).
 */
export function sharedMemorySupported(): boolean {
  const g = globalThis as { SharedArrayBuffer?: unknown; crossOriginIsolated?: boolean; Atomics?: unknown };
  if (typeof g.SharedArrayBuffer !== 'function' || typeof g.Atomics !== 'object') return false;
  if (nodeProcess()) return true;
  return g.crossOriginIsolated === true && typeof (globalThis as { Worker?: unknown }).Worker === 'function';
}

/** Whether this thread may block in Atomics.wait (not on a browser's main thread). */
function canBlock(): boolean {
  if (nodeProcess()) return true;
  return typeof (globalThis as { document?: unknown }).document === 'undefined';
}

/** One helper worker and its control block. */
export interface GemmHelper {
  worker: WorkerLike;
  ctrl: Int32Array;
  abuf: number;
  seq: number;
  failed: boolean;
}

export interface GemmJob {
  m: number;
  n: number;
  k: number;
  a: number;
  lda: number;
  transA: number;
  bp: number;
  c: number;
  ldc: number;
  accumulate: number;
  bias: number;
  /** The panels (8 columns each) of C to compute: [q0, q1). */
  q0: number;
  q1: number;
}

/** Whether a helper has instantiated the kernels and waits for jobs. */
function isReady(h: GemmHelper): boolean {
  return !h.failed && Atomics.load(h.ctrl, SLOT.ready) === 1;
}

/** A pool of helper workers over one shared memory (see the module comment). */
export class GemmThreads {
  private helpers: GemmHelper[] | null = null;
  private closed = false;
  /** How long a helper keeps spinning for the next job before it sleeps, in ms. */
  static readonly SPIN_MS = 0.5;

  /**
   * @param helperCount workers besides the caller
   * @param abufFloats floats of A-packing scratch each helper needs
   */
  constructor(
    private readonly module: object,
    private readonly memory: WasmMemory,
    private readonly heap: WasmHeap,
    readonly helperCount: number,
    private readonly abufFloats: number,
  ) {}

  /** Helpers ready to take a job now (starting them on first use). */
  ready(): GemmHelper[] {
    if (this.closed || this.helperCount < 1) return [];
    if (!this.helpers) this.start();
    return this.helpers!.filter(isReady);
  }

  /** How many helpers have started and reported ready (for tests and the benchmark). */
  get readyCount(): number {
    return this.helpers ? this.helpers.filter(isReady).length : 0;
  }

  /**
   * Waits (blocking; Node.js and workers only) until every helper is ready, or `timeoutMs` has
   * passed. Returns the number ready.
   */
  waitReady(timeoutMs = 5000): number {
    if (!this.helpers) this.start();
    if (!canBlock()) return this.readyCount;
    const end = Date.now() + timeoutMs;
    for (const h of this.helpers!) {
      while (!h.failed && !isReady(h) && Date.now() < end) {
        Atomics.wait(h.ctrl, SLOT.ready, 0, Math.max(1, end - Date.now()));
      }
    }
    return this.readyCount;
  }

  private start(): void {
    this.helpers = [];
    for (let i = 0; i < this.helperCount; i++) {
      const control = this.heap.alloc(CONTROL_INTS * 4);
      const abuf = this.heap.alloc(this.abufFloats * 4);
      const ctrl = new Int32Array(this.memory.buffer, control, CONTROL_INTS);
      ctrl.fill(0);
      let worker: WorkerLike | null = null;
      try {
        worker = spawnWorker(WORKER_SOURCE);
      } catch {
        worker = null;
      }
      if (!worker) break;
      const helper: GemmHelper = { worker, ctrl, abuf, seq: 0, failed: false };
      const fail = (): void => {
        helper.failed = true;
      };
      if (worker.on) worker.on('error', fail);
      else worker.onerror = fail;
      worker.unref?.();
      worker.postMessage({ module: this.module, memory: this.memory, control, spinMs: GemmThreads.SPIN_MS });
      this.helpers.push(helper);
    }
  }

  /** Hands `job` to `helper` (which must be ready and idle). */
  post(helper: GemmHelper, job: GemmJob): void {
    this.postKernel(helper, 0, [
      job.m,
      job.n,
      job.k,
      job.a,
      job.lda,
      job.transA,
      job.bp,
      job.c,
      job.ldc,
      job.accumulate,
      job.bias,
      helper.abuf,
      job.q0,
      job.q1,
    ]);
  }

  /**
   * Hands a stepPanels call to `helper` (ready and idle): `args` are its arguments up to the
   * scratch pointer, which is the helper's own.
   */
  postStep(helper: GemmHelper, args: number[]): void {
    this.postKernel(helper, 1, [...args, helper.abuf]);
  }

  /**
   * Hands a backwardStepPart call to `helper` (ready and idle): `args` are its arguments up to
   * the scratch pointer, which is the helper's own.
   */
  postBackward(helper: GemmHelper, args: number[]): void {
    this.postKernel(helper, 2, [...args, helper.abuf]);
  }

  private postKernel(helper: GemmHelper, fn: number, args: number[]): void {
    const { ctrl } = helper;
    if (args.length > ARG_COUNT) throw new RangeError(`wasm helper: ${args.length} arguments, at most ${ARG_COUNT}`);
    ctrl[SLOT.fn] = fn;
    for (let i = 0; i < args.length; i++) ctrl[SLOT.args + i] = args[i]! | 0;
    helper.seq = (helper.seq + 1) | 0;
    Atomics.store(ctrl, SLOT.seq, helper.seq);
    Atomics.notify(ctrl, SLOT.seq, 1);
  }

  /** Waits until `helper` has finished its last job. */
  join(helper: GemmHelper): void {
    const { ctrl, seq } = helper;
    const blocking = canBlock();
    let spins = 0;
    while (Atomics.load(ctrl, SLOT.done) !== seq) {
      if (helper.failed) throw new Error('wasm backend: a GEMM worker thread failed');
      // The helper's share is about the caller's, so it is usually done within microseconds;
      // if it was descheduled, sleep instead of burning the core it needs.
      if (blocking && ++spins > 20000) Atomics.wait(ctrl, SLOT.done, Atomics.load(ctrl, SLOT.done), 50);
    }
  }

  /** Stops the helpers (they finish their current job first). The pool cannot be used again. */
  close(): void {
    this.closed = true;
    for (const h of this.helpers ?? []) {
      Atomics.store(h.ctrl, SLOT.stop, 1);
      Atomics.add(h.ctrl, SLOT.seq, 1);
      Atomics.notify(h.ctrl, SLOT.seq);
      void h.worker.terminate();
    }
    this.helpers = [];
  }
}
