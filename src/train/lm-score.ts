/**
 * Scoring a language model on a held-out text, reading it as a stream with the state carried
 * from chunk to chunk (never reset inside a stream).
 *
 * With `streams` N > 1 the text is read as N parallel streams (see streams.ts) for speed: the
 * first token of each stream is predicted from a zero state, not scored, and the ids left over
 * after N·L continue the last stream. So all tokens but the first N are scored; N = 1 scores
 * every token but the first, in one pass.
 *
 *   nll = -Σ ln p(token | everything before it in its stream)   (nats)
 *   bitsPerToken = nll / (count · ln 2)                          (bits per character for chars)
 *   perplexity = exp(nll / count)                                (for words)
 */
import { ValueError } from '../errors.js';
import type { LanguageModel } from '../models/language-model.js';
import type { RecurrentState } from '../models/recurrent-layer.js';
import { noGrad } from '../tensor/autograd.js';
import { Tensor } from '../tensor/tensor.js';
import { crossEntropy } from './losses.js';
import { streamChunks, timeMajorTargets, type TokenBatch } from './streams.js';

export interface StreamScore {
  /** Summed negative log-likelihood in nats. */
  nll: number;
  /** Tokens scored. */
  count: number;
  bitsPerToken: number;
  perplexity: number;
}

export interface ScoreOptions {
  /** Parallel streams N (default 1). */
  streams?: number;
  /** Steps per forward call (default 256): memory only, the result does not depend on it. */
  chunk?: number;
}

/** Builds a score from a summed NLL and a count. */
export function streamScore(nll: number, count: number): StreamScore {
  return { nll, count, bitsPerToken: nll / count / Math.LN2, perplexity: Math.exp(nll / count) };
}

/** Scores `ids` with `model` in eval mode, without gradients (the training mode is restored). */
export function scoreStream(model: LanguageModel, ids: ArrayLike<number>, options: ScoreOptions = {}): StreamScore {
  if (ids.length < 2) throw new ValueError('scoreStream', `need at least 2 tokens to score, got ${ids.length}`);
  const streams = Math.max(1, Math.min(options.streams ?? 1, Math.floor(ids.length / 2)));
  const chunk = options.chunk ?? 256;
  const V = model.config.vocabSize;
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => {
      let nll = 0;
      let count = 0;
      let state: RecurrentState | null = null;
      const run = (batch: TokenBatch) => {
        const result = model.forwardTimeMajor(batch.inputs, batch.carry ? state : null);
        state = result.state;
        nll += crossEntropy(result.logits.reshape([batch.targets.length, V]), timeMajorTargets(batch), {
          reduction: 'sum',
        }).item();
        count += batch.targets.length;
      };
      for (const batch of streamChunks(ids, streams, chunk)) run(batch);
      const L = Math.floor(ids.length / streams);
      const used = streams * L;
      if (used < ids.length) {
        // The leftover ids continue the last stream: start from its row of the state.
        const last = state as RecurrentState | null;
        const row = (t: Tensor) => t.slice(1, streams - 1, streams);
        state = last ? { h: row(last.h), c: last.c ? row(last.c) : null } : null;
        const tail = Array.from({ length: ids.length - used + 1 }, (_, i) => ids[used - 1 + i]!);
        for (let start = 0; start < tail.length - 1; start += chunk) {
          const t = Math.min(chunk, tail.length - 1 - start);
          const inputs = new Tensor(Float32Array.from(tail.slice(start, start + t)), [1, t]);
          run({ inputs, targets: Int32Array.from(tail.slice(start + 1, start + t + 1)), carry: true });
        }
      }
      return streamScore(nll, count);
    });
  } finally {
    model.train(wasTraining);
  }
}
