/**
 * Typed shapes at run time: for a few configurations, the shape each result has when it runs
 * equals the shape its type claims (docs/typed-shapes.md), so the two cannot drift apart.
 * `shapeIs([4, 20, 20])(t)` compiles only when t's shape type is exactly [4, 20, 20], and then
 * checks t.shape at run time.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  Generator,
  layers,
  nn,
  packPaddedSequence,
  randn,
  type Shape,
  type Tensor,
  tensor,
  zeros,
} from '../src/index.js';
import type { MutableShape } from '../src/tensor/shape-types.js';
import type { Equal } from './types/expect-type.js';

function shapeIs<const E extends Shape>(expected: E) {
  return <S extends Shape>(
    t: Tensor<S>,
    ..._typeDiffers: Equal<S, MutableShape<E>> extends true ? [] : [typed: S, expected: E]
  ): void => {
    assert.deepEqual([...t.shape], [...expected]);
  };
}

const gen = () => new Generator(3);

describe('typed shapes equal runtime shapes', () => {
  test('LSTM, batch-first (the issue example)', () => {
    const lstm = new nn.LSTM({ inputSize: 10, hiddenSize: 20, batchFirst: true, generator: gen() });
    const { output, h, c } = lstm.forward(randn([4, 20, 10], { generator: gen() }));
    shapeIs([4, 20, 20])(output);
    shapeIs([1, 4, 20])(h);
    shapeIs([1, 4, 20])(c);
  });

  test('LSTM, bidirectional, 2 layers, projSize, time-major', () => {
    const lstm = new nn.LSTM({
      inputSize: 3,
      hiddenSize: 6,
      numLayers: 2,
      bidirectional: true,
      projSize: 4,
      generator: gen(),
    });
    const { output, h, c } = lstm.forward(randn([7, 2, 3], { generator: gen() }));
    shapeIs([7, 2, 8])(output);
    shapeIs([4, 2, 4])(h);
    shapeIs([4, 2, 6])(c);
  });

  test('GRU, 3 layers, bidirectional, batch-first', () => {
    const gru = new nn.GRU({
      inputSize: 5,
      hiddenSize: 4,
      numLayers: 3,
      bidirectional: true,
      batchFirst: true,
      generator: gen(),
    });
    const { output, h } = gru.forward(randn([2, 6, 5], { generator: gen() }));
    shapeIs([2, 6, 8])(output);
    shapeIs([6, 2, 4])(h);
  });

  test('RNN, batch-first: the batch of h is dim 0 of the input', () => {
    const rnn = new nn.RNN({ inputSize: 5, hiddenSize: 4, batchFirst: true, nonlinearity: 'relu', generator: gen() });
    const { output, h } = rnn.forward(randn([3, 6, 5], { generator: gen() }));
    shapeIs([3, 6, 4])(output);
    shapeIs([1, 3, 4])(h);
  });

  test('unbatched (time, features) input', () => {
    const lstm = new nn.LSTM({ inputSize: 5, hiddenSize: 4, bidirectional: true, numLayers: 2, generator: gen() });
    const { output, h, c } = lstm.forward(randn([6, 5], { generator: gen() }));
    shapeIs([6, 8])(output);
    shapeIs([4, 4])(h);
    shapeIs([4, 4])(c);
  });

  test('initial states and lengths', () => {
    const gru = new nn.GRU({ inputSize: 2, hiddenSize: 3, numLayers: 2, generator: gen() });
    const { output, h } = gru.forward(randn([5, 4, 2], { generator: gen() }), {
      h: zeros([2, 4, 3]),
      lengths: [5, 1, 3, 2],
    });
    shapeIs([5, 4, 3])(output);
    shapeIs([2, 4, 3])(h);
  });

  test('PackedSequence: h and c have the rows and features of their types', () => {
    const lstm = new nn.LSTM({ inputSize: 2, hiddenSize: 3, numLayers: 2, bidirectional: true, generator: gen() });
    const packed = packPaddedSequence(randn([5, 4, 2], { generator: gen() }), [5, 1, 3, 2]);
    const { h, c } = lstm.forward(packed);
    const typed: Tensor<[4, number, 3]> = h;
    assert.deepEqual([...typed.shape], [4, 4, 3]);
    assert.deepEqual([...c.shape], [4, 4, 3]);
  });

  test('cells, batched and unbatched', () => {
    const lstm = new nn.LSTMCell({ inputSize: 3, hiddenSize: 5, generator: gen() });
    const gru = new nn.GRUCell({ inputSize: 3, hiddenSize: 5, generator: gen() });
    const rnn = new nn.RNNCell({ inputSize: 3, hiddenSize: 5, generator: gen() });
    const x = randn([2, 3], { generator: gen() });
    const state = lstm.forward(x);
    shapeIs([2, 5])(state.h);
    shapeIs([2, 5])(lstm.forward(x, state).c);
    shapeIs([2, 5])(gru.forward(x));
    shapeIs([5])(rnn.forward(randn([3], { generator: gen() })));
  });

  test('Embedding -> LSTM -> Linear', () => {
    const emb = new nn.Embedding({ numEmbeddings: 10, embeddingDim: 4, generator: gen() });
    const lstm = new nn.LSTM({ inputSize: 4, hiddenSize: 3, batchFirst: true, bidirectional: true, generator: gen() });
    const fc = new nn.Linear({ inFeatures: 6, outFeatures: 2, generator: gen() });
    const embedded = emb.forward(tensor([1, 2, 3, 4, 5, 6], [2, 3]));
    shapeIs([2, 3, 4])(embedded);
    shapeIs([3, 4])(emb.forward([7, 8, 9]));
    const { output } = lstm.forward(embedded);
    shapeIs([2, 3, 6])(output);
    shapeIs([2, 3, 2])(fc.forward(output));
  });

  test('Keras-style layers: every returnSequences x returnState combination, with goBackwards and a mask', () => {
    const x = randn([4, 6, 3], { generator: gen() });
    const mask = tensor([
      [1, 1, 1, 1, 1, 1],
      [1, 1, 1, 0, 0, 0],
      [1, 0, 0, 0, 0, 0],
      [1, 1, 1, 1, 1, 0],
    ]);
    shapeIs([4, 5])(layers.lstm({ units: 5, generator: gen() }).apply(x));
    shapeIs([4, 6, 5])(
      layers.lstm({ units: 5, returnSequences: true, goBackwards: true, generator: gen() }).apply(x, { mask }),
    );
    const [output, h, c] = layers
      .lstm({ units: 5, returnSequences: true, returnState: true, generator: gen() })
      .apply(x, { mask });
    shapeIs([4, 6, 5])(output);
    shapeIs([4, 5])(h);
    shapeIs([4, 5])(c);
    const gruResult = layers.gru({ units: 2, returnState: true, resetAfter: false, generator: gen() }).apply(x);
    assert.equal(gruResult.length, 2);
    shapeIs([4, 2])(gruResult[0]);
    shapeIs([4, 2])(gruResult[1]);
    const rnnResult = layers
      .simpleRNN({ units: 7, returnSequences: true, returnState: true, generator: gen() })
      .apply(x);
    assert.equal(rnnResult.length, 2);
    shapeIs([4, 6, 7])(rnnResult[0]);
    shapeIs([4, 7])(rnnResult[1]);
  });

  test('creation, ops that keep the shape type, and grad', () => {
    const w = randn([2, 3], { requiresGrad: true, generator: gen() });
    shapeIs([2, 3])(w.tanh().mul(2).add(w));
    shapeIs([3, 2])(w.reshape([3, 2]));
    w.mul(w).sum().backward();
    const g: Tensor<[2, 3]> | null = w.grad;
    assert.deepEqual([...g!.shape], [2, 3]);
  });

  test('a tensor has the same fields in the same order as before typed shapes', () => {
    // `grad` moved from a class field to the constructor (types only); the object is unchanged.
    assert.deepEqual(Object.keys(randn([2])), ['data', 'shape', 'requiresGrad', 'grad', 'gradNode', 'outputIndex']);
    assert.equal(randn([2]).grad, null);
  });
});
