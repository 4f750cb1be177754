/**
 * Seq2Seq (encoder-decoder, different lengths), e.g. letters -> phonemes.
 *
 *   source (batch, S) ids --Embedding--> --encoder RNN--> memory (batch, S, D*H), h (L*D, batch, H)
 *   decoder state = h (bidirectional: tanh(bridge([h_fwd; h_bwd])) per layer)      (L, batch, H)
 *   target input (batch, T) ids, starting with BOS --Embedding--> --decoder RNN--> (batch, T, H)
 *     Luong:    after each step, context from attention(h_t); out = tanh(W_c [context; h_t])
 *     Bahdanau: before each step, context from attention(h_{t-1}) joins the input embedding
 *   --Linear--> logits (batch, T, targetVocab)
 * Teacher forcing ratio r: at each step the next input is the true token with probability r,
 * else the model's own argmax. Decoding: greedy or beam search, up to maxLength, stopping at EOS.
 */
import { ValueError } from '../errors.js';
import { Dropout } from '../nn/dropout.js';
import { Embedding } from '../nn/embedding.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { concat, stack } from '../tensor/ops/layout.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { Attention, ATTENTION_KINDS, type AttentionKind, type AttentionMemory } from './attention.js';
import { CELL_FAMILIES, type CellFamily } from '../families.js';
import { createRecurrent, type RecurrentLayer, type RecurrentState, runRecurrent } from './recurrent-layer.js';
import { type DecodeOptions, decodeSequences, type StepDecoder } from './search.js';

export type { DecodeOptions } from './search.js';

export interface Seq2SeqConfig {
  sourceVocabSize: number;
  targetVocabSize: number;
  /** Default 32. */
  embeddingDim?: number;
  /** Default 64. */
  hiddenSize?: number;
  /** Encoder and decoder layers (default 1). */
  numLayers?: number;
  /** Default 'gru'. */
  cell?: CellFamily;
  /** Read the source in both directions (default false). */
  bidirectionalEncoder?: boolean;
  /** Default 'luong'. */
  attention?: AttentionKind;
  /**
   * Dropout probability in training (default 0): on the source and target embeddings
   * (batch, S|T, E), on the features before the output layer (batch, T, H), and between stacked
   * recurrent layers. That last one is PyTorch's and does nothing with one layer, so there the
   * embeddings' dropout is what regularizes the recurrent part.
   */
  dropout?: number;
  /** Target id that starts decoding (default 2, the Vocabulary's `<bos>`). */
  bosId?: number;
  /** Target id that ends a sequence (default 3, `<eos>`). */
  eosId?: number;
}

/** The decoder's state between steps. */
export interface DecoderState {
  /** (numLayers, batch, H) and c for LSTM */
  rnn: RecurrentState;
  memory: AttentionMemory;
}

export class Seq2Seq extends Module implements StepDecoder<DecoderState> {
  readonly config: Required<Seq2SeqConfig>;
  readonly sourceEmbedding: Embedding;
  readonly targetEmbedding: Embedding;
  readonly encoder: RecurrentLayer;
  readonly decoder: RecurrentLayer;
  readonly bridge: Linear | null;
  readonly attention: Attention | null;
  readonly combine: Linear | null;
  readonly dropoutLayer: Dropout;
  readonly head: Linear;

