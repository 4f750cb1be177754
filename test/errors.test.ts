/** Bad input: each case raises a typed error naming the layer, the dimension, expected and actual. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  nn,
  packPaddedSequence,
  randn,
  ShapeError,
  StateDictError,
  type Tensor,
  tensor,
  ValueError,
} from '../src/index.js';

const lstm = () => new nn.LSTM({ inputSize: 10, hiddenSize: 20, numLayers: 2, bidirectional: true, batchFirst: true });

describe('recurrent layer input errors', () => {
  test('wrong rank', () => {
    assert.throws(
      // @ts-expect-error the wrong rank is also a compile-time error (typed shapes)
      () => lstm().forward(randn([4, 7, 10, 1])),
      (e: unknown) => {
        assert.ok(e instanceof ShapeError);
        assert.match(
          e.message,
          /^LSTM\(inputSize=10, hiddenSize=20\): input rank is 4 \(shape \[4, 7, 10, 1\]\), expected 3 \(batch, time, features\)/,
        );
        return true;
      },
    );
  });

  test('wrong feature size names dim 2 (features), expected and actual', () => {
    assert.throws(
      // @ts-expect-error the wrong feature size is also a compile-time error (typed shapes)
      () => lstm().forward(randn([4, 7, 12])),
      (e: unknown) => {
        assert.ok(e instanceof ShapeError);
        assert.equal(e.message, 'LSTM(inputSize=10, hiddenSize=20): input dim 2 (features) is 12, expected 10');
        assert.equal(e.expected, 10);
        assert.equal(e.actual, 12);
        return true;
      },
    );
  });

  test('wrong feature size of unbatched input names dim 1', () => {
    assert.throws(
      // @ts-expect-error the wrong feature size is also a compile-time error (typed shapes)
      () => new nn.GRU({ inputSize: 3, hiddenSize: 2 }).forward(randn([5, 4])),
      /GRU\(inputSize=3, hiddenSize=2\): input dim 1 \(features\) is 4, expected 3/,
    );
  });

  test('h0 with the wrong number of layers*directions', () => {
    assert.throws(
      () => lstm().forward(randn([4, 7, 10]), { h: randn([2, 4, 20]), c: randn([4, 4, 20]) }),
      (e: unknown) =>
        e instanceof ShapeError &&
        e.message === 'LSTM(inputSize=10, hiddenSize=20): h0 dim 0 (layers*directions) is 2, expected 4',
    );
  });

  test('h0 with the wrong batch', () => {
    assert.throws(
      () => new nn.RNN({ inputSize: 3, hiddenSize: 5 }).forward(randn([6, 2, 3]), { h: randn([1, 3, 5]) }),
      (e: unknown) => e instanceof ShapeError && /h0 dim 1 \(batch\) is 3, expected 2/.test(e.message),
    );
  });

  test('c0 with the wrong hidden size', () => {
    assert.throws(
      () => lstm().forward(randn([4, 7, 10]), { h: randn([4, 4, 20]), c: randn([4, 4, 21]) }),
      (e: unknown) => e instanceof ShapeError && /c0 dim 2 \(cell\) is 21, expected 20/.test(e.message),
    );
  });

  test('h0 of the wrong rank', () => {
    assert.throws(
      () => new nn.GRU({ inputSize: 3, hiddenSize: 5 }).forward(randn([6, 2, 3]), { h: randn([2, 5]) }),
      (e: unknown) =>
        e instanceof ShapeError &&
        /h0 rank is 2 \(shape \[2, 5\]\), expected 3 \(layers\*directions, batch, hidden\)/.test(e.message),
    );
  });

  test('h with projection must have projSize features', () => {
    const m = new nn.LSTM({ inputSize: 3, hiddenSize: 5, projSize: 2 });
    assert.throws(
      () => m.forward(randn([4, 2, 3]), { h: randn([1, 2, 5]), c: randn([1, 2, 5]) }),
      /h0 dim 2 \(hidden\) is 5, expected 2/,
    );
  });

  test('c without h, and c on a GRU', () => {
    assert.throws(() => lstm().forward(randn([4, 7, 10]), { c: randn([4, 4, 20]) }), ValueError);
    assert.throws(
      () => new nn.GRU({ inputSize: 3, hiddenSize: 5 }).forward(randn([6, 2, 3]), { c: randn([1, 2, 5]) }),
      /c is only for LSTM/,
    );
  });

  test('lengths of the wrong count', () => {
    assert.throws(
      () => lstm().forward(randn([4, 7, 10]), { lengths: [7, 3, 5] }),
      (e: unknown) => e instanceof ShapeError && /lengths count is 3, expected 4 \(the batch size\)/.test(e.message),
    );
  });

  test('lengths out of range (0, > time, fractional)', () => {
    for (const bad of [
      [7, 0, 5, 1],
      [7, 8, 5, 1],
      [7, 2.5, 5, 1],
    ]) {
      assert.throws(
        () => lstm().forward(randn([4, 7, 10]), { lengths: bad }),
        (e: unknown) =>
          e instanceof ValueError && /lengths\[1\] is .*, expected an integer in \[1, 7\]/.test(e.message),
      );
    }
  });

  test('lengths that are not a list of numbers', () => {
    const m = new nn.GRU({ inputSize: 3, hiddenSize: 2 });
    assert.throws(
      () => m.forward(randn([4, 2, 3]), { lengths: 4 as unknown as number[] }),
      (e: unknown) =>
        e instanceof ValueError &&
        /GRU\(inputSize=3, hiddenSize=2\): lengths must be an array or a 1-D tensor of 2 integers .*, got number/.test(
          e.message,
        ),
    );
    assert.throws(
      () => m.forward(randn([4, 2, 3]), { lengths: tensor([4, 4], [2, 1]) }),
      (e: unknown) => e instanceof ValueError && /got a tensor of shape \[2, 1\]/.test(e.message),
    );
    assert.deepEqual(
      m.forward(randn([4, 2, 3]), { lengths: Uint8Array.from([4, 1]) as unknown as number[] }).output.shape,
      [4, 2, 2],
    );
  });

  test('packPaddedSequence refuses fractional lengths instead of truncating them', () => {
    assert.throws(
      () => packPaddedSequence(randn([5, 2, 3]), [2.5, 1]),
      (e: unknown) =>
        e instanceof ValueError &&
        /packPaddedSequence: lengths\[0\] is 2.5, expected an integer in \[1, 5\]/.test(e.message),
    );
    assert.throws(() => packPaddedSequence(randn([5, 2, 3]), [3, Number.NaN]), /lengths\[1\] is NaN/);
  });

  test('lengths with unbatched input', () => {
    assert.throws(
      () => new nn.RNN({ inputSize: 2, hiddenSize: 3 }).forward(randn([5, 2]), { lengths: [5] }),
      ValueError,
    );
  });

  test('non-finite initial state names the position', () => {
    const h = randn([1, 2, 5]);
    h.data[3] = Number.NaN;
    assert.throws(
      () => new nn.RNN({ inputSize: 3, hiddenSize: 5 }).forward(randn([6, 2, 3]), { h }),
      /h0 holds NaN at flat index 3/,
    );
  });

  test('NaN or Infinity in the input names its position', () => {
    const x = randn([2, 3, 4]);
    x.data[1 * 12 + 2 * 4 + 3] = Number.NaN;
    assert.throws(
      () => new nn.GRU({ inputSize: 4, hiddenSize: 2, batchFirst: true }).forward(x),
      /input holds NaN at \[1, 2, 3\] \(batch 1, time 2, feature 3\)/,
    );
    x.data[1 * 12 + 2 * 4 + 3] = Number.POSITIVE_INFINITY;
    assert.throws(
      () => new nn.GRU({ inputSize: 4, hiddenSize: 2 }).forward(x),
      /input holds Infinity at \[1, 2, 3\] \(time 1, batch 2, feature 3\)/,
    );
  });

  test('invalid options', () => {
    assert.throws(
      () => new nn.LSTM({ inputSize: 0, hiddenSize: 3 }),
      /LSTM: inputSize must be a positive integer, got 0/,
    );
    assert.throws(
      () => new nn.LSTM({ inputSize: 2, hiddenSize: 3, projSize: 3 }),
      /projSize \(3\) must be smaller than hiddenSize \(3\)/,
    );
    assert.throws(
      () => new nn.GRU({ inputSize: 2, hiddenSize: 3, dropout: 1.5 }),
      /dropout must be a number in \[0, 1\]/,
    );
    assert.throws(
      () => new nn.RNN({ inputSize: 2, hiddenSize: 3, nonlinearity: 'sigmoid' as 'tanh' }),
      /nonlinearity must be 'tanh' or 'relu'/,
    );
  });

  test('cells check their input and state', () => {
    const cell = new nn.LSTMCell({ inputSize: 4, hiddenSize: 3 });
    assert.throws(
      // @ts-expect-error the wrong feature size is also a compile-time error (typed shapes)
      () => cell.forward(randn([2, 5])),
      /LSTMCell\(inputSize=4, hiddenSize=3\): input dim 1 \(features\) is 5, expected 4/,
    );
    assert.throws(
      () => cell.forward(randn([2, 4]), { h: randn([2, 3]), c: randn([3, 3]) }),
      /c dim 0 \(batch\) is 3, expected 2/,
    );
    // From plain JavaScript: a state or input that is not a Tensor is named, not a TypeError.
    const gru = new nn.GRUCell({ inputSize: 4, hiddenSize: 3 });
    assert.throws(
      () => gru.forward(randn([2, 4]), { h: randn([2, 3]) } as unknown as Tensor),
      (e: unknown) =>
        e instanceof ValueError &&
        e.message === 'GRUCell(inputSize=4, hiddenSize=3): h must be a Tensor of shape (batch, hidden)',
    );
    assert.throws(
      () => gru.forward([1, 2, 3, 4] as unknown as Tensor),
      (e: unknown) =>
        e instanceof ValueError && /GRUCell\(inputSize=4, hiddenSize=3\): input must be a Tensor/.test(e.message),
    );
  });
});

describe('state dict errors', () => {
  const dictOf = (m: nn.Module) => m.stateDict();

  test('missing key is named', () => {
    const m = new nn.GRU({ inputSize: 2, hiddenSize: 3 });
    const dict = dictOf(m);
    delete dict['bias_hh_l0'];
    assert.throws(
      () => m.loadStateDict(dict),
      (e: unknown) => e instanceof StateDictError && e.key === 'bias_hh_l0' && e.problem === 'missing',
    );
  });

  test('unexpected key is named; strict false ignores it', () => {
    const m = new nn.GRU({ inputSize: 2, hiddenSize: 3 });
    const dict = { ...dictOf(m), weight_ih_l1: randn([9, 3]) };
    assert.throws(
      () => m.loadStateDict(dict),
      (e: unknown) => e instanceof StateDictError && e.key === 'weight_ih_l1' && e.problem === 'unexpected',
    );
    assert.deepEqual(m.loadStateDict(dict, { strict: false }).unexpectedKeys, ['weight_ih_l1']);
  });

  test('misshaped key names both shapes', () => {
    const m = new nn.LSTM({ inputSize: 2, hiddenSize: 3 });
    const dict = { ...dictOf(m), weight_hh_l0: randn([12, 4]) };
    assert.throws(
      () => m.loadStateDict(dict),
      (e: unknown) =>
        e instanceof StateDictError &&
        e.problem === 'shape' &&
        /weight_hh_l0' has shape \[12, 4\], expected \[12, 3\]/.test(e.message),
    );
  });

  test('non-finite value is rejected and nothing is loaded', () => {
    const m = new nn.RNN({ inputSize: 2, hiddenSize: 3 });
    const before = m.stateDict();
    const dict = dictOf(new nn.RNN({ inputSize: 2, hiddenSize: 3 }));
    dict['weight_hh_l0']!.data[4] = Number.POSITIVE_INFINITY;
    assert.throws(
      () => m.loadStateDict(dict),
      (e: unknown) =>
        e instanceof StateDictError && e.problem === 'non-finite' && /Infinity at flat index 4/.test(e.message),
    );
    for (const [name, p] of m.namedParameters()) assert.deepEqual(p.data, before[name]!.data, `${name} unchanged`);
  });
});

describe('tensor errors', () => {
  test('creation with a mismatched shape', () => {
    assert.throws(() => tensor([1, 2, 3], [2, 2]), ShapeError);
    assert.throws(() => tensor([[1, 2], [3]]), ShapeError);
  });
  test('broadcast failure names both shapes', () => {
    assert.throws(() => randn([2, 3]).add(randn([4])), /add: broadcast of \[2, 3\] with \[4\] at dim 1/);
  });
  test('matmul inner dims', () => {
    assert.throws(
      () => randn([2, 3]).matmul(randn([4, 5])),
      (e: unknown) => e instanceof ShapeError && /matmul/.test(e.message),
    );
  });
  test('Linear names its features dim', () => {
    assert.throws(
      // @ts-expect-error the wrong feature size is also a compile-time error (typed shapes)
      () => new nn.Linear({ inFeatures: 20, outFeatures: 3 }).forward(randn([4, 7])),
      /Linear\(inFeatures=20, outFeatures=3\): input dim 1 \(features\) is 7, expected 20/,
    );
  });
  test('Embedding index out of range', () => {
    assert.throws(
      () => new nn.Embedding({ numEmbeddings: 5, embeddingDim: 2 }).forward([1, 5]),
      /index 5 at flat position 1 is out of range \[0, 5\)/,
    );
  });
});
