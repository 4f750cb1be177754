/**
 * Port of seed 002 ("What is the output shape of a custom layer following an RNN layer?",
 * Keras), with the library's Keras-style layers (`layers`).
 *
 * Three functional models on inputs of 10 steps x 20 features, each printed with `summary()`
 * and run on a batch of 2:
 *   1. simpleRNN(32, returnSequences) -> timeDistributed(dense(16))   (None, 10, 16) -> (2, 10, 16)
 *   2. simpleRNN(32, returnSequences) -> TimeAverageLayer (custom)     (None, 32)     -> (2, 32)
 *   3. simpleRNN(32)                  -> dense(16)                     (None, 16)     -> (2, 16)
 * Then what the seed only describes in words: returnState adds the final states
 * ([(None, 10, 32), (None, 32), (None, 32)] for an LSTM), and a shape mistake fails at once
 * with a ShapeError naming the layer and the dim.
 *
 * `TimeAverageLayer` is the documented way to write a custom layer: extend `layers.Layer` and
 * implement `call` with tensor ops (so gradients flow and `fit` trains it). Its output shape is
 * found by running `call` on zeros, so it needs no `computeOutputShape` (see src/layers/layer.ts).
 */
import { pathToFileURL } from 'node:url';
import { layers, manualSeed, randn, ShapeError, type Tensor } from '../src/index.js';

/** Averages over time: (batch, time, features) -> (batch, features). The seed's custom layer. */
export class TimeAverageLayer extends layers.Layer {
  /** A masked step (from `masking` or `embedding({ maskZero })`) is left out of the mean. */
  override call(x: Tensor, context: layers.CallContext): Tensor {
    const mask = Array.isArray(context.mask) ? null : context.mask; // (batch, time) or null
    if (!mask) return x.mean(1); // tf.reduce_mean(inputs, axis=1)
    const m = mask.unsqueeze(2); // (batch, time, 1)
    return x.mul(m).sum(1).div(m.sum(1));
  }
}

const inputShape = [10, 20]; // (time, features), as the seed's input_shape
const hiddenSize = 32;
const outputDim = 16;

/** `(2, 10, 16)`, as TensorFlow prints a shape. */
const tuple = (shape: readonly number[]) => `(${shape.join(', ')})`;

/** Example 1: the same dense layer applied at every step. */
export function example1(): layers.Model<'one'> {
  const inputs = layers.input({ shape: inputShape });
  const rnnOut = layers.simpleRNN({ units: hiddenSize, returnSequences: true }).apply(inputs); // (None, 10, 32)
  const denseOut = layers.timeDistributed(layers.dense({ units: outputDim })).apply(rnnOut); // (None, 10, 16)
  return layers.model({ inputs, outputs: denseOut });
}

/** Example 2: a custom layer that reduces the time dim. */
export function example2(): layers.Model<'one'> {
  const inputs = layers.input({ shape: inputShape });
  const rnnOut = layers.simpleRNN({ units: hiddenSize, returnSequences: true }).apply(inputs); // (None, 10, 32)
  const averageOut = new TimeAverageLayer().apply(rnnOut); // (None, 32)
  return layers.model({ inputs, outputs: averageOut });
}

/** Example 3: only the last hidden state, then a dense layer. */
export function example3(): layers.Model<'one'> {
  const inputs = layers.input({ shape: inputShape });
  const rnnOut = layers.simpleRNN({ units: hiddenSize, returnSequences: false }).apply(inputs); // (None, 32)
  const denseOut = layers.dense({ units: outputDim }).apply(rnnOut); // (None, 16)
  return layers.model({ inputs, outputs: denseOut });
}

/** returnState: the output, then the final h and c (an LSTM), each with its own shape. */
export function example4(): layers.Model<'many'> {
  const inputs = layers.input({ shape: inputShape });
  const [sequence, h, c] = layers.lstm({ units: hiddenSize, returnSequences: true, returnState: true }).apply(inputs);
  return layers.model({ inputs, outputs: [sequence!, h!, c!] });
}

export function run(log: (line: string) => void): void {
  layers.clearSession(); // names start again at simple_rnn, dense, ... as in a fresh Keras session
  manualSeed(2);
  const dummyData = randn([2, 10, 20]); // (batch 2, time 10, features 20), like np.random.rand(2, 10, 20)

  const model1 = example1();
  model1.summary({ print: log });
  log(`The output shape after the TimeDistributed Dense layer is: ${tuple(model1.predict(dummyData).shape)}`);

  const model2 = example2();
  model2.summary({ print: log });
  log(`The output shape after the TimeAverageLayer is: ${tuple(model2.predict(dummyData).shape)}`);

  const model3 = example3();
  model3.summary({ print: log });
  log(`The output shape after the Dense layer is: ${tuple(model3.predict(dummyData).shape)}`);

  const model4 = example4();
  model4.summary({ print: log, explain: true });
  log(
    `The output shapes with returnState are: ${model4
      .predict(dummyData)
      .map((t) => tuple(t.shape))
      .join(', ')}`,
  );

  // A shape mistake: data with 12 features for models built for 20 fails before any compute,
  // naming the layer and the dim.
  const wrong = randn([2, 10, 12]);
  for (const attempt of [() => model1.predict(wrong), () => model1.getLayer('simple_rnn').apply(wrong)]) {
    try {
      attempt();
    } catch (e) {
      if (!(e instanceof ShapeError)) throw e;
      log(`error: ${e.message}`);
    }
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) run(console.log);
