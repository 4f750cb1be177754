/**
 * The `wasm` backend over the AssemblyScript kernels (src/wasm, built by scripts/build-wasm.mjs).
 *
 * Operands live in JS Float32Arrays, so every call copies what it reads into wasm memory and
 * what it writes back out (a few GB/s, small next to the arithmetic of a GEMM). `recurrentSteps`
 * keeps a block's state, inputs and outputs in wasm memory for all its steps (one copy in and out
 * per block) and fuses each step's recurrent GEMM with the gates (src/wasm/steps.as). Large GEMMs are
 * processed in row chunks (or K chunks when A is transposed) so the scratch memory stays bounded
 * (about 16 MiB) whatever the problem size. Packed matrices (packB) stay in wasm memory until
 * released.
 */
import { ValueError } from '../../errors.js';
import {
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
  cacheWidth,
  gateCount,
} from '../backend.js';
import { CELL_KINDS } from '../../families.js';
import { WasmHeap, type WasmMemory } from './heap.js';
import { type GemmHelper, GemmThreads } from './threads.js';

/** The exports of the kernels module (see src/wasm/*.as). Pointers are byte addresses. */
/** stepPanels' first 12 arguments (kind … t), before the unit range, cache and scratch. */
type StepPanelsHead = [number, number, number, number, number, number, number, number, number, number, number, number];

interface KernelExports {
  memory: WasmMemory;
  heapBase(): number;
  packedFloats(k: number, n: number): number;
  packScratchFloats(): number;
  packB(
    k: number,
    n: number,
    b: number,
    ldb: number,
    transB: number,
    dst: number,
    panels: number,
    firstPanel: number,
  ): void;
  gemm(
    m: number,
    n: number,
    k: number,
    a: number,
    lda: number,
    transA: number,
    bp: number,
    c: number,
    ldc: number,
    accumulate: number,
    bias: number,
    abuf: number,
  ): void;
  gemmPanels(
    m: number,
    n: number,
    k: number,
    a: number,
    lda: number,
    transA: number,
    bp: number,
    c: number,
    ldc: number,
    accumulate: number,
    bias: number,
    abuf: number,
    q0: number,
    q1: number,
  ): void;
  columnSums(src: number, rows: number, width: number, out: number, accumulate: number): void;
  cellForward(
    kind: number,
    rows: number,
    H: number,
    gx: number,
    gh: number,
    hPrev: number,
    cPrev: number,
    hOut: number,
    cOut: number,
    cache: number,
  ): void;
  cellBackward(
    kind: number,
    rows: number,
    H: number,
    dh: number,
    dc: number,
    cache: number,
    hPrev: number,
    cPrev: number,
    dgx: number,
    dgh: number,
    dhPrev: number,
    dcPrev: number,
  ): void;
  stepForward(
    kind: number,
    rows: number,
    H: number,
    gx: number,
    gh: number,
    h: number,
    c: number,
    hRaw: number,
    cNew: number,
    cache: number,
    out: number,
    lengths: number,
    t: number,
  ): void;
  stepScratchFloats(): number;
  stepRowsPerBlock(P: number): number;
  packGates(kind: number, P: number, H: number, src: number, dst: number): void;
  stepPanels(
    kind: number,
    rows: number,
    H: number,
    h: number,
    bp: number,
    bias: number,
    gx: number,
    c: number,
    hNext: number,
    out: number,
    lengths: number,
    t: number,
    u0: number,
    u1: number,
    cache: number,
    scratch: number,
  ): void;
  stepBlock(
    kind: number,
    rows: number,
    H: number,
    hA: number,
    hB: number,
    bp: number,
    bias: number,
    gx: number,
    c: number,
    out: number,
    lengths: number,
    tStart: number,
    count: number,
    reverse: number,
    blockFirst: number,
    cache: number,
    savedH: number,
    savedC: number,
    scratch: number,
  ): number;
  backwardCarry(
    rows: number,
    H: number,
    tAfter: number,
    lengths: number,
    direct: number,
    dhPrev: number,
    dhDirect: number,
    dcPrev: number,
    dhCarry: number,
    dcCarry: number,
  ): void;
  backwardPointwise(
    kind: number,
    rows: number,
    H: number,
    t: number,
    tAfter: number,
    lengths: number,
    gOutT: number,
    dhCarry: number,
    dcCarry: number,
    dhT: number,
    dc: number,
    cacheT: number,
    savedHT: number,
    savedCT: number,
    dgxT: number,
    dghT: number,
    dhDirect: number,
    dcPrev: number,
    dhPrev: number,
  ): void;
  backwardBiasSums(
    rows: number,
    GH: number,
    dgxT: number,
    dghT: number,
    dbIh: number,
    dbHh: number,
    sums: number,
  ): void;
  backwardBlock(
    kind: number,
    rows: number,
    H: number,
    tStart: number,
    count: number,
    dir: number,
    blockFirst: number,
    tAfter: number,
    lengths: number,
    gOut: number,
    dhCarry: number,
    dcCarry: number,
    dhT: number,
    dc: number,
    cache: number,
    savedH: number,
    savedC: number,
    dgx: number,
    dgh: number,
    dhDirect: number,
    dcPrev: number,
    dhPrev: number,
    packedHh: number,
    dbIh: number,
    dbHh: number,
    sums: number,
    abuf: number,
  ): void;
  backwardStepPart(
    ctx: number,
    t: number,
    tAfter: number,
    phase: number,
    part: number,
    parts: number,
    abuf: number,
  ): void;
  BACKWARD_CONTEXT_INTS: { value: unknown };
  sameFloats(a: number, b: number, n: number): number;
  KC: { value: unknown };
  NR: { value: unknown };
}

/** Floats of operand chunks copied in per kernel call, at most (16 MiB). */
const CHUNK_FLOATS = 1 << 22;

/** Floats spanned by a rows x cols matrix with row stride ld. */
function extent(rows: number, cols: number, ld: number): number {
  return rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
}

class WasmPacked implements PackedMatrix {
  private ownGates: { kind: CellKind; ptr: number } | null = null;
  /**
   * @param entry set when the packed data belongs to the backend's pack cache (PackCache): this
   * matrix is then one of its users, and release() only ends that use.
   */
  constructor(
    readonly k: number,
    readonly n: number,
    public ptr: number,
    private readonly owner: WasmBackend,
    private entry: PackEntry | null = null,
  ) {
    if (entry) entry.users++;
  }
  /** The gate-interleaved copy for stepPanels (made on first use, freed with the packed data). */
  get gates(): { kind: CellKind; ptr: number } | null {
    return this.entry ? this.entry.gates : this.ownGates;
  }
  set gates(g: { kind: CellKind; ptr: number } | null) {
    if (this.entry) this.entry.gates = g;
    else this.ownGates = g;
  }
  release(): void {
    if (this.entry) {
      if (this.ptr) this.entry.users--;
      this.ptr = 0;
      return;
    }
    if (this.ptr) this.owner.heap.release(this.ptr);
    if (this.ownGates) this.owner.heap.release(this.ownGates.ptr);
    this.ptr = 0;
    this.ownGates = null;
  }
}

/** A packed small matrix kept by the backend, with a copy of the source it was packed from. */
interface PackEntry {
  k: number;
  n: number;
  ldb: number;
  transB: boolean;
  /** Floats of the source copied (its extent). */
  floats: number;
  /** The source's floats (byte address). */
  source: number;
  /** The packed data (byte address). */
  packed: number;
  gates: { kind: CellKind; ptr: number } | null;
  /** Live WasmPacked matrices using it (it is only evicted at 0). */
  users: number;
}

/**
 * Matrices of at most this many floats are kept in the pack cache (the weights of small layers,
 * e.g. hidden 64: there packing is a fifth of a batch-1 inference; at (32, 50, 64, 128) caching
 * W_hh (64 Ki floats) measured 5–7 % slower, so larger ones are packed every call).
 */
