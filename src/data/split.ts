/**
 * Train / validation / test splits: shuffled for independent examples, in time order for a series.
 */
import { ValueError } from '../errors.js';
import { Generator } from '../tensor/random.js';

/** A univariate series in time order; `dates` (same length as `values`) when the file has them. */
export interface TimeSeries {
  dates: string[] | null;
  values: number[];
  /** Other numeric columns of a user's file (same length), only when it has some: a forecast's covariates. */
  covariates?: Record<string, number[]>;
}

export interface SplitOptions {
  /** Validation share: a fraction in [0, 1), or a count (an integer >= 1). */
  validation: number;
  /** Test share: a fraction in [0, 1), or a count (an integer >= 1). */
  test: number;
  /** Generator for the shuffle (advanced by it). Default: a new one seeded with `seed`. */
  generator?: Generator;
  /** Seed of the shuffle when no generator is given. Default 0. */
  seed?: number;
}

export interface Splits<T> {
  train: T[];
  validation: T[];
  test: T[];
}

function share(value: number, n: number, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ValueError(
      'splitDataset',
      `${name} is ${value}, expected a fraction in [0, 1) or a count (an integer >= 1)`,
    );
  }
  if (value < 1) return Math.round(value * n);
  if (!Number.isInteger(value))
    throw new ValueError('splitDataset', `${name} is ${value}: a value >= 1 is a count and must be an integer`);
  return value;
}

/**
 * Shuffles a copy of `items` with a seeded generator and cuts it into test, validation and train
 * (in that order from the front), so the same items and seed always give the same three disjoint
 * parts. Fractions are rounded to whole items. Items are not copied. At least one item must be
 * left for training (when there are items).
 */
export function splitDataset<T>(items: readonly T[], options: SplitOptions): Splits<T> {
  const n = items.length;
  const nValidation = share(options.validation, n, 'validation');
  const nTest = share(options.test, n, 'test');
  if (n > 0 && nValidation + nTest >= n) {
    throw new ValueError(
      'splitDataset',
      `validation (${nValidation}) + test (${nTest}) leave no training items out of ${n}`,
    );
  }
  const generator = options.generator ?? new Generator(options.seed ?? 0);
  const order = generator.shuffle(Array.from({ length: n }, (_, i) => i));
  const pick = (from: number, to: number): T[] => order.slice(from, to).map((i) => items[i]!);
  return {
    test: pick(0, nTest),
    validation: pick(nTest, nTest + nValidation),
    train: pick(nTest + nValidation, n),
  };
}

export interface TimeSplitOptions {
  /** Points at the end for testing. Default 24 (two years of monthly data). */
  testLength?: number;
  /** Points before the test part for validation. Default 24. */
  validationLength?: number;
  /**
   * Points before each of the validation and test parts to include in them as context, so that
   * sliding windows with `inputLength = context` have targets in that part only. Default 0.
   */
  context?: number;
}

/** A contiguous part of a series; `start` is the index of its first point in the whole series. */
export interface SeriesPart {
  dates: string[] | null;
  values: number[];
  start: number;
}

export interface TimeSplits {
  train: SeriesPart;
  validation: SeriesPart;
  test: SeriesPart;
}

/**
 * Cuts a series in time order: train = the beginning, validation = the `validationLength` points
 * before the test part, test = the last `testLength` points. With `context`, the validation and
 * test parts start `context` points earlier (those points are also in the previous part).
 */
export function timeSplit(series: TimeSeries | readonly number[], options: TimeSplitOptions = {}): TimeSplits {
  const where = 'timeSplit';
  const values = Array.isArray(series) ? (series as readonly number[]) : (series as TimeSeries).values;
  const dates = Array.isArray(series) ? null : (series as TimeSeries).dates;
  const n = values.length;
  const testLength = options.testLength ?? 24;
  const validationLength = options.validationLength ?? 24;
  const context = options.context ?? 0;
  for (const [name, v] of [
    ['testLength', testLength],
    ['validationLength', validationLength],
    ['context', context],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new ValueError(where, `${name} is ${v}, expected an integer >= 0`);
  }
  if (testLength + validationLength >= n) {
    throw new ValueError(
      where,
      `testLength (${testLength}) + validationLength (${validationLength}) leave no training points out of ${n}`,
    );
  }
  const testStart = n - testLength;
  const validationStart = testStart - validationLength;
  const part = (from: number, to: number): SeriesPart => {
    const start = Math.max(0, from);
    return { dates: dates ? dates.slice(start, to) : null, values: values.slice(start, to), start };
  };
  return {
    train: part(0, validationStart),
    validation: part(validationStart - context, testStart),
    test: part(testStart - context, n),
  };
}

/**
 * `splits` with every validation and test item for which `keep` is true moved to the training
 * part, e.g. the most frequent words of a demo, which it must know rather than be tested on; with
 * `copies` > 1, every kept item of the training part (moved or already there) is added
 * `copies - 1` more times at its end (a weight). The other items stay where they were.
 */
export function keepInTraining<T>(splits: Splits<T>, keep: (item: T) => boolean, copies = 1): Splits<T> {
  if (!Number.isInteger(copies) || copies < 1)
    throw new ValueError('keepInTraining', `copies is ${copies}, expected an integer >= 1`);
  const moved = [...splits.validation, ...splits.test].filter(keep);
  const train = [...splits.train, ...moved];
  const kept = train.filter(keep);
  for (let i = 1; i < copies; i++) train.push(...kept);
  return {
    train,
    validation: splits.validation.filter((e) => !keep(e)),
    test: splits.test.filter((e) => !keep(e)),
  };
}
