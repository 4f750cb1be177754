/**
 * The Keras-style API itself: names, symbolic shapes, weight layouts, errors, sequential and
 * functional models, masks through pooling, dropout, stateful layers, custom layers, summary(),
 * and compile/fit/predict/evaluate. (Numerical parity with TF.js and PyTorch is in
 * layers-tfjs-parity.test.ts and layers-gru-parity.test.ts.)
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { Adam, Generator, manualSeed, randn, ShapeError, type Tensor, tensor, ValueError } from '../src/index.js';
import * as tf from '@tensorflow/tfjs';
import * as L from '../src/layers/index.js';
import { assertClose } from './helpers.js';

beforeEach(() => {
  L.clearSession();
  manualSeed(7);
});

/** Asserts a ShapeError with the given message and fields. */
function assertShapeError(
  f: () => unknown,
  message: string,
  fields?: { where: string; what: string; expected: unknown; actual: unknown },
): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof ShapeError, `expected a ShapeError, got ${String(e)}`);
    assert.equal(e.message, message);
    if (fields) {
      assert.equal(e.where, fields.where);
      assert.equal(e.what, fields.what);
      assert.deepEqual(e.expected, fields.expected);
      assert.deepEqual(e.actual, fields.actual);
    }
    return true;
  });
}

const shapes = (ts: readonly Tensor[]) => ts.map((t) => [...t.shape]);

describe('names', () => {
  test('automatic names are the snake_case class name with a counter, as Keras', () => {
    assert.equal(L.lstm({ units: 2 }).name, 'lstm');
    assert.equal(L.lstm({ units: 2 }).name, 'lstm_1');
    assert.equal(L.simpleRNN({ units: 2 }).name, 'simple_rnn');
    assert.equal(L.globalAveragePooling1D().name, 'global_average_pooling1d');
    assert.equal(L.timeDistributed(L.dense({ units: 2 })).name, 'time_distributed');
    assert.equal(L.gru({ units: 2, name: 'encoder' }).name, 'encoder');
    class TimeAverageLayer extends L.Layer {
      override call(x: Tensor): Tensor {
        return x.mean(1);
      }
    }
    assert.equal(new TimeAverageLayer().name, 'time_average_layer');
    L.clearSession();
    assert.equal(L.lstm({ units: 2 }).name, 'lstm');
  });

  test('bidirectional copies are forward_<name> and backward_<name>; weights are named by layer', () => {
    const x = L.input({ shape: [5, 3] });
    const bi = L.bidirectional(L.lstm({ units: 2 }));
    const m = L.model({ inputs: x, outputs: bi.apply(x) });
    assert.deepEqual(m.weightNames(), [
      'bidirectional.forward_lstm.kernel',
      'bidirectional.forward_lstm.recurrent_kernel',
      'bidirectional.forward_lstm.bias',
      'bidirectional.backward_lstm.kernel',
      'bidirectional.backward_lstm.recurrent_kernel',
      'bidirectional.backward_lstm.bias',
    ]);
    assert.equal(bi.backwardLayer.goBackwards, true);
  });
});

