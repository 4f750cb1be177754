/** Shared batching for the text tasks: shuffled index chunks and id sequences padded into tensors. */
import type { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';

/** Splits `0..count-1` into chunks of `batchSize`, shuffled by `generator` when given. */
export function indexBatches(count: number, batchSize: number, generator?: Generator): number[][] {
  const order = Array.from({ length: count }, (_, i) => i);
  if (generator) generator.shuffle(order);
  const out: number[][] = [];
  for (let i = 0; i < count; i += batchSize) out.push(order.slice(i, i + batchSize));
  return out;
}

/** Pads id sequences (each of length >= 1) to (batch, maxLength) with `padValue`. */
export function padIds(sequences: readonly (readonly number[])[], padValue = 0): { ids: Tensor; lengths: number[] } {
  const lengths = sequences.map((s) => Math.max(1, s.length));
  const time = Math.max(1, ...lengths);
  const data = new Float32Array(sequences.length * time).fill(padValue);
  sequences.forEach((s, b) => s.forEach((id, t) => (data[b * time + t] = id)));
  return { ids: new Tensor(data, [sequences.length, time]), lengths };
}
