/**
 * LanguageModel: predicts the next token of a text at every step (char-rnn, PyTorch's
 * word_language_model).
 *
 *   tokens (batch, time) --Embedding--> (batch, time, E) --Dropout-->
 *   --RNN/LSTM/GRU (numLayers, dropout between layers)--> (batch, time, H) --Dropout-->
 *   --Linear to the vocabulary--> logits (batch, time, V)
 *
 * Named dims: batch N, time T, vocabulary V, embedding E, hidden H, layers L.
 * The state is `{ h (L, N, H), c (L, N, H) for LSTM }`: pass it back into the next call to read
 * a long text in pieces (truncated BPTT detaches it between pieces; see data/streams.ts).
 *
 * Weight tying (`tieWeights`, Press & Wolf 2017): the output layer uses the embedding table as its
 * weight, logits = h · Eᵀ + b, so E must equal H. The state dict then holds `embedding.weight`
 * and `head.bias` (no `head.weight`).
 *
 * Generation (`generate`, `session`) lives in generation.ts; it needs a {@link TokenCodec} to read
 * and print text, attached by whoever built the vocabulary (`recurrent generate` does it).
 */
import { ValueError } from '../errors.js';
import { Dropout } from '../nn/dropout.js';
import { Embedding } from '../nn/embedding.js';
import { uniformParameter } from '../nn/init.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import type { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import {
  type GeneratedToken,
  type GenerateOptions,
  generateTokens,
  GenerationSession,
  type SessionOptions,
} from './generation.js';
import { CELL_FAMILIES, type CellFamily } from '../families.js';
import { createRecurrent, type RecurrentLayer, type RecurrentState, runRecurrent } from './recurrent-layer.js';

export interface LanguageModelConfig {
  /** Tokens in the vocabulary (V): the embedding's rows and the logits' last dim. */
  vocabSize: number;
  /** Embedding size E (default: hiddenSize, so that weights can be tied). */
  embeddingDim?: number;
  /** Recurrent family (default 'lstm'). */
  cell?: CellFamily;
  /** Hidden size H (default 128). */
  hiddenSize?: number;
  /** Stacked recurrent layers L (default 1). */
  numLayers?: number;
  /** Dropout on the embeddings, between layers and before the output layer, in training only (default 0). */
  dropout?: number;
  /** Use the embedding table as the output weight (needs embeddingDim = hiddenSize; default false). */
  tieWeights?: boolean;
}

/** How text becomes token ids and back, for generation. */
export interface TokenCodec {
  /** The ids of a text; pieces the vocabulary lacks map to a fallback the codec chooses. */
  encode(text: string): number[];
  /** The text that prints token `id` after token `previous` (null at the start): spacing included. */
  decode(id: number, previous: number | null): string;
  /** Ids never to sample (e.g. the unknown token). */
  readonly excluded?: readonly number[];
}

/** The output layer when tied: logits = x · embeddingᵀ + bias. Only the bias is its own parameter. */
export class TiedHead extends Module {
  readonly bias: Tensor;
  constructor(
    readonly table: Tensor,
    generator?: Generator,
  ) {
    super();
    this.bias = this.registerParameter(
      'bias',
      uniformParameter([table.shape[0]!], 1 / Math.sqrt(table.shape[1]!), generator),
    );
  }
  override describe(): string {
    return `TiedHead(vocabSize=${this.table.shape[0]}, features=${this.table.shape[1]})`;
  }
  /** x (..., E) -> (..., V) */
  forward(x: Tensor): Tensor {
    return x.matmul(this.table.transpose(0, 1)).add(this.bias);
  }
}

export class LanguageModel extends Module {
  readonly config: Required<LanguageModelConfig>;
  readonly embedding: Embedding;
  readonly rnn: RecurrentLayer;
  readonly inputDropout: Dropout;
  readonly outputDropout: Dropout;
  readonly head: Linear | TiedHead;
  /** Reads and prints text for `generate` and `session`; null until attached. */
  codec: TokenCodec | null = null;

