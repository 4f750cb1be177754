/** Shared batching for the text tasks: shuffled index chunks and id sequences padded into tensors. */
import type { Generator } from '../tensor/random.js';
import { noGrad } from '../tensor/autograd.js';
import { Tensor } from '../tensor/tensor.js';

/** Splits `0..count-1` into chunks of `batchSize`, shuffled by `generator` when given. */
export function indexBatches(count: number, batchSize: number, generator?: Generator): number[][] {
  const order = Array.from({ length: count }, (_, i) => i);
  if (generator) generator.shuffle(order);
  const out: number[][] = [];
  for (let i = 0; i < count; i += batchSize) out.push(order.slice(i, i + batchSize));
  return out;
}

/** Batches of a window: how many batches' worth of shuffled rows are sorted by length together. */
export const BUCKET_WINDOW_BATCHES = 50;

/**
 * Like indexBatches, but each batch holds rows of similar `lengths[i]` (less padding): the
 * shuffled order is cut into windows of `BUCKET_WINDOW_BATCHES` batches, each window sorted by
 * length (stable) and chunked into batches, and the batches' order shuffled again. Every index
 * appears once; the same generator state gives the same batches.
 */
export function lengthBucketedBatches(lengths: readonly number[], batchSize: number, generator: Generator): number[][] {
  const order = generator.shuffle(Array.from({ length: lengths.length }, (_, i) => i));
  const window = batchSize * BUCKET_WINDOW_BATCHES;
  const out: number[][] = [];
  for (let w = 0; w < order.length; w += window) {
    const rows = order.slice(w, w + window).sort((a, b) => lengths[a]! - lengths[b]!);
    for (let i = 0; i < rows.length; i += batchSize) out.push(rows.slice(i, i + batchSize));
  }
  return generator.shuffle(out);
}

/** Pads id sequences (each of length >= 1) to (batch, maxLength) with `padValue`. */
export function padIds(sequences: readonly ArrayLike<number>[], padValue = 0): { ids: Tensor; lengths: number[] } {
  const lengths = sequences.map((s) => Math.max(1, s.length));
  const time = Math.max(1, ...lengths);
  const data = new Float32Array(sequences.length * time).fill(padValue);
  sequences.forEach((s, b) => {
    for (let t = 0; t < s.length; t++) data[b * time + t] = s[t]!;
  });
  return { ids: new Tensor(data, [sequences.length, time]), lengths };
}

/**
 * Many id sequences in one typed array, each row read back as a view. A training set of 100,000
 * rows as plain arrays is hundreds of thousands of objects that every full garbage collection of
 * a run marks (on CMUdict, collections triggered by the steps' tensor memory came every few
 * steps and took over 100 ms each); packed, it is a handful.
 */
export class PackedSequences {
  private readonly ids: Int32Array;
  private readonly starts: Int32Array;

  constructor(sequences: readonly ArrayLike<number>[]) {
    this.starts = new Int32Array(sequences.length + 1);
    sequences.forEach((s, i) => (this.starts[i + 1] = this.starts[i]! + s.length));
    this.ids = new Int32Array(this.starts[sequences.length]!);
    sequences.forEach((s, i) => this.ids.set(s, this.starts[i]!));
  }

  get length(): number {
    return this.starts.length - 1;
  }

  /** Row `i`'s ids (a view: do not write). */
  row(i: number): Int32Array {
    return this.ids.subarray(this.starts[i]!, this.starts[i + 1]!);
  }
}

/** Mean of a per-batch loss over `examples`, weighted by batch size, without a graph (validation). */
export function meanLoss<E, B>(
  examples: readonly E[],
  toBatch: (rows: E[]) => B,
  loss: (batch: B) => Tensor,
  batchSize = 256,
): number {
  return noGrad(() => {
    let total = 0;
    for (let i = 0; i < examples.length; i += batchSize) {
      const rows = examples.slice(i, i + batchSize);
      total += loss(toBatch(rows)).item() * rows.length;
    }
    return total / Math.max(examples.length, 1);
  });
}
