/**
 * An ensemble of K Seq2Seq models of one configuration (different initial weights), trained side
 * by side on the same batches, each on its own loss, and decoded together: at each step the
 * next-token distribution is the members' mean,
 *
 *   log p(y) = log((1/K)·Σ_k p_k(y)) = logsumexp_k(log p_k(y)) − log K        (rows, V)
 *
 * (fairseq's ensembles average probabilities the same way). The greedy and beam searches are the
 * single model's (search.ts), driving all members' states at once.
 *
 *   source (batch, S), lengths (batch) --member k encode--> state_k                 k = 1..K
 *   previous tokens (rows) --member k step--> logits_k (rows, V) --mean of p_k--> (rows, V)
 */
import { ValueError } from '../errors.js';
import { Module } from '../nn/module.js';
import { stack } from '../tensor/ops/layout.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { type DecodeOptions, decodeSequences, type StepDecoder } from './search.js';
import { type DecoderState, Seq2Seq, type Seq2SeqConfig } from './seq2seq.js';

export interface Seq2SeqEnsembleConfig extends Seq2SeqConfig {
  /** How many members (>= 2). */
  members: number;
}

/**
 * log((1/K)·Σ_k softmax(z_k)) along `dim` for K score tensors z_k of one shape, e.g. (rows, V)
 * each -> (rows, V): a log-probability (its log-softmax is itself), differentiable. The max over
 * k is a constant shift, so it is detached.
 */
export function logMeanProbability(scores: readonly Tensor[], dim = -1): Tensor {
  const logProbs = stack(
    scores.map((z) => z.logSoftmax(dim)),
    0,
  ); // (K, ...)
  const shift = logProbs.max(0, true).detach();
  return logProbs.sub(shift).exp().sum(0).log().add(shift.squeeze(0)).sub(Math.log(scores.length));
}

export class Seq2SeqEnsemble extends Module implements StepDecoder<DecoderState[]> {
  readonly config: Required<Seq2SeqConfig> & { members: number };
  readonly members: readonly Seq2Seq[];

  constructor(config: Seq2SeqEnsembleConfig, generator?: Generator) {
    super();
    const { members, ...member } = config;
    if (!Number.isInteger(members) || members < 2)
      throw new ValueError('Seq2SeqEnsemble', `members must be an integer >= 2, got ${String(members)}`);
    this.members = Array.from({ length: members }, (_, k) =>
      this.registerModule(`member${k}`, new Seq2Seq(member, generator)),
    );
    this.config = { ...this.members[0]!.config, members };
  }

  override describe(): string {
    return `Seq2SeqEnsemble(${this.members.length} × ${this.members[0]!.describe()})`;
  }

  get bosId(): number {
    return this.config.bosId;
  }

  get eosId(): number {
    return this.config.eosId;
  }

  /** Teacher-forced, as Seq2Seq.forward: the ensemble's log-probabilities (batch, T, targetVocab). */
  forward(source: Tensor, sourceLengths: readonly number[], targetInput: Tensor): Tensor {
    return logMeanProbability(this.memberLogits(source, sourceLengths, targetInput));
  }

  /** Each member's teacher-forced logits (batch, T, targetVocab): training gives each its own loss. */
  memberLogits(source: Tensor, sourceLengths: readonly number[], targetInput: Tensor): Tensor[] {
    return this.members.map((m) => m.forward(source, sourceLengths, targetInput));
  }

  encode(source: Tensor, sourceLengths: readonly number[]): DecoderState[] {
    return this.members.map((m) => m.encode(source, sourceLengths));
  }

  /** One step of every member: the ensemble's log-probabilities (rows, targetVocab) and their states. */
  step(previous: readonly number[], states: DecoderState[]): { logits: Tensor; state: DecoderState[] } {
    const steps = this.members.map((m, k) => m.step(previous, states[k]!));
    return { logits: logMeanProbability(steps.map((s) => s.logits)), state: steps.map((s) => s.state) };
  }

  selectRows(states: DecoderState[], rows: readonly number[]): DecoderState[] {
    return states.map((s, k) => this.members[k]!.selectRows(s, rows));
  }

  /** Decodes source ids (batch, S) with all members: one id list per row, without BOS/EOS. */
  decode(source: Tensor, sourceLengths: readonly number[], options: DecodeOptions = {}): number[][] {
    return decodeSequences(this, source, sourceLengths, options);
  }
}
