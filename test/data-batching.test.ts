/** Splits, padding, mini-batches and sliding windows. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ValueError } from '../src/errors.js';
import { Generator } from '../src/tensor/random.js';
import {
  batches,
  loadCO2,
  loadLanguageId,
  padSequences,
  slidingWindows,
  splitDataset,
  timeSplit,
} from '../src/data/index.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('splitDataset', () => {
  test('deterministic, disjoint, complete, with the requested sizes', () => {
    const items = range(1000);
    const a = splitDataset(items, { validation: 0.1, test: 0.2, seed: 7 });
    const b = splitDataset(items, { validation: 0.1, test: 0.2, seed: 7 });
    assert.deepEqual(a, b);
    assert.equal(a.validation.length, 100);
    assert.equal(a.test.length, 200);
    assert.equal(a.train.length, 700);
    const all = [...a.train, ...a.validation, ...a.test];
    assert.equal(new Set(all).size, 1000);
    assert.deepEqual(
      [...all].sort((x, y) => x - y),
      items,
    );
    assert.notDeepEqual(a.train.slice(0, 20), items.slice(0, 20), 'shuffled');
    const c = splitDataset(items, { validation: 0.1, test: 0.2, seed: 8 });
    assert.notDeepEqual(a.test, c.test);
  });

  test('a generator gives the same split as the same seed; counts; defaults', () => {
    const items = range(50);
    assert.deepEqual(
      splitDataset(items, { validation: 5, test: 3, generator: new Generator(3) }),
      splitDataset(items, { validation: 5, test: 3, seed: 3 }),
    );
    const s = splitDataset(items, { validation: 5, test: 3 });
    assert.deepEqual([s.validation.length, s.test.length, s.train.length], [5, 3, 42]);
    assert.deepEqual(s, splitDataset(items, { validation: 5, test: 3, seed: 0 }));
    assert.deepEqual(splitDataset([], { validation: 0.1, test: 0.1 }), { train: [], validation: [], test: [] });
  });

  test('the embedded language-id split is disjoint', () => {
    const { examples } = loadLanguageId();
    const { train, validation, test: testPart } = splitDataset(examples, { validation: 0.1, test: 0.1, seed: 1 });
    const words = (xs: { text: string }[]) => new Set(xs.map((x) => x.text));
    const tr = words(train);
    for (const x of [...validation, ...testPart]) assert.ok(!tr.has(x.text));
    assert.equal(train.length + validation.length + testPart.length, examples.length);
  });

  test('bad shares', () => {
    assert.throws(
      () => splitDataset(range(10), { validation: 0.5, test: 0.5 }),
      (e: unknown) => e instanceof ValueError && /leave no training items out of 10/.test(e.message),
    );
    assert.throws(() => splitDataset(range(10), { validation: 1.5, test: 0 }), /must be an integer/);
    assert.throws(() => splitDataset(range(10), { validation: -0.1, test: 0 }), /validation is -0.1/);
  });
});

describe('timeSplit', () => {
  test('the last two years of CO2 are the test part, the two before validation', () => {
    const co2 = loadCO2();
    const { train, validation, test: testPart } = timeSplit(co2, { testLength: 24, validationLength: 24 });
    assert.equal(testPart.values.length, 24);
    assert.equal(validation.values.length, 24);
    assert.equal(train.values.length, 741 - 48);
    assert.deepEqual(testPart.dates, co2.dates.slice(-24));
    assert.equal(testPart.dates![0], '2018-05');
    assert.deepEqual([...train.values, ...validation.values, ...testPart.values], co2.values);
    assert.deepEqual([train.start, validation.start, testPart.start], [0, 693, 717]);
  });

  test('context adds the preceding points to validation and test; plain arrays work', () => {
    const values = range(100);
    const {
      train,
      validation,
      test: testPart,
    } = timeSplit(values, { testLength: 10, validationLength: 10, context: 12 });
    assert.equal(train.dates, null);
    assert.deepEqual(train.values, range(80));
    assert.deepEqual(validation.values, range(102).slice(68, 90));
    assert.equal(testPart.start, 78);
    const windows = slidingWindows(testPart.values, 12, 1);
    assert.deepEqual(windows.targets.flat(), range(100).slice(90));
    assert.throws(
      () => timeSplit(range(10), { testLength: 5, validationLength: 5 }),
      /leave no training points out of 10/,
    );
    assert.throws(() => timeSplit(range(10), { testLength: -1 }), /testLength is -1/);
  });
});

describe('padSequences', () => {
  test('(batch, time) with lengths, padValue and maxLength', () => {
    const { tensor, lengths } = padSequences([[5, 6, 7], [8], [9, 10]]);
    assert.deepEqual(tensor.shape, [3, 3]);
    assert.deepEqual(tensor.toArray(), [
      [5, 6, 7],
      [8, 0, 0],
      [9, 10, 0],
    ]);
    assert.deepEqual(lengths, [3, 1, 2]);
    const cut = padSequences([[1, 2, 3, 4], [5]], { padValue: -1, maxLength: 2 });
    assert.deepEqual(cut.tensor.toArray(), [
      [1, 2],
      [5, -1],
    ]);
    assert.deepEqual(cut.lengths, [2, 1]);
    assert.throws(
      () => padSequences([]),
      (e: unknown) => e instanceof ValueError && /the batch is empty/.test(e.message),
    );
    assert.throws(() => padSequences([[1]], { maxLength: 0 }), /maxLength is 0/);
  });
});

describe('batches', () => {
  test('in order, last batch smaller, dropLast', () => {
    assert.deepEqual([...batches(range(7), 3)], [[0, 1, 2], [3, 4, 5], [6]]);
    assert.deepEqual(
      [...batches(range(7), 3, { dropLast: true })],
      [
        [0, 1, 2],
        [3, 4, 5],
      ],
    );
    assert.deepEqual([...batches([], 3)], []);
    assert.throws(() => [...batches(range(3), 0)], /batchSize is 0/);
  });

  test('shuffled with a seeded generator: a permutation, reproducible, new order each epoch', () => {
    const g = new Generator(1);
    const epoch1 = [...batches(range(20), 6, { shuffle: true, generator: g })];
    const epoch2 = [...batches(range(20), 6, { shuffle: true, generator: g })];
    assert.deepEqual(
      epoch1.map((b) => b.length),
      [6, 6, 6, 2],
    );
    assert.deepEqual(
      epoch1.flat().sort((a, b) => a - b),
      range(20),
    );
    assert.notDeepEqual(epoch1, epoch2);
    assert.deepEqual([...batches(range(20), 6, { shuffle: true, generator: new Generator(1) })], epoch1);
  });
});

describe('slidingWindows', () => {
  test('shapes and contents', () => {
    const { inputs, targets } = slidingWindows([1, 2, 3, 4, 5], 3, 1);
    assert.deepEqual(inputs, [
      [1, 2, 3],
      [2, 3, 4],
    ]);
    assert.deepEqual(targets, [[4], [5]]);
    const co2 = loadCO2().values;
    const w = slidingWindows(co2, 24, 6);
    assert.equal(w.inputs.length, co2.length - 24 - 6 + 1);
    assert.ok(w.inputs.every((x) => x.length === 24) && w.targets.every((y) => y.length === 6));
    assert.deepEqual(w.targets.at(-1), co2.slice(-6));
    assert.equal(slidingWindows(range(10), 3, 2, 3).inputs.length, 2);
    assert.deepEqual(slidingWindows([1, 2], 3, 1), { inputs: [], targets: [] });
    assert.throws(() => slidingWindows([1, 2, 3], 0, 1), /inputLength is 0/);
  });
});
