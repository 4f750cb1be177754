/**
 * SequenceTagger (many-to-many, same length): one label per time step.
 *
 *   tokens (batch, time) --Embedding--> (batch, time, E)   [or features (batch, time, inputSize)]
 *   --RNN/LSTM/GRU--> output (batch, time, D*H)   (zeros at padded steps)
 *   --Linear at every step--> logits (batch, time, numTags)
 * Train with crossEntropy over (batch*time, numTags) and targets set to the ignore index at
 * padded steps, so padding never counts in the loss.
 */
import { ValueError } from '../errors.js';
import { Dropout } from '../nn/dropout.js';
import { Embedding } from '../nn/embedding.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { embedOrCheck, resolveEncoderConfig, type SequenceEncoderConfig } from './encoder-config.js';
import type { CellFamily } from '../families.js';
import { createRecurrent, type RecurrentLayer, runRecurrent } from './recurrent-layer.js';

export interface SequenceTaggerConfig extends SequenceEncoderConfig {
  /** Number of tags (the logits' last dim). */
  numTags: number;
}

export class SequenceTagger extends Module {
  readonly config: Required<SequenceTaggerConfig>;
  readonly embedding: Embedding | null;
  readonly rnn: RecurrentLayer;
  readonly dropoutLayer: Dropout;
  readonly head: Linear;

  constructor(config: SequenceTaggerConfig, generator?: Generator) {
    super();
    if (!Number.isInteger(config.numTags) || config.numTags < 2)
      throw new ValueError('SequenceTagger', `numTags must be an integer >= 2, got ${config.numTags}`);
    this.config = { ...resolveEncoderConfig('SequenceTagger', config), numTags: config.numTags };
    const { vocabSize, embeddingDim, inputSize, cell, hiddenSize, numLayers, bidirectional, dropout } = this.config;
    const g = generator ? { generator } : {};
    this.embedding =
      vocabSize > 0
        ? this.registerModule(
            'embedding',
            new Embedding({ numEmbeddings: vocabSize, embeddingDim, paddingIdx: 0, ...g }),
          )
        : null;
    this.rnn = this.registerModule(
      'rnn',
      createRecurrent(cell as CellFamily, {
        inputSize: vocabSize > 0 ? embeddingDim : inputSize,
        hiddenSize,
        numLayers,
        bidirectional,
        dropout,
        batchFirst: true,
        ...g,
      }),
    );
    this.dropoutLayer = this.registerModule('dropout', new Dropout({ p: dropout, ...g }));
    this.head = this.registerModule(
      'head',
      new Linear({ inFeatures: (bidirectional ? 2 : 1) * hiddenSize, outFeatures: config.numTags, ...g }),
    );
  }

  override describe(): string {
    return `SequenceTagger(${this.config.cell}, hiddenSize=${this.config.hiddenSize}, numTags=${this.config.numTags})`;
  }

  /** x: tokens (batch, time) or features (batch, time, inputSize); lengths (batch). Returns logits (batch, time, numTags). */
  forward(x: Tensor, lengths?: readonly number[]): Tensor {
    const inputs = embedOrCheck(this.describe(), this.embedding, this.config.inputSize, x);
    const { output } = runRecurrent(this.rnn, inputs, lengths ? { lengths } : {});
    return this.head.forward(this.dropoutLayer.forward(output));
  }
}
