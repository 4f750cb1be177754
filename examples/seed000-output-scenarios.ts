/**
 * Port of seed 000 ("How are time steps mapped to output shape in an RNN?", PyTorch).
 *
 * It shows the three ways an RNN's time steps map to the output shape:
 *   1. many-to-one: a Linear on the last hidden state          -> (batch, classes)       [4, 3]
 *   2. many-to-many, same length: a Linear on every step         -> (batch, time, outputs) [4, 20, 5]
 *   3. many-to-many, other length: a GRU encoder-decoder that
 *      decodes step by step, feeding each prediction back       -> (batch, maxLength, outputs) [4, 25, 5]
 *
 * The seed's example 3 has a shape bug: its decoder GRU expects `hidden_size` (20) features,
 * but from step 1 on it is fed the previous prediction, which has `output_size` (5) features.
 * PyTorch fails at run time at `self.rnn(x, hidden)`; so does this port, with a ShapeError that
 * names the GRU and the features dim. The corrected model gives the decoder GRU
 * `inputSize = outputSize` and starts from a zero "start token" of that size.
 */
import { pathToFileURL } from 'node:url';
import { concat, formatShape, manualSeed, nn, randn, ShapeError, type Tensor, zeros } from '../src/index.js';

// ---------------------------------------------------------------------------------------------
// Example 1: many-to-one (sequence classification)

export class SimpleRNNClassifier extends nn.Module {
  readonly rnn: nn.RNN;
  readonly fc: nn.Linear;

  constructor(inputSize: number, hiddenSize: number, numClasses: number) {
    super();
    this.rnn = this.registerModule('rnn', new nn.RNN({ inputSize, hiddenSize, batchFirst: true }));
    this.fc = this.registerModule('fc', new nn.Linear({ inFeatures: hiddenSize, outFeatures: numClasses }));
  }

  /** x (batch, time, input) -> (batch, classes) */
  forward(x: Tensor): Tensor {
    const { h } = this.rnn.forward(x); // h (layers, batch, hidden)
    // The last layer's final state, (batch, hidden): `hidden[-1, :, :]` in PyTorch.
    return this.fc.forward(h.select(0, -1));
  }
}

// ---------------------------------------------------------------------------------------------
// Example 2: many-to-many, same length (tagging)

export class SimpleRNNTagging extends nn.Module {
  readonly rnn: nn.RNN;
  readonly fc: nn.Linear;

  constructor(inputSize: number, hiddenSize: number, outputSize: number) {
    super();
    this.rnn = this.registerModule('rnn', new nn.RNN({ inputSize, hiddenSize, batchFirst: true }));
    this.fc = this.registerModule('fc', new nn.Linear({ inFeatures: hiddenSize, outFeatures: outputSize }));
  }

  /** x (batch, time, input) -> (batch, time, output) */
  forward(x: Tensor): Tensor {
    const { output } = this.rnn.forward(x); // (batch, time, hidden): h at every step
    return this.fc.forward(output); // Linear acts on the last dim: (batch, time, output)
  }
}

// ---------------------------------------------------------------------------------------------
// Example 3: many-to-many, different lengths (GRU encoder-decoder)

export class Encoder extends nn.Module {
  readonly rnn: nn.GRU;

  constructor(inputSize: number, hiddenSize: number) {
    super();
    this.rnn = this.registerModule('rnn', new nn.GRU({ inputSize, hiddenSize, batchFirst: true }));
  }

  /** x (batch, srcTime, input) -> h (layers, batch, hidden) */
  forward(x: Tensor): Tensor {
    return this.rnn.forward(x).h;
  }
}

export class Decoder extends nn.Module {
  readonly rnn: nn.GRU;
  readonly fc: nn.Linear;

  /** The seed builds `GRU(hidden_size, hidden_size)`: inputSize = hiddenSize (the bug). */
  constructor(inputSize: number, hiddenSize: number, outputSize: number) {
    super();
    this.rnn = this.registerModule('rnn', new nn.GRU({ inputSize, hiddenSize, batchFirst: true }));
    this.fc = this.registerModule('fc', new nn.Linear({ inFeatures: hiddenSize, outFeatures: outputSize }));
  }

