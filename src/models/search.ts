/**
 * Greedy and beam search over any decoder that scores the next token one step at a time: a
 * Seq2Seq model, or an ensemble of them (seq2seq-ensemble.ts). The search knows nothing of the
 * decoder's state; it only steps it and picks rows of it.
 *
 *   encode(source (batch, S), lengths (batch))      -> state for `batch` rows
 *   step(previous tokens (rows), state)             -> logits (rows, vocab), state after the step
 *   selectRows(state, rows)                         -> the state of those rows (rows may repeat)
 */
import { noGrad } from '../tensor/autograd.js';
import type { Tensor } from '../tensor/tensor.js';

/** A decoder the searches can drive. `logits` may be any scores whose log-softmax is the next-token log-probability. */
export interface StepDecoder<State> {
  encode(source: Tensor, sourceLengths: readonly number[]): State;
  step(previous: readonly number[], state: State): { logits: Tensor; state: State };
  selectRows(state: State, rows: readonly number[]): State;
  /** Target id that starts decoding, and the one that ends a sequence. */
  readonly bosId: number;
  readonly eosId: number;
}

export interface DecodeOptions {
  /** Most tokens to produce (EOS excluded). Default 30. */
  maxLength?: number;
  /** 1 = greedy (default); more = beam search. */
  beamWidth?: number;
  /** Beam scores are sum(log p) / length^lengthPenalty (default 1: the mean log-probability). */
  lengthPenalty?: number;
}

/** Decodes source ids (batch, S): one id list per row, without BOS/EOS. */
export function decodeSequences<State>(
  decoder: StepDecoder<State>,
  source: Tensor,
  sourceLengths: readonly number[],
  options: DecodeOptions = {},
): number[][] {
  const maxLength = options.maxLength ?? 30;
  const beamWidth = options.beamWidth ?? 1;
  return noGrad(() => {
    const state = decoder.encode(source, sourceLengths);
    const batch = source.shape[0]!;
    if (beamWidth <= 1) return greedy(decoder, state, batch, maxLength);
    return Array.from({ length: batch }, (_, b) =>
      beam(decoder, decoder.selectRows(state, [b]), beamWidth, maxLength, options.lengthPenalty ?? 1),
    );
  });
}

/** The most likely token at each step, for every row at once, until each row's EOS. */
function greedy<State>(decoder: StepDecoder<State>, initial: State, batch: number, maxLength: number): number[][] {
  let state = initial;
  const results: number[][] = Array.from({ length: batch }, () => []);
  const done = new Array<boolean>(batch).fill(false);
  let previous = new Array<number>(batch).fill(decoder.bosId);
  for (let t = 0; t < maxLength && done.some((d) => !d); t++) {
    const step = decoder.step(previous, state);
    state = step.state;
    const best = step.logits.argmax(1);
    previous = [...best];
    best.forEach((token, b) => {
      if (done[b]) return;
      if (token === decoder.eosId) done[b] = true;
      else results[b]!.push(token);
    });
  }
  return results;
}

/** Beam search for one source row; `initial` has batch 1. */
function beam<State>(
  decoder: StepDecoder<State>,
  initial: State,
  width: number,
  maxLength: number,
  lengthPenalty: number,
): number[] {
  type Hypothesis = { tokens: number[]; logProb: number };
  let beams: Hypothesis[] = [{ tokens: [], logProb: 0 }];
  let state = initial;
  const finished: { tokens: number[]; score: number }[] = [];
  const score = (logProb: number, length: number) => logProb / Math.pow(Math.max(length, 1), lengthPenalty);
  for (let t = 0; t < maxLength && beams.length > 0; t++) {
    const previous = beams.map((h) => h.tokens[h.tokens.length - 1] ?? decoder.bosId);
    const step = decoder.step(previous, state);
    const logProbs = step.logits.logSoftmax(-1);
    const vocab = logProbs.shape[1]!;
    const candidates: { from: number; token: number; logProb: number }[] = [];
    beams.forEach((h, k) => {
      for (let v = 0; v < vocab; v++)
        candidates.push({ from: k, token: v, logProb: h.logProb + logProbs.data[k * vocab + v]! });
    });
    candidates.sort((a, b) => b.logProb - a.logProb);
    const next: Hypothesis[] = [];
    const rows: number[] = [];
    for (const cand of candidates) {
      if (next.length >= width) break;
      const tokens = [...beams[cand.from]!.tokens];
      if (cand.token === decoder.eosId) {
        finished.push({ tokens, score: score(cand.logProb, tokens.length + 1) });
      } else {
        next.push({ tokens: [...tokens, cand.token], logProb: cand.logProb });
        rows.push(cand.from);
      }
    }
    // Stop when the best finished hypothesis beats every live one.
    const bestFinished = Math.max(...finished.map((f) => f.score), -Infinity);
    if (finished.length >= width && next.every((h) => score(h.logProb, h.tokens.length) < bestFinished)) break;
    beams = next;
    state = decoder.selectRows(step.state, rows);
  }
  for (const h of beams) finished.push({ tokens: h.tokens, score: score(h.logProb, h.tokens.length) });
  finished.sort((a, b) => b.score - a.score);
  return finished[0]?.tokens ?? [];
}
