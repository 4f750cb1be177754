/**
 * Truncated backpropagation through time for series too long to backpropagate through at once:
 * cut the series into chunks along time, carry the recurrent state from chunk to chunk, and
 * DETACH it at each boundary so gradients stop there (memory and time stay bounded per chunk).
 */
import { ValueError } from '../errors.js';
import type { RecurrentState } from '../models/recurrent-layer.js';
import type { Tensor } from '../tensor/tensor.js';

/** Consecutive chunks of `chunkLength` steps along `dim` (the last may be shorter). */
export function timeChunks(x: Tensor, chunkLength: number, dim = 1): Tensor[] {
  if (!Number.isInteger(chunkLength) || chunkLength < 1)
    throw new ValueError('timeChunks', `chunkLength must be a positive integer, got ${chunkLength}`);
  const time = x.shape[dim]!;
  const chunks: Tensor[] = [];
  for (let start = 0; start < time; start += chunkLength)
    chunks.push(x.slice(dim, start, Math.min(time, start + chunkLength)));
  return chunks;
}

/** The same state cut from the graph: the next chunk starts from its values but sends no gradient back. */
export function detachState(state: RecurrentState): RecurrentState {
  return { h: state.h.detach(), c: state.c ? state.c.detach() : null };
}

export interface TbpttStep {
  /** Runs one chunk from `state`; returns the chunk's loss and the state after it. */
  (chunk: { inputs: Tensor; targets: Tensor }, state: RecurrentState | null): { loss: Tensor; state: RecurrentState };
}

/**
 * One pass of truncated BPTT over (inputs, targets), both (batch, time, features): for each chunk
 * of `chunkLength` steps, `optimizer.zeroGrad()`, loss.backward(), `optimizer.step()`, and the
 * detached state carried on. Returns the mean chunk loss.
 */
export function truncatedBptt(
  inputs: Tensor,
  targets: Tensor,
  chunkLength: number,
  step: TbpttStep,
  optimizer: { zeroGrad(): void; step(): void },
): number {
  const xs = timeChunks(inputs, chunkLength);
  const ys = timeChunks(targets, chunkLength);
  let state: RecurrentState | null = null;
  let total = 0;
  xs.forEach((chunk, i) => {
    optimizer.zeroGrad();
    const result = step({ inputs: chunk, targets: ys[i]! }, state);
    result.loss.backward();
    optimizer.step();
    total += result.loss.item();
    state = detachState(result.state);
  });
  return total / xs.length;
}