describe('symbolic shapes', () => {
  test("returnSequences × returnState give Keras's shapes, None for the batch", () => {
    const x = L.input({ shape: [10, 20] });
    const one: L.SymbolicTensor = L.lstm({ units: 32 }).apply(x);
    assert.deepEqual(one.shape, [null, 32]);
    assert.deepEqual(L.gru({ units: 8, returnSequences: true }).apply(x).shape, [null, 10, 8]);
    const [seq, h, c] = L.lstm({ units: 4, returnSequences: true, returnState: true }).apply(x);
    assert.deepEqual(
      [seq!.shape, h!.shape, c!.shape],
      [
        [null, 10, 4],
        [null, 4],
        [null, 4],
      ],
    );
    const states: L.SymbolicTensor[] = L.simpleRNN({ units: 3, returnState: true }).apply(x);
    assert.deepEqual(
      states.map((s) => s.shape),
      [
        [null, 3],
        [null, 3],
      ],
    );
  });

  test('an unknown time dim stays None; eager calls give concrete shapes', () => {
    const x = L.input({ shape: [null, 6] });
    const y = L.timeDistributed(L.dense({ units: 2 })).apply(L.gru({ units: 3, returnSequences: true }).apply(x));
    assert.deepEqual(y.shape, [null, null, 2]);
    const m = L.model({ inputs: x, outputs: y });
    assert.deepEqual([...m.predict(randn([4, 9, 6])).shape], [4, 9, 2]);
    assert.deepEqual([...m.predict(randn([1, 3, 6])).shape], [1, 3, 2]);
  });

  test('bidirectional shapes for every merge mode and with returnState', () => {
    const x = L.input({ shape: [7, 5] });
    const concat = L.bidirectional(L.lstm({ units: 4, returnSequences: true })).apply(x);
    assert.deepEqual(concat.shape, [null, 7, 8]);
    for (const mergeMode of ['sum', 'mul', 'ave'] as const) {
      assert.deepEqual(L.bidirectional(L.gru({ units: 4 }), { mergeMode }).apply(x).shape, [null, 4]);
    }
    const both = L.bidirectional(L.gru({ units: 4 }), { mergeMode: null }).apply(x);
    assert.deepEqual(
      both.map((t) => t.shape),
      [
        [null, 4],
        [null, 4],
      ],
    );
    const withStates = L.bidirectional(L.lstm({ units: 4, returnState: true })).apply(x);
    assert.deepEqual(
      withStates.map((t) => t.shape),
      [
        [null, 8],
        [null, 4],
        [null, 4],
        [null, 4],
        [null, 4],
      ],
    );
  });

  test('a custom layer without computeOutputShape gets its shape by running call', () => {
    class FirstStep extends L.Layer {
      override call(x: Tensor): Tensor {
        return x.select(1, 0).mul(2);
      }
    }
    class Split extends L.Layer<'many'> {
      override call(x: Tensor): Tensor[] {
        return [x.slice(2, 0, 1), x.slice(2, 1)];
      }
    }
    const x = L.input({ shape: [null, 6] });
    assert.deepEqual(new FirstStep().apply(x).shape, [null, 6]);
    assert.deepEqual(
      new Split().apply(x).map((t) => t.shape),
      [
        [null, null, 1],
        [null, null, 5],
      ],
    );
  });
});

describe('weights in Keras layouts', () => {
  test('shapes, names and initial values of each recurrent layer', () => {
    const x = randn([2, 3, 5]);
    const lstm = L.lstm({ units: 4 });
    lstm.apply(x);
    assert.deepEqual(lstm.weightNames(), ['kernel', 'recurrent_kernel', 'bias']);
    assert.deepEqual(shapes(lstm.getWeights()), [[5, 16], [4, 16], [16]]);
    const bias = lstm.getWeights()[2]!;
    assert.deepEqual(
      Array.from(bias.data),
      [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0],
      'unitForgetBias: the f block starts at 1',
    );
    const noForget = L.lstm({ units: 2, unitForgetBias: false });
    noForget.apply(x);
    assert.ok(noForget.getWeights()[2]!.data.every((v) => v === 0));

    const gru = L.gru({ units: 4 });
    gru.apply(x);
    assert.deepEqual(shapes(gru.getWeights()), [
      [5, 12],
      [4, 12],
      [2, 12],
    ]);
    const gruV2 = L.gru({ units: 4, resetAfter: false });
    gruV2.apply(x);
    assert.deepEqual(shapes(gruV2.getWeights()), [[5, 12], [4, 12], [12]]);
    const rnn = L.simpleRNN({ units: 4, useBias: false });
    rnn.apply(x);
    assert.deepEqual(shapes(rnn.getWeights()), [
      [5, 4],
      [4, 4],
    ]);
  });

  test('glorotUniform kernels stay in their bound; orthogonal recurrent kernels have orthonormal rows', () => {
    const layer = L.lstm({ units: 6 });
    layer.apply(randn([1, 2, 10]));
    const [kernel, recurrent] = layer.getWeights();
    const limit = Math.sqrt(6 / (10 + 24));
    assert.ok(kernel!.data.every((v) => Math.abs(v) <= limit));
    assert.ok(kernel!.data.some((v) => Math.abs(v) > limit / 2));
    const gram = recurrent!.matmul(recurrent!.transpose(0, 1)); // (6, 24)·(24, 6)
    const identity = Array.from({ length: 36 }, (_, i) => (i % 7 === 0 ? 1 : 0));
    assertClose(gram, identity, 'R Rᵀ = I', 1e-5, 0);
  });

  test('getWeights/setWeights round-trip in model order; bad weights fail before anything changes', () => {
    const x = L.input({ shape: [4, 3] });
    const m = L.model({ inputs: x, outputs: L.dense({ units: 2 }).apply(L.gru({ units: 5 }).apply(x)) });
    const weights = m.getWeights();
    assert.deepEqual(shapes(weights), [[3, 15], [5, 15], [2, 15], [5, 2], [2]]);
    const changed = weights.map((w) => w.add(1));
    m.setWeights(changed);
    m.getWeights().forEach((w, i) => assertClose(w, changed[i]!, `weight ${i}`));
    assert.throws(() => m.setWeights(changed.slice(1)), /setWeights got 4 weights, expected 5/);
    const wrong = [...changed];
    wrong[1] = randn([15, 5]);
    assertShapeError(
      () => m.setWeights(wrong),
      'functional: weight 1 (gru.recurrent_kernel) shape is [15, 5], expected [5, 15]. weights follow the Keras layout, e.g. kernel (inputDim, units * gates)',
    );
    m.getWeights().forEach((w, i) => assertClose(w, changed[i]!, `unchanged weight ${i}`));
  });
});

