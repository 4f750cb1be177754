/**
 * Port of seed 004 ("Example of Many-to-One LSTM": the Elman equations and a Linear head, PyTorch).
 *
 * An Elman RNN computes h_t = tanh(W1 x_t + W2 h_{t-1}) only; the output o_t = softmax(W3 h_t)
 * is a separate Linear (W3: (output, hidden)) that the user adds. The RNN's `output` is every
 * step's hidden state, so a many-to-many model flattens it to (rows, hidden), applies the
 * Linear to every row, and flattens the labels the same way for a cross-entropy loss.
 *
 * The seed's RNN is time-major (no batch_first): output (time, batch, hidden), so the rows of
 * `out.view(-1, hidden)` are in (time, batch) order, row = t * batch + b. Labels kept as
 * (batch, time) must be transposed before flattening, or each logit row is scored against
 * another step's label; this port counts how many rows line up either way.
 *
 * Our library has no crossEntropy; the demo loss is logSoftmax + gather + mean.
 */
import { pathToFileURL } from 'node:url';
import { defaultGenerator, formatShape, manualSeed, nn, type Tensor, tensor, zeros } from '../src/index.js';

/** The seed's `ou_rnn`: an Elman RNN with a Linear head on every step. */
export class OuRnn extends nn.Module {
  readonly rnn: nn.RNN;
  readonly fc: nn.Linear;

  constructor(inputDim: number, outputDim: number, hiddenSize: number, numLayer: number) {
    super();
    this.rnn = this.registerModule('rnn', new nn.RNN({ inputSize: inputDim, hiddenSize, numLayers: numLayer }));
    // You choose the output size in the Linear: W3 (outputDim, hiddenSize).
    this.fc = this.registerModule('fc', new nn.Linear({ inFeatures: hiddenSize, outFeatures: outputDim }));
  }

  /**
   * x (time, batch, input), h (layers, batch, hidden)
   * -> logits (time*batch, output) with row t*batch + b, h (layers, batch, hidden).
   */
  forward(x: Tensor, h: Tensor): { logits: Tensor; h: Tensor } {
    const result = this.rnn.forward(x, { h }); // output (time, batch, hidden)
    const rows = result.output.reshape([-1, this.rnn.hiddenSize]); // out.contiguous().view(-1, hidden): (time*batch, hidden)
    return { logits: this.fc.forward(rows), h: result.h }; // (time*batch, output)
  }
}

/** Mean cross-entropy: logits (N, classes), labels (N) of class indices -> scalar. */
export function crossEntropy(logits: Tensor, labels: Tensor): Tensor {
  const logProbs = logits.logSoftmax(-1); // (N, classes)
  return logProbs.gather(1, labels.unsqueeze(1)).neg().mean(); // picks (N, 1), averages
}

export function run(log: (line: string) => void): void {
  manualSeed(0);
  const letters = 26; // input and output: one-hot letters of the alphabet
  const hiddenSize = 100;
  const numLayer = 1;
  const batchSize = 4;
  const sequenceLength = 7;
  const model = new OuRnn(letters, letters, hiddenSize, numLayer);

  // Random letters per sequence, (batch, time); the label of each step is the next letter.
  const text = Array.from({ length: batchSize }, () =>
    Array.from({ length: sequenceLength }, () => defaultGenerator.integer(letters)),
  );
  const labels = tensor(text.map((row) => row.map((letter) => (letter + 1) % letters))); // (batch, time)

  // One-hot input, time-major as the seed's RNN expects: (time, batch, letters).
  const oneHot = new Float32Array(sequenceLength * batchSize * letters);
  text.forEach((row, b) => row.forEach((letter, t) => (oneHot[(t * batchSize + b) * letters + letter] = 1)));
  const x = tensor(oneHot, [sequenceLength, batchSize, letters]);
  const h0 = zeros([numLayer, batchSize, hiddenSize]); // (layers, batch, hidden)

  log(`Input shape: ${formatShape(x.shape)}`); // [7, 4, 26]  (time, batch, input)
  // The steps inside forward, shown one by one:
  const allHidden = model.rnn.forward(x, { h: h0 }).output;
  log(`RNN output shape: ${formatShape(allHidden.shape)}`); // [7, 4, 100]  (time, batch, hidden): every h_t
  log(`Reshaped output shape: ${formatShape(allHidden.reshape([-1, hiddenSize]).shape)}`); // [28, 100]  (time*batch, hidden)
  const { logits, h } = model.forward(x, h0);
  log(`Hidden state shape: ${formatShape(h.shape)}`); // [1, 4, 100]  (layers, batch, hidden)
  log(`Logits shape: ${formatShape(logits.shape)}`); // [28, 26]  (time*batch, output)

  // label.view(batch_size * sequence_length), in the logits' (time, batch) row order.
  log(`Labels shape: ${formatShape(labels.shape)}`); // [4, 7]  (batch, time)
  const flatLabels = labels.transpose(0, 1).reshape([-1]); // (time*batch)
  log(`Flattened labels shape: ${formatShape(flatLabels.shape)}`); // [28]

  // Which rows pair a logit row with the label of its own step (the next letter of its input)?
  const inputLetter = x.reshape([-1, letters]).argmax(1); // (time*batch), same row order as logits
  const aligned = (flat: Tensor) => flat.data.filter((label, r) => label === (inputLetter[r]! + 1) % letters).length;
  const rows = logits.shape[0]!;
  log(
    `Rows paired with their own label: ${aligned(flatLabels)}/${rows} transposed to (time, batch), ${aligned(labels.reshape([-1]))}/${rows} flattened as (batch, time)`,
  );

  const loss = crossEntropy(logits, flatLabels);
  loss.backward();
  log(`Cross-entropy loss: ${loss.item().toFixed(4)} (untrained; ln 26 = ${Math.log(letters).toFixed(4)})`);
  log(`fc.weight gradient shape: ${formatShape(model.fc.weight.grad!.shape)}`); // [26, 100]
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) run(console.log);