const PACK_CACHE_MAX_FLOATS = 1 << 14;
/** Entries of the pack cache at most (least recently used evicted first). */
const PACK_CACHE_ENTRIES = 8;

export interface WasmBackendInfo {
  /** 'relaxed' (FMA tiles) or 'simd'. */
  variant: 'relaxed' | 'simd';
}

/** What a shared-memory instance needs to run GEMMs on helper threads. */
export interface WasmThreading {
  /** The compiled shared-memory module (instantiated again by each helper). */
  module: object;
  /** The shared memory the instance imports. */
  memory: WasmMemory;
  /** Helper threads besides the caller. */
  helpers: number;
}

/** Products below this many FLOPs (2·m·n·k) run on the calling thread alone. */
const PARALLEL_MIN_FLOPS = 1 << 21;

export class WasmBackend implements Backend {
  readonly name = 'wasm' as const;
  readonly heap: WasmHeap;
  private readonly k: KernelExports;
  private readonly kc: number;
  private readonly nr: number;
  private readonly abuf: number;
  /**
   * Floats of the operand chunks copied into wasm memory at a time (bounds the scratch memory).
   * Tests lower it to exercise the chunked paths.
   */
  chunkFloats = CHUNK_FLOATS;
  /** GEMMs of fewer FLOPs than this stay on the calling thread. Tests lower it. */
  parallelMinFlops = PARALLEL_MIN_FLOPS;
  /** Whether the memory is shared (its views survive a grow). */
  private readonly shared: boolean;
  /** The helper threads (null: one thread). */
  private threads: GemmThreads | null = null;
  /** Stops splitting for a while when the helpers keep finishing late (the CPUs are busy). */
  private readonly backoff = new SplitBackoff();

  /**
   * @param exports the kernels instance's exports
   * @param threading present when the instance runs on a shared memory and may use helpers
   */
  constructor(
    exports: Record<string, unknown>,
    readonly info: WasmBackendInfo,
    threading?: WasmThreading,
  ) {
    this.k = exports as unknown as KernelExports;
    const memory = threading?.memory ?? this.k.memory;
    this.shared = threading !== undefined;
    this.heap = new WasmHeap(memory, this.k.heapBase());
    this.kc = this.k.KC.value as number;
    this.nr = this.k.NR.value as number;
    this.abuf = this.heap.alloc(this.k.stepScratchFloats() * 4);
    if (threading && threading.helpers > 0) {
      this.threads = new GemmThreads(
        threading.module,
        memory,
        this.heap,
        threading.helpers,
        this.k.stepScratchFloats(),
      );
    }
  }

  /** The arrays made by residentFloats still held, by view: their block in the heap. */
  private readonly resident = new WeakMap<Float32Array, number>();

  /**
   * A view of `length` floats of wasm memory (see Backend.residentFloats), only on a shared
   * memory: its views stay valid when the memory grows (a non-shared memory detaches them).
   */
  residentFloats(length: number): Float32Array | null {
    if (!this.shared || length <= 0) return null;
    let ptr: number;
    try {
      ptr = this.heap.alloc(length * 4);
    } catch {
      return null; // no room left in wasm memory: the caller keeps its own array
    }
    const view = new Float32Array(this.heap.f32.buffer, ptr, length);
    this.resident.set(view, ptr);
    return view;
  }

  releaseResident(array: Float32Array): boolean {
    const ptr = this.resident.get(array);
    if (ptr === undefined) return false;
    this.resident.delete(array);
    this.heap.release(ptr);
    return true;
  }

  /**
   * Where element `index` of `array` is, as a float offset from `base` (the operands' scratch
   * region; it may be negative), when `array` is resident and holds `length` floats from there;
   * null when it is not resident.
   */
  private residentAt(
    array: Float32Array | null | undefined,
    index: number,
    length: number,
    base: number,
    what: string,
  ): number | null {
    const ptr = array ? this.resident.get(array) : undefined;
    if (ptr === undefined) return null;
    if (!(index >= 0 && index + length <= array!.length)) {
      throw new ValueError(what, `[${index}, ${index + length}) lies outside the array's ${array!.length} floats`);
    }
    return (ptr - base) / 4 + index;
  }

  /** Threads that run GEMMs: the caller plus the helpers started and ready so far. */
  get threadCount(): number {
    return 1 + (this.threads?.readyCount ?? 0);
  }

  /** Helper threads this backend may use (started at the first big GEMM). */
  get helperCount(): number {
    return this.threads?.helperCount ?? 0;
  }

  /**
   * Starts the helper threads now and waits (up to `timeoutMs`) until they are ready; returns
   * the number of threads. Optional: helpers also start by themselves at the first big GEMM,
   * and until then their share runs on the caller.
   */
  startThreads(timeoutMs = 5000): number {
    this.threads?.waitReady(timeoutMs);
    return this.threadCount;
  }

  /** Bytes of wasm memory in use (it grows to the largest working set and stays there). */
  get memoryBytes(): number {
    return this.heap.byteLength;
  }

  gemm(args: GemmArgs): void {
    const { m, n, k, a, lda, b, ldb, c, ldc, beta } = args;
    const aOff = args.aOffset ?? 0;
    const bOff = args.bOffset ?? 0;
    const cOff = args.cOffset ?? 0;
    const transA = args.transA ?? false;
    const transB = args.transB ?? false;
    if (m === 0 || n === 0) return;
    if (k === 0) return this.gemmEmpty(m, n, c, cOff, ldc, beta, args.bias ?? null, args.biasOffset ?? 0);
    if (transA && !transB) {
      // Weight-gradient shape (Aᵀ·B over many rows): walk K in chunks, packing B per chunk.
      this.gemmTransA(
        m,
        n,
        k,
        a,
        aOff,
        lda,
        b,
        bOff,
        ldb,
        null,
        c,
        cOff,
        ldc,
        beta,
        args.bias ?? null,
        args.biasOffset ?? 0,
      );
      return;
    }
    const packed = this.packB({ k, n, b, bOffset: bOff, ldb, transB }) as WasmPacked;
    try {
      this.run(m, a, aOff, lda, transA, packed, c, cOff, ldc, beta, args.bias ?? null, args.biasOffset ?? 0);
    } finally {
      packed.release();
    }
  }

  packB(args: PackArgs): PackedMatrix {
    const { k, n, b, ldb } = args;
    const bOff = args.bOffset ?? 0;
    const transB = args.transB ?? false;
    const floats = transB ? extent(n, k, ldb) : extent(k, n, ldb);
    if (this.packCache && k > 0 && n > 0 && k * n <= PACK_CACHE_MAX_FLOATS && floats <= this.chunkFloats) {
      return this.packCached(k, n, b, bOff, ldb, transB, floats);
    }
    const ptr = this.heap.alloc(Math.max(1, this.k.packedFloats(k, n)) * 4);
    const packed = new WasmPacked(k, n, ptr, this);
    if (k === 0 || n === 0) return packed;
    const panels = Math.ceil(n / this.nr);
    if (!transB) {
      // Rows of B (K) in chunks of whole K-blocks: each chunk is its own part of the layout.
      const rows = Math.max(this.kc, Math.floor(this.chunkFloats / ldb / this.kc) * this.kc);
      const src = this.heap.scratch(extent(Math.min(rows, k), n, ldb) * 4);
      for (let k0 = 0; k0 < k; k0 += rows) {
        const kc = Math.min(rows, k - k0);
        this.heap.put(src, b, bOff + k0 * ldb, extent(kc, n, ldb), 'B');
        this.k.packB(kc, n, src, ldb, 0, ptr + k0 * panels * this.nr * 4, panels, 0);
      }
    } else {
      // Stored rows of B (N) in chunks of whole panels.
      const cols = Math.max(this.nr, Math.floor(this.chunkFloats / ldb / this.nr) * this.nr);
      const src = this.heap.scratch(extent(Math.min(cols, n), k, ldb) * 4);
      for (let j0 = 0; j0 < n; j0 += cols) {
        const nc = Math.min(cols, n - j0);
        this.heap.put(src, b, bOff + j0 * ldb, extent(nc, k, ldb), 'B');
        this.k.packB(k, nc, src, ldb, 1, ptr, panels, j0 / this.nr);
      }
    }
    return packed;
  }

