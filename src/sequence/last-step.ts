/** Per-sequence selections from padded outputs: each sequence's last valid step, and masks. */
import { ShapeError, ValueError } from '../errors.js';
import { indexSelect, reshape } from '../tensor/ops/layout.js';
import { Tensor } from '../tensor/tensor.js';

export interface LastStepOptions {
  /** `output` is (batch, time, features) (default true); false for (time, batch, features). */
  batchFirst?: boolean;
}

/**
 * Each sequence's output at its own last valid step: `output[b, lengths[b] - 1]`.
 *   output (batch, time, F) [or (time, batch, F)], lengths (batch) -> (batch, F)
 * For a unidirectional layer this equals the final h of the last layer. For a bidirectional
 * one, only the forward half does; the reverse direction's final state is at step 0.
 */
export function lastValidStep(output: Tensor, lengths: ArrayLike<number>, options: LastStepOptions = {}): Tensor {
  const where = 'lastValidStep';
  if (output.rank !== 3)
    throw new ShapeError({ where, what: 'output rank', expected: '3 (batch, time, features)', actual: output.rank });
  const batchFirst = options.batchFirst ?? true;
  const [batch, time] = batchFirst ? [output.shape[0]!, output.shape[1]!] : [output.shape[1]!, output.shape[0]!];
  if (lengths.length !== batch)
    throw new ShapeError({
      where,
      what: 'lengths count',
      expected: `${batch} (the batch size)`,
      actual: lengths.length,
    });
  const rows = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    const len = lengths[b]!;
    if (!Number.isInteger(len) || len < 1 || len > time)
      throw new ValueError(where, `lengths[${b}] is ${len}, expected an integer in [1, ${time}]`);
    rows[b] = batchFirst ? b * time + (len - 1) : (len - 1) * batch + b;
  }
  const features = output.shape[2]!;
  return indexSelect(reshape(output, [batch * time, features]), 0, rows);
}

/** A (batch, time) mask: 1 at valid steps, 0 at padding. */
export function lengthsMask(lengths: ArrayLike<number>, time: number): Tensor {
  const batch = lengths.length;
  const mask = new Float32Array(batch * time);
  for (let b = 0; b < batch; b++) {
    const len = lengths[b]!;
    if (!Number.isInteger(len) || len < 0 || len > time)
      throw new ValueError('lengthsMask', `lengths[${b}] is ${len}, expected an integer in [0, ${time}]`);
    mask.fill(1, b * time, b * time + len);
  }
  return new Tensor(mask, [batch, time]);
}
