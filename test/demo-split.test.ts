/**
 * The default demo's split: its most frequent words (the first of each language in common.tsv)
 * are always in training; validation and test hold the rest, the same for the model and naive Bayes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { keepInTraining, splitDataset } from '../src/data/split.js';
import { loadCommonWords } from '../src/data/index.js';
import { classifyTask, DEMO_FREQUENT_PER_LANGUAGE, firstPerLabel, inputNormaliser } from '../src/tasks/classify.js';
import { Vocabulary } from '../src/data/vocabulary.js';

describe('demo split', () => {
  test('keepInTraining moves the kept validation and test items to training, and only those', () => {
    const items = Array.from({ length: 100 }, (_, i) => i);
    const splits = splitDataset(items, { validation: 0.2, test: 0.2, seed: 3 });
    const kept = keepInTraining(splits, (i) => i < 30);
    assert.ok(kept.validation.every((i) => i >= 30) && kept.test.every((i) => i >= 30));
    for (let i = 0; i < 30; i++) assert.ok(kept.train.includes(i), `${i} in training`);
    // the others stay in their part
    assert.deepEqual(
      kept.test,
      splits.test.filter((i) => i >= 30),
    );
    assert.deepEqual(kept.train.slice(0, splits.train.length), splits.train);
    assert.equal(kept.train.length + kept.validation.length + kept.test.length, 100);
    // something was moved (the split put some of 0..29 outside training)
    assert.ok(kept.train.length > splits.train.length);
  });

  test('keepInTraining with copies adds each kept training item copies - 1 more times', () => {
    const splits = { train: [1, 50, 2], validation: [3, 60], test: [70, 4] };
    const kept = keepInTraining(splits, (i) => i < 10, 3);
    assert.deepEqual(kept.validation, [60]);
    assert.deepEqual(kept.test, [70]);
    const count = (v: number) => kept.train.filter((i) => i === v).length;
    for (const v of [1, 2, 3, 4]) assert.equal(count(v), 3, `${v}`);
    assert.equal(count(50), 1);
    assert.throws(() => keepInTraining(splits, () => true, 0), /copies is 0/);
  });

  test('firstPerLabel takes the first n of each label in file order', () => {
    const rows = [
      { text: 'ich', label: 'de' },
      { text: 'und', label: 'de' },
      { text: 'the', label: 'en' },
      { text: 'nicht', label: 'de' },
      { text: 'and', label: 'en' },
    ];
    assert.deepEqual([...firstPerLabel(rows, 2)].sort(), ['and', 'ich', 'the', 'und']);
    assert.equal(firstPerLabel(rows, 0).size, 0);
  });

  test("the demo's kept words: 1,000 a language, and the named words (sample inputs) in the data", () => {
    const common = loadCommonWords();
    const frequent = firstPerLabel(common, DEMO_FREQUENT_PER_LANGUAGE);
    assert.equal(frequent.size, 8 * DEMO_FREQUENT_PER_LANGUAGE);
    for (const w of ['bonjour', 'gracias', 'danke']) assert.ok(frequent.has(w), w);
    // hello ranks lower (English 2,394) and is kept in training as a sample input
    assert.deepEqual([...classifyTask.sampleInputs], ['hello', 'bonjour', 'gracias', 'danke']);
    const labelOf = new Map(common.map((e) => [e.text, e.label]));
    assert.deepEqual(
      classifyTask.sampleInputs.map((w) => labelOf.get(w)),
      ['en', 'fr', 'es', 'de'],
    );
  });

  test('inputNormaliser: NFC always; lowercase only when no training token has a capital', () => {
    const lower = inputNormaliser(Vocabulary.build([[...'danke'], [...'été']]));
    assert.equal(lower('Danke'), 'danke');
    assert.equal(lower('E\u0301te\u0301'), 'été'); // combining accents -> precomposed
    assert.equal(lower('E\u0301te\u0301').length, 3);
    const cased = inputNormaliser(Vocabulary.build([[...'Danke'], [...'été']]));
    assert.equal(cased('Danke'), 'Danke');
    assert.equal(cased('E\u0301te\u0301'), 'Été');
  });

  test('inputNormaliser: punctuation around a word is dropped only for a letters-only vocabulary', () => {
    const letters = inputNormaliser(Vocabulary.build([[...'gracias'], [...'hello']]));
    assert.equal(letters('¿Gracias?'), 'gracias');
    assert.equal(letters(' hello! '), 'hello');
    assert.equal(letters("l'eau"), "l'eau"); // inside the word it stays
    assert.equal(letters('?!'), '?!'); // nothing but punctuation: left as typed
    const punctuated = inputNormaliser(Vocabulary.build([[...'hi!'], [...'ok?']]));
    assert.equal(punctuated('Hi!'), 'hi!');
  });
});
