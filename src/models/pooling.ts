/** Reducing a padded sequence of outputs over time, ignoring padded steps. */
import { ValueError } from '../errors.js';
import { lengthsMask } from '../sequence/last-step.js';
import { Tensor } from '../tensor/tensor.js';

export type Pooling = 'last' | 'mean' | 'max';
export const POOLINGS: readonly Pooling[] = ['last', 'mean', 'max'];

/** Mean over valid steps: output (batch, time, F), lengths (batch) -> (batch, F). */
export function maskedMean(output: Tensor, lengths: readonly number[]): Tensor {
  const [batch, time] = output.shape as [number, number, number];
  const mask = lengthsMask(lengths, time).reshape([batch, time, 1]);
  const counts = new Tensor(Float32Array.from(lengths), [batch, 1]);
  return output.mul(mask).sum(1).div(counts);
}

/** Max over valid steps: output (batch, time, F), lengths (batch) -> (batch, F). */
export function maskedMax(output: Tensor, lengths: readonly number[]): Tensor {
  const [batch, time] = output.shape as [number, number, number];
  const padding = lengthsMask(lengths, time).reshape([batch, time, 1]);
  for (let i = 0; i < padding.data.length; i++) padding.data[i] = padding.data[i] === 0 ? 1 : 0;
  return output.maskedFill(padding, -Infinity).max(1);
}

export function checkPooling(value: unknown): Pooling {
  if (!POOLINGS.includes(value as Pooling))
    throw new ValueError('pooling', `must be one of ${POOLINGS.join(', ')}, got ${String(value)}`);
  return value as Pooling;
}
