/**
 * Attention over encoder outputs for the Seq2Seq decoder.
 *   memory  (batch, source, M)   encoder outputs (M = D*H)
 *   query   (batch, H)           decoder state
 *   weights (batch, source)      softmax over valid source steps (padding gets exactly 0)
 *   context (batch, M)           weights · memory
 * Luong ("general"): score(q, m) = q · (W_a m).  Bahdanau (additive): score = vᵀ tanh(W_q q + W_k m).
 */
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { additiveScores } from '../tensor/ops/additive-scores.js';
import { matmulTransposed } from '../tensor/ops/matmul.js';
import type { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';

export type AttentionKind = 'none' | 'luong' | 'bahdanau';
export const ATTENTION_KINDS: readonly AttentionKind[] = ['none', 'luong', 'bahdanau'];

/** Encoder outputs with what attention precomputes once per source batch. */
export interface AttentionMemory {
  /** (batch, source, M) */
  values: Tensor;
  /** (batch, source, H): W_a m (Luong) or W_k m (Bahdanau) */
  keys: Tensor;
  /** (batch, source): 1 at padding, for masking scores */
  padding: Tensor;
}

export class Attention extends Module {
  readonly keyProjection: Linear;
  readonly queryProjection: Linear | null;
  readonly scoreVector: Linear | null;

  constructor(
    readonly kind: 'luong' | 'bahdanau',
    memorySize: number,
    hiddenSize: number,
    generator?: Generator,
  ) {
    super();
    const g = generator ? { generator } : {};
    this.keyProjection = this.registerModule(
      'key',
      new Linear({ inFeatures: memorySize, outFeatures: hiddenSize, bias: false, ...g }),
    );
    this.queryProjection =
      kind === 'bahdanau'
        ? this.registerModule(
            'query',
            new Linear({ inFeatures: hiddenSize, outFeatures: hiddenSize, bias: false, ...g }),
          )
        : null;
    this.scoreVector =
      kind === 'bahdanau'
        ? this.registerModule('score', new Linear({ inFeatures: hiddenSize, outFeatures: 1, bias: false, ...g }))
        : null;
  }

  /** Precomputes keys: values (batch, source, M), sourceLengths (batch). */
  prepare(values: Tensor, sourceLengths: readonly number[]): AttentionMemory {
    const [batch, source] = values.shape as [number, number];
    const padding = new Float32Array(batch * source);
    sourceLengths.forEach((len, b) => padding.fill(1, b * source + len, (b + 1) * source));
    return { values, keys: this.keyProjection.forward(values), padding: new Tensor(padding, [batch, source]) };
  }

  /**
   * Scores for several queries at once: queries (batch, steps, H) -> weights (batch, steps, source)
   * and contexts (batch, steps, M). Luong only uses the current decoder state, so a whole
   * teacher-forced sequence is attended in one call.
   */
  attend(memory: AttentionMemory, queries: Tensor): { weights: Tensor; context: Tensor } {
    let scores: Tensor;
    if (this.kind === 'luong') {
      scores = matmulTransposed(queries, memory.keys); // (batch, steps, source)
    } else {
      // vᵀ tanh(q + k) for every (step, source) pair, fused (tensor/ops/additive-scores.ts)
      const q = this.queryProjection!.forward(queries); // (batch, steps, H)
      scores = additiveScores(q, memory.keys, this.scoreVector!.weight); // (batch, steps, source)
    }
    const weights = scores.maskedFill(memory.padding.unsqueeze(1), -Infinity).softmax(-1);
    return { weights, context: weights.matmul(memory.values) };
  }
}
