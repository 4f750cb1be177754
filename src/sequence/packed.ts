/**
 * PackedSequence, for people porting PyTorch code. Our layers take `lengths` directly, so
 * packing is never required; these helpers map PyTorch's packed form onto that mechanism.
 *
 * Packed layout (as PyTorch): sequences sorted by decreasing length, then stored time step by
 * time step, each step holding only the sequences still running.
 *   lengths [2, 3, 1], padded (batch-first):  a0 a1 -    b0 b1 b2    c0 -  -
 *   sortedIndices [1, 0, 2]  ->  data: b0 a0 c0 | b1 a1 | b2     batchSizes [3, 2, 1]
 */
import { ShapeError, ValueError } from '../errors.js';
import { concat, indexSelect, reshape } from '../tensor/ops/layout.js';
import { Tensor } from '../tensor/tensor.js';

export class PackedSequence {
  constructor(
    /** (sum of lengths, ...features): the valid steps, packed time step by time step. */
    readonly data: Tensor,
    /** How many sequences are still running at each time step. */
    readonly batchSizes: Int32Array,
    /** sortedIndices[k] = the original batch row of the k-th longest sequence. */
    readonly sortedIndices: Int32Array,
    /** unsortedIndices[b] = the sorted position of original row b. */
    readonly unsortedIndices: Int32Array,
  ) {}

  /** The length of each sequence, in original batch order. */
  get lengths(): Int32Array {
    const lengths = new Int32Array(this.sortedIndices.length);
    this.batchSizes.forEach((size) => {
      for (let k = 0; k < size; k++) lengths[this.sortedIndices[k]!]!++;
    });
    return lengths;
  }
}

export interface PackOptions {
  /** The padded input is (batch, time, ...) instead of (time, batch, ...) (default false). */
  batchFirst?: boolean;
  /** Require lengths in decreasing order, as PyTorch's default (default false here). */
  enforceSorted?: boolean;
}

/** For each packed row, the flat row of the time-major padded tensor it comes from. */
function packedRowMap(
  lengths: Int32Array,
  sorted: Int32Array,
  batch: number,
): { rows: Int32Array; batchSizes: Int32Array } {
  const maxLength = lengths[sorted[0]!]!;
  const batchSizes = new Int32Array(maxLength);
  const rows: number[] = [];
  for (let t = 0; t < maxLength; t++) {
    for (let k = 0; k < sorted.length; k++) {
      const b = sorted[k]!;
      if (lengths[b]! > t) {
        rows.push(t * batch + b);
        batchSizes[t]!++;
      }
    }
  }
  return { rows: Int32Array.from(rows), batchSizes };
}

/**
 * Packs a padded batch. x: (time, batch, *) or (batch, time, *) with batchFirst.
 * Lengths may be in any order unless `enforceSorted`.
 */
export function packPaddedSequence(
  x: Tensor,
  lengths: readonly number[] | Int32Array,
  options: PackOptions = {},
): PackedSequence {
  const where = 'packPaddedSequence';
  if (x.rank < 2) throw new ShapeError({ where, what: 'input rank', expected: '>= 2', actual: x.rank });
  const batchFirst = options.batchFirst ?? false;
  const timeMajor = batchFirst ? x.transpose(0, 1) : x;
  const [time, batch] = timeMajor.shape as [number, number];
  if (lengths.length !== batch)
    throw new ShapeError({
      where,
      what: 'lengths count',
      expected: `${batch} (the batch size)`,
      actual: lengths.length,
    });
  // Check the values as given: Int32Array.from would truncate 2.5 to 2 and NaN to 0.
  Array.from(lengths, (v, b) => {
    if (!Number.isInteger(v) || v < 1 || v > time)
      throw new ValueError(where, `lengths[${b}] is ${v}, expected an integer in [1, ${time}]`);
  });
  const lens = Int32Array.from(lengths);
  const order = Array.from({ length: batch }, (_, b) => b);
  if (options.enforceSorted) {
    for (let b = 1; b < batch; b++) {
      if (lens[b]! > lens[b - 1]!)
        throw new ValueError(
          where,
          `lengths must be sorted in decreasing order with enforceSorted (lengths[${b}] = ${lens[b]} > lengths[${b - 1}] = ${lens[b - 1]})`,
        );
    }
  } else {
    order.sort((a, b) => lens[b]! - lens[a]! || a - b); // stable: ties keep batch order
  }
  const sorted = Int32Array.from(order);
  const unsorted = new Int32Array(batch);
  sorted.forEach((b, k) => (unsorted[b] = k));
  const { rows, batchSizes } = packedRowMap(lens, sorted, batch);
  const feature = timeMajor.shape.slice(2);
  const flat = reshape(timeMajor, [time * batch, ...feature]);
  return new PackedSequence(indexSelect(flat, 0, rows), batchSizes, sorted, unsorted);
}

export interface PadOptions {
  /** Return (batch, time, ...) instead of (time, batch, ...) (default false). */
  batchFirst?: boolean;
  /** Value of the padded positions (default 0). */
  paddingValue?: number;
  /** Pad to this many steps instead of the longest length. */
  totalLength?: number;
}

/** Unpacks to a padded tensor, rows in original batch order, and returns the lengths. */
export function padPackedSequence(
  packed: PackedSequence,
  options: PadOptions = {},
): { output: Tensor; lengths: Int32Array } {
  const lengths = packed.lengths;
  const batch = lengths.length;
  const maxLength = packed.batchSizes.length;
  const time = options.totalLength ?? maxLength;
  if (!Number.isInteger(time) || time < maxLength) {
    throw new ValueError(
      'padPackedSequence',
      `totalLength ${options.totalLength} is shorter than the longest sequence (${maxLength})`,
    );
  }
  const { rows } = packedRowMap(lengths, packed.sortedIndices, batch);
  const feature = packed.data.shape.slice(1);
  const featureSize = feature.reduce((a, b) => a * b, 1);
  const padRow = packed.data.shape[0]!; // index of an extra row holding the padding value
  const source = new Int32Array(time * batch).fill(padRow);
  rows.forEach((paddedRow, k) => (source[paddedRow] = k));
  const padding = new Tensor(new Float32Array(featureSize).fill(options.paddingValue ?? 0), [1, ...feature]);
  const withPad = concat([packed.data, padding], 0);
  let output = reshape(indexSelect(withPad, 0, source), [time, batch, ...feature]);
  if (options.batchFirst) output = output.transpose(0, 1);
  return { output, lengths };
}