  constructor(config: LanguageModelConfig, generator?: Generator) {
    super();
    const where = 'LanguageModel';
    const int = (name: string, v: number, min: number) => {
      if (!Number.isInteger(v) || v < min)
        throw new ValueError(where, `${name} must be an integer >= ${min}, got ${v}`);
      return v;
    };
    const hiddenSize = int('hiddenSize', config.hiddenSize ?? 128, 1);
    const resolved: Required<LanguageModelConfig> = {
      vocabSize: int('vocabSize', config.vocabSize, 2),
      embeddingDim: int('embeddingDim', config.embeddingDim ?? hiddenSize, 1),
      cell: config.cell ?? 'lstm',
      hiddenSize,
      numLayers: int('numLayers', config.numLayers ?? 1, 1),
      dropout: config.dropout ?? 0,
      tieWeights: config.tieWeights ?? false,
    };
    if (!CELL_FAMILIES.includes(resolved.cell))
      throw new ValueError(where, `cell must be one of ${CELL_FAMILIES.join(', ')}, got ${String(resolved.cell)}`);
    if (!(resolved.dropout >= 0 && resolved.dropout < 1))
      throw new ValueError(where, `dropout must be in [0, 1), got ${resolved.dropout}`);
    if (resolved.tieWeights && resolved.embeddingDim !== hiddenSize) {
      throw new ValueError(
        where,
        `tieWeights needs embeddingDim = hiddenSize, got embeddingDim ${resolved.embeddingDim} and hiddenSize ${hiddenSize}`,
      );
    }
    this.config = resolved;
    const { vocabSize, embeddingDim, cell, numLayers, dropout } = resolved;
    const g = generator ? { generator } : {};
    this.embedding = this.registerModule('embedding', new Embedding({ numEmbeddings: vocabSize, embeddingDim, ...g }));
    this.inputDropout = this.registerModule('inputDropout', new Dropout({ p: dropout, ...g }));
    this.rnn = this.registerModule(
      'rnn',
      createRecurrent(cell, {
        inputSize: embeddingDim,
        hiddenSize,
        numLayers,
        dropout: numLayers > 1 ? dropout : 0,
        batchFirst: false,
        ...g,
      }),
    );
    this.outputDropout = this.registerModule('outputDropout', new Dropout({ p: dropout, ...g }));
    this.head = this.registerModule(
      'head',
      resolved.tieWeights
        ? new TiedHead(this.embedding.weight, generator)
        : new Linear({ inFeatures: hiddenSize, outFeatures: vocabSize, ...g }),
    );
  }

  override describe(): string {
    const { cell, vocabSize, hiddenSize, numLayers, tieWeights } = this.config;
    return `LanguageModel(${cell}, vocabSize=${vocabSize}, hiddenSize=${hiddenSize}, numLayers=${numLayers}${tieWeights ? ', tied' : ''})`;
  }

  /**
   * tokens (N, T) ids in [0, V); state from the previous piece of the same N streams, or null for
   * zeros. Returns logits (N, T, V) for the token after each step, and the state after the last step.
   */
  forward(tokens: Tensor, state: RecurrentState | null = null): { logits: Tensor; state: RecurrentState } {
    const { logits, state: next } = this.forwardTimeMajor(tokens, state);
    return { logits: logits.permute([1, 0, 2]), state: next };
  }

  /**
   * The same as `forward` with time-major logits (T, N, V): the recurrent layer runs time-major,
   * so no activation is transposed (only the (N, T) ids). Training and scoring use this; the
   * target of logits [s, b] is token [b, s + 1].
   */
  forwardTimeMajor(tokens: Tensor, state: RecurrentState | null = null): { logits: Tensor; state: RecurrentState } {
    if (tokens.rank !== 2)
      throw new ValueError(this.describe(), `tokens must be (batch, time), got shape [${tokens.shape.join(', ')}]`);
    const x = this.inputDropout.forward(this.embedding.forward(tokens.transpose(0, 1))); // (T, N, E)
    const { output, state: next } = runRecurrent(this.rnn, x, state ? { state } : {});
    return { logits: this.head.forward(this.outputDropout.forward(output)), state: next };
  }

  /** One step for N streams: tokens (N) -> logits (N, V) and the new state. */
  step(
    tokens: readonly number[] | Int32Array,
    state: RecurrentState | null,
  ): { logits: Tensor; state: RecurrentState } {
    const { logits, state: next } = this.forward(new Tensor(Float32Array.from(tokens), [tokens.length, 1]), state);
    return { logits: logits.reshape([tokens.length, this.config.vocabSize]), state: next };
  }

  /**
   * `length` tokens after `prompt` (text through `codec`, or ids), as an async iterator: each token
   * is yielded as soon as it is drawn. The same seed gives the same tokens. See generation.ts.
   */
  generate(prompt: string | readonly number[], options: GenerateOptions = {}): AsyncGenerator<GeneratedToken> {
    return generateTokens(this, prompt, options);
  }

  /** A stateful generation session: `feed(text)` then `step()` per token, for interactive use. */
  session(options: SessionOptions = {}): GenerationSession {
    return new GenerationSession(this, options);
  }
}