describe('shape mistakes fail at once with a ShapeError naming the layer and dim', () => {
  test('a built layer given the wrong number of features', () => {
    L.lstm({ units: 2 }); // lstm
    const layer = L.lstm({ units: 8 }); // lstm_1
    layer.apply(L.input({ shape: [10, 20] }));
    const message = 'lstm_1: expected input with 20 features (dim 2), received 12';
    const fields = { where: 'lstm_1', what: 'input dim 2 (features)', expected: 20, actual: 12 };
    assertShapeError(() => layer.apply(L.input({ shape: [10, 12] })), message, fields);
    assertShapeError(() => layer.apply(randn([3, 10, 12])), message, fields);
  });

  test('a model given data of the wrong shape names its input', () => {
    const x = L.input({ shape: [10, 20] });
    const m = L.model({ inputs: x, outputs: L.simpleRNN({ units: 3 }).apply(x) });
    assertShapeError(
      () => m.predict(randn([2, 10, 12])),
      'input_layer: expected input with 20 features (dim 2), received 12',
    );
    assertShapeError(
      () => m.predict(randn([2, 9, 20])),
      'input_layer: expected input with 10 time steps (dim 1), received 9',
    );
    assertShapeError(
      () => m.predict(randn([10, 20])),
      'input_layer: expected input of rank 3, received rank 2 (shape (10, 20))',
    );
  });

  test('wrong ranks, declared input shapes, initial states and stateful batches', () => {
    assertShapeError(
      () => L.gru({ units: 2 }).apply(L.input({ shape: [5] })),
      'gru: expected input of rank 3 (batch, time, features), received rank 2 (shape (None, 5))',
    );
    const declared = L.simpleRNN({ units: 2, inputShape: [null, 4] });
    assertShapeError(
      () => declared.apply(randn([1, 3, 5])),
      'simple_rnn: expected input with 4 features (dim 2), received 5. it was declared with inputShape (None, 4)',
    );
    const withState = L.lstm({ units: 3 });
    assert.throws(
      () => withState.apply(randn([2, 4, 5]), { initialState: [randn([2, 3])] }),
      /lstm: expects 2 initial state\(s\) \[h, c\], received 1/,
    );
    assertShapeError(
      () => withState.apply(randn([2, 4, 5]), { initialState: [randn([2, 3]), randn([3, 3])] }),
      'lstm: initial state 1 (c) is [3, 3], expected [2, 3]. each state is (batch, units)',
    );
    const stateful = L.gru({ units: 3, stateful: true });
    stateful.apply(randn([2, 4, 5]));
    assert.throws(
      () => stateful.apply(randn([3, 4, 5])),
      (e: unknown) => e instanceof ShapeError && /batch size of a stateful layer is 3, expected 2/.test(e.message),
    );
  });

  test('graph mistakes: disconnected inputs, duplicate names, multi-output layers in sequential', () => {
    const a = L.input({ shape: [3, 2] });
    const b = L.input({ shape: [3, 2] });
    const y = L.lstm({ units: 2 }).apply(b);
    assert.throws(
      () => L.model({ inputs: a, outputs: y }),
      /graph disconnected: lstm needs input_layer_1, which is not among the model's inputs \(input_layer\)/,
    );
    const c = L.dense({ units: 2, name: 'head' }).apply(L.dense({ units: 2, name: 'head' }).apply(a));
    assert.throws(() => L.model({ inputs: a, outputs: c }), /two different layers are named 'head'/);
    assert.throws(
      () => L.sequential([L.input({ shape: [3, 2] }), L.lstm({ units: 2, returnState: true })]),
      /returns 3 tensors .* use the functional API/,
    );
    assert.throws(() => L.sequential([L.lstm({ units: 2 })]).summary({ print: false }), /is not built yet/);
  });

  test("forcing implementation 'fused' where it cannot run says why", () => {
    const x = randn([2, 3, 4]);
    assert.throws(
      () => L.gru({ units: 2, resetAfter: false, implementation: 'fused' }).apply(x),
      /implementation 'fused' cannot run: resetAfter false has no fused kernel/,
    );
    assert.throws(
      () => L.lstm({ units: 2, recurrentActivation: 'hardSigmoid', implementation: 'fused' }).apply(x),
      /recurrentActivation 'hardSigmoid' has no fused kernel/,
    );
    const holes = tensor([
      [1, 0, 1],
      [1, 1, 1],
    ]);
    assert.throws(
      () => L.simpleRNN({ units: 2, implementation: 'fused' }).apply(x, { mask: holes }),
      /the mask is not a contiguous run/,
    );
    assert.throws(
      () => L.lstm({ units: 2, recurrentDropout: 0.5, implementation: 'fused' }).apply(x, { training: true }),
      /recurrentDropout is active in training/,
    );
  });
});

