/**
 * Type-level shapes: the helpers that carry literal shapes through the types, so that
 * `Tensor<[4, 20, 10]>` into `new nn.LSTM({ inputSize: 10, hiddenSize: 20, batchFirst: true })`
 * gives `output: Tensor<[4, 20, 20]>`. Types only: this file emits no runtime code.
 *
 * The rules every helper follows:
 * - a shape of unknown rank (`number[]`, the `Tensor` default) stays unknown (`Shape`), and a
 *   layer accepts it (the runtime checks still apply);
 * - a dimension that is not a literal (`number`) stays `number` and matches anything;
 * - arithmetic (2*H, numLayers*D) is exact for non-negative integer literals and falls back
 *   to `number` otherwise.
 * docs/typed-shapes.md lists where the types fall back.
 */
import type { Shape } from './shape.js';
import type { Tensor } from './tensor.js';

// ---------------------------------------------------------------------------------------------
// Shapes

/** True when T is `any` (an argument of type `any` gets the untyped results, as before typed shapes). */
export type IsAny<T> = 0 extends 1 & T ? true : false;

/** A tuple without `readonly`: `readonly [2, 3]` -> `[2, 3]`. */
export type MutableShape<S extends Shape> = { -readonly [K in keyof S]: S[K] };

/**
 * The shape type a creation function gives: a known shape as a plain tuple
 * (`[4, 20, 10]`), anything else as the default `Shape`.
 */
export type ShapeOf<S extends Shape> = number extends S['length'] ? Shape : MutableShape<S>;

/** A `reshape` target: `-1` (the inferred dim) becomes `number`. */
export type ReshapeResult<S extends Shape> = number extends S['length']
  ? Shape
  : { -readonly [K in keyof S]: S[K] extends -1 ? number : S[K] };

/** `S` with its last dimension replaced by `F`: `(..., x)` -> `(..., F)`. Unknown rank stays unknown. */
export type WithLastDim<S extends Shape, F extends number> = number extends S['length']
  ? Shape
  : S extends readonly [...infer Lead extends number[], number]
    ? [...Lead, F]
    : Shape;

/** `S` with `F` appended: `(...)` -> `(..., F)`. Unknown rank stays unknown. */
export type AppendDim<S extends Shape, F extends number> = number extends S['length'] ? Shape : [...MutableShape<S>, F];

/**
 * Whether a dimension of size `Actual` fits where `Expected` is required: equal literals fit,
 * and `number` on either side fits (it is checked at run time).
 */
export type DimFits<Actual, Expected> = number extends Actual
  ? true
  : number extends Expected
    ? true
    : [Actual] extends [Expected]
      ? true
      : false;

// ---------------------------------------------------------------------------------------------
// Small arithmetic on literal dimensions

type Digit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9';

/** `2 * digit + carry` as [digit, carry], indexed by carry then digit. */
interface DoubleTable {
  0: {
    '0': ['0', 0];
    '1': ['2', 0];
    '2': ['4', 0];
    '3': ['6', 0];
    '4': ['8', 0];
    '5': ['0', 1];
    '6': ['2', 1];
    '7': ['4', 1];
    '8': ['6', 1];
    '9': ['8', 1];
  };
  1: {
    '0': ['1', 0];
    '1': ['3', 0];
    '2': ['5', 0];
    '3': ['7', 0];
    '4': ['9', 0];
    '5': ['1', 1];
    '6': ['3', 1];
    '7': ['5', 1];
    '8': ['7', 1];
    '9': ['9', 1];
  };
}

type Reverse<T extends string, Acc extends string = ''> = T extends `${infer F}${infer R}`
  ? Reverse<R, `${F}${Acc}`>
  : Acc;

/** Doubles a decimal numeral given least significant digit first; `never` if it holds a non-digit. */
type DoubleDigits<
  R extends string,
  C extends 0 | 1 = 0,
  Acc extends string = '',
> = R extends `${infer D extends Digit}${infer Rest}`
  ? DoubleDigits<Rest, DoubleTable[C][D][1], `${DoubleTable[C][D][0]}${Acc}`>
  : R extends ''
    ? C extends 1
      ? `1${Acc}`
      : Acc
    : never;

type ParseNatural<T extends string> = [T] extends [never] ? number : T extends `${infer N extends number}` ? N : number;

/**
 * `2 * N` for a non-negative integer literal (decimal digit arithmetic, so any size works);
 * `number` for `number`, negatives, fractions and exponent forms. Distributes over unions.
 */
export type Double<N extends number> = number extends N
  ? number
  : N extends number
    ? ParseNatural<DoubleDigits<Reverse<`${N}`>>>
    : never;

/** `N * D` for a direction count D of 1 or 2; `number` when D is not a literal 1 or 2. */
export type TimesDirections<N extends number, D extends number> = [D] extends [1]
  ? N
  : [D] extends [2]
    ? Double<N>
    : number;

