/**
 * A task's examples from the user's files (or its embedded set), split and checked: the one path
 * every example-based task (classify, tag, seq2seq) loads through.
 *
 *   data file only:        cut into train / validation / test by --split (default 0.8,0.1,0.1)
 *   --valid F / --test F:  those parts come from the files; the data file gives the rest
 * The split is printed (through `onNotice`), and so are the warnings of checkSplits (few
 * examples, tiny classes, duplicates across splits); a split that leaves a part empty is an error.
 */
import { checkSplits, DEFAULT_SPLIT, parseSplit, type SplitShares } from '../data/checks.js';
import { type NumericData } from '../data/numeric.js';
import { type Splits, splitDataset } from '../data/split.js';
import type { ResolvedTokens, TaskKind, UserData } from '../data/user-data.js';
import { readOwnData } from '../data/user-data.js';
import type { Generator } from '../tensor/random.js';
import type { DataOptions, TaskInput } from './task.js';

type ExampleTask = 'classify' | 'tag' | 'seq2seq';

/** Split examples, or numeric sequences, and how the text was tokenised. */
export interface LoadedExamples<K extends ExampleTask> {
  splits: Splits<UserData[K][number]>;
  /** Numeric sequences (classify/tag) instead of text examples, with the feature names. */
  numeric: { features: string[]; splits: Splits<NumericData['examples'][number]> } | null;
  tokens: ResolvedTokens;
}

/** The reading options of the data flags, for readOwnData. */
export function readingOptions(options: DataOptions = {}, onNotice?: (m: string) => void) {
  return {
    ...(options.header !== undefined && { header: options.header }),
    ...(options.columns !== undefined && { columns: options.columns }),
    ...(options.tokens !== undefined && { tokens: options.tokens }),
    ...(options.target !== undefined && { target: options.target }),
    ...(onNotice !== undefined && { onNotice }),
  };
}

function shares(options: DataOptions): SplitShares {
  const base = options.split !== undefined ? parseSplit(options.split) : { ...DEFAULT_SPLIT };
  // A part given as a file is not cut from the data file.
  const validation = options.valid !== undefined ? 0 : base.validation;
  const test = options.test !== undefined ? 0 : base.test;
  return { train: 1 - validation - test, validation, test };
}

/** Cuts `items` by `s` (fractions of the whole), with the seeded shuffle of splitDataset. */
function cut<T>(
  items: readonly T[] | UserData[ExampleTask],
  s: SplitShares,
  generator: Generator,
  group?: (item: T) => string,
): Splits<T> {
  return group ? cutGrouped(items as readonly T[], group, s, generator) : cutItems(items as readonly T[], s, generator);
}

/**
 * Cuts `items` by `s` keeping the items of one `group` key together: the groups (in order of
 * first appearance) are cut by the shares, counted in groups, then flattened, each group's items
 * in their file order. With no key repeated, this is the plain cut (the same shuffle).
 */
export function cutGrouped<T>(
  items: readonly T[],
  group: (item: T) => string,
  s: SplitShares,
  generator: Generator,
): Splits<T> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = group(item);
    const members = groups.get(key);
    if (members) members.push(item);
    else groups.set(key, [item]);
  }
  if (groups.size === items.length) return cutItems(items, s, generator);
  const parts = cutItems([...groups.values()], s, generator);
  return { train: parts.train.flat(), validation: parts.validation.flat(), test: parts.test.flat() };
}

function cutItems<T>(items: readonly T[], s: SplitShares, generator: Generator): Splits<T> {
  const n = items.length;
  const count = (f: number) => (f <= 0 ? 0 : Math.max(1, Math.round(f * n)));
  const validation = count(s.validation);
  const test = count(s.test);
  if (n >= 1 && validation + test >= n) {
    // Keep at least one item for training; checkSplits then names the part left empty.
    const v = Math.min(validation, 1, n - 1);
    return splitDataset(items, { validation: v, test: Math.min(test, n - 1 - v), generator });
  }
  return splitDataset(items, { validation, test, generator });
}

/**
 * The task's examples: from `input.data` (and the --valid/--test files) when given, else
 * `embedded()`; split, checked, with notices (split sizes, warnings) sent to `input.onNotice`.
 * With `group`, the examples of one group key (seq2seq: the source, so every pronunciation of
 * a word) all land in the same part (cutGrouped).
 */
export function loadExamples<K extends ExampleTask>(
  task: K,
  input: TaskInput,
  generator: Generator,
  embedded: () => UserData[K],
  label?: (e: UserData[K][number]) => string,
  group?: (e: UserData[K][number]) => string,
): LoadedExamples<K> {
  const options = input.dataOptions ?? {};
  const notice = input.onNotice ?? (() => {});
  if (input.data === undefined) {
    if (options.valid !== undefined || options.test !== undefined)
      notice('--valid/--test are used with --data only: the embedded set is split as usual');
    return {
      splits: cut(
        embedded(),
        options.split !== undefined ? parseSplit(options.split) : DEFAULT_SPLIT,
        generator,
        group as ((item: UserData[K][number]) => string) | undefined,
      ),
      numeric: null,
      tokens: {},
    };
  }
  const reading = readingOptions(options, notice);
  const main = readOwnData(input.data, task as TaskKind, reading);
  const s = shares(options);
  // The other files are read as the data file was (same tokens).
  const read = (file: string | undefined) =>
    file === undefined ? null : readOwnData(file, task as TaskKind, { ...reading, tokens: { ...main.tokens } });
  const validFile = read(options.valid);
  const testFile = read(options.test);
  const assemble = <T>(
    items: readonly T[],
    valid: readonly T[] | undefined,
    test: readonly T[] | undefined,
    by?: (item: T) => string,
  ): Splits<T> => {
    const parts = cut(items, s, generator, by);
    return {
      train: parts.train,
      validation: valid ? [...valid] : parts.validation,
      test: test ? [...test] : parts.test,
    };
  };
  const where = `${input.data}${options.valid ? ` + ${options.valid}` : ''}${options.test ? ` + ${options.test}` : ''}`;
  const describe = (sp: Splits<unknown>) =>
    `split: ${sp.train.length} train / ${sp.validation.length} validation (${options.valid ?? 'cut from the data'}) / ${sp.test.length} test (${options.test ?? 'cut from the data'})`;
  if (main.numeric) {
    const splits = assemble(main.numeric.examples, validFile?.numeric?.examples, testFile?.numeric?.examples);
    notice(describe(splits));
    const key = (e: NumericData['examples'][number]) => JSON.stringify(e.sequence);
    for (const w of checkSplits(splits, {
      key: key as never,
      ...(task === 'classify' && { label: ((e: NumericData['examples'][number]) => e.label!) as never }),
      file: where,
    }))
      notice(`warning: ${w}`);
    return {
      splits: { train: [], validation: [], test: [] },
      numeric: { features: main.numeric.features, splits },
      tokens: {},
    };
  }
  type E = UserData[K][number];
  const splits = assemble(
    main.examples as readonly E[],
    validFile?.examples as readonly E[] | undefined,
    testFile?.examples as readonly E[] | undefined,
    group as ((item: E) => string) | undefined,
  );
  notice(describe(splits));
  const key = (e: UserData[K][number]) => JSON.stringify('text' in e ? e.text : 'input' in e ? e.input : e.source);
  for (const w of checkSplits(splits, { key: key as never, ...(label && { label: label as never }), file: where }))
    notice(`warning: ${w}`);
  return { splits, numeric: null, tokens: main.tokens };
}