describe('sequential and functional models', () => {
  test('sequential builds from input(), from inputShape, or from its first data', () => {
    const fromInput = L.sequential([L.input({ shape: [6, 3] }), L.lstm({ units: 4 }), L.dense({ units: 2 })]);
    assert.deepEqual(fromInput.outputs[0]!.shape, [null, 2]);
    const fromShape = L.sequential([
      L.gru({ units: 4, inputShape: [6, 3], returnSequences: true }),
      L.globalMaxPooling1D(),
    ]);
    assert.deepEqual(fromShape.outputs[0]!.shape, [null, 4]);
    const deferred = L.sequential();
    deferred.add(L.simpleRNN({ units: 5, returnSequences: true })).add(L.timeDistributed(L.dense({ units: 1 })));
    assert.equal(deferred.hasGraph, false);
    assert.deepEqual([...deferred.predict(randn([3, 8, 2])).shape], [3, 8, 1]);
    assert.deepEqual(deferred.outputs[0]!.shape, [null, null, 1], 'time stays free after a deferred build');
    assert.deepEqual([...deferred.predict(randn([2, 4, 2])).shape], [2, 4, 1]);
    assert.deepEqual(
      deferred.layers.map((l) => l.name),
      ['simple_rnn', 'time_distributed'],
    );
    const wrapped = L.sequential([
      L.bidirectional(L.lstm({ units: 2, inputShape: [5, 3] }), { mergeMode: 'sum' }),
      L.dense({ units: 1 }),
    ]);
    assert.deepEqual(wrapped.outputs[0]!.shape, [null, 1], "the wrapped layer's inputShape declares the input");
  });

  test('an encoder-decoder passes the encoder states as initialState; the graph equals eager calls', () => {
    const source = L.input({ shape: [null, 3], name: 'source' });
    const target = L.input({ shape: [null, 2], name: 'target' });
    const encoder = L.lstm({ units: 4, returnState: true });
    const [, h, c] = encoder.apply(source);
    const decoder = L.lstm({ units: 4, returnSequences: true });
    const head = L.timeDistributed(L.dense({ units: 2 }));
    const out = head.apply(decoder.apply(target, { initialState: [h!, c!] }));
    const m = L.model({ inputs: [source, target], outputs: out });
    const src = randn([2, 5, 3]);
    const trg = randn([2, 7, 2]);
    const y = m.predict([src, trg]);
    assert.deepEqual([...y.shape], [2, 7, 2]);
    const [, he, ce] = encoder.apply(src);
    assertClose(y, head.apply(decoder.apply(trg, { initialState: [he!, ce!] })), 'graph = eager');
    assert.ok(m.summary({ print: false }).includes('lstm_1 (LSTM)'));
  });

  test('models nest as layers, and a shared layer shows "multiple" in the summary', () => {
    const inner = L.sequential([L.input({ shape: [4, 3] }), L.gru({ units: 2 })], { name: 'encoder' });
    const a = L.input({ shape: [4, 3] });
    const b = L.input({ shape: [4, 3] });
    const shared = L.dense({ units: 1, name: 'score' });
    const m = L.model({ inputs: [a, b], outputs: [shared.apply(inner.apply(a)), shared.apply(inner.apply(b))] });
    const [ya, yb] = m.predict([randn([2, 4, 3]), randn([2, 4, 3])]);
    assert.deepEqual(
      [ya!.shape, yb!.shape].map((s) => [...s]),
      [
        [2, 1],
        [2, 1],
      ],
    );
    const text = m.summary({ print: false });
    assert.match(text, /│ score \(Dense\) +│ multiple +│ +3 │/);
    assert.match(text, /│ encoder \(Sequential\) +│ multiple +│ +42 │/);
    assert.equal(m.countParams(), 45);
  });

  test('eager chains pass masks along, as Keras tensors carry _keras_mask', () => {
    const x = tensor([
      [
        [1, 2],
        [3, 4],
        [0, 0],
      ],
      [
        [5, 6],
        [0, 0],
        [0, 0],
      ],
    ]);
    const masked = L.masking().apply(x);
    assert.deepEqual(Array.from(L.maskOf(masked)!.data), [1, 1, 0, 1, 0, 0]);
    const rnn = L.simpleRNN({ units: 3, returnSequences: true });
    const seq = rnn.apply(masked);
    assert.deepEqual(Array.from(L.maskOf(seq)!.data), [1, 1, 0, 1, 0, 0], 'returnSequences keeps the mask');
    const at = (b: number, t: number) => seq.select(0, b).select(0, t);
    assertClose(at(0, 2), at(0, 1), 'row 0: the masked step repeats the last output');
    assertClose(at(1, 1), at(1, 0), 'row 1, step 1');
    assertClose(at(1, 2), at(1, 0), 'row 1, step 2');
    assert.equal(L.maskOf(L.globalAveragePooling1D().apply(seq)), null, 'pooling consumes the mask');
  });
});