  /**
   * Small weights (at most PACK_CACHE_MAX_FLOATS floats) are packed once and kept while their bits stay
   * the same: the layer driver packs W_ih and W_hh (and the fused steps their gate-interleaved
   * copy) on every call, which at batch 1 costs as much as a fifth of an inference. Each call
   * still copies the source into wasm memory and compares it, bit for bit, with the copy the
   * entry was packed from; a weight changed in place (an optimizer step) is packed again.
   */
  packCache = true;
  /** Times packB found its source in the pack cache (for tests). */
  packCacheHits = 0;
  private readonly packEntries: PackEntry[] = [];

  private packCached(
    k: number,
    n: number,
    b: Float32Array,
    bOff: number,
    ldb: number,
    transB: boolean,
    floats: number,
  ): PackedMatrix {
    const src = this.heap.scratch(floats * 4);
    this.heap.put(src, b, bOff, floats, 'B');
    const list = this.packEntries;
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      if (e.k !== k || e.n !== n || e.ldb !== ldb || e.transB !== transB) continue;
      if (!this.k.sameFloats(e.source, src, floats)) continue;
      this.packCacheHits++;
      list.splice(i, 1);
      list.unshift(e);
      return new WasmPacked(k, n, e.packed, this, e);
    }
    const packed = this.heap.alloc(Math.max(1, this.k.packedFloats(k, n)) * 4);
    this.k.packB(k, n, src, ldb, transB ? 1 : 0, packed, Math.ceil(n / this.nr), 0);
    // Evict the least recently used entries nobody uses, keeping room for this one.
    for (let i = list.length - 1; i >= 0 && list.length >= PACK_CACHE_ENTRIES; i--) {
      const e = list[i]!;
      if (e.users > 0) continue;
      this.heap.release(e.source);
      this.heap.release(e.packed);
      if (e.gates) this.heap.release(e.gates.ptr);
      list.splice(i, 1);
    }
    if (list.length >= PACK_CACHE_ENTRIES) return new WasmPacked(k, n, packed, this);
    const source = this.heap.alloc(floats * 4);
    this.heap.f32.copyWithin(source >>> 2, src >>> 2, (src >>> 2) + floats);
    const entry: PackEntry = { k, n, ldb, transB, floats, source, packed, gates: null, users: 0 };
    list.unshift(entry);
    return new WasmPacked(k, n, packed, this, entry);
  }

  gemmPacked(args: GemmPackedArgs): void {
    const packed = args.b;
    if (!(packed instanceof WasmPacked) || packed.ptr === 0) {
      throw new ValueError('gemmPacked', 'the matrix was not packed by the wasm backend (or was released)');
    }
    const { m, a, lda, c, ldc, beta } = args;
    if (m === 0 || packed.n === 0) return;
    const aOff = args.aOffset ?? 0;
    const cOff = args.cOffset ?? 0;
    if (packed.k === 0) return this.gemmEmpty(m, packed.n, c, cOff, ldc, beta, args.bias ?? null, args.biasOffset ?? 0);
    if (args.transA) {
      this.gemmTransA(
        m,
        packed.n,
        packed.k,
        a,
        aOff,
        lda,
        null,
        0,
        0,
        packed,
        c,
        cOff,
        ldc,
        beta,
        args.bias ?? null,
        args.biasOffset ?? 0,
      );
      return;
    }
    this.run(m, a, aOff, lda, false, packed, c, cOff, ldc, beta, args.bias ?? null, args.biasOffset ?? 0);
  }

  /** C = beta*C + bias when k = 0. */
  private gemmEmpty(
    m: number,
    n: number,
    c: Float32Array,
    cOff: number,
    ldc: number,
    beta: 0 | 1,
    bias: Float32Array | null,
    biasOff: number,
  ): void {
    if (extent(m, n, ldc) + cOff > c.length) throw new RangeError('wasm backend: C does not fit in its array');
    for (let i = 0; i < m; i++) {
      const at = cOff + i * ldc;
      for (let j = 0; j < n; j++) c[at + j] = (beta ? c[at + j]! : 0) + (bias ? bias[biasOff + j]! : 0);
    }
  }

  /** Row-chunked product with a packed B: op(A) is [m, k] (plain, or transposed when it fits). */
  private run(
    m: number,
    a: Float32Array,
    aOff: number,
    lda: number,
    transA: boolean,
    packed: WasmPacked,
    c: Float32Array,
    cOff: number,
    ldc: number,
    beta: 0 | 1,
    bias: Float32Array | null,
    biasOff: number,
  ): void {
    const { k, n } = packed;
    if (transA) {
      // A stored [k, m]: copied whole (only reached for transA with transB, or small problems).
      const aLen = extent(k, m, lda);
      const cLen = extent(m, n, ldc);
      const biasAt = 0;
      const aAt = alignFloats(bias ? n : 0);
      const cAt = aAt + alignFloats(aLen);
      const base = this.heap.scratch((cAt + cLen) * 4);
      if (bias) this.heap.put(base, bias, biasOff, n, 'bias');
      this.heap.put(base + aAt * 4, a, aOff, aLen, 'A');
      if (beta || ldc > n) this.heap.put(base + cAt * 4, c, cOff, cLen, 'C');
      this.gemmKernel(
        m,
        n,
        k,
        base + aAt * 4,
        lda,
        1,
        packed.ptr,
        base + cAt * 4,
        ldc,
        beta,
        bias ? base + biasAt * 4 : 0,
      );
      this.heap.get(base + cAt * 4, c, cOff, cLen, 'C');
      return;
    }
    const rowsPerChunk = Math.max(1, Math.min(m, Math.floor(this.chunkFloats / (lda + ldc))));
    const aAt = alignFloats(bias ? n : 0);
    const cAt = aAt + alignFloats(extent(rowsPerChunk, k, lda));
    const base = this.heap.scratch((cAt + extent(rowsPerChunk, n, ldc)) * 4);
    if (bias) this.heap.put(base, bias, biasOff, n, 'bias');
    const loadC = beta === 1 || ldc > n;
    for (let i0 = 0; i0 < m; i0 += rowsPerChunk) {
      const rows = Math.min(rowsPerChunk, m - i0);
      const aLen = extent(rows, k, lda);
      const cLen = extent(rows, n, ldc);
      this.heap.put(base + aAt * 4, a, aOff + i0 * lda, aLen, 'A');
      if (loadC) this.heap.put(base + cAt * 4, c, cOff + i0 * ldc, cLen, 'C');
      this.gemmKernel(rows, n, k, base + aAt * 4, lda, 0, packed.ptr, base + cAt * 4, ldc, beta, bias ? base : 0);
      this.heap.get(base + cAt * 4, c, cOff + i0 * ldc, cLen, 'C');
    }
  }

  /**
   * op(A) = Aᵀ with A stored [k, m]: C stays in wasm memory while K is walked in chunks of whole
   * K-blocks; each chunk copies its rows of A and either packs its rows of B (plain B stored
   * [k, n]) or uses its part of a packed B.
   */
  private gemmTransA(
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    aOff: number,
    lda: number,
    b: Float32Array | null,
    bOff: number,
    ldb: number,
    packed: WasmPacked | null,
    c: Float32Array,
    cOff: number,
    ldc: number,
    beta: 0 | 1,
    bias: Float32Array | null,
    biasOff: number,
  ): void {
    const panelsFloats = Math.ceil(n / this.nr) * this.nr;
    const cLen = extent(m, n, ldc);
    const perRow = lda + (packed ? 0 : ldb + panelsFloats);
    let kChunk = Math.floor(Math.max(0, this.chunkFloats - cLen) / perRow / this.kc) * this.kc;
    kChunk = Math.max(this.kc, Math.min(kChunk, Math.ceil(k / this.kc) * this.kc));
    const biasAt = 0;
    const cAt = alignFloats(bias ? n : 0);
    const aAt = cAt + alignFloats(cLen);
    const bAt = aAt + alignFloats(extent(kChunk, m, lda));
    const pAt = bAt + alignFloats(packed ? 0 : extent(kChunk, n, ldb));
    const end = pAt + (packed ? 0 : kChunk * panelsFloats);
    const base = this.heap.scratch(end * 4);
    if (bias) this.heap.put(base + biasAt * 4, bias, biasOff, n, 'bias');
    if (beta || ldc > n) this.heap.put(base + cAt * 4, c, cOff, cLen, 'C');
    for (let k0 = 0; k0 < k; k0 += kChunk) {
      const kc = Math.min(kChunk, k - k0);
      this.heap.put(base + aAt * 4, a, aOff + k0 * lda, extent(kc, m, lda), 'A');
      let bp: number;
      if (packed) {
        bp = packed.ptr + k0 * panelsFloats * 4;
      } else {
        this.heap.put(base + bAt * 4, b!, bOff + k0 * ldb, extent(kc, n, ldb), 'B');
        this.k.packB(kc, n, base + bAt * 4, ldb, 0, base + pAt * 4, Math.ceil(n / this.nr), 0);
        bp = base + pAt * 4;
      }
      const accumulate = k0 > 0 || beta === 1 ? 1 : 0;
      this.gemmKernel(
        m,
        n,
        kc,
        base + aAt * 4,
        lda,
        1,
        bp,
        base + cAt * 4,
        ldc,
        accumulate,
        k0 === 0 && bias ? base + biasAt * 4 : 0,
      );
    }
    this.heap.get(base + cAt * 4, c, cOff, cLen, 'C');
  }

  /**
   * The gemm kernel on operands already in wasm memory (byte pointers), the column panels of C
   * split between this thread and the ready helper threads when the product is big enough to
   * pay for the hand-off. op(A) is [m, k] (stored [k, m] when transA).
   */
  private gemmKernel(
    m: number,
    n: number,
    k: number,
    a: number,
    lda: number,
    transA: 0 | 1,
    bp: number,
    c: number,
    ldc: number,
    accumulate: number,
    bias: number,
  ): void {
    const panels = Math.ceil(n / this.nr);
    const big = this.threads !== null && panels >= 2 && 2 * m * n * k >= this.parallelMinFlops;
    const helpers = big && this.backoff.allows() ? this.threads!.ready() : [];
    if (helpers.length === 0) {
      this.k.gemm(m, n, k, a, lda, transA, bp, c, ldc, accumulate, bias, this.abuf);
      return;
    }
    // Equal shares of whole panels; the caller takes the first.
    const parts = Math.min(helpers.length + 1, panels);
    const share = Math.ceil(panels / parts);
    const used = [];
    for (let p = 1, q0 = share; p < parts && q0 < panels; p++, q0 += share) {
      const helper = helpers[p - 1]!;
      this.threads!.post(helper, {
        m,
        n,
        k,
        a,
        lda,
        transA,
        bp,
        c,
        ldc,
        accumulate,
        bias,
        q0,
        q1: Math.min(panels, q0 + share),
      });
      used.push(helper);
    }
    const start = performance.now();
    this.k.gemmPanels(m, n, k, a, lda, transA, bp, c, ldc, accumulate, bias, this.abuf, 0, Math.min(share, panels));
    const own = performance.now();
    for (const helper of used) this.threads!.join(helper);
    this.backoff.record(own - start, performance.now() - own);
  }

  /** Stops the helper threads, if any (the backend keeps working on one thread). */
  close(): void {
    this.threads?.close();
    this.threads = null;
  }

  cellForward(kind: CellKind, args: CellForwardArgs): void {
    const { rows, hidden: H } = args;
    if (rows === 0 || H === 0) return;
    const W = gateCount(kind) * H;
    const CW = cacheWidth(kind, H);
    const isLstm = kind === 'lstm';
    const isGru = kind === 'gru';
    const gxAt = 0;
    const ghAt = gxAt + alignFloats(rows * W);
    const hpAt = ghAt + alignFloats(rows * W);
    const cpAt = hpAt + alignFloats(isGru ? rows * H : 0);
    const hoAt = cpAt + alignFloats(isLstm ? rows * H : 0);
    const coAt = hoAt + alignFloats(rows * H);
    const caAt = coAt + alignFloats(isLstm ? rows * H : 0);
    const base = this.heap.scratch((caAt + rows * CW) * 4);
    const h = this.heap;
    h.put(base + gxAt * 4, args.gx, args.gxOffset, rows * W, 'gx');
    h.put(base + ghAt * 4, args.gh, 0, rows * W, 'gh');
    if (isGru) h.put(base + hpAt * 4, args.hPrev, 0, rows * H, 'hPrev');
    if (isLstm) {
      if (!args.cPrev || !args.cOut) throw new ValueError('cellForward', 'LSTM needs cPrev and cOut');
      h.put(base + cpAt * 4, args.cPrev, 0, rows * H, 'cPrev');
    }
    this.k.cellForward(
      CELL_KINDS[kind].code,
      rows,
      H,
      base + gxAt * 4,
      base + ghAt * 4,
      base + hpAt * 4,
      base + cpAt * 4,
      base + hoAt * 4,
      base + coAt * 4,
      base + caAt * 4,
    );
    h.get(base + hoAt * 4, args.hOut, 0, rows * H, 'hOut');
    if (isLstm) h.get(base + coAt * 4, args.cOut!, 0, rows * H, 'cOut');
    h.get(base + caAt * 4, args.cache, args.cacheOffset, rows * CW, 'cache');
  }

  cellBackward(kind: CellKind, args: CellBackwardArgs): void {
    const { rows, hidden: H } = args;
    if (rows === 0 || H === 0) return;
    const W = gateCount(kind) * H;
    const CW = cacheWidth(kind, H);
    const isLstm = kind === 'lstm';
    const isGru = kind === 'gru';
    const dhAt = 0;
    const dcAt = dhAt + alignFloats(rows * H);
    const caAt = dcAt + alignFloats(isLstm ? rows * H : 0);
    const hpAt = caAt + alignFloats(rows * CW);
    const cpAt = hpAt + alignFloats(isGru ? rows * H : 0);
    const gxAt = cpAt + alignFloats(isLstm ? rows * H : 0);
    const ghAt = gxAt + alignFloats(rows * W);
    const dhpAt = ghAt + alignFloats(rows * W);
    const dcpAt = dhpAt + alignFloats(rows * H);
    const base = this.heap.scratch((dcpAt + (isLstm ? rows * H : 0)) * 4);
    const h = this.heap;
    h.put(base + dhAt * 4, args.dh, 0, rows * H, 'dh');
    h.put(base + caAt * 4, args.cache, args.cacheOffset, rows * CW, 'cache');
    if (isGru) h.put(base + hpAt * 4, args.hPrev, args.hPrevOffset, rows * H, 'hPrev');
    if (isLstm) {
      if (!args.dc || !args.cPrev || !args.dcPrev)
        throw new ValueError('cellBackward', 'LSTM needs dc, cPrev and dcPrev');
      h.put(base + dcAt * 4, args.dc, 0, rows * H, 'dc');
      h.put(base + cpAt * 4, args.cPrev, args.cPrevOffset, rows * H, 'cPrev');
    }
    this.k.cellBackward(
      CELL_KINDS[kind].code,
      rows,
      H,
      base + dhAt * 4,
      base + dcAt * 4,
      base + caAt * 4,
      base + hpAt * 4,
      base + cpAt * 4,
      base + gxAt * 4,
      base + ghAt * 4,
      base + dhpAt * 4,
      base + dcpAt * 4,
    );
    h.get(base + gxAt * 4, args.dgx, args.dgxOffset, rows * W, 'dgx');
    h.get(base + ghAt * 4, args.dgh, args.dghOffset, rows * W, 'dgh');
    h.get(base + dhpAt * 4, args.dhPrev, 0, rows * H, 'dhPrev');
    if (isLstm) h.get(base + dcpAt * 4, args.dcPrev!, 0, rows * H, 'dcPrev');
  }

  /**
   * A block of inference steps (see RecurrentStepsArgs) with its state resident in wasm memory:
   * gx `[count, rows, G·H]`, h, c and the block's outputs `[count, rows, H]` are copied in or out
   * once per block instead of once per step. Per step the recurrent GEMM (`gemmKernel`, split over
   * the helper threads as gemmPacked is) then `stepForward` (cell + row masking). The same kernels
   * in the same order as the per-step calls, so the same values.
   */
  recurrentSteps(kind: CellKind, args: RecurrentStepsArgs): void {
    const packed = args.packedHh;
    if (!(packed instanceof WasmPacked) || packed.ptr === 0) {
      throw new ValueError('recurrentSteps', 'the matrix was not packed by the wasm backend (or was released)');
    }
    const { rows: B, hidden: H, count, reverse, tStart, blockFirst, lengths } = args;
    if (B === 0 || H === 0 || count === 0) return;
    const GH = gateCount(kind) * H;
    const CW = cacheWidth(kind, H);
    if (packed.k !== H || packed.n !== GH) {
      throw new ValueError('recurrentSteps', `packed W_hhᵀ is [${packed.k}, ${packed.n}], expected [${H}, ${GH}]`);
    }
    const tEnd = reverse ? tStart - count + 1 : tStart + count - 1;
    if (Math.min(tStart, tEnd) !== blockFirst || Math.max(tStart, tEnd) >= blockFirst + count) {
      throw new ValueError(
        'recurrentSteps',
        `steps ${tStart}..${tEnd} lie outside the gx block [${blockFirst}, ${blockFirst + count})`,
      );
    }
    const isLstm = kind === 'lstm';
    if (isLstm && (!args.c || !args.cNew)) throw new ValueError('recurrentSteps', 'LSTM needs c and cNew');
    const bias = args.bHh;
    const gxAt = alignFloats(bias ? GH : 0);
    const ghAt = gxAt + alignFloats(count * B * GH);
    const hAt = ghAt + alignFloats(B * GH);
    const cAt = hAt + alignFloats(B * H);
    // hRaw: also the second h buffer of the fused path.
    const hrAt = cAt + alignFloats(isLstm ? B * H : 0);
    const cnAt = hrAt + alignFloats(B * H);
    const caAt = cnAt + alignFloats(isLstm ? B * H : 0);
    const outAt = caAt + alignFloats(B * CW);
    const lenAt = outAt + alignFloats(count * B * H);
    // With `saved`: the block's saved h, c and cache, copied out at its end.
    // (Saved arrays that are resident are written where they are: no room here for them.)
    const saved = args.saved ?? null;
    const residentH = saved !== null && this.resident.has(saved.h);
    const residentC = saved !== null && isLstm && saved.c !== null && this.resident.has(saved.c);
    const residentCache = saved !== null && this.resident.has(saved.cache);
    let shAt = lenAt + alignFloats(lengths ? B : 0);
    let scAt = shAt + alignFloats(saved && !residentH ? count * B * H : 0);
    let skAt = scAt + alignFloats(saved && isLstm && !residentC ? count * B * H : 0);
    // With `project`: the block's rows of x and b_ih, for its GX computed here.
    const project = args.project ?? null;
    const I = project ? project.inputSize : 0;
    const packedIh = project ? this.checkPackedIh(project.packedIh, I, GH) : null;
    const xAt = skAt + alignFloats(saved && !residentCache ? count * B * CW : 0);
    const biAt = xAt + alignFloats(count * B * I);
    const base = this.heap.scratch((biAt + (project?.bIh ? GH : 0)) * 4);
    if (saved) {
      const [BH, BC] = [count * B * H, count * B * CW];
      shAt = this.residentAt(saved.h, blockFirst * B * H, BH, base, 'recurrentSteps saved.h') ?? shAt;
      if (isLstm) scAt = this.residentAt(saved.c, blockFirst * B * H, BH, base, 'recurrentSteps saved.c') ?? scAt;
      skAt = this.residentAt(saved.cache, blockFirst * B * CW, BC, base, 'recurrentSteps saved.cache') ?? skAt;
    }
    const p = (at: number) => base + at * 4;
    const hp = this.heap;
    if (bias) hp.put(base, bias, 0, GH, 'bHh');
    if (project) {
      // GX = x·W_ihᵀ + b_ih for the block's steps, written where the steps read it: the same
      // kernel as the driver's projection GEMM (gemmPacked), so the same values, without taking
      // GX out of wasm memory and back in.
      hp.put(p(xAt), project.x, blockFirst * B * I, count * B * I, 'x');
      if (project.bIh) hp.put(p(biAt), project.bIh, 0, GH, 'bIh');
      if (I > 0) {
        this.gemmKernel(count * B, GH, I, p(xAt), I, 0, packedIh!.ptr, p(gxAt), GH, 0, project.bIh ? p(biAt) : 0);
      } else {
        // No inputs: GX is b_ih (or zeros) on every row, as the GEMM with k = 0 gives.
        const o = p(gxAt) >>> 2;
        hp.f32.fill(0, o, o + count * B * GH);
        if (project.bIh) for (let r = 0; r < count * B; r++) hp.f32.set(project.bIh.subarray(0, GH), o + r * GH);
      }
    } else {
      hp.put(p(gxAt), args.gx, 0, count * B * GH, 'gx');
    }
    hp.put(p(hAt), args.h, 0, B * H, 'h');
    if (isLstm) hp.put(p(cAt), args.c!, 0, B * H, 'c');
    if (lengths) {
      if (lengths.length < B)
        throw new ValueError('recurrentSteps', `lengths has ${lengths.length} rows, batch is ${B}`);
      new Int32Array(hp.f32.buffer, p(lenAt), B).set(lengths.subarray(0, B));
    }
    const code = CELL_KINDS[kind].code;
    const at = { gxAt, hAt, cAt, hrAt, outAt, lenAt, shAt, scAt, skAt };
    if (this.fuseSteps && this.k.stepRowsPerBlock(H) >= 4) {
      this.fusedSteps(kind, args, packed, base, at);
      return;
    }
    for (let i = 0; i < count; i++) {
      const t = reverse ? tStart - i : tStart + i;
      const local = t - blockFirst;
      if (saved) this.saveState(base, p(hAt), at, local, B, H, isLstm);
      this.gemmKernel(B, GH, H, p(hAt), H, 0, packed.ptr, p(ghAt), GH, 0, bias ? base : 0);
      this.k.stepForward(
        code,
        B,
        H,
        p(gxAt + local * B * GH),
        p(ghAt),
        p(hAt),
        p(cAt),
        p(hrAt),
        p(cnAt),
        saved ? p(skAt + local * B * CW) : p(caAt),
        p(outAt + local * B * H),
        lengths ? p(lenAt) : 0,
        t,
      );
    }
    this.finishSteps(kind, args, base, at, p(hAt));
  }

  /**
   * recurrentSteps takes `project` from batch 1 up: it computes its block's GX in wasm memory with
   * the projection GEMM's kernel (the same values), which saves copying GX out to the driver and
   * back in (2 · steps · batch · G·hidden floats per block). Tests set it to undefined to compare
   * with the driver's projection.
   */
  recurrentStepsProjectRows: number | undefined = 1;

  /** `packedIh` of recurrentSteps' `project`: W_ihᵀ packed by this backend, `[inputSize, G·hidden]`. */
  private checkPackedIh(packed: PackedMatrix, inputSize: number, GH: number): WasmPacked {
    if (!(packed instanceof WasmPacked) || packed.ptr === 0) {
      throw new ValueError('recurrentSteps', 'project.packedIh was not packed by the wasm backend (or was released)');
    }
    if (packed.k !== inputSize || packed.n !== GH) {
      throw new ValueError(
        'recurrentSteps',
        `project.packedIh is [${packed.k}, ${packed.n}], expected [${inputSize}, ${GH}]`,
      );
    }
    return packed;
  }

  /**
   * Whether recurrentSteps fuses the recurrent GEMM with the gates (stepPanels); when false, or
   * when H is too large for it, each step is a gemm then stepForward. Tests switch it off to check
   * the second path.
   */
  fuseSteps = true;

  /** Saved h (at byte `hPtr`) and c of step `local` of the block: the state before the step. */
  private saveState(
    base: number,
    hPtr: number,
    at: { cAt: number; shAt: number; scAt: number },
    local: number,
    B: number,
    H: number,
    isLstm: boolean,
  ): void {
    const f = this.heap.f32;
    const o = base >>> 2;
    f.copyWithin(o + at.shAt + local * B * H, hPtr >>> 2, (hPtr >>> 2) + B * H);
    if (isLstm) f.copyWithin(o + at.scAt + local * B * H, o + at.cAt, o + at.cAt + B * H);
  }

  /** Copies a block's results out: output steps, the final h (at byte `hPtr`) and c, what was saved. */
  private finishSteps(
    kind: CellKind,
    args: RecurrentStepsArgs,
    base: number,
    at: { cAt: number; outAt: number; shAt: number; scAt: number; skAt: number },
    hPtr: number,
  ): void {
    const { rows: B, hidden: H, count, blockFirst } = args;
    const p = (f: number) => base + f * 4;
    const hp = this.heap;
    const isLstm = kind === 'lstm';
    hp.get(p(at.outAt), args.output, blockFirst * B * H, count * B * H, 'output');
    hp.get(hPtr, args.h, 0, B * H, 'h');
    if (isLstm) hp.get(p(at.cAt), args.c!, 0, B * H, 'c');
    const saved = args.saved;
    if (!saved) return;
    const CW = cacheWidth(kind, H);
    // Resident arrays were written in place.
    const r = this.resident;
    if (!r.has(saved.h)) hp.get(p(at.shAt), saved.h, blockFirst * B * H, count * B * H, 'saved.h');
    if (isLstm) {
      if (!saved.c) throw new ValueError('recurrentSteps', 'LSTM needs saved.c');
      if (!r.has(saved.c)) hp.get(p(at.scAt), saved.c, blockFirst * B * H, count * B * H, 'saved.c');
    }
    if (!r.has(saved.cache)) hp.get(p(at.skAt), saved.cache, blockFirst * B * CW, count * B * CW, 'saved.cache');
  }

  /**
   * recurrentSteps with the GEMM and the gates fused per group of 8 hidden units (stepPanels),
   * the groups split between this thread and the ready helpers when the step is big enough; h
   * alternates between two buffers (threads read the old h while others write the new one).
   * Operands are already in wasm memory at the offsets (in floats from `base`) given.
   */
  private fusedSteps(
    kind: CellKind,
    args: RecurrentStepsArgs,
    packed: WasmPacked,
    base: number,
    at: {
      gxAt: number;
      hAt: number;
      cAt: number;
      hrAt: number;
      outAt: number;
      lenAt: number;
      shAt: number;
      scAt: number;
      skAt: number;
    },
  ): void {
    const { rows: B, hidden: H, count, reverse, tStart, blockFirst, lengths } = args;
    const GH = gateCount(kind) * H;
    const code = CELL_KINDS[kind].code;
    if (!packed.gates || packed.gates.kind !== kind) {
      if (packed.gates) this.heap.release(packed.gates.ptr);
      const ptr = this.heap.alloc(H * Math.ceil(H / this.nr) * this.nr * gateCount(kind) * 4);
      this.k.packGates(code, H, H, packed.ptr, ptr);
      packed.gates = { kind, ptr };
    }
    const p = (f: number) => base + f * 4;
    const groups = Math.ceil(H / this.nr);
    const big = this.threads !== null && groups >= 2 && 2 * B * GH * H >= this.parallelMinFlops;
    const helpers = big && this.backoff.allows(count) ? this.threads!.ready() : [];
    const parts = Math.min(helpers.length + 1, groups);
    const share = Math.ceil(groups / parts);
    const saved = args.saved ?? null;
    const CW = cacheWidth(kind, H);
    const isLstm = kind === 'lstm';
    let h = p(at.hAt);
    let hNext = p(at.hrAt);
    if (helpers.length === 0) {
      // One thread: the whole block in one call.
      const inB = this.k.stepBlock(
        code,
        B,
        H,
        h,
        hNext,
        packed.gates.ptr,
        args.bHh ? base : 0,
        p(at.gxAt),
        p(at.cAt),
        p(at.outAt),
        lengths ? p(at.lenAt) : 0,
        tStart,
        count,
        reverse ? 1 : 0,
        blockFirst,
        saved ? p(at.skAt) : 0,
        saved ? p(at.shAt) : 0,
        saved && isLstm ? p(at.scAt) : 0,
        this.abuf,
      );
      this.finishSteps(kind, args, base, at, inB ? hNext : h);
      return;
    }
    for (let i = 0; i < count; i++) {
      const t = reverse ? tStart - i : tStart + i;
      const local = t - blockFirst;
      const cache = saved ? p(at.skAt + local * B * CW) : 0;
      if (saved) this.saveState(base, h, at, local, B, H, isLstm);
      // stepPanels' arguments up to its unit range: the same for the caller and the helpers.
      const common: StepPanelsHead = [
        code,
        B,
        H,
        h,
        packed.gates.ptr,
        args.bHh ? base : 0,
        p(at.gxAt + local * B * GH),
        p(at.cAt),
        hNext,
        p(at.outAt + local * B * H),
        lengths ? p(at.lenAt) : 0,
        t,
      ];
      const used = [];
      for (let q = 1, u0 = share; q < parts && u0 < groups; q++, u0 += share) {
        const helper = helpers[q - 1]!;
        this.threads!.postStep(helper, [...common, u0, Math.min(groups, u0 + share), cache]);
        used.push(helper);
      }
      const start = performance.now();
      this.k.stepPanels(...common, 0, Math.min(share, groups), cache, this.abuf);
      if (used.length > 0) {
        const own = performance.now();
        for (const helper of used) this.threads!.join(helper);
        this.backoff.record(own - start, performance.now() - own);
      }
      [h, hNext] = [hNext, h];
    }
    this.finishSteps(kind, args, base, at, h);
  }

  /**
   * The backward's per-step loop (see RecurrentBackwardArgs) with its operands resident in wasm
   * memory: the carries, the step scratch and the bias gradients for the whole loop, the saved
   * state, output gradient, dgx and dgh `[count, rows, G·H]` a block of steps at a time (one copy
   * in or out per block, the block sized to `chunkFloats`). One thread: each block in one call
   * (backwardBlock). With helper threads and a step GEMM worth splitting (batch ≥ 16 at the
   * usual sizes): per step two phases split over the threads (backwardStepPart): the carry,
   * masking and cell backward by rows, then dh_prev = dgh_t·W_hh by panels of dh_prev and the
   * bias sums by columns. The same kernels in the same order as the per-step calls
   * (backwardThroughTime's loop), so the same values. With `weights`, after each block its share
   * of dW_ih and dW_hh (GEMMs split over the threads as gemm's are) from the block's dgx/dgh and
   * saved h already here; dgx, dgh are then copied out only when `gatesOut`.
   */
  recurrentBackward(kind: CellKind, args: RecurrentBackwardArgs): void {
    const packed = args.packedHh;
    if (!(packed instanceof WasmPacked) || packed.ptr === 0) {
      throw new ValueError('recurrentBackward', 'the matrix was not packed by the wasm backend (or was released)');
    }
    const { rows: B, hidden: H, time: T, reverse, lengths, saved } = args;
    if (B === 0 || H === 0 || T === 0) return;
    const GH = gateCount(kind) * H;
    const CW = cacheWidth(kind, H);
    if (packed.k !== GH || packed.n !== H) {
      throw new ValueError('recurrentBackward', `packed W_hh is [${packed.k}, ${packed.n}], expected [${GH}, ${H}]`);
    }
    const isLstm = kind === 'lstm';
    if (isLstm && (!args.dcCarry || !saved.c || !args.scratch.dc || !args.scratch.dcPrev)) {
      throw new ValueError('recurrentBackward', 'LSTM needs dcCarry, saved.c, scratch.dc and scratch.dcPrev');
    }
    if (lengths && lengths.length < B) {
      throw new ValueError('recurrentBackward', `lengths has ${lengths.length} rows, batch is ${B}`);
    }
    const shared = args.dgh === args.dgx;
    const BH = B * H;
    // With `weights`: a block's rows of x, its packed x and h_prev (one packed matrix of both when
    // dgh is dgx: one GEMM), and the weight gradients, resident for the whole loop.
    const wts = args.weights ?? null;
    const I = wts ? wts.inputSize : 0;
    const wIh = wts?.dWih ? true : false;
    const wHh = wts?.dWhh ? true : false;
    if (wts?.dWih && wts.dWih.length < GH * I) throw new ValueError('recurrentBackward', 'weights.dWih is too short');
    if (wts?.dWhh && wts.dWhh.length < GH * H) throw new ValueError('recurrentBackward', 'weights.dWhh is too short');
    const I8 = Math.ceil(I / this.nr) * this.nr;
    const H8 = Math.ceil(H / this.nr) * this.nr;
    const together = shared && wIh && wHh;
    // Columns of the combined product [x | h_prev] (x's panels zero-padded to whole panels).
    const nTogether = I8 + H;
    const packPerRow = together ? I8 + H8 : Math.max(wIh ? I8 : 0, wHh ? H8 : 0);
    // Steps per block: what one step brings in (gOut, saved h/c, cache, x) and takes out (dgx, dgh).
    const perStep = BH * (isLstm ? 3 : 2) + B * CW + B * GH * (shared ? 1 : 2) + B * (wIh ? I : 0) + B * packPerRow;
    const block = Math.max(1, Math.min(T, Math.floor(this.chunkFloats / perStep)));
    // Resident for the whole loop, then one block's arrays.
    const lay = new Layout();
    const dhCarryAt = lay.take(BH);
    const dcCarryAt = lay.take(isLstm ? BH : 0);
    const dhTAt = lay.take(BH);
    const dcAt = lay.take(isLstm ? BH : 0);
    const dhDirectAt = lay.take(BH);
    const dcPrevAt = lay.take(isLstm ? BH : 0);
    const dhPrevAt = lay.take(BH);
    const lenAt = lay.take(lengths ? B : 0);
    const dbIhAt = lay.take(args.dbIh ? GH : 0);
    const dbHhAt = lay.take(args.dbHh ? GH : 0);
    const sumsAt = lay.take(GH);
    const ctxAt = lay.take(this.k.BACKWARD_CONTEXT_INTS.value as number);
    const gOutAt = lay.take(block * BH);
    // Saved arrays that are resident (residentFloats) are read where they are.
    const res = this.resident;
    const cacheAt = lay.take(res.has(saved.cache) ? 0 : block * B * CW);
    const shAt = lay.take(res.has(saved.h) ? 0 : block * BH);
    const scAt = lay.take(isLstm && !res.has(saved.c!) ? block * BH : 0);
    const dgxAt = lay.take(block * B * GH);
    const dghAt = shared ? dgxAt : lay.take(block * B * GH);
    const xAt = lay.take(wIh ? block * B * I : 0);
    const pkAt = lay.take(block * B * packPerRow);
    const cIhAt = lay.take(together ? GH * nTogether : wIh ? GH * I : 0);
    const cHhAt = lay.take(wHh && !together ? GH * H : 0);
    const base = this.heap.scratch(lay.floats * 4);
    const p = (at: number) => base + at * 4;
    const hp = this.heap;
    hp.put(p(dhCarryAt), args.dhCarry, 0, BH, 'dhCarry');
    if (isLstm) hp.put(p(dcCarryAt), args.dcCarry!, 0, BH, 'dcCarry');
    if (lengths) new Int32Array(hp.f32.buffer, p(lenAt), B).set(lengths.subarray(0, B));
    if (args.dbIh) hp.put(p(dbIhAt), args.dbIh, 0, GH, 'dbIh');
    if (args.dbHh) hp.put(p(dbHhAt), args.dbHh, 0, GH, 'dbHh');
    const code = CELL_KINDS[kind].code;
    const lenPtr = lengths ? p(lenAt) : 0;
    const dc = isLstm ? p(dcAt) : 0;
    const dcCarry = isLstm ? p(dcCarryAt) : 0;
    const dcPrev = isLstm ? p(dcPrevAt) : 0;
    // Split the step GEMM (m = B, n = H, k = GH) when gemmKernel would.
    const split = this.threads !== null && B >= 16 && 2 * B * H * GH >= this.parallelMinFlops;
    const helpers = split ? this.threads!.ready() : [];
    let tAfter = -1;
    for (let done = 0; done < T; done += block) {
      const count = Math.min(block, T - done);
      // Steps in processing order: t = T-1 … 0 forward, 0 … T-1 for a reversed layer.
      const tStart = reverse ? done : T - 1 - done;
      const dir = reverse ? 1 : -1;
      const first = reverse ? tStart : tStart - count + 1;
      hp.put(p(gOutAt), args.gOut, first * BH, count * BH, 'gOut');
      // This block's saved h, c and cache: in place when resident, else copied in.
      const blockOf = (array: Float32Array, at: number, width: number, what: string): number => {
        const inPlace = this.residentAt(array, first * width, count * width, base, `recurrentBackward ${what}`);
        if (inPlace !== null) return p(inPlace);
        hp.put(p(at), array, first * width, count * width, what);
        return p(at);
      };
      const cacheP = blockOf(saved.cache, cacheAt, B * CW, 'saved.cache');
      const shP = blockOf(saved.h, shAt, BH, 'saved.h');
      const scP = isLstm ? blockOf(saved.c!, scAt, BH, 'saved.c') : 0;
      if (helpers.length === 0) {
        this.k.backwardBlock(
          code,
          B,
          H,
          tStart,
          count,
          dir,
          first,
          tAfter,
          lenPtr,
          p(gOutAt),
          p(dhCarryAt),
          dcCarry,
          p(dhTAt),
          dc,
          cacheP,
          shP,
          scP,
          p(dgxAt),
          p(dghAt),
          p(dhDirectAt),
          dcPrev,
          p(dhPrevAt),
          packed.ptr,
          args.dbIh ? p(dbIhAt) : 0,
          args.dbHh ? p(dbHhAt) : 0,
          p(sumsAt),
          this.abuf,
        );
        tAfter = tStart + (count - 1) * dir;
      } else {
        const ctx = new Int32Array(hp.f32.buffer, p(ctxAt), this.k.BACKWARD_CONTEXT_INTS.value as number);
        ctx.set([
          code,
          B,
          H,
          lenPtr,
          p(dhCarryAt),
          dcCarry,
          p(dhTAt),
          dc,
          p(dhDirectAt),
          dcPrev,
          p(dhPrevAt),
          packed.ptr,
          args.dbIh ? p(dbIhAt) : 0,
          args.dbHh ? p(dbHhAt) : 0,
          p(sumsAt),
          p(gOutAt),
          cacheP,
          shP,
          scP,
          p(dgxAt),
          p(dghAt),
          first,
        ]);
        for (let i = 0; i < count; i++) {
          const t = tStart + i * dir;
          // Phase 0 by rows (carry, masking, cell), then phase 1 by columns (dh_prev, bias sums).
          // (On one thread for a while when the helpers keep finishing late: SplitBackoff.)
          const now = this.backoff.allows() ? helpers : [];
          for (const phase of [0, 1]) this.backwardPhase(p(ctxAt), t, tAfter, phase, now);
          tAfter = t;
        }
      }
      if (wts) {
        // This block's share of dW_ih = dgxᵀ·x and dW_hh = dghᵀ·h_prev (rows: its steps in time order).
        const rows = count * B;
        const acc = done > 0 ? 1 : 0;
        if (wIh) hp.put(p(xAt), wts.x, first * B * I, rows * I, 'weights.x');
        if (together) {
          const panels = (I8 + H8) / this.nr;
          this.k.packB(rows, I, p(xAt), I, 0, p(pkAt), panels, 0);
          this.k.packB(rows, H, shP, H, 0, p(pkAt), panels, I8 / this.nr);
          this.gemmKernel(GH, nTogether, rows, p(dgxAt), GH, 1, p(pkAt), p(cIhAt), nTogether, acc, 0);
        } else {
          if (wIh) {
            this.k.packB(rows, I, p(xAt), I, 0, p(pkAt), I8 / this.nr, 0);
            this.gemmKernel(GH, I, rows, p(dgxAt), GH, 1, p(pkAt), p(cIhAt), I, acc, 0);
          }
          if (wHh) {
            this.k.packB(rows, H, shP, H, 0, p(pkAt), H8 / this.nr, 0);
            this.gemmKernel(GH, H, rows, p(dghAt), GH, 1, p(pkAt), p(cHhAt), H, acc, 0);
          }
        }
      }
      if (!wts || wts.gatesOut) {
        hp.get(p(dgxAt), args.dgx, first * B * GH, count * B * GH, 'dgx');
        if (!shared) hp.get(p(dghAt), args.dgh, first * B * GH, count * B * GH, 'dgh');
      }
    }
    if (wts) this.weightsOut(wts, GH, I, H, together ? nTogether : 0, p(cIhAt), p(cHhAt));
    this.k.backwardCarry(
      B,
      H,
      tAfter,
      lenPtr,
      shared ? 0 : 1,
      p(dhPrevAt),
      p(dhDirectAt),
      dcPrev,
      p(dhCarryAt),
      dcCarry,
    );
    hp.get(p(dhCarryAt), args.dhCarry, 0, BH, 'dhCarry');
    if (isLstm) hp.get(p(dcCarryAt), args.dcCarry!, 0, BH, 'dcCarry');
    if (args.dbIh) hp.get(p(dbIhAt), args.dbIh, 0, GH, 'dbIh');
    if (args.dbHh) hp.get(p(dbHhAt), args.dbHh, 0, GH, 'dbHh');
  }

  /**
   * recurrentBackward takes `weights`: the weight gradients from each block's dgx/dgh in wasm
   * memory (saves copying dgx, dgh out and back into the all-steps GEMMs, and A's packing
   * twice when both products share dgx). Tests set it to false to compare with the driver's GEMMs.
   */
  recurrentBackwardWeights = true;

  /**
   * Copies recurrentBackward's weight gradients out: `[G·hidden, I]` at cIh and `[G·hidden, H]` at
   * cHh, or, with `ldTogether` > 0, both from the rows of one `[G·hidden, ldTogether]` product at cIh
   * (dW_ih in its first I columns, dW_hh after x's whole panels).
   */
  private weightsOut(
    wts: NonNullable<RecurrentBackwardArgs['weights']>,
    GH: number,
    I: number,
    H: number,
    ldTogether: number,
    cIh: number,
    cHh: number,
  ): void {
    const f = this.heap.f32;
    if (ldTogether > 0) {
      const o = cIh >>> 2;
      const hAt = ldTogether - H;
      for (let g = 0; g < GH; g++) {
        const row = o + g * ldTogether;
        wts.dWih!.set(f.subarray(row, row + I), g * I);
        wts.dWhh!.set(f.subarray(row + hAt, row + hAt + H), g * H);
      }
      return;
    }
    if (wts.dWih) this.heap.get(cIh, wts.dWih, 0, GH * I, 'weights.dWih');
    if (wts.dWhh) this.heap.get(cHh, wts.dWhh, 0, GH * H, 'weights.dWhh');
  }

  /** One phase of backward step t (backwardStepPart) split over this thread and `helpers`. */
  private backwardPhase(ctx: number, t: number, tAfter: number, phase: number, helpers: GemmHelper[]): void {
    const parts = helpers.length + 1;
    if (parts === 1) {
      this.k.backwardStepPart(ctx, t, tAfter, phase, 0, 1, this.abuf);
      return;
    }
    for (let q = 1; q < parts; q++) this.threads!.postBackward(helpers[q - 1]!, [ctx, t, tAfter, phase, q, parts]);
    const start = performance.now();
    this.k.backwardStepPart(ctx, t, tAfter, phase, 0, parts, this.abuf);
    const own = performance.now();
    for (const helper of helpers) this.threads!.join(helper);
    this.backoff.record(own - start, performance.now() - own);
  }

  columnSums(src: Float32Array, rows: number, width: number, out: Float32Array): void {
    if (width === 0) return;
    if (rows === 0) {
      out.fill(0, 0, width);
      return;
    }
    const rowsPerChunk = Math.max(1, Math.min(rows, Math.floor(this.chunkFloats / width)));
    const outAt = 0;
    const srcAt = alignFloats(width);
    const base = this.heap.scratch((srcAt + rowsPerChunk * width) * 4);
    for (let r0 = 0; r0 < rows; r0 += rowsPerChunk) {
      const n = Math.min(rowsPerChunk, rows - r0);
      this.heap.put(base + srcAt * 4, src, r0 * width, n * width, 'src');
      this.k.columnSums(base + srcAt * 4, n, width, base + outAt * 4, r0 > 0 ? 1 : 0);
    }
    this.heap.get(base + outAt * 4, out, 0, width, 'out');
  }
}

