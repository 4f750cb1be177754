/**
 * Type tests: the cells, Linear, Embedding and chains of layers (docs/typed-shapes.md).
 * Checked by the compiler only; nothing here runs.
 */
import { nn, randn, type Tensor, tensor, zeros } from '../../src/index.js';
import { expectType } from './expect-type.js';

export function cells(size: number): void {
  const x = randn([4, 10]);
  const rnn = new nn.RNNCell({ inputSize: 10, hiddenSize: 20, nonlinearity: 'relu' });
  const gru = new nn.GRUCell({ inputSize: 10, hiddenSize: 20 });
  const lstm = new nn.LSTMCell({ inputSize: 10, hiddenSize: 20 });
  expectType<nn.LSTMCell<10, 20>>()(lstm);
  expectType<Tensor<[4, 20]>>()(rnn.forward(x));
  expectType<Tensor<[4, 20]>>()(gru.forward(x, zeros([4, 20])));
  expectType<{ h: Tensor<[4, 20]>; c: Tensor<[4, 20]> }>()(lstm.forward(x));
  // Unbatched (features) in, (H) out.
  expectType<Tensor<[20]>>()(gru.forward(randn([10])));
  expectType<{ h: Tensor<[20]>; c: Tensor<[20]> }>()(lstm.forward(randn([10])));
  // A step loop: the state keeps its type.
  let state = lstm.forward(x);
  for (let t = 0; t < 3; t++) state = lstm.forward(x, state);
  let h = gru.forward(x);
  h = gru.forward(x, h);
  // Unknown shapes are accepted.
  expectType<Tensor>()(rnn.forward(x.transpose(0, 1)));
  // @ts-expect-error features 12, the cell wants 10
  rnn.forward(randn([4, 12]));
  // @ts-expect-error unbatched, features 12
  gru.forward(randn([12]));
  // @ts-expect-error a cell takes one step: rank 3 is a sequence
  lstm.forward(randn([4, 3, 10]));
  // Non-literal sizes: number.
  expectType<Tensor<[4, number]>>()(new nn.GRUCell({ inputSize: 10, hiddenSize: size }).forward(x));
}

export function linear(): void {
  const fc = new nn.Linear({ inFeatures: 20, outFeatures: 5 });
  expectType<nn.Linear<20, 5>>()(fc);
  expectType<Tensor<[4, 20, 5]>>()(fc.forward(randn([4, 20, 20])));
  expectType<Tensor<[5]>>()(fc.forward(randn([20])));
  expectType<Tensor<[2, 3, 4, 5]>>()(fc.forward(randn([2, 3, 4, 20])));
  expectType<Tensor>()(fc.forward(randn([4, 20]).transpose(0, 1)));
  // @ts-expect-error in-features 21, the layer wants 20
  fc.forward(randn([4, 21]));
  // @ts-expect-error a scalar has no features dim
  fc.forward(zeros([]));
  // Typed Linear layers are still nn.Linear.
  const head: nn.Linear = fc;
  void head;
}

export function embedding(): void {
  const emb = new nn.Embedding({ numEmbeddings: 100, embeddingDim: 8, paddingIdx: 0 });
  expectType<Tensor<[4, 20, 8]>>()(emb.forward(zeros([4, 20])));
  expectType<Tensor<[3, 8]>>()(emb.forward([1, 2, 3]));
  const ids: number[] = [1, 2, 3];
  expectType<Tensor<[number, 8]>>()(emb.forward(ids));
  expectType<Tensor>()(
    emb.forward(
      tensor([
        [1, 2],
        [3, 4],
      ]),
    ),
  );
}

export function untypedArguments(value: any): void {
  expectType<Tensor>()(new nn.Linear({ inFeatures: 2, outFeatures: 3 }).forward(value));
  expectType<Tensor>()(new nn.Embedding({ numEmbeddings: 2, embeddingDim: 3 }).forward(value));
  expectType<Tensor>()(new nn.RNNCell({ inputSize: 2, hiddenSize: 3 }).forward(value));
}

export function chains(): void {
  // Embedding -> LSTM -> Linear, every shape in the types.
  const emb = new nn.Embedding({ numEmbeddings: 100, embeddingDim: 8 });
  const lstm = new nn.LSTM({ inputSize: 8, hiddenSize: 16, batchFirst: true, bidirectional: true });
  const fc = new nn.Linear({ inFeatures: 32, outFeatures: 3 });
  const tokens = zeros([4, 20]);
  const { output, h } = lstm.forward(emb.forward(tokens));
  expectType<Tensor<[4, 20, 32]>>()(output);
  expectType<Tensor<[2, 4, 16]>>()(h);
  expectType<Tensor<[4, 20, 3]>>()(fc.forward(output));

  // LSTM output into a Linear with matching in-features compiles ...
  const single = new nn.LSTM({ inputSize: 10, hiddenSize: 20, batchFirst: true });
  const head = new nn.Linear({ inFeatures: 20, outFeatures: 1 });
  const y = single.forward(randn([4, 20, 10])).output;
  expectType<Tensor<[4, 20, 1]>>()(head.forward(y));
  // ... a mismatching one does not (a bidirectional LSTM's output has 2*H features).
  // @ts-expect-error output has 32 features, the head wants 20
  head.forward(lstm.forward(emb.forward(tokens)).output);
  // @ts-expect-error the embedding gives 8 features, this LSTM wants 10
  single.forward(emb.forward(tokens));
  // The last layer's state: select gives an untyped tensor, accepted (checked at run time).
  expectType<Tensor>()(head.forward(single.forward(randn([4, 20, 10])).h.select(0, -1)));
  // Stacked layers: one layer's output feeds the next.
  const second = new nn.GRU({ inputSize: 32, hiddenSize: 4, batchFirst: true });
  expectType<Tensor<[4, 20, 4]>>()(second.forward(output).output);
}