describe('masks through pooling, masking and embedding', () => {
  const x = tensor([
    [
      [1, -2],
      [3, -4],
      [0, 0],
    ],
    [
      [-5, -6],
      [0, 0],
      [0, 0],
    ],
  ]); // (2, 3, 2), padded with zeros
  const mask = tensor([
    [1, 1, 0],
    [1, 0, 0],
  ]);

  test('globalAveragePooling1D: the mean over real steps (Keras), plain mean without a mask', () => {
    const pool = L.globalAveragePooling1D();
    assertClose(pool.apply(x, { mask }), [2, -3, -5, -6], 'masked mean');
    assertClose(pool.apply(x), [4 / 3, -2, -5 / 3, -2], 'plain mean');
  });

  test('globalMaxPooling1D: the maximum over real steps only, so padding zeros never win', () => {
    const pool = L.globalMaxPooling1D();
    assertClose(pool.apply(x, { mask }), [3, -2, -5, -6], 'masked max');
    assertClose(pool.apply(x), [3, 0, 0, 0], 'plain max');
  });

  test('masking -> pooling in a model, and the gradient skips masked steps', () => {
    const input = L.input({ shape: [3, 2] });
    const m = L.model({ inputs: input, outputs: L.globalAveragePooling1D().apply(L.masking().apply(input)) });
    const xg = tensor(x.data, [2, 3, 2], { requiresGrad: true });
    (m.apply(xg) as Tensor).sum().backward();
    assertClose(xg.grad!, [0.5, 0.5, 0.5, 0.5, 0, 0, 1, 1, 0, 0, 0, 0], 'd/dx of the masked mean');
  });

  test('embedding({ maskZero }) masks id 0; masking uses maskValue', () => {
    const emb = L.embedding({ inputDim: 5, outputDim: 3, maskZero: true });
    const ids = tensor([
      [4, 2, 0],
      [1, 0, 0],
    ]);
    const out = emb.apply(ids);
    assert.deepEqual([...out.shape], [2, 3, 3]);
    assert.deepEqual(Array.from(L.maskOf(out)!.data), [1, 1, 0, 1, 0, 0]);
    assert.deepEqual(emb.weightNames(), ['embeddings']);
    assertClose(out.select(0, 0).select(0, 0), emb.getWeights()[0]!.select(0, 4), 'row 4 of the table');
    assert.ok(emb.getWeights()[0]!.data.every((v) => Math.abs(v) <= 0.05));
    assert.throws(() => emb.apply(tensor([[5]])), /id 5 at flat position 0 is out of range \[0, 5\)/);
    const masked = L.masking({ maskValue: -1 }).apply(
      tensor([
        [
          [-1, -1],
          [-1, 2],
        ],
      ]),
    );
    assert.deepEqual(Array.from(L.maskOf(masked)!.data), [0, 1]);
    assertClose(masked, [0, 0, -1, 2], 'masked steps become zeros');
  });

  test('a mask that pads on the left or right takes the fused kernel; holes take the per-step path', () => {
    const data = randn([2, 4, 3]);
    const layer = L.lstm({ units: 2, returnSequences: true });
    layer.apply(data, {
      mask: tensor([
        [1, 1, 1, 0],
        [1, 1, 0, 0],
      ]),
    });
    assert.equal(layer.lastPath, 'fused');
    layer.apply(data, {
      mask: tensor([
        [0, 1, 1, 1],
        [0, 0, 1, 1],
      ]),
    });
    assert.equal(layer.lastPath, 'fused');
    layer.apply(data, {
      mask: tensor([
        [1, 0, 1, 1],
        [1, 1, 1, 1],
      ]),
    });
    assert.equal(layer.lastPath, 'loop');
  });
});