  constructor(config: Seq2SeqConfig, generator?: Generator) {
    super();
    const c: Required<Seq2SeqConfig> = {
      sourceVocabSize: config.sourceVocabSize,
      targetVocabSize: config.targetVocabSize,
      embeddingDim: config.embeddingDim ?? 32,
      hiddenSize: config.hiddenSize ?? 64,
      numLayers: config.numLayers ?? 1,
      cell: config.cell ?? 'gru',
      bidirectionalEncoder: config.bidirectionalEncoder ?? false,
      attention: config.attention ?? 'luong',
      dropout: config.dropout ?? 0,
      bosId: config.bosId ?? 2,
      eosId: config.eosId ?? 3,
    };
    if (!CELL_FAMILIES.includes(c.cell))
      throw new ValueError('Seq2Seq', `cell must be one of ${CELL_FAMILIES.join(', ')}, got ${String(c.cell)}`);
    if (!ATTENTION_KINDS.includes(c.attention))
      throw new ValueError(
        'Seq2Seq',
        `attention must be one of ${ATTENTION_KINDS.join(', ')}, got ${String(c.attention)}`,
      );
    this.config = c;
    const g = generator ? { generator } : {};
    const H = c.hiddenSize;
    const memorySize = (c.bidirectionalEncoder ? 2 : 1) * H;
    this.sourceEmbedding = this.registerModule(
      'sourceEmbedding',
      new Embedding({ numEmbeddings: c.sourceVocabSize, embeddingDim: c.embeddingDim, paddingIdx: 0, ...g }),
    );
    this.targetEmbedding = this.registerModule(
      'targetEmbedding',
      new Embedding({ numEmbeddings: c.targetVocabSize, embeddingDim: c.embeddingDim, paddingIdx: 0, ...g }),
    );
    this.encoder = this.registerModule(
      'encoder',
      createRecurrent(c.cell, {
        inputSize: c.embeddingDim,
        hiddenSize: H,
        numLayers: c.numLayers,
        bidirectional: c.bidirectionalEncoder,
        dropout: c.dropout,
        batchFirst: true,
        ...g,
      }),
    );
    const decoderInput = c.embeddingDim + (c.attention === 'bahdanau' ? memorySize : 0);
    this.decoder = this.registerModule(
      'decoder',
      createRecurrent(c.cell, {
        inputSize: decoderInput,
        hiddenSize: H,
        numLayers: c.numLayers,
        dropout: c.dropout,
        batchFirst: true,
        ...g,
      }),
    );
    this.bridge = c.bidirectionalEncoder
      ? this.registerModule('bridge', new Linear({ inFeatures: 2 * H, outFeatures: H, ...g }))
      : null;
    this.attention =
      c.attention === 'none'
        ? null
        : this.registerModule('attention', new Attention(c.attention, memorySize, H, generator));
    this.combine =
      c.attention === 'luong'
        ? this.registerModule('combine', new Linear({ inFeatures: memorySize + H, outFeatures: H, ...g }))
        : null;
    this.dropoutLayer = this.registerModule('dropout', new Dropout({ p: c.dropout, ...g }));
    const headInput = c.attention === 'bahdanau' ? H + memorySize : H;
    this.head = this.registerModule(
      'head',
      new Linear({ inFeatures: headInput, outFeatures: c.targetVocabSize, ...g }),
    );
  }

  override describe(): string {
    return `Seq2Seq(${this.config.cell}, hiddenSize=${this.config.hiddenSize}, attention=${this.config.attention})`;
  }

  /** Target ids (batch, T) -> embeddings (batch, T, E), dropped out in training. */
  private embedTarget(ids: Tensor): Tensor {
    return this.dropoutLayer.forward(this.targetEmbedding.forward(ids));
  }

  /** Encodes source ids (batch, S) with lengths (batch) into the decoder's initial state. */
  encode(source: Tensor, sourceLengths: readonly number[]): DecoderState {
    const embedded = this.dropoutLayer.forward(this.sourceEmbedding.forward(source)); // (batch, S, E)
    const { output, state } = runRecurrent(this.encoder, embedded, {
      lengths: sourceLengths,
    });
    const memory: AttentionMemory = this.attention
      ? this.attention.prepare(output, sourceLengths)
      : {
          values: output,
          keys: output,
          padding: new Tensor(new Float32Array(output.shape[0]! * output.shape[1]!), [
            output.shape[0]!,
            output.shape[1]!,
          ]),
        };
    const bridgeState = (s: Tensor) => {
      if (!this.bridge) return s;
      const layers: Tensor[] = [];
      for (let l = 0; l < this.config.numLayers; l++) {
        const both = concat([s.select(0, 2 * l), s.select(0, 2 * l + 1)], 1); // (batch, 2H)
        layers.push(this.bridge.forward(both).tanh());
      }
      return stack(layers, 0);
    };
    return { rnn: { h: bridgeState(state.h), c: state.c ? bridgeState(state.c) : null }, memory };
  }

  /** One decoder step: previous tokens (batch) -> logits (batch, targetVocab) and the new state. */
  step(
    previous: readonly number[] | Int32Array,
    state: DecoderState,
  ): { logits: Tensor; state: DecoderState; attention: Tensor | null } {
    const { output, rnn, context, weights } = this.recur(previous, state);
    const { logits, attention } = this.project(output, state.memory, context);
    return {
      logits: logits.squeeze(1),
      state: { rnn, memory: state.memory },
      attention: weights ?? (attention ? attention.squeeze(1) : null),
    };
  }

