/**
 * Memory of the wasm kernels module, managed from JS: a first-fit allocator (64-byte aligned
 * blocks, coalesced on free) for long-lived data such as packed weights, and a reusable scratch
 * region for the operands of one call. The memory grows when needed and never shrinks; views
 * are re-created after a grow (a grow detaches the old buffer).
 */

/** The part of WebAssembly.Memory used here (typed locally: the project's lib has no DOM types). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

const ALIGN = 64;
const PAGE = 65536;

interface Block {
  start: number;
  size: number;
}

export class WasmHeap {
  private f32view: Float32Array;
  private readonly free: Block[] = [];
  private readonly used = new Map<number, number>();
  private top: number;
  private scratchPtr = 0;
  private scratchBytes = 0;

  constructor(
    private readonly memory: WasmMemory,
    heapBase: number,
  ) {
    this.top = alignUp(heapBase);
    this.f32view = new Float32Array(memory.buffer);
  }

  /** A Float32Array over the whole memory (fresh after any grow). */
  get f32(): Float32Array {
    if (this.f32view.buffer !== this.memory.buffer) this.f32view = new Float32Array(this.memory.buffer);
    return this.f32view;
  }

  /** Bytes of wasm memory reserved so far. */
  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }

  /** Live allocations (not counting the scratch region). */
  get liveBlocks(): number {
    return this.used.size - (this.scratchPtr ? 1 : 0);
  }

  /** Allocates `bytes` (64-byte aligned). */
  alloc(bytes: number): number {
    const size = alignUp(Math.max(bytes, ALIGN));
    for (let i = 0; i < this.free.length; i++) {
      const block = this.free[i]!;
      if (block.size < size) continue;
      const ptr = block.start;
      if (block.size === size) this.free.splice(i, 1);
      else {
        block.start += size;
        block.size -= size;
      }
      this.used.set(ptr, size);
      return ptr;
    }
    // Take from the top, growing the memory when needed.
    const ptr = this.top;
    const end = ptr + size;
    if (end > 0xffff_0000) throw new RangeError(`wasm backend: ${bytes} bytes do not fit in 4 GiB of wasm memory`);
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / PAGE));
    this.top = end;
    this.used.set(ptr, size);
    return ptr;
  }

  release(ptr: number): void {
    const size = this.used.get(ptr);
    if (size === undefined) return;
    this.used.delete(ptr);
    if (ptr + size === this.top) {
      this.top = ptr;
      // Give back a free block that now touches the top too.
      const last = this.free[this.free.length - 1];
      if (last && last.start + last.size === this.top) {
        this.top = last.start;
        this.free.pop();
      }
      return;
    }
    let i = 0;
    while (i < this.free.length && this.free[i]!.start < ptr) i++;
    this.free.splice(i, 0, { start: ptr, size });
    const next = this.free[i + 1];
    if (next && ptr + size === next.start) {
      this.free[i]!.size += next.size;
      this.free.splice(i + 1, 1);
    }
    const prev = this.free[i - 1];
    if (prev && prev.start + prev.size === ptr) {
      prev.size += this.free[i]!.size;
      this.free.splice(i, 1);
    }
  }

  /** A scratch region of at least `bytes`, valid until the next call of scratch(). */
  scratch(bytes: number): number {
    if (bytes > this.scratchBytes) {
      if (this.scratchPtr) this.release(this.scratchPtr);
      this.scratchBytes = alignUp(Math.max(bytes, 1 << 16));
      this.scratchPtr = this.alloc(this.scratchBytes);
    }
    return this.scratchPtr;
  }

  /** Copies src[offset, offset + length) to `ptr` (bytes) in wasm memory. */
  put(ptr: number, src: Float32Array, offset: number, length: number, what: string): void {
    if (length <= 0) return;
    checkRange(src, offset, length, what);
    this.f32.set(offset === 0 && length === src.length ? src : src.subarray(offset, offset + length), ptr >>> 2);
  }

  /** Copies `length` floats from `ptr` (bytes) to dst[offset, offset + length). */
  get(ptr: number, dst: Float32Array, offset: number, length: number, what: string): void {
    if (length <= 0) return;
    checkRange(dst, offset, length, what);
    const from = ptr >>> 2;
    dst.set(this.f32.subarray(from, from + length), offset);
  }
}

function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

function checkRange(array: Float32Array, offset: number, length: number, what: string): void {
  if (!(offset >= 0 && offset + length <= array.length)) {
    throw new RangeError(
      `wasm backend: ${what} needs elements [${offset}, ${offset + length}) but its array has ${array.length}`,
    );
  }
}