describe('dropout, recurrent dropout and stateful layers', () => {
  test('dropout is active only in training; recurrentDropout takes the per-step path', () => {
    const x = randn([4, 5, 3]);
    const plain = L.lstm({ units: 3, returnSequences: true });
    plain.apply(x);
    const dropped = L.lstm({ units: 3, returnSequences: true, dropout: 0.5, recurrentDropout: 0.5 });
    dropped.apply(x);
    dropped.setWeights(plain.getWeights());
    assertClose(dropped.apply(x), plain.apply(x), 'inference ignores dropout');
    assert.equal(dropped.lastPath, 'fused');
    const training = dropped.apply(x, { training: true });
    assert.equal(dropped.lastPath, 'loop');
    assert.ok(training.data.some((v, i) => Math.abs(v - plain.apply(x).data[i]!) > 1e-3));
    const inputOnly = L.gru({ units: 3, dropout: 0.5 });
    inputOnly.apply(x, { training: true });
    assert.equal(inputOnly.lastPath, 'fused', 'input dropout keeps the fused kernel');
    const layer = L.dropout({ rate: 0.5 });
    assert.equal(layer.apply(x), x);
    const y = layer.apply(x, { training: true });
    assert.ok(y.data.every((v, i) => v === 0 || Math.abs(v - 2 * x.data[i]!) < 1e-6));
  });

  test('a stateful layer continues from its last states until resetStates()', () => {
    const layer = L.gru({ units: 3, stateful: true, returnSequences: true });
    const reference = L.gru({ units: 3, returnSequences: true });
    const x = randn([2, 6, 4]);
    reference.apply(x);
    layer.apply(x.slice(1, 0, 3));
    layer.setWeights(reference.getWeights());
    layer.resetStates();
    const first = layer.apply(x.slice(1, 0, 3));
    const second = layer.apply(x.slice(1, 3, 6));
    const whole = reference.apply(x);
    assertClose(first, whole.slice(1, 0, 3), 'first half');
    assertClose(second, whole.slice(1, 3, 6), 'second half continues the first');
    assertClose(layer.getStates()![0]!, whole.select(1, 5), 'held state');
    layer.resetStates();
    assertClose(layer.apply(x.slice(1, 0, 3)), first, 'after resetStates');
    const h = randn([2, 3]);
    layer.resetStates([h]);
    assertClose(
      layer.apply(x.slice(1, 0, 3)),
      reference.apply(x.slice(1, 0, 3), { initialState: [h] }),
      'resetStates(states)',
    );
    assert.throws(() => L.gru({ units: 3 }).resetStates(), /only for stateful layers/);
  });
});

describe('summary()', () => {
  test('a sequential summary, as Keras prints it', () => {
    const m = L.sequential([
      L.input({ shape: [10, 20] }),
      L.simpleRNN({ units: 32, returnSequences: true }),
      L.timeDistributed(L.dense({ units: 16 })),
    ]);
    const printed: string[] = [];
    const text = m.summary({ print: (line) => printed.push(line) });
    assert.equal(text, printed.join('\n'));
    assert.equal(
      text,
      [
        'Model: "sequential"',
        '┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓',
        '┃ Layer (type)                       ┃ Output Shape           ┃       Param # ┃',
        '┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩',
        '│ simple_rnn (SimpleRNN)             │ (None, 10, 32)         │         1,696 │',
        '├────────────────────────────────────┼────────────────────────┼───────────────┤',
        '│ time_distributed (TimeDistributed) │ (None, 10, 16)         │           528 │',
        '└────────────────────────────────────┴────────────────────────┴───────────────┘',
        ' Total params: 2,224 (8.69 KB)',
        ' Trainable params: 2,224 (8.69 KB)',
        ' Non-trainable params: 0 (0.00 B)',
      ].join('\n'),
    );
  });

  test('frozen layers count as non-trainable; explain names the dims and the time mapping', () => {
    const x = L.input({ shape: [5, 2] });
    const rnn = L.lstm({ units: 3, returnSequences: true, goBackwards: true });
    const head = L.dense({ units: 1 });
    const m = L.model({ inputs: x, outputs: head.apply(L.globalAveragePooling1D().apply(rnn.apply(x))) });
    rnn.trainable = false;
    const text = m.summary({ print: false, explain: true });
    assert.match(text, / Total params: 76 \(304\.00 B\)/);
    assert.match(text, / Trainable params: 4 \(16\.00 B\)/);
    assert.match(text, / Non-trainable params: 72 \(288\.00 B\)/);
    assert.match(
      text,
      /lstm\[0\] \(batch=any, time=5, units=3\): h at every step; reversed time: \[:, 0\] read the last input step/,
    );
  });
});

