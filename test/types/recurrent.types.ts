/**
 * Type tests: the shapes RNN, LSTM and GRU compute in the types (docs/typed-shapes.md).
 * Checked by the compiler only (`npm test` type-checks test/); nothing here runs.
 */
import { nn, type PackedSequence, packPaddedSequence, randn, type Tensor, zeros } from '../../src/index.js';
import { expectType } from './expect-type.js';

export function lstmShapes(): void {
  // The example: batch-first (batch, time, features).
  const lstm = new nn.LSTM({ inputSize: 10, hiddenSize: 20, batchFirst: true });
  const x = randn([4, 20, 10]);
  expectType<Tensor<[4, 20, 10]>>()(x);
  const { output, h, c } = lstm.forward(x);
  expectType<Tensor<[4, 20, 20]>>()(output);
  expectType<Tensor<[1, 4, 20]>>()(h);
  expectType<Tensor<[1, 4, 20]>>()(c);

  // The whole result, exactly.
  expectType<{ output: Tensor<[4, 20, 20]>; h: Tensor<[1, 4, 20]>; c: Tensor<[1, 4, 20]> }>()(lstm.forward(x));

  // Initial states are accepted (their shapes are checked at run time).
  expectType<Tensor<[4, 20, 20]>>()(
    lstm.forward(x, { h: zeros([1, 4, 20]), c: zeros([1, 4, 20]), lengths: [20, 3, 7, 1] }).output,
  );
}

export function bidirectionalAndLayers(): void {
  const x = randn([4, 20, 10]);
  const bi = new nn.LSTM({ inputSize: 10, hiddenSize: 20, batchFirst: true, bidirectional: true });
  expectType<{ output: Tensor<[4, 20, 40]>; h: Tensor<[2, 4, 20]>; c: Tensor<[2, 4, 20]> }>()(bi.forward(x));

  // numLayers * D rows in h and c.
  const deep = new nn.LSTM({ inputSize: 10, hiddenSize: 20, batchFirst: true, numLayers: 3 });
  expectType<{ output: Tensor<[4, 20, 20]>; h: Tensor<[3, 4, 20]>; c: Tensor<[3, 4, 20]> }>()(deep.forward(x));
  const deepBi = new nn.GRU({ inputSize: 10, hiddenSize: 20, batchFirst: true, numLayers: 3, bidirectional: true });
  expectType<{ output: Tensor<[4, 20, 40]>; h: Tensor<[6, 4, 20]> }>()(deepBi.forward(x));

  // bidirectional: false and numLayers: 1 spelled out are the defaults.
  const explicit = new nn.RNN({ inputSize: 10, hiddenSize: 20, batchFirst: true, bidirectional: false, numLayers: 1 });
  expectType<{ output: Tensor<[4, 20, 20]>; h: Tensor<[1, 4, 20]> }>()(explicit.forward(x));
}

export function projection(): void {
  const x = randn([4, 20, 10]);
  // projSize replaces H in output and h; c keeps H.
  const proj = new nn.LSTM({ inputSize: 10, hiddenSize: 20, batchFirst: true, projSize: 5 });
  expectType<{ output: Tensor<[4, 20, 5]>; h: Tensor<[1, 4, 5]>; c: Tensor<[1, 4, 20]> }>()(proj.forward(x));
  const projBi = new nn.LSTM({
    inputSize: 10,
    hiddenSize: 20,
    batchFirst: true,
    projSize: 5,
    bidirectional: true,
    numLayers: 2,
  });
  expectType<{ output: Tensor<[4, 20, 10]>; h: Tensor<[4, 4, 5]>; c: Tensor<[4, 4, 20]> }>()(projBi.forward(x));
  // projSize 0 means no projection.
  const none = new nn.LSTM({ inputSize: 10, hiddenSize: 20, batchFirst: true, projSize: 0 });
  expectType<{ output: Tensor<[4, 20, 20]>; h: Tensor<[1, 4, 20]>; c: Tensor<[1, 4, 20]> }>()(none.forward(x));
}

