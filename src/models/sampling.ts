/**
 * Choosing the next token from logits (V): temperature, top-k and nucleus (top-p) filtering,
 * then one draw from a seeded generator.
 *
 *   p = softmax(logits / temperature)                      temperature 0: argmax (greedy)
 *   top-k: keep the k most probable tokens
 *   top-p: keep the smallest set of most probable tokens whose mass reaches p
 *          (the token that crosses p is kept, as in Holtzman et al. 2020 and Hugging Face)
 *   excluded ids get probability 0; the kept mass is renormalised to 1.
 * Ties in probability are ordered by id, so the same logits always give the same set.
 */
import { ValueError } from '../errors.js';
import type { Generator } from '../tensor/random.js';

export interface SamplingOptions {
  /** Divides the logits before the softmax (default 1). 0 means greedy: always the most probable token. */
  temperature?: number;
  /** Keep only the k most probable tokens (default 0: all). */
  topK?: number;
  /** Keep the smallest set of most probable tokens with total probability >= p (default 1: all). */
  topP?: number;
  /** Ids that are never chosen (e.g. the unknown token). */
  exclude?: readonly number[];
}

/** Validates sampling options (throws ValueError naming the bad one); returns them with defaults. */
export function checkSamplingOptions(options: SamplingOptions): Required<Omit<SamplingOptions, 'exclude'>> {
  const where = 'sampling';
  const temperature = options.temperature ?? 1;
  const topK = options.topK ?? 0;
  const topP = options.topP ?? 1;
  if (!(temperature >= 0) || !Number.isFinite(temperature))
    throw new ValueError(where, `temperature must be a finite number >= 0, got ${temperature}`);
  if (!Number.isInteger(topK) || topK < 0)
    throw new ValueError(where, `topK must be an integer >= 0 (0 = off), got ${topK}`);
  if (!(topP > 0 && topP <= 1)) throw new ValueError(where, `topP must be in (0, 1], got ${topP}`);
  return { temperature, topK, topP };
}

/**
 * The distribution the next token is drawn from: logits (V) -> probabilities (V) summing to 1,
 * zero outside the kept set. With temperature 0, all mass on the most probable allowed token.
 */
export function samplingDistribution(logits: ArrayLike<number>, options: SamplingOptions = {}): Float64Array {
  const { temperature, topK, topP } = checkSamplingOptions(options);
  const V = logits.length;
  const allowed = new Uint8Array(V).fill(1);
  for (const id of options.exclude ?? []) if (id >= 0 && id < V) allowed[id] = 0;
  let best = -1;
  for (let i = 0; i < V; i++) if (allowed[i] && (best < 0 || logits[i]! > logits[best]!)) best = i;
  if (best < 0) throw new ValueError('sampling', `every one of the ${V} tokens is excluded`);
  const p = new Float64Array(V);
  if (temperature === 0) {
    p[best] = 1;
    return p;
  }
  const max = logits[best]!;
  let total = 0;
  for (let i = 0; i < V; i++) {
    if (!allowed[i]) continue;
    p[i] = Math.exp((logits[i]! - max) / temperature);
    total += p[i]!;
  }
  for (let i = 0; i < V; i++) p[i]! /= total;
  if (topK === 0 && topP === 1) return p;
  const order = Array.from({ length: V }, (_, i) => i)
    .filter((i) => allowed[i])
    .sort((a, b) => p[b]! - p[a]! || a - b);
  let keep = topK > 0 ? Math.min(topK, order.length) : order.length;
  if (topP < 1) {
    let mass = 0;
    for (let r = 0; r < keep; r++) {
      mass += p[order[r]!]!;
      if (mass + 1e-12 >= topP) {
        // rounding must not add a token
        keep = r + 1;
        break;
      }
    }
  }
  let kept = 0;
  for (let r = 0; r < keep; r++) kept += p[order[r]!]!;
  const out = new Float64Array(V);
  for (let r = 0; r < keep; r++) out[order[r]!] = p[order[r]!]! / kept;
  return out;
}

/** One draw from a distribution (V) with `generator` (one uniform number per draw). */
export function drawFrom(p: ArrayLike<number>, generator: Generator): number {
  const u = generator.random();
  let cumulative = 0;
  let last = -1;
  for (let i = 0; i < p.length; i++) {
    if (p[i]! <= 0) continue;
    cumulative += p[i]!;
    last = i;
    if (u < cumulative) return i;
  }
  return last; // rounding left u above the total: the last token with mass
}

/** The next token from logits (V): {@link samplingDistribution}, then one draw. */
export function sampleToken(logits: ArrayLike<number>, generator: Generator, options: SamplingOptions = {}): number {
  return drawFrom(samplingDistribution(logits, options), generator);
}