describe('compile, fit, predict, evaluate', () => {
  /** A toy task: is the sum of the sequence positive? */
  function data(n: number, gen: Generator) {
    const x = new Float32Array(n * 6);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let total = 0;
      for (let t = 0; t < 6; t++) total += x[i * 6 + t] = gen.normal();
      y[i] = total > 0 ? 1 : 0;
    }
    return { x: tensor(x, [n, 6, 1]), y: tensor(y, [n]) };
  }

  test('a classifier learns; history has loss, accuracy and their val_ versions', async () => {
    const gen = new Generator(3);
    const train = data(96, gen);
    const valid = data(32, gen);
    const m = L.sequential([
      L.input({ shape: [6, 1] }),
      L.gru({ units: 8 }),
      L.dense({ units: 2, activation: 'softmax' }),
    ]);
    m.compile({
      optimizer: (params) => new Adam(params, { lr: 0.03 }),
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    });
    const history = await m.fit(train.x, train.y, {
      epochs: 12,
      batchSize: 16,
      validationData: [valid.x, valid.y],
      generator: gen,
    });
    assert.deepEqual(Object.keys(history.history).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    assert.deepEqual(history.epoch, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const loss = history.history['loss']!;
    assert.ok(loss[loss.length - 1]! < 0.6 * loss[0]!, `loss ${loss.join(', ')}`);
    const result = m.evaluate(valid.x, valid.y);
    assert.ok(result['accuracy']! > 0.8, `accuracy ${result['accuracy']}`);
    assert.ok(Math.abs(result['loss']! - history.history['val_loss']![11]!) < 1e-5);
  });

  test('predict in batches equals one pass; evaluate averages over samples', () => {
    const gen = new Generator(4);
    const { x, y } = data(10, gen);
    const m = L.sequential([
      L.input({ shape: [6, 1] }),
      L.lstm({ units: 3 }),
      L.dense({ units: 1, activation: 'sigmoid' }),
    ]);
    assertClose(m.predict(x, { batchSize: 3 }), m.predict(x, { batchSize: 100 }), 'batched predict');
    m.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy', metrics: ['accuracy', 'mae'] });
    const p = m.predict(x).reshape([10]);
    const bce = -Array.from(p.data).reduce((s, v, i) => s + (y.data[i]! ? Math.log(v) : Math.log(1 - v)), 0) / 10;
    const acc = Array.from(p.data).filter((v, i) => v > 0.5 === y.data[i]! > 0.5).length / 10;
    const result = m.evaluate(x, y, { batchSize: 4 });
    assert.ok(Math.abs(result['loss']! - bce) < 1e-5, `${result['loss']} vs ${bce}`);
    assert.ok(Math.abs(result['accuracy']! - acc) < 1e-6);
    assert.deepEqual(Object.keys(result), ['loss', 'accuracy', 'mae']);
  });

  test("the losses equal TF.js Layers' Keras losses (the oracle)", () => {
    const gen = new Generator(11);
    const mean = (t: tf.Tensor) => (t.mean().dataSync() as Float32Array)[0]!;
    const tfOf = (t: Tensor) => tf.tensor(Array.from(t.data), [...t.shape]);
    const logits = randn([4, 3], { generator: gen });
    const probs = logits.softmax(-1);
    const ids = tensor([0, 2, 1, 2]);
    const onehot = tensor([
      [1, 0, 0],
      [0, 0, 1],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    const categorical = mean(tf.metrics.categoricalCrossentropy(tfOf(onehot), tfOf(probs)));
    const close = (ours: number, theirs: number, what: string) =>
      assert.ok(Math.abs(ours - theirs) <= 1e-5 + 1e-4 * Math.abs(theirs), `${what}: ours ${ours}, TF.js ${theirs}`);
    close(L.losses.categoricalCrossentropy()(onehot, probs).item(), categorical, 'categoricalCrossentropy');
    close(
      L.losses.categoricalCrossentropy({ fromLogits: true })(onehot, logits).item(),
      categorical,
      'categoricalCrossentropy fromLogits',
    );
    // tfjs-layers' sparseCategoricalCrossentropy is its categorical one on one-hot targets (not exported on its own).
    const sparse = mean(
      tf.metrics.categoricalCrossentropy(tf.oneHot(tf.tensor1d(Array.from(ids.data), 'int32'), 3), tfOf(probs)),
    );
    close(L.losses.sparseCategoricalCrossentropy()(ids, probs).item(), sparse, 'sparseCategoricalCrossentropy');
    close(
      L.losses.sparseCategoricalCrossentropy({ fromLogits: true })(ids, logits).item(),
      sparse,
      'sparseCategoricalCrossentropy fromLogits',
    );
    // Probabilities at 0 and 1: Keras clips them to [1e-7, 1 - 1e-7].
    const p = tensor([
      [0.9, 0.1, 0],
      [0, 0, 1],
      [0.2, 0.5, 0.3],
      [1, 0, 0],
    ]);
    close(
      L.losses.categoricalCrossentropy()(onehot, p).item(),
      mean(tf.metrics.categoricalCrossentropy(tfOf(onehot), tfOf(p))),
      'categoricalCrossentropy at 0 and 1',
    );
    const z = randn([5, 1], { generator: gen });
    const t = tensor([1, 0, 1, 1, 0], [5, 1]);
    const binary = mean(tf.metrics.binaryCrossentropy(tfOf(t), tfOf(z.sigmoid())));
    close(L.losses.binaryCrossentropy()(t, z.sigmoid()).item(), binary, 'binaryCrossentropy');
    close(L.losses.binaryCrossentropy({ fromLogits: true })(t, z).item(), binary, 'binaryCrossentropy fromLogits');
    const yp = randn([5, 2], { generator: gen });
    const yt = randn([5, 2], { generator: gen });
    close(
      L.losses.meanSquaredError()(yt, yp).item(),
      mean(tf.metrics.meanSquaredError(tfOf(yt), tfOf(yp))),
      'meanSquaredError',
    );
    assert.ok(
      Math.abs(
        L.losses
          .meanSquaredError()(tensor([1, 2]), tensor([[0], [4]]))
          .item() - 2.5,
      ) < 1e-6,
      'targets reshaped to the predictions',
    );
  });

  test('validationSplit holds out the last samples; frozen layers do not change; errors are clear', async () => {
    const gen = new Generator(5);
    const { x, y } = data(20, gen);
    const rnn = L.simpleRNN({ units: 4 });
    const m = L.sequential([L.input({ shape: [6, 1] }), rnn, L.dense({ units: 1 })]);
    await assert.rejects(m.fit(x, y), /call compile\(\{ optimizer, loss \}\) first/);
    m.compile({ optimizer: 'adam', loss: 'mse' });
    rnn.trainable = false;
    const before = rnn.getWeights();
    const initial = m.getWeights();
    const y2 = y.reshape([20, 1]);
    const history = await m.fit(x, y2, { epochs: 2, batchSize: 5, validationSplit: 0.25, generator: new Generator(1) });
    assert.deepEqual(Object.keys(history.history), ['loss', 'val_loss']);
    rnn.getWeights().forEach((w, i) => assertClose(w, before[i]!, `frozen weight ${i}`, 0, 0));
    // The held-out part is the last 5 samples: the last val_loss is the loss on them with the final weights...
    const valLoss = history.history['val_loss']![1]!;
    assert.ok(
      Math.abs(m.evaluate(x.slice(0, 15, 20), y2.slice(0, 15, 20))['loss']! - valLoss) < 1e-6,
      'val_loss is the loss on samples 15..19',
    );
    assert.ok(
      Math.abs(m.evaluate(x.slice(0, 0, 5), y2.slice(0, 0, 5))['loss']! - valLoss) > 1e-3,
      'and not on the first samples',
    );
    // ...and training saw only the first 15: the same fit on them alone gives the same weights.
    const twin = L.sequential([L.input({ shape: [6, 1] }), L.simpleRNN({ units: 4 }), L.dense({ units: 1 })]);
    twin.compile({ optimizer: 'adam', loss: 'mse' });
    twin.setWeights(initial);
    twin.layers[0]!.trainable = false;
    await twin.fit(x.slice(0, 0, 15), y2.slice(0, 0, 15), { epochs: 2, batchSize: 5, generator: new Generator(1) });
    twin
      .getWeights()
      .forEach((w, i) => assertClose(w, m.getWeights()[i]!, `weight ${i} trained on the first 15 samples only`));
    assert.throws(() => m.evaluate(x, y.slice(0, 0, 5)), /same number of samples/);
    assert.throws(() => m.compile({ optimizer: 'adam', loss: 'hinge' as L.LossName }), /unknown loss 'hinge'/);
    assert.throws(
      () => m.evaluate(x, randn([20, 2])),
      (e: unknown) => e instanceof ValueError && /yTrue has 40 values/.test(e.message),
    );
  });
});
