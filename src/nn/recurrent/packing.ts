/**
 * Packed copies of one layer direction's weights, kept across calls of the fused layer by their
 * owner while the weights do not change (an ONNX model's recurrent node keeps one per direction
 * for the model's life: its weights are constants), and the layer's scratch buffers (allocating
 * a large typed array costs tens of microseconds, more than a small layer's whole step loop).
 * Without one, the fused layer packs its weights at every call and frees them at the end.
 *
 * The copies are made lazily, by the backend in use, on first need; switching backends drops
 * them. A packed copy does not follow later writes to the weights: after changing them, call
 * `release()` (the next call packs again). A `checked` packing (a module's weights for its calls
 * without a graph, which an optimizer or the user may change between calls) keeps a copy of each
 * source and compares it with the source at every use, packing again when they differ; the
 * comparison is a memcmp, so checked packings exist only where one is at hand (Node.js's Buffer).
 */
import type { Backend, PackArgs, PackedMatrix } from '../../backend/backend.js';

/** Which matrix: the forward's W_ihᵀ, W_hhᵀ, W_hrᵀ, or the backward's W_hh, W_hr. */
export type PackedWeight = 'ihT' | 'hhT' | 'hrT' | 'hh' | 'hr';

type Bytes = Uint8Array & { equals(other: Uint8Array): boolean };
type BufferFrom = (buffer: ArrayBufferLike, byteOffset: number, length: number) => Bytes;
const bufferFrom: BufferFrom | undefined = (globalThis as { Buffer?: { from: BufferFrom } }).Buffer?.from;

/** Whether two float arrays hold the same bytes, by memcmp (Node.js's Buffer). */
function sameBytes(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  return bufferFrom!(a.buffer, a.byteOffset, a.byteLength).equals(bufferFrom!(b.buffer, b.byteOffset, b.byteLength));
}

/** Frees what a dropped WeightPacking still held (wasm memory is not garbage-collected). */
const leftovers = new FinalizationRegistry<Map<PackedWeight, PackedMatrix>>((packed) => {
  for (const p of packed.values()) p.release();
});

export class WeightPacking {
  private backend: Backend | null = null;
  private readonly packed = new Map<PackedWeight, PackedMatrix>();
  private readonly buffers = new Map<string, Float32Array>();
  /** With `checked`: a copy of each packed matrix's source as it was packed. */
  private readonly sources = new Map<PackedWeight, Float32Array>();
  /** How many matrices this object has packed (for tests: the weights are packed once). */
  packCount = 0;

  /** Whether checked packings can be made here (see the module comment). */
  static readonly canCheck = bufferFrom !== undefined;

  /**
   * @param checked compare each source with the copy made when it was packed before reusing the
   *   packed matrix (requires `WeightPacking.canCheck`)
   */
  constructor(private readonly checked = false) {
    if (checked && !WeightPacking.canCheck) throw new Error('WeightPacking: checked packings need Node.js Buffer');
    leftovers.register(this, this.packed, this);
  }

  /** The packed matrix `which` for `backend`, packed from `source` on first use. */
  get(backend: Backend, which: PackedWeight, source: PackArgs): PackedMatrix {
    if (this.backend !== backend) {
      this.release();
      this.backend = backend;
    }
    let p = this.packed.get(which);
    if (p && this.checked && !sameBytes(this.sources.get(which)!, source.b)) {
      p.release(); // the weights changed since they were packed
      p = undefined;
    }
    if (!p) {
      p = backend.packB(source);
      this.packCount++;
      this.packed.set(which, p);
      if (this.checked) this.sources.set(which, source.b.slice());
    }
    return p;
  }

  /**
   * A scratch buffer of `length` floats named `name`, reused by later calls that ask for the same
   * name and length (contents are whatever the last user left). Only for values that do not
   * outlive the call.
   */
  scratch(name: string, length: number): Float32Array {
    let b = this.buffers.get(name);
    if (!b || b.length !== length) {
      b = new Float32Array(length);
      this.buffers.set(name, b);
    }
    return b;
  }

  /** Frees every packed copy now (the next use packs again). */
  release(): void {
    for (const p of this.packed.values()) p.release();
    this.packed.clear();
    this.sources.clear();
  }
}