export function layouts(): void {
  // batchFirst false (the default): (time, batch, features); h and c are (rows, batch, H).
  const timeMajor = new nn.LSTM({ inputSize: 10, hiddenSize: 20 });
  const x = randn([20, 4, 10]); // 20 steps, batch 4
  expectType<{ output: Tensor<[20, 4, 20]>; h: Tensor<[1, 4, 20]>; c: Tensor<[1, 4, 20]> }>()(timeMajor.forward(x));
  const explicitFalse = new nn.GRU({ inputSize: 10, hiddenSize: 20, batchFirst: false, bidirectional: true });
  expectType<{ output: Tensor<[20, 4, 40]>; h: Tensor<[2, 4, 20]> }>()(explicitFalse.forward(x));

  // batchFirst true: the batch of h is dim 0 of the input.
  const batchFirst = new nn.RNN({ inputSize: 10, hiddenSize: 20, batchFirst: true });
  expectType<{ output: Tensor<[20, 4, 20]>; h: Tensor<[1, 20, 20]> }>()(batchFirst.forward(x));

  // Unbatched (time, features) in, 2-D out; h and c are (rows, H).
  const seq = randn([20, 10]);
  expectType<{ output: Tensor<[20, 20]>; h: Tensor<[1, 20]>; c: Tensor<[1, 20]> }>()(timeMajor.forward(seq));
  const bi = new nn.LSTM({ inputSize: 10, hiddenSize: 20, bidirectional: true, numLayers: 2, batchFirst: true });
  expectType<{ output: Tensor<[20, 40]>; h: Tensor<[4, 20]>; c: Tensor<[4, 20]> }>()(bi.forward(seq));
}

export function eachFamily(): void {
  const x = randn([4, 20, 10]);
  const rnn = new nn.RNN({ inputSize: 10, hiddenSize: 20, batchFirst: true, nonlinearity: 'relu' });
  const gru = new nn.GRU({ inputSize: 10, hiddenSize: 20, batchFirst: true });
  const lstm = new nn.LSTM({ inputSize: 10, hiddenSize: 20, batchFirst: true });
  // RNN and GRU have no c.
  expectType<{ output: Tensor<[4, 20, 20]>; h: Tensor<[1, 4, 20]> }>()(rnn.forward(x));
  expectType<{ output: Tensor<[4, 20, 20]>; h: Tensor<[1, 4, 20]> }>()(gru.forward(x));
  expectType<{ output: Tensor<[4, 20, 20]>; h: Tensor<[1, 4, 20]>; c: Tensor<[1, 4, 20]> }>()(lstm.forward(x));
}

export function wrongInputs(): void {
  const lstm = new nn.LSTM({ inputSize: 10, hiddenSize: 20, batchFirst: true });
  // @ts-expect-error the features dim is 12, the layer wants 10
  lstm.forward(randn([4, 20, 12]));
  // @ts-expect-error unbatched, wrong features
  lstm.forward(randn([20, 12]));
  // @ts-expect-error rank 4
  lstm.forward(randn([4, 20, 10, 1]));
  // @ts-expect-error rank 1
  lstm.forward(randn([10]));
  const gru = new nn.GRU({ inputSize: 3, hiddenSize: 2 });
  // @ts-expect-error GRU too
  gru.forward(randn([5, 4]));
  const rnn = new nn.RNN({ inputSize: 3, hiddenSize: 2 });
  // @ts-expect-error RNN too
  rnn.forward(randn([5, 1, 4]));
  // @ts-expect-error not a tensor
  rnn.forward([1, 2, 3]);
}

export function unknownShapesAreAccepted(
  sizes: number[],
  anyTensor: Tensor,
  list: Tensor<number[]>,
  partial: Tensor<[number, number, 10]>,
): void {
  const lstm = new nn.LSTM({ inputSize: 10, hiddenSize: 20, batchFirst: true });
  // Unknown rank: accepted (checked at run time), results of unknown shape.
  expectType<{ output: Tensor; h: Tensor; c: Tensor }>()(lstm.forward(anyTensor));
  expectType<{ output: Tensor; h: Tensor; c: Tensor }>()(lstm.forward(list));
  expectType<{ output: Tensor; h: Tensor; c: Tensor }>()(lstm.forward(randn(sizes)));
  // Known rank, unknown sizes: carried as number.
  expectType<{ output: Tensor<[number, number, 20]>; h: Tensor<[1, number, 20]>; c: Tensor<[1, number, 20]> }>()(
    lstm.forward(partial),
  );
  expectType<Tensor<[number, 20, 20]>>()(lstm.forward(randn([sizes.length, 20, 10])).output);
  // An op result has the default (unknown) shape type: accepted.
  expectType<Tensor>()(lstm.forward(randn([4, 20, 10]).transpose(0, 1)).output);
}

export function untypedArguments(
  value: any,
  either: Tensor<[4, 20, 10]> | PackedSequence,
  unknownValue: unknown,
): void {
  const lstm = new nn.LSTM({ inputSize: 10, hiddenSize: 20, batchFirst: true });
  // An `any` argument gets untyped tensors (as before typed shapes), not a Tensor | PackedSequence.
  expectType<{ output: Tensor; h: Tensor; c: Tensor }>()(lstm.forward(value));
  // A union argument gets the union of the results.
  expectType<Tensor<[4, 20, 20]> | PackedSequence>()(lstm.forward(either).output);
  // @ts-expect-error unknown is neither a Tensor nor a PackedSequence
  lstm.forward(unknownValue);
}

