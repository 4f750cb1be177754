/**
 * Type tests: the Keras-style recurrent layers (`layers.simpleRNN`, `lstm`, `gru`) applied to a
 * tensor of known shape (docs/typed-shapes.md). Checked by the compiler only (`npm test`
 * type-checks test/); nothing here runs.
 */
import { layers, randn, type Tensor } from '../../src/index.js';
import { type Equal, expectType } from './expect-type.js';

/**
 * `expectTuple<[A, B]>()(value)` compiles only when the value is a tuple of exactly that length
 * whose elements are exactly A, B, ... (compared one by one: `Equal` on whole tuples of
 * conditional-type results is unreliable in TypeScript).
 */
function expectTuple<Expected extends readonly unknown[]>() {
  return <Actual extends readonly unknown[]>(
    _value: Actual,
    ..._mismatch: Equal<Actual['length'], Expected['length']> extends true
      ? { [K in keyof Expected]: K extends keyof Actual ? Equal<Actual[K], Expected[K]> : false }[number] extends true
        ? []
        : [actual: Actual, expected: Expected]
      : [actual: Actual, expected: Expected]
  ): void => {};
}

export function returnSequencesAndReturnState(): void {
  const x = randn([4, 10, 8]); // (batch, time, features)

  // Every returnSequences x returnState combination, exactly.
  expectType<Tensor<[4, 32]>>()(layers.lstm({ units: 32 }).apply(x));
  expectType<Tensor<[4, 32]>>()(layers.lstm({ units: 32, returnSequences: false }).apply(x));
  expectType<Tensor<[4, 10, 32]>>()(layers.lstm({ units: 32, returnSequences: true }).apply(x));
  expectTuple<[Tensor<[4, 32]>, Tensor<[4, 32]>, Tensor<[4, 32]>]>()(
    layers.lstm({ units: 32, returnState: true }).apply(x),
  );
  expectTuple<[Tensor<[4, 10, 32]>, Tensor<[4, 32]>, Tensor<[4, 32]>]>()(
    layers.lstm({ units: 32, returnSequences: true, returnState: true }).apply(x),
  );

  // GRU and simpleRNN have one state.
  expectTuple<[Tensor<[4, 10, 16]>, Tensor<[4, 16]>]>()(
    layers.gru({ units: 16, returnSequences: true, returnState: true }).apply(x),
  );
  expectTuple<[Tensor<[4, 16]>, Tensor<[4, 16]>]>()(layers.simpleRNN({ units: 16, returnState: true }).apply(x));
  expectType<Tensor<[4, 10, 5]>>()(layers.simpleRNN({ units: 5, returnSequences: true, goBackwards: true }).apply(x));
  expectType<Tensor<[4, 3]>>()(layers.gru({ units: 3, resetAfter: false, implementation: 'loop' }).apply(x));

  // Wrong: a returnSequences layer does not give (batch, units), nor returnState a single tensor.
  // @ts-expect-error the output is (4, 10, 32), not (4, 32)
  expectType<Tensor<[4, 32]>>()(layers.lstm({ units: 32, returnSequences: true }).apply(x));
  // @ts-expect-error returnState gives [output, h, c]
  expectType<Tensor<[4, 32]>>()(layers.lstm({ units: 32, returnState: true }).apply(x));
  // @ts-expect-error a GRU has one state: [output, h]
  expectTuple<[Tensor<[4, 16]>, Tensor<[4, 16]>, Tensor<[4, 16]>]>()(
    layers.gru({ units: 16, returnState: true }).apply(x),
  );
  // @ts-expect-error units 16 gives 16 features
  expectType<Tensor<[4, 32]>>()(layers.simpleRNN({ units: 16 }).apply(x));
  // @ts-expect-error the state of an LSTM with returnSequences is (4, 32), not (4, 10, 32)
  expectTuple<[Tensor<[4, 10, 32]>, Tensor<[4, 10, 32]>, Tensor<[4, 32]>]>()(
    layers.lstm({ units: 32, returnSequences: true, returnState: true }).apply(x),
  );
  // The helper itself: a tuple of the right length and elements compiles, a shorter one does not.
  expectTuple<[Tensor<[4, 16]>, Tensor<[4, 16]>]>()(layers.gru({ units: 16, returnState: true }).apply(x));
  // @ts-expect-error a GRU's result has two elements, not one
  expectTuple<[Tensor<[4, 16]>]>()(layers.gru({ units: 16, returnState: true }).apply(x));
}

export function destructuring(): void {
  const [output, h, c] = layers.lstm({ units: 20, returnSequences: true, returnState: true }).apply(randn([2, 7, 3]));
  expectType<Tensor<[2, 7, 20]>>()(output);
  expectType<Tensor<[2, 20]>>()(h);
  expectType<Tensor<[2, 20]>>()(c);
  // The tuple has exactly three elements.
  // @ts-expect-error there is no fourth result
  const [, , , extra] = layers.lstm({ units: 20, returnState: true }).apply(randn([2, 7, 3]));
  void extra;
}

export function fallBacks(units: number, flag: boolean, sizes: number[], batch: number): void {
  const x = randn([4, 10, 8]);
  // units not a literal: U is number.
  expectType<Tensor<[4, 10, number]>>()(layers.lstm({ units, returnSequences: true }).apply(x));
  // A size held in a variable stays number.
  expectType<Tensor<[number, 6]>>()(layers.gru({ units: 6 }).apply(randn([batch, 10, 8])));
  // returnSequences not a literal: the output shape is unknown.
  expectType<Tensor>()(layers.lstm({ units: 4, returnSequences: flag }).apply(x));
  // returnState not a literal: one tensor or a list.
  expectType<Tensor | Tensor[]>()(layers.lstm({ units: 4, returnState: flag }).apply(x));
  // A tensor of unknown shape: untyped tensors, still a tuple of the right length.
  const unknown = randn(sizes);
  expectType<Tensor>()(layers.lstm({ units: 4 }).apply(unknown));
  expectTuple<[Tensor, Tensor, Tensor]>()(layers.lstm({ units: 4, returnState: true }).apply(unknown));
  // An options object typed as LSTMOptions: untyped, as before.
  const options: layers.LSTMOptions = { units: 4 };
  expectType<Tensor | Tensor[]>()(layers.lstm(options).apply(x));
}

export function stillLayers(): void {
  // The typed factories still give the layer classes: they nest in wrappers and models.
  const forward = layers.lstm({ units: 8, returnSequences: true });
  const asLayer: layers.LSTM<'one'> = forward;
  const bi = layers.bidirectional(forward);
  const input = layers.input({ shape: [10, 8] });
  expectType<layers.SymbolicTensor>()(bi.apply(input));
  expectType<layers.SymbolicTensor>()(asLayer.apply(input));
  // Symbolic tensors keep the list type with returnState.
  expectType<layers.SymbolicTensor[]>()(layers.gru({ units: 4, returnState: true }).apply(input));
}

export function misspeltOptions(): void {
  // @ts-expect-error returnSequence is not an option (returnSequences is)
  layers.lstm({ units: 4, returnSequence: true });
  // @ts-expect-error units is required
  layers.gru({ returnSequences: true });
  // @ts-expect-error resetAfter is a GRU option
  layers.simpleRNN({ units: 4, resetAfter: true });
}
