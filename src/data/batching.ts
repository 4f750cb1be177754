/**
 * Turning examples into batches: padding id sequences into a tensor, iterating over mini-batches,
 * and cutting a series into (input window, target window) pairs.
 */
import { ValueError } from '../errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';

export interface PadSequencesOptions {
  /** Value of the padded positions. Default 0 (the id of `<pad>` in a default vocabulary). */
  padValue?: number;
  /** Sequences longer than this are cut to their first `maxLength` items. */
  maxLength?: number;
}

export interface PaddedBatch {
  /** `(batch, time)`, batch-first; `time` is the longest length (after `maxLength`). */
  tensor: Tensor;
  /** The length of each sequence (after `maxLength`), for `packPaddedSequence` or `lastValidStep`. */
  lengths: number[];
}

/**
 * Pads id sequences to a common length: `tensor` `(batch, time)` with `padValue` after each
 * sequence, and `lengths` `(batch)`. Use `batchFirst: true` downstream.
 *   padSequences([[5, 6, 7], [8]])  →  tensor [[5, 6, 7], [8, 0, 0]], lengths [3, 1]
 */
export function padSequences(
  sequences: readonly (readonly number[])[],
  options: PadSequencesOptions = {},
): PaddedBatch {
  const where = 'padSequences';
  const padValue = options.padValue ?? 0;
  const maxLength = options.maxLength ?? Infinity;
  if (sequences.length === 0) throw new ValueError(where, 'no sequences to pad (the batch is empty)');
  if (maxLength !== Infinity && (!Number.isInteger(maxLength) || maxLength < 1)) {
    throw new ValueError(where, `maxLength is ${maxLength}, expected an integer >= 1`);
  }
  const lengths = sequences.map((s) => Math.min(s.length, maxLength));
  const time = Math.max(...lengths);
  const data = new Float32Array(sequences.length * time).fill(padValue);
  sequences.forEach((s, b) => {
    for (let t = 0; t < lengths[b]!; t++) {
      const v = s[t]!;
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new ValueError(where, `sequences[${b}][${t}] is ${String(v)}, expected a finite number`);
      data[b * time + t] = v;
    }
  });
  return { tensor: new Tensor(data, [sequences.length, time]), lengths };
}

export interface BatchOptions {
  /** Visit the items in a new random order on each call. Default false (the given order). */
  shuffle?: boolean;
  /** Generator of the shuffle. Default the global one (see `manualSeed`). */
  generator?: Generator;
  /** Leave out the last batch when it is smaller than `batchSize`. Default false. */
  dropLast?: boolean;
}

/**
 * Mini-batches of `batchSize` items (the last one may be smaller unless `dropLast`). Each call
 * makes one pass (one epoch); the shuffle draws from the generator when the iteration starts.
 */
export function* batches<T>(items: readonly T[], batchSize: number, options: BatchOptions = {}): IterableIterator<T[]> {
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new ValueError('batches', `batchSize is ${batchSize}, expected an integer >= 1`);
  const order = Array.from({ length: items.length }, (_, i) => i);
  if (options.shuffle) (options.generator ?? defaultGenerator).shuffle(order);
  for (let from = 0; from < order.length; from += batchSize) {
    const to = Math.min(from + batchSize, order.length);
    if (options.dropLast && to - from < batchSize) break;
    yield order.slice(from, to).map((i) => items[i]!);
  }
}

export interface Windows {
  /** `(windows, inputLength)`: consecutive values fed to the model. */
  inputs: number[][];
  /** `(windows, horizon)`: the values that follow each input window. */
  targets: number[][];
}

/**
 * Every window of `inputLength` consecutive values with the `horizon` values after it as target,
 * sliding by `stride` (default 1): `values.length - inputLength - horizon + 1` windows with
 * stride 1 (none when the series is too short).
 *   slidingWindows([1, 2, 3, 4, 5], 3, 1)  →  inputs [[1, 2, 3], [2, 3, 4]], targets [[4], [5]]
 */
export function slidingWindows(values: readonly number[], inputLength: number, horizon: number, stride = 1): Windows {
  const where = 'slidingWindows';
  for (const [name, v] of [
    ['inputLength', inputLength],
    ['horizon', horizon],
    ['stride', stride],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ValueError(where, `${name} is ${v}, expected an integer >= 1`);
  }
  const inputs: number[][] = [];
  const targets: number[][] = [];
  for (let start = 0; start + inputLength + horizon <= values.length; start += stride) {
    inputs.push(values.slice(start, start + inputLength));
    targets.push(values.slice(start + inputLength, start + inputLength + horizon));
  }
  return { inputs, targets };
}
