/**
 * Port of seed 003 ("How do LSTMs handle different input and output shapes?", PyTorch).
 *
 * Three LSTM models whose output shapes do not depend on the input's length:
 *   1. many-to-one classifier: Linear on the last layer's final h     -> (batch, classes)        [3, 2]
 *   2. seq2seq with teacher forcing: the encoder's (h, c) start a
 *      decoder that reads the target sequence                        -> (batch, trgTime, output) [2, 40, 15]
 *   3. autoregressive forecaster: predict, feed the prediction back   -> (batch, future, output)  [5, 20, 1]
 *
 * Two of the seed's models fail at run time (in PyTorch as here, with a ShapeError naming the
 * layer and the features dim); each port runs the seed's version, logs the error, then the fix:
 *   - Seq2SeqLSTM: the decoder is `LSTM(hidden_size, hidden_size)` but reads the target,
 *     which has output_size (15) features, not hidden_size (256). Fix: decoder inputSize = outputSize.
 *   - TimeSeriesForecaster: the (batch, 1) prediction is fed to `Linear(hidden_size, 1)` as if it
 *     were a hidden state. Fix: feed it back through the LSTM (one step, input size 1, carrying
 *     (h, c)) and apply the Linear to the new hidden state.
 */
import { pathToFileURL } from 'node:url';
import { formatShape, manualSeed, nn, randn, ShapeError, stack, type Tensor } from '../src/index.js';

// ---------------------------------------------------------------------------------------------
// Example 1: many-to-one (time series classification)

export class LSTMClassifier extends nn.Module {
  readonly lstm: nn.LSTM;
  readonly fc: nn.Linear;

  constructor(inputSize: number, hiddenSize: number, numClasses: number) {
    super();
    this.lstm = this.registerModule('lstm', new nn.LSTM({ inputSize, hiddenSize, batchFirst: true }));
    this.fc = this.registerModule('fc', new nn.Linear({ inFeatures: hiddenSize, outFeatures: numClasses }));
  }

  /** x (batch, time, input) -> (batch, classes) */
  forward(x: Tensor): Tensor {
    const { h } = this.lstm.forward(x); // h (layers*directions, batch, hidden); output and c unused
    return this.fc.forward(h.select(0, -1)); // last layer: (batch, hidden) -> (batch, classes)
  }
}

// ---------------------------------------------------------------------------------------------
// Example 2: many-to-many (sequence to sequence, teacher forcing)

export class Seq2SeqLSTM extends nn.Module {
  readonly encoder: nn.LSTM;
  readonly decoder: nn.LSTM;
  readonly fc: nn.Linear;

  /**
   * `decoderInputSize`: features of each target step the decoder reads. The seed uses
   * hiddenSize, which fails on a target of outputSize features; the fix is outputSize.
   */
  constructor(inputSize: number, hiddenSize: number, outputSize: number, decoderInputSize = outputSize) {
    super();
    this.encoder = this.registerModule('encoder', new nn.LSTM({ inputSize, hiddenSize, batchFirst: true }));
    this.decoder = this.registerModule(
      'decoder',
      new nn.LSTM({ inputSize: decoderInputSize, hiddenSize, batchFirst: true }),
    );
    this.fc = this.registerModule('fc', new nn.Linear({ inFeatures: hiddenSize, outFeatures: outputSize }));
  }

  /** src (batch, srcTime, input), trg (batch, trgTime, output) -> (batch, trgTime, output) */
  forward(src: Tensor, trg: Tensor): Tensor {
    const { h, c } = this.encoder.forward(src); // (layers*directions, batch, hidden) each
    const { output } = this.decoder.forward(trg, { h, c }); // (batch, trgTime, hidden)
    return this.fc.forward(output); // (batch, trgTime, output)
  }
}

// ---------------------------------------------------------------------------------------------
// Example 3: autoregressive multi-step forecasting

/** As in the seed: the prediction is fed to the Linear as if it were a hidden state. */
export class TimeSeriesForecaster extends nn.Module {
  readonly lstm: nn.LSTM;
  readonly fc: nn.Linear;

  constructor(inputSize: number, hiddenSize: number, outputSize: number) {
    super();
    this.lstm = this.registerModule('lstm', new nn.LSTM({ inputSize, hiddenSize, batchFirst: true }));
    this.fc = this.registerModule('fc', new nn.Linear({ inFeatures: hiddenSize, outFeatures: outputSize }));
  }

