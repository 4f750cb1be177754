/**
 * Batch-first sequences for the inference driver (fused.ts): a backend whose block kernel takes
 * `batchFirstTime` reads a (batch, time, features) input and writes a (batch, time, features)
 * output in place; for the others the driver swaps the two leading dims around the steps, the
 * plain way, with {@link swapLeadingDims}.
 */
import { uninitializedFloats } from '../../tensor/uninitialized.js';

/**
 * `src` as (n0, n1, width) rows, row-major, copied to a new array as (n1, n0, width): element
 * (i, j, k) goes to (j, i, k). Bit for bit (a copy of each row).
 */
export function swapLeadingDims(src: Float32Array, n0: number, n1: number, width: number): Float32Array {
  const out = uninitializedFloats(n0 * n1 * width); // every element is written below
  for (let i = 0; i < n0; i++) {
    for (let j = 0; j < n1; j++) {
      const from = (i * n1 + j) * width;
      const to = (j * n0 + i) * width;
      if (width >= 64) out.set(src.subarray(from, from + width), to);
      else for (let k = 0; k < width; k++) out[to + k] = src[from + k]!;
    }
  }
  return out;
}