  /** One decoding step: x (batch, 1, input), h (layers, batch, hidden) -> output (batch, 1, output), h */
  forward(x: Tensor, h: Tensor): { output: Tensor; h: Tensor } {
    const step = this.rnn.forward(x, { h }); // output (batch, 1, hidden)
    return { output: this.fc.forward(step.output), h: step.h };
  }
}

export class Seq2Seq extends nn.Module {
  readonly encoder: Encoder;
  readonly decoder: Decoder;

  /**
   * `decoderInputSize`: what the decoder GRU reads each step. The seed uses hiddenSize, which
   * breaks as soon as a prediction (outputSize features) is fed back; the fix is outputSize.
   */
  constructor(inputSize: number, hiddenSize: number, outputSize: number, decoderInputSize = outputSize) {
    super();
    this.encoder = this.registerModule('encoder', new Encoder(inputSize, hiddenSize));
    this.decoder = this.registerModule('decoder', new Decoder(decoderInputSize, hiddenSize, outputSize));
  }

  /**
   * source (batch, srcTime, input) -> (batch, maxLength, output).
   * (The seed also takes a `target` that it never reads: there is no teacher forcing.)
   */
  forward(source: Tensor, maxLength: number): Tensor {
    const batch = source.shape[0]!;
    let h = this.encoder.forward(source); // (layers, batch, hidden): the context
    // Start token: zeros (batch, 1, decoder input features).
    let decoderInput: Tensor = zeros([batch, 1, this.decoder.rnn.inputSize]);
    const steps: Tensor[] = [];
    for (let t = 0; t < maxLength; t++) {
      const step = this.decoder.forward(decoderInput, h); // output (batch, 1, output)
      steps.push(step.output);
      h = step.h;
      decoderInput = step.output; // next input is the prediction: (batch, 1, output)
    }
    return concat(steps, 1); // (batch, maxLength, output)
  }
}

// ---------------------------------------------------------------------------------------------

export function run(log: (line: string) => void): void {
  manualSeed(0);
  const inputSize = 10;
  const hiddenSize = 20;
  const batchSize = 4;
  const seqLength = 20;

  log('Example 1: many-to-one (SimpleRNNClassifier)');
  const numClasses = 3;
  const classifier = new SimpleRNNClassifier(inputSize, hiddenSize, numClasses);
  const x = randn([batchSize, seqLength, inputSize]); // (batch, time, input)
  log(`Output shape: ${formatShape(classifier.forward(x).shape)}`); // [4, 3]

  log('Example 2: many-to-many, same length (SimpleRNNTagging)');
  const outputSize = 5;
  const tagger = new SimpleRNNTagging(inputSize, hiddenSize, outputSize);
  log(`Output shape: ${formatShape(tagger.forward(x).shape)}`); // [4, 20, 5]

  log('Example 3: many-to-many, different lengths (Seq2Seq as in the seed: decoder GRU input = hidden_size)');
  const sourceSeqLength = 15;
  const maxLength = 25; // target_seq_length
  const source = randn([batchSize, sourceSeqLength, inputSize]); // (batch, srcTime, input)
  const seedModel = new Seq2Seq(inputSize, hiddenSize, outputSize, hiddenSize);
  try {
    seedModel.forward(source, maxLength);
    log('no error (unexpected: the seed model should fail at the second decoding step)');
  } catch (e) {
    if (!(e instanceof ShapeError)) throw e;
    log(`error: ${e.message}`);
  }

  log('Example 3 corrected: decoder GRU input = output_size, the prediction is fed back');
  const model = new Seq2Seq(inputSize, hiddenSize, outputSize);
  log(`Output shape: ${formatShape(model.forward(source, maxLength).shape)}`); // [4, 25, 5]
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) run(console.log);