/**
 * When the machine's cores are busy with other work, a helper thread gets descheduled and the
 * caller waits for it longer than the whole product would have taken alone. After a few such
 * splits in a row, work stays on the caller for the next `PAUSE_UNITS` split decisions (a GEMM,
 * or one time step of the step loops: a block of T steps asks for T units at once), then
 * splitting is tried again. Counting steps, not calls, keeps one hiccup from putting whole
 * forward passes on one thread. Results do not depend on it: a split is bit-identical to a
 * single-thread run.
 */
class SplitBackoff {
  static readonly LATE_IN_A_ROW = 8;
  static readonly PAUSE_UNITS = 100;
  private late = 0;
  private paused = 0;

  /** Whether `units` decisions (1, or the steps of a block) may split. */
  allows(units = 1): boolean {
    if (this.paused === 0) return true;
    this.paused = Math.max(0, this.paused - units);
    return false;
  }

  /** `ownMs`: the caller's share; `waitedMs`: how long it then waited for the helpers. */
  record(ownMs: number, waitedMs: number): void {
    // Late: the helpers' equal share took more than twice the caller's.
    if (waitedMs > ownMs) this.late++;
    else this.late = 0;
    if (this.late >= SplitBackoff.LATE_IN_A_ROW) {
      this.late = 0;
      this.paused = SplitBackoff.PAUSE_UNITS;
    }
  }
}

/** Consecutive regions of a scratch area, in floats, each starting on 64 bytes. */
class Layout {
  floats = 0;
  /** The offset (floats) of a new region of `n` floats. */
  take(n: number): number {
    const at = this.floats;
    this.floats += alignFloats(n);
    return at;
  }
}

/** Rounds a float count up to a multiple of 16 (64 bytes). */
function alignFloats(n: number): number {
  return Math.ceil(n / 16) * 16;
}
