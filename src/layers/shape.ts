/**
 * Symbolic shapes (`null` where a size is only known at run time, usually the batch) and the
 * errors layers throw when an input does not fit.
 *
 * Keras writes shapes as tuples with `None` for an unknown size: `(None, 10, 32)` is "any
 * batch, 10 time steps, 32 features". `formatSymbolicShape` prints them the same way, so a summary
 * reads like Keras's.
 */
import { ShapeError } from '../errors.js';

/** One dimension: a size, or null when it is only known at run time. */
export type Dim = number | null;
/** A shape with possibly unknown sizes, batch first: `[null, 10, 20]` is `(None, 10, 20)`. */
export type SymbolicShape = readonly Dim[];

/** `(None, 10, 20)`; a rank-1 shape keeps Python's trailing comma: `(None,)`. */
export function formatSymbolicShape(shape: SymbolicShape): string {
  const dims = shape.map((d) => (d === null ? 'None' : String(d)));
  return dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
}

/** Whether `value` is a list of shapes rather than one shape. */
export function isShapeList(value: SymbolicShape | readonly SymbolicShape[]): value is readonly SymbolicShape[] {
  return value.length > 0 && value.every((d) => Array.isArray(d));
}

/** The usual name of dim `dim` of a rank-`rank` input, batch first. */
export function dimName(rank: number, dim: number): string {
  if (dim === 0) return 'batch';
  if (dim === rank - 1) return 'features';
  if (rank === 3 && dim === 1) return 'time steps';
  return 'entries';
}

/** A concrete shape with the batch dim replaced by null (what `build` sees on an eager call). */
export function withUnknownBatch(shape: readonly number[]): Dim[] {
  return shape.map((d, i) => (i === 0 ? null : d));
}

/**
 * The ShapeError of a layer whose input has the wrong size in one dim. Its message reads
 * `lstm_1: expected input with 20 features (dim 2), received 12`, and its fields carry the
 * same facts (`where` is the layer name, `what` is `input dim 2 (features)`).
 */
export function inputSizeError(
  layer: string,
  rank: number,
  dim: number,
  expected: number,
  actual: number,
  hint?: string,
): ShapeError {
  const name = dimName(rank, dim);
  const error = new ShapeError({ where: layer, what: `input dim ${dim} (${name})`, expected, actual });
  error.message = `${layer}: expected input with ${expected} ${name} (dim ${dim}), received ${actual}${hint ? `. ${hint}` : ''}`;
  return error;
}

/** The ShapeError of a layer whose input has the wrong rank. */
export function inputRankError(layer: string, expected: string, shape: SymbolicShape, hint?: string): ShapeError {
  const error = new ShapeError({ where: layer, what: 'input rank', expected, actual: shape.length });
  error.message = `${layer}: expected input of rank ${expected}, received rank ${shape.length} (shape ${formatSymbolicShape(shape)})${hint ? `. ${hint}` : ''}`;
  return error;
}

/**
 * What a layer requires of its (first) input; checked when it is applied to a symbolic tensor
 * and again on every call with data.
 */
export interface InputSpec {
  /** Exact rank, e.g. 3 for `(batch, time, features)`. */
  rank?: number;
  /** Smallest rank, e.g. 2 for Dense. */
  minRank?: number;
  /** Required sizes by dim (negative counts from the end), e.g. `{ [-1]: 20 }`. */
  sizes?: Readonly<Record<number, number>>;
  /** Words for the expected rank in messages, e.g. `3 (batch, time, features)`. */
  rankText?: string;
}

/** Throws the ShapeError of the first way `shape` breaks `spec`. */
export function checkInputSpec(layer: string, spec: InputSpec, shape: SymbolicShape, hint?: string): void {
  if (spec.rank !== undefined && shape.length !== spec.rank) {
    throw inputRankError(layer, spec.rankText ?? String(spec.rank), shape, hint);
  }
  if (spec.minRank !== undefined && shape.length < spec.minRank) {
    throw inputRankError(layer, spec.rankText ?? `>= ${spec.minRank}`, shape, hint);
  }
  for (const [key, size] of Object.entries(spec.sizes ?? {})) {
    const raw = Number(key);
    const dim = raw < 0 ? shape.length + raw : raw;
    const actual = shape[dim];
    if (actual !== null && actual !== undefined && actual !== size)
      throw inputSizeError(layer, shape.length, dim, size, actual, hint);
  }
}
