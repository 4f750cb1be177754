/**
 * Large float arrays whose every element the caller writes before anyone reads it (a recurrent
 * layer's output, written step by step; a pointwise loss's gradient). `new Float32Array(n)` takes zeroed memory fresh from the
 * system for a large n, and the first write to each page then faults: 22 ms for the 6.5 MB output
 * of an LSTM at (batch 64, time 100, hidden 256) on the shared 2-core machine, against 0.7 ms for
 * memory from Node's uninitialized allocator, which the C library hands back from earlier frees.
 * Each array gets an ArrayBuffer of its own (never a slice of a shared pool), so code that tells
 * arrays apart by their buffer keeps working. Outside Node (a browser), or below LARGE_FLOATS
 * elements, a plain zeroed array.
 */

/** From this many elements (256 KiB) on, memory comes uninitialized. */
export const LARGE_FLOATS = 1 << 16;

type UnsafeAllocator = (bytes: number) => Uint8Array;

const allocUnsafeSlow: UnsafeAllocator | undefined = (globalThis as { Buffer?: { allocUnsafeSlow?: UnsafeAllocator } })
  .Buffer?.allocUnsafeSlow;

/**
 * A Float32Array of `length` elements with unspecified contents (zeros below LARGE_FLOATS or
 * outside Node): the caller must write every element, or `fill(0)` first.
 */
export function uninitializedFloats(length: number): Float32Array {
  if (length < LARGE_FLOATS || !allocUnsafeSlow) return new Float32Array(length);
  const bytes = allocUnsafeSlow(length * 4);
  return new Float32Array(bytes.buffer, bytes.byteOffset, length);
}