// ---------------------------------------------------------------------------------------------
// Recurrent layers

/**
 * The type of option `K` of an options type `O`: the literal when given, `Default` when the
 * key is absent (the runtime default), and the wide type (`number`, `boolean`) when it is not
 * a literal. An optional key (`numLayers?: number`) gives its type joined with the default.
 */
export type OptionValue<O, K extends PropertyKey, Default> = K extends keyof O
  ? Exclude<O[K], undefined> | (undefined extends O[K] ? Default : never)
  : Default;

/** D: 2 for `bidirectional: true`, 1 for false or absent, `number` when not a literal. */
export type Directions<O> = [OptionValue<O, 'bidirectional', false>] extends [true]
  ? 2
  : [OptionValue<O, 'bidirectional', false>] extends [false]
    ? 1
    : number;

/** H_in. */
export type InputSizeOf<O> = O extends { readonly inputSize: infer N extends number } ? N : number;

/** H. */
export type HiddenSizeOf<O> = O extends { readonly hiddenSize: infer N extends number } ? N : number;

/** H_out: projSize when it is a literal > 0, H when it is 0 or absent, `number` when unknown. */
export type ProjectedSizeOf<O> = ProjectOr<HiddenSizeOf<O>, OptionValue<O, 'projSize', 0>>;
type ProjectOr<H extends number, P> = P extends 0 ? H : P extends number ? P : number;

/** The last dim of the output: D * H_out. */
export type RecurrentFeaturesOf<O> = TimesDirections<ProjectedSizeOf<O>, Directions<O>>;

/** Rows of h and c: numLayers * D. */
export type StateRowsOf<O> = TimesDirections<OptionValue<O, 'numLayers', 1> & number, Directions<O>>;

/** Whether the layout is batch-first: `true`, `false` (also when absent) or `boolean`. */
export type BatchFirstOf<O> = OptionValue<O, 'batchFirst', false>;

/**
 * The input a recurrent layer accepts for an input of shape `S`: `Tensor<S>` itself when the
 * rank is 2 or 3 and the last dim fits H_in (or the rank is unknown), else the tensor type it
 * should have been (so the compile error reads "not assignable to Tensor<[4, 20, 10]>").
 */
export type SequenceInput<S extends Shape, In extends number> = number extends S['length']
  ? Tensor<S>
  : [S] extends [readonly [number, number, infer F]]
    ? DimFits<F, In> extends true
      ? Tensor<S>
      : Tensor<[S[0], S[1], In]>
    : [S] extends [readonly [number, infer F]]
      ? DimFits<F, In> extends true
        ? Tensor<S>
        : Tensor<[S[0], In]>
      : Tensor<[number, number, In]> | Tensor<[number, In]>;

/** Output of a recurrent layer: the input's layout with the last dim replaced by D * H_out. */
export type SequenceOutputShape<S extends Shape, F extends number> = S extends readonly [
  infer A extends number,
  infer B extends number,
  number,
]
  ? [A, B, F]
  : S extends readonly [infer A extends number, number]
    ? [A, F]
    : Shape;

/**
 * Shape of h or c: `(rows, batch, F)` for a batched input (batch is dim 0 when batch-first,
 * else dim 1), `(rows, F)` for an unbatched one.
 */
export type StateShape<S extends Shape, Rows extends number, BatchFirst, F extends number> = S extends readonly [
  infer A extends number,
  infer B extends number,
  number,
]
  ? [Rows, [BatchFirst] extends [true] ? A : [BatchFirst] extends [false] ? B : number, F]
  : S extends readonly [number, number]
    ? [Rows, F]
    : Shape;

// ---------------------------------------------------------------------------------------------
// Cells and feature maps

/** The input a cell accepts: `(N, H_in)` or `(H_in)`; otherwise the type it should have been. */
export type StepInput<S extends Shape, In extends number> = number extends S['length']
  ? Tensor<S>
  : [S] extends [readonly [number, infer F]]
    ? DimFits<F, In> extends true
      ? Tensor<S>
      : Tensor<[S[0], In]>
    : [S] extends [readonly [infer F]]
      ? DimFits<F, In> extends true
        ? Tensor<S>
        : Tensor<[In]>
      : Tensor<[number, In]> | Tensor<[In]>;

/** A cell's state for an input of shape `S`: `(N, H)` or `(H)`. */
export type StepStateShape<S extends Shape, H extends number> = S extends readonly [infer A extends number, number]
  ? [A, H]
  : S extends readonly [number]
    ? [H]
    : Shape;

/** The input of a layer over the last dim (`Linear`): `(..., In)` of rank >= 1. */
export type FeatureInput<S extends Shape, In extends number> = number extends S['length']
  ? Tensor<S>
  : [S] extends [readonly [...infer Lead extends number[], infer F]]
    ? DimFits<F, In> extends true
      ? Tensor<S>
      : Tensor<[...Lead, In]>
    : Tensor<[...number[], In]>;