  /** x (batch, time, input) -> (batch, futureSteps, output); fails at the second step. */
  forward(x: Tensor, futureSteps: number): Tensor {
    const { output } = this.lstm.forward(x); // (batch, time, hidden)
    let lastOut = output.select(1, -1); // output[:, -1, :]: (batch, hidden)
    const predictions: Tensor[] = [];
    for (let step = 0; step < futureSteps; step++) {
      const lastPrediction = this.fc.forward(lastOut); // (batch, output)
      predictions.push(lastPrediction);
      lastOut = lastPrediction; // the bug: (batch, output) where the Linear needs (batch, hidden)
    }
    return stack(predictions, 1); // (batch, futureSteps, output)
  }
}

/**
 * Corrected: each prediction goes back through the LSTM as the next input step (this needs
 * outputSize == inputSize, 1 here), carrying (h, c); the Linear reads the new hidden state.
 */
export class AutoregressiveForecaster extends TimeSeriesForecaster {
  override forward(x: Tensor, futureSteps: number): Tensor {
    let { output, h, c } = this.lstm.forward(x); // output (batch, time, hidden); h, c (1, batch, hidden)
    let lastOut = output.select(1, -1); // (batch, hidden)
    const predictions: Tensor[] = [];
    for (let step = 0; step < futureSteps; step++) {
      const prediction = this.fc.forward(lastOut); // (batch, output)
      predictions.push(prediction);
      // One LSTM step on the prediction: (batch, 1 step, output = input features).
      ({ output, h, c } = this.lstm.forward(prediction.unsqueeze(1), { h, c }));
      lastOut = output.select(1, -1); // (batch, hidden)
    }
    return stack(predictions, 1); // (batch, futureSteps, output)
  }
}

// ---------------------------------------------------------------------------------------------

/** Runs `f`; logs `error: <message>` if it throws a ShapeError (anything else propagates). */
function expectShapeError(log: (line: string) => void, f: () => Tensor): void {
  try {
    const out = f();
    log(`no error (unexpected), output shape: ${formatShape(out.shape)}`);
  } catch (e) {
    if (!(e instanceof ShapeError)) throw e;
    log(`error: ${e.message}`);
  }
}

export function run(log: (line: string) => void): void {
  manualSeed(0);

  log('Example 1: many-to-one (LSTMClassifier)');
  {
    const inputSize = 5;
    const hiddenSize = 128;
    const numClasses = 2;
    const model = new LSTMClassifier(inputSize, hiddenSize, numClasses);
    const batchSize = 3;
    const seqLen = 20;
    const inputData = randn([batchSize, seqLen, inputSize]); // (batch, time, input)
    log(`Output shape: ${formatShape(model.forward(inputData).shape)}`); // [3, 2]
  }

  {
    const inputSize = 10;
    const hiddenSize = 256;
    const outputSize = 15;
    const batchSize = 2;
    const srcLen = 30;
    const trgLen = 40;
    const srcData = randn([batchSize, srcLen, inputSize]); // (batch, srcTime, input)
    const trgData = randn([batchSize, trgLen, outputSize]); // (batch, trgTime, output)

    log('Example 2: seq2seq with teacher forcing (Seq2SeqLSTM as in the seed: decoder input = hidden_size)');
    const seedModel = new Seq2SeqLSTM(inputSize, hiddenSize, outputSize, hiddenSize);
    expectShapeError(log, () => seedModel.forward(srcData, trgData));

    log('Example 2 corrected: decoder LSTM input = output_size');
    const model = new Seq2SeqLSTM(inputSize, hiddenSize, outputSize);
    log(`Output shape: ${formatShape(model.forward(srcData, trgData).shape)}`); // [2, 40, 15]
  }

  {
    const inputSize = 1;
    const hiddenSize = 64;
    const outputSize = 1; // univariate forecasting
    const batchSize = 5;
    const seqLen = 50;
    const futureSteps = 20;
    const inputData = randn([batchSize, seqLen, inputSize]); // (batch, time, input)

    log('Example 3: autoregressive forecast (TimeSeriesForecaster as in the seed: prediction fed to the Linear)');
    const seedModel = new TimeSeriesForecaster(inputSize, hiddenSize, outputSize);
    expectShapeError(log, () => seedModel.forward(inputData, futureSteps));

    log('Example 3 corrected: prediction fed back through the LSTM, Linear on the new hidden state');
    const model = new AutoregressiveForecaster(inputSize, hiddenSize, outputSize);
    log(`Output shape: ${formatShape(model.forward(inputData, futureSteps).shape)}`); // [5, 20, 1]
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) run(console.log);
