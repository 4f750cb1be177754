/**
 * Batches of a long token stream for a language model, as char-rnn and PyTorch's
 * word_language_model cut them.
 *
 * Streams (`streamChunks`): the n ids are cut into N parallel streams of L = floor(n / N) ids
 * (stream b = ids[b·L, (b+1)·L); the last n - N·L ids are left out), then read T steps at a time:
 *
 *   chunk k: inputs  (N, t) = stream[:, k·T, k·T + t)
 *            targets (N, t) = stream[:, k·T + 1, k·T + t + 1)      t = min(T, L - 1 - k·T)
 *
 * Row b of chunk k+1 continues row b of chunk k, so the recurrent state after chunk k is the
 * right start for chunk k+1: carry it over, detached (truncated BPTT, see tbptt.ts), and start
 * from zeros at chunk 0. Example: ids 0..12, N = 2, T = 3 gives streams 0..5 and 6..11 and
 * chunks inputs [[0,1,2],[6,7,8]] targets [[1,2,3],[7,8,9]], then [[3,4],[9,10]] / [[4,5],[10,11]].
 *
 * Windows (`randomWindows`): N windows of T+1 ids at random starts per batch; every batch starts
 * from a zero state.
 */
import { ValueError } from '../errors.js';
import type { LanguageModel } from '../models/language-model.js';
import type { RecurrentState } from '../models/recurrent-layer.js';
import type { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { crossEntropy } from './losses.js';
import { detachState } from './tbptt.js';

export interface TokenBatch {
  /** Token ids (N, t), as float values (what Embedding takes). */
  inputs: Tensor;
  /** The next token of each input, (N·t) row-major: target [b·t + s] follows input [b, s]. */
  targets: Int32Array;
  /** Carry the state from the previous batch (false: start from zeros). */
  carry: boolean;
}

function checkInteger(where: string, name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min)
    throw new ValueError(where, `${name} must be an integer >= ${min}, got ${value}`);
}

/** Rows `starts[b] + [0, t)` of `ids` as inputs and `starts[b] + [1, t]` as targets. */
function gather(ids: ArrayLike<number>, starts: readonly number[], t: number, carry: boolean): TokenBatch {
  const N = starts.length;
  const inputs = new Float32Array(N * t);
  const targets = new Int32Array(N * t);
  starts.forEach((start, b) => {
    for (let s = 0; s < t; s++) {
      inputs[b * t + s] = ids[start + s]!;
      targets[b * t + s] = ids[start + s + 1]!;
    }
  });
  return { inputs: new Tensor(inputs, [N, t]), targets, carry };
}

/** The chunks of one pass over `ids` in `batch` parallel streams, `bptt` steps each (see the module comment). */
export function streamChunks(ids: ArrayLike<number>, batch: number, bptt: number): TokenBatch[] {
  const where = 'streamChunks';
  checkInteger(where, 'batch', batch, 1);
  checkInteger(where, 'bptt', bptt, 1);
  const L = Math.floor(ids.length / batch);
  if (L < 2)
    throw new ValueError(
      where,
      `${ids.length} tokens make streams of ${L} for batch ${batch}: need at least 2 tokens per stream (use a smaller batch or more text)`,
    );
  const chunks: TokenBatch[] = [];
  for (let k = 0; k * bptt < L - 1; k++) {
    const t = Math.min(bptt, L - 1 - k * bptt);
    chunks.push(
      gather(
        ids,
        Array.from({ length: batch }, (_, b) => b * L + k * bptt),
        t,
        k > 0,
      ),
    );
  }
  return chunks;
}

/** `count` batches of `batch` windows of `bptt` steps at random starts (state reset per batch). */
export function randomWindows(
  ids: ArrayLike<number>,
  batch: number,
  bptt: number,
  count: number,
  generator: Generator,
): TokenBatch[] {
  const where = 'randomWindows';
  checkInteger(where, 'batch', batch, 1);
  checkInteger(where, 'bptt', bptt, 1);
  checkInteger(where, 'count', count, 0);
  const positions = ids.length - bptt; // a window needs bptt + 1 ids
  if (positions < 1)
    throw new ValueError(where, `${ids.length} tokens are too few for windows of ${bptt} steps (need ${bptt + 1})`);
  return Array.from({ length: count }, () =>
    gather(
      ids,
      Array.from({ length: batch }, () => Math.floor(generator.random() * positions)),
      bptt,
      false,
    ),
  );
}

/**
 * The state carried from one batch to the next: the batch starts from the kept state when it
 * carries (else from zeros), and the state after it is kept detached, so gradients stop at the
 * batch boundary (truncated BPTT).
 */
export class CarriedState {
  /** The detached state after the last batch, or null. */
  state: RecurrentState | null = null;

  /** Forgets the state (the next batch starts from zeros). */
  reset(): void {
    this.state = null;
  }

  /** Mean cross-entropy (nats per token) of `model` on `batch`, starting from the carried state. */
  loss(model: LanguageModel, batch: TokenBatch): Tensor {
    const { logits, state } = model.forwardTimeMajor(batch.inputs, batch.carry ? this.state : null);
    this.state = detachState(state);
    return crossEntropy(logits.reshape([batch.targets.length, model.config.vocabSize]), timeMajorTargets(batch));
  }
}

/** The targets of a batch in time-major order (T·N): entry [s·N + b] is targets [b·t + s]. */
export function timeMajorTargets(batch: TokenBatch): Int32Array {
  const [N, t] = batch.inputs.shape as [number, number];
  const out = new Int32Array(N * t);
  for (let b = 0; b < N; b++) for (let s = 0; s < t; s++) out[s * N + b] = batch.targets[b * t + s]!;
  return out;
}
