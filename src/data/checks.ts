/**
 * What a user's split is, and whether training on it can mean anything.
 *
 *   parseSplit('0.8,0.1,0.1')   { train: 0.8, validation: 0.1, test: 0.1 }
 *   checkSplits(splits, { key, label })   warnings (few examples, tiny classes, duplicates
 *                                          across splits); throws DataError where training
 *                                          cannot be meaningful (no training, validation or
 *                                          test example, a single class).
 */
import { DataError, ValueError } from '../errors.js';
import type { Splits } from './split.js';

/** Shares of train, validation and test: fractions summing to 1. */
export interface SplitShares {
  train: number;
  validation: number;
  test: number;
}

/** The default split: 80 / 10 / 10. */
export const DEFAULT_SPLIT: Readonly<SplitShares> = Object.freeze({ train: 0.8, validation: 0.1, test: 0.1 });

/** Parses `TRAIN,VALIDATION,TEST` fractions (e.g. `0.8,0.1,0.1`; they must sum to 1, train > 0). */
export function parseSplit(text: string): SplitShares {
  const parts = text.split(',').map((p) => p.trim());
  const values = parts.map(Number);
  if (parts.length !== 3 || values.some((v, k) => parts[k] === '' || !Number.isFinite(v) || v < 0 || v >= 1 + 1e-9)) {
    throw new ValueError(
      '--split',
      `expected three fractions TRAIN,VALIDATION,TEST such as 0.8,0.1,0.1, got '${text}'`,
    );
  }
  const [train, validation, test] = values as [number, number, number];
  if (Math.abs(train + validation + test - 1) > 1e-6)
    throw new ValueError(
      '--split',
      `the fractions ${text} sum to ${(train + validation + test).toFixed(4)}, expected 1`,
    );
  if (train <= 0) throw new ValueError('--split', `the training fraction must be > 0, got ${train}`);
  return { train, validation, test };
}

/** Thresholds of the checks. */
export interface CheckOptions {
  /** A string identifying an example's input, for the duplicate check. */
  key: (example: never) => string;
  /** classify: the example's class, for the class checks. */
  label?: (example: never) => string;
  /** Fewer training examples than this: a warning (default 100). */
  fewExamples?: number;
  /** A class with fewer training examples than this: a warning (default 5). */
  tinyClass?: number;
  /** The file, named in errors. */
  file?: string;
}

/**
 * Checks a split before training: returns the warnings, throws a DataError when a part is empty
 * or (classify) the training part has a single class.
 */
export function checkSplits<T>(splits: Splits<T>, options: CheckOptions): string[] {
  const file = options.file ?? '<data>';
  const key = options.key as (e: T) => string;
  const warnings: string[] = [];
  const { train, validation, test } = splits;
  const total = train.length + validation.length + test.length;
  for (const [name, part] of [
    ['training', train],
    ['validation', validation],
    ['test', test],
  ] as const) {
    if (part.length === 0) {
      throw new DataError(
        file,
        null,
        `${total} example${total === 1 ? '' : 's'} leave${total === 1 ? 's' : ''} no ${name} example: training cannot be measured. Add examples (a few hundred at least), or give --split / --valid / --test`,
      );
    }
  }
  const few = options.fewExamples ?? 100;
  if (train.length < few)
    warnings.push(`only ${train.length} training examples: expect a weak model (a few hundred at least are advisable)`);
  if (options.label) {
    const label = options.label as (e: T) => string;
    const counts = new Map<string, number>();
    for (const e of train) counts.set(label(e), (counts.get(label(e)) ?? 0) + 1);
    if (counts.size < 2)
      throw new DataError(
        file,
        null,
        `every training example has the class '${[...counts.keys()][0]}': a classifier needs at least two classes`,
      );
    const tiny = options.tinyClass ?? 5;
    const small = [...counts].filter(([, n]) => n < tiny).sort((a, b) => a[1] - b[1]);
    if (small.length > 0) {
      warnings.push(
        `${small.length} class${small.length === 1 ? ' has' : 'es have'} fewer than ${tiny} training examples (${small
          .slice(0, 5)
          .map(([c, n]) => `'${c}': ${n}`)
          .join(
            ', ',
          )}${small.length > 5 ? ', ...' : ''}): the model will rarely predict ${small.length === 1 ? 'it' : 'them'}`,
      );
    }
    const unseen = new Set([...validation, ...test].map(label).filter((c) => !counts.has(c)));
    if (unseen.size > 0)
      warnings.push(
        `${unseen.size} class${unseen.size === 1 ? '' : 'es'} of the validation/test examples never appear in training (${[
          ...unseen,
        ]
          .slice(0, 5)
          .map((c) => `'${c}'`)
          .join(', ')}): those examples are left out of the metrics`,
      );
  }
  const seen = new Set(train.map(key));
  // Many rows over few distinct inputs (a list repeated, or one input with many targets): the row
  // count above says nothing about how much there is to learn from.
  if (train.length >= few && seen.size < few && seen.size * 2 <= train.length)
    warnings.push(
      `the ${train.length} training examples have only ${seen.size} distinct inputs (each about ${Math.round(train.length / seen.size)} times): expect a weak model (a few hundred distinct inputs at least are advisable)`,
    );
  for (const [name, part] of [
    ['validation', validation],
    ['test', test],
  ] as const) {
    const dup = part.filter((e) => seen.has(key(e))).length;
    if (dup > 0)
      warnings.push(
        `${dup} of ${part.length} ${name} examples (${((100 * dup) / part.length).toFixed(1)}%) also appear in training: the ${name} figures are optimistic`,
      );
  }
  return warnings;
}
