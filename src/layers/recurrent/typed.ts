/**
 * Typed shapes of the Keras-style recurrent layers (docs/typed-shapes.md). Types only: this
 * file emits no runtime code, and every shape is still checked when the layer runs.
 *
 * `simpleRNN`, `lstm` and `gru` return their layer with one more `apply` signature that, for a
 * tensor of known shape `(N, T, F)`, computes the result from the literal options:
 *   returnSequences false (default)  output (N, U)
 *   returnSequences true             output (N, T, U)
 *   returnState true                 [output, h] (simpleRNN, gru), [output, h, c] (lstm), states (N, U)
 * `units` that is not a literal gives `number` for U; `returnSequences` or `returnState` that is
 * not a literal (a `boolean`) gives the untyped result. A tensor of unknown shape gives `Tensor`s
 * (still a tuple of the exact length with returnState). Symbolic tensors (from `input()`) are
 * not shape-typed.
 */
import type { IsAny, OptionValue } from '../../tensor/shape-types.js';
import type { Shape } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { ApplyOptions, Arity, EagerOutput } from '../layer.js';

/** U: `units` when it is a literal, else `number`. */
export type UnitsOf<O> = O extends { readonly units: infer U extends number } ? U : number;

/** 'many' for `returnState: true`, 'one' for false or absent, either when not a literal. */
export type RecurrentArityOf<O> = [OptionValue<O, 'returnState', false>] extends [true]
  ? 'many'
  : [OptionValue<O, 'returnState', false>] extends [false]
    ? 'one'
    : Arity;

/** The output for an input of shape S: (N, T, U) or (N, U); `Tensor` when S or returnSequences is unknown. */
export type KerasSequenceOutput<S extends Shape, O> = S extends readonly [
  infer N extends number,
  infer T extends number,
  number,
]
  ? [OptionValue<O, 'returnSequences', false>] extends [true]
    ? Tensor<[N, T, UnitsOf<O>]>
    : [OptionValue<O, 'returnSequences', false>] extends [false]
      ? Tensor<[N, UnitsOf<O>]>
      : Tensor
  : Tensor;

/** A final state for an input of shape S: (N, U); `Tensor` when S is unknown. */
export type KerasStateOutput<S extends Shape, O> = S extends readonly [infer N extends number, number, number]
  ? Tensor<[N, UnitsOf<O>]>
  : Tensor;

/** What `apply` returns for a tensor of type X: one output, or the output and `States` final states. */
export type KerasRecurrentOutput<X, O, States extends 1 | 2> =
  IsAny<X> extends true
    ? EagerOutput<RecurrentArityOf<O>>
    : X extends Tensor<infer S>
      ? [OptionValue<O, 'returnState', false>] extends [true]
        ? States extends 2
          ? [KerasSequenceOutput<S, O>, KerasStateOutput<S, O>, KerasStateOutput<S, O>]
          : [KerasSequenceOutput<S, O>, KerasStateOutput<S, O>]
        : [OptionValue<O, 'returnState', false>] extends [false]
          ? KerasSequenceOutput<S, O>
          : Tensor | Tensor[]
      : EagerOutput<RecurrentArityOf<O>>;

/** The `apply` signature the factories add: a tensor with data in, typed results out. */
export interface TypedRecurrentApply<O, States extends 1 | 2> {
  /** Computes at once on `inputs` (batch, time, features); the result's shapes follow the options. */
  apply<X extends Tensor>(inputs: X, options?: ApplyOptions): KerasRecurrentOutput<X, O, States>;
}

/**
 * Options O with no keys beyond T's. A literal with a misspelt option (`returnSequence`) then
 * misses the typed overload and meets the untyped one, where TypeScript's excess-property check
 * reports it; an options object with other keys (not a fresh literal) gets the untyped layer.
 */
export type NoExtraOptions<O, T> = { [K in Exclude<keyof O, keyof T>]: never };
