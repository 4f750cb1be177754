/**
 * Port of seed 001 ("Why does output shape in a simple Elman RNN depend on the sequence
 * length, while hidden state shape doesn't?", PyTorch).
 *
 * It shows that an RNN returns two different things:
 *   output (batch, time, hidden): the last layer's hidden state at EVERY step -> [1, 3, 4]
 *   h      (layers, batch, hidden): each layer's FINAL hidden state            -> [1, 1, 4]
 * so `output[:, -1] == h[-1]` for a full-length batch. With a padded batch of different
 * lengths that is no longer true: each sequence's final state sits at its own last valid
 * step, `lastValidStep(output, lengths)`, while `output[:, -1]` of a shorter sequence is a
 * padded step (zeros).
 */
import { pathToFileURL } from 'node:url';
import { formatShape, lastValidStep, manualSeed, nn, randn, type Tensor, tensor } from '../src/index.js';

/** The seed's `RNN` class, renamed so it does not read like `nn.RNN`. */
export class ElmanRNN extends nn.Module {
  readonly rnn: nn.RNN;

  constructor(inputSize: number, hiddenDim: number, nLayers: number) {
    super();
    this.rnn = this.registerModule(
      'rnn',
      new nn.RNN({ inputSize, hiddenSize: hiddenDim, numLayers: nLayers, batchFirst: true }),
    );
  }

  /**
   * x (batch, time, input), hidden (layers, batch, hidden) or undefined for zeros (PyTorch's
   * `None`); lengths (batch) for a padded batch -> output (batch, time, hidden), h (layers, batch, hidden).
   */
  forward(x: Tensor, hidden?: Tensor, lengths?: readonly number[]): { output: Tensor; h: Tensor } {
    return this.rnn.forward(x, { h: hidden, lengths });
  }
}

/** Largest |a - b| over all elements of two same-shaped tensors. */
function maxAbsDiff(a: Tensor, b: Tensor): number {
  if (formatShape(a.shape) !== formatShape(b.shape))
    throw new Error(`shapes differ: ${formatShape(a.shape)} vs ${formatShape(b.shape)}`);
  let worst = 0;
  for (let i = 0; i < a.size; i++) worst = Math.max(worst, Math.abs(a.data[i]! - b.data[i]!));
  return worst;
}

const same = (a: Tensor, b: Tensor) => maxAbsDiff(a, b) <= 1e-6;

export function run(log: (line: string) => void): void {
  manualSeed(0);
  const testRnn = new ElmanRNN(1, 4, 1);

  // 3 evenly spaced points of sin on [0, 6], one feature each, batch of 1: (1, 3, 1).
  const timeSteps = [0, 3, 6];
  const testInput = tensor(timeSteps.map(Math.sin), [1, 3, 1]); // (batch, time, input)
  log(`Input size: ${formatShape(testInput.shape)}`); // [1, 3, 1]

  const { output: testOut, h: testH } = testRnn.forward(testInput); // hidden = None: zeros
  log(`Hidden state size: ${formatShape(testH.shape)}`); // [1, 1, 4]  (layers, batch, hidden)
  log(`Output size: ${formatShape(testOut.shape)}`); // [1, 3, 4]  (batch, time, hidden)

  // output[:, -1] (batch, hidden) is the final state of the last layer, h[-1] (batch, hidden).
  const lastStep = testOut.select(1, -1);
  const lastLayer = testH.select(0, -1);
  log(`output[:, -1] equals h[-1]: ${same(lastStep, lastLayer)}`);

  // A padded batch of 3 sequences with 5, 3 and 2 valid steps.
  const lengths = [5, 3, 2];
  const padded = randn([3, 5, 1]); // (batch, time, input); steps past each length are padding
  const { output, h } = testRnn.forward(padded, undefined, lengths);
  log(`Padded batch size: ${formatShape(padded.shape)}, lengths [${lengths.join(', ')}]`);
  log(`Hidden state size: ${formatShape(h.shape)}`); // [1, 3, 4]
  log(`Output size: ${formatShape(output.shape)}`); // [3, 5, 4]

  const finalH = h.select(0, -1); // (batch, hidden)
  const atLastValid = lastValidStep(output, lengths); // (batch, hidden): output[b, lengths[b] - 1]
  const atLastPadded = output.select(1, -1); // (batch, hidden): output[:, -1]
  lengths.forEach((len, b) => {
    const hb = finalH.select(0, b);
    log(
      `sequence ${b} (length ${len}): h[-1] equals lastValidStep(output, lengths): ${same(hb, atLastValid.select(0, b))}, ` +
        `equals output[:, -1]: ${same(hb, atLastPadded.select(0, b))}`,
    );
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) run(console.log);