  /**
   * The decoder's recurrence for one step, without the output layer: previous tokens (batch) ->
   * output (batch, 1, H) and its state; with Bahdanau attention also the context it read
   * (batch, 1, M) and the attention weights (batch, source).
   */
  private recur(
    previous: readonly number[] | Int32Array,
    state: DecoderState,
  ): { output: Tensor; rnn: RecurrentState; context: Tensor | null; weights: Tensor | null } {
    const batch = previous.length;
    const embedded = this.embedTarget(new Tensor(Float32Array.from(previous), [batch, 1])); // (batch, 1, E)
    let input = embedded;
    let context: Tensor | null = null;
    let weights: Tensor | null = null;
    if (this.config.attention === 'bahdanau') {
      const query = state.rnn.h.select(0, -1).unsqueeze(1); // (batch, 1, H): top layer
      const attended = this.attention!.attend(state.memory, query);
      context = attended.context; // (batch, 1, M)
      weights = attended.weights.squeeze(1);
      input = concat([embedded, context], 2);
    }
    const { output, state: rnn } = runRecurrent(this.decoder, input, { state: state.rnn });
    return { output, rnn, context, weights };
  }

  /** Decoder outputs (batch, T, H) -> logits (batch, T, V), with Luong attention where configured. */
  private project(
    output: Tensor,
    memory: AttentionMemory,
    bahdanauContext: Tensor | null,
  ): { logits: Tensor; attention: Tensor | null } {
    let features = output;
    let attention: Tensor | null = null;
    if (this.config.attention === 'luong') {
      const attended = this.attention!.attend(memory, output);
      attention = attended.weights;
      features = this.combine!.forward(concat([attended.context, output], 2)).tanh();
    } else if (bahdanauContext) {
      features = concat([output, bahdanauContext], 2);
    }
    return { logits: this.head.forward(this.dropoutLayer.forward(features)), attention };
  }

  /**
   * Training forward: source (batch, S), sourceLengths (batch), targetInput (batch, T) starting
   * with BOS. Returns logits (batch, T, targetVocab) for predicting targetInput shifted by one.
   */
  forward(
    source: Tensor,
    sourceLengths: readonly number[],
    targetInput: Tensor,
    options: { teacherForcingRatio?: number; generator?: Generator } = {},
  ): Tensor {
    const ratio = options.teacherForcingRatio ?? 1;
    let state = this.encode(source, sourceLengths);
    const [batch, steps] = targetInput.shape as [number, number];
    if (ratio >= 1 && this.config.attention !== 'bahdanau') {
      // Every input is known: run the decoder over all steps at once (one fused call).
      const { output } = runRecurrent(this.decoder, this.embedTarget(targetInput), { state: state.rnn });
      return this.project(output, state.memory, null).logits;
    }
    if (ratio >= 1) {
      // Bahdanau: each step's input holds the context read with the previous state, so the
      // recurrence runs step by step; the output layer (and its dropout) then runs once over all
      // steps, one large product instead of one per step.
      const outputs: Tensor[] = [];
      const contexts: Tensor[] = [];
      let rnn = state.rnn;
      for (let t = 0; t < steps; t++) {
        const column = Array.from({ length: batch }, (_, b) => targetInput.data[b * steps + t]!);
        const result = this.recur(column, { rnn, memory: state.memory });
        rnn = result.rnn;
        outputs.push(result.output);
        contexts.push(result.context!);
      }
      return this.project(concat(outputs, 1), state.memory, concat(contexts, 1)).logits; // (batch, T, V)
    }
    const generator = options.generator ?? defaultGenerator;
    const logits: Tensor[] = [];
    let previous = Array.from({ length: batch }, (_, b) => targetInput.data[b * steps]!);
    for (let t = 0; t < steps; t++) {
      const result = this.step(previous, state);
      state = result.state;
      logits.push(result.logits);
      if (t + 1 < steps) {
        const predicted = result.logits.argmax(1);
        previous = previous.map((_, b) =>
          generator.random() < ratio ? targetInput.data[b * steps + t + 1]! : predicted[b]!,
        );
      }
    }
    return stack(logits, 1);
  }

  /** Decodes source ids (batch, S): one id list per row, without BOS/EOS (greedy or beam search, search.ts). */
  decode(source: Tensor, sourceLengths: readonly number[], options: DecodeOptions = {}): number[][] {
    return decodeSequences(this, source, sourceLengths, options);
  }

  get bosId(): number {
    return this.config.bosId;
  }

  get eosId(): number {
    return this.config.eosId;
  }

  /** The decoder state of batch rows `rows` (rows may repeat): for beams. */
  selectRows(state: DecoderState, rows: readonly number[]): DecoderState {
    const pick = (t: Tensor, dim: number) => t.indexSelect(dim, rows);
    return {
      rnn: { h: pick(state.rnn.h, 1), c: state.rnn.c ? pick(state.rnn.c, 1) : null },
      memory: {
        values: pick(state.memory.values, 0),
        keys: pick(state.memory.keys, 0),
        padding: pick(state.memory.padding, 0),
      },
    };
  }
}
