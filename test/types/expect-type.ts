/**
 * Compile-time assertions for the type tests (test/types/*.types.ts). Types only in use: the
 * type tests are type-checked by `npm test` (tsconfig.test.json includes test/) and never run.
 */

/** True when A and B are the same type (not merely assignable one way). */
export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Compiles only when T is `true`: `Expect<Equal<typeof x, Tensor<[4, 20, 20]>>>`. */
export type Expect<T extends true> = T;

/**
 * `expectType<Expected>()(value)` compiles only when the value's type is exactly `Expected`;
 * otherwise the call asks for two more arguments that show both types.
 */
export function expectType<Expected>() {
  return <Actual>(
    _value: Actual,
    ..._mismatch: Equal<Actual, Expected> extends true ? [] : [actual: Actual, expected: Expected]
  ): void => {};
}