export function nonLiteralOptionsFallBack(size: number, flag: boolean, layers: number, options: nn.LSTMOptions): void {
  const x = randn([4, 20, 10]);
  // A hiddenSize known only at run time: its dims are number.
  expectType<{ output: Tensor<[4, 20, number]>; h: Tensor<[1, 20, number]>; c: Tensor<[1, 20, number]> }>()(
    new nn.LSTM({ inputSize: 10, hiddenSize: size }).forward(x),
  );
  // An inputSize known only at run time accepts any features.
  expectType<Tensor<[4, 20, 7]>>()(new nn.GRU({ inputSize: size, hiddenSize: 7 }).forward(x).output);
  // bidirectional not a literal: D is unknown, so are D*H and numLayers*D.
  expectType<{ output: Tensor<[4, 20, number]>; h: Tensor<[number, 20, 7]> }>()(
    new nn.GRU({ inputSize: 10, hiddenSize: 7, bidirectional: flag }).forward(x),
  );
  // numLayers not a literal.
  expectType<Tensor<[number, 20, 7]>>()(new nn.GRU({ inputSize: 10, hiddenSize: 7, numLayers: layers }).forward(x).h);
  // batchFirst not a literal: the batch dim of h is unknown.
  expectType<Tensor<[1, number, 7]>>()(new nn.GRU({ inputSize: 10, hiddenSize: 7, batchFirst: flag }).forward(x).h);
  // A whole options object of the interface type: every size unknown.
  expectType<{
    output: Tensor<[4, 20, number]>;
    h: Tensor<[number, number, number]>;
    c: Tensor<[number, number, number]>;
  }>()(new nn.LSTM(options).forward(x));
}

export function largeSizes(): void {
  const x = randn([2, 3, 10]);
  // 2*H and numLayers*D are exact for any integer literal (decimal digit arithmetic).
  const wide = new nn.GRU({ inputSize: 10, hiddenSize: 1000, bidirectional: true, numLayers: 600, batchFirst: true });
  expectType<{ output: Tensor<[2, 3, 2000]>; h: Tensor<[1200, 2, 1000]> }>()(wide.forward(x));
  const huge = new nn.RNN({ inputSize: 10, hiddenSize: 123456789, bidirectional: true });
  expectType<Tensor<[2, 3, 246913578]>>()(huge.forward(x).output);
}

export function packedSequences(): void {
  const lstm = new nn.LSTM({ inputSize: 10, hiddenSize: 20, batchFirst: true, numLayers: 2 });
  const packed = packPaddedSequence(randn([4, 20, 10]), [20, 3, 7, 1], { batchFirst: true });
  // A PackedSequence in gives a PackedSequence out; the batch of h and c is not in the type.
  expectType<{ output: PackedSequence; h: Tensor<[2, number, 20]>; c: Tensor<[2, number, 20]> }>()(
    lstm.forward(packed),
  );
  const gru = new nn.GRU({ inputSize: 10, hiddenSize: 20, bidirectional: true });
  expectType<{ output: PackedSequence; h: Tensor<[2, number, 20]> }>()(gru.forward(packed, { h: zeros([2, 4, 20]) }));
  // @ts-expect-error a PackedSequence carries its own lengths
  gru.forward(packed, { lengths: [20, 3, 7, 1] });
}

export function assignableToTheUntypedClasses(): void {
  // A typed layer is still an nn.LSTM (and so on), and a union of them can be called.
  const lstm: nn.LSTM = new nn.LSTM({ inputSize: 10, hiddenSize: 20, bidirectional: true });
  const layers: (nn.RNN | nn.LSTM | nn.GRU)[] = [
    lstm,
    new nn.GRU({ inputSize: 10, hiddenSize: 20 }),
    new nn.RNN({ inputSize: 10, hiddenSize: 20 }),
  ];
  const x = randn([4, 20, 10]);
  for (const layer of layers) {
    // The untyped classes' options are plain numbers and booleans: only the input's dims remain.
    // (The union's result is a union of three equal-looking types, so check by assignment.)
    const result = layer.forward(x);
    const output: Tensor<[4, 20, number]> = result.output;
    const h: Tensor<[number, number, number]> = result.h;
    void [output, h];
  }
  const options = { inputSize: 10, hiddenSize: 20, batchFirst: true };
  const typed = Math.random() < 0.5 ? new nn.GRU(options) : new nn.LSTM(options);
  expectType<Tensor<[4, 20, number]>>()(typed.forward(x).output);
}
