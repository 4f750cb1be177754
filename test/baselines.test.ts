/** The classical baselines: each does the job it is named for, on data where the answer is known. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  editDistance,
  fitEts,
  trainContextTagger,
  trainNaiveBayes,
  trainNearestMean,
  trainNearestNeighbour,
} from '../src/baselines/index.js';

describe('baselines', () => {
  test('naive Bayes on character n-grams tells two letter patterns apart, unseen words included', () => {
    const examples = [
      ...['kato', 'mako', 'tako', 'rako', 'sako'].map((text) => ({ text, label: 'o' })),
      ...['kiti', 'miti', 'titi', 'riti', 'siti'].map((text) => ({ text, label: 'i' })),
    ];
    const predict = trainNaiveBayes(examples);
    assert.equal(predict('lako'), 'o');
    assert.equal(predict('liti'), 'i');
    // The class prior decides when no gram is known.
    const skewed = trainNaiveBayes([...examples, { text: 'pako', label: 'o' }]);
    assert.equal(skewed('zzz'), 'o');
  });

  test('the context tagger uses the neighbours: the same token gets different tags in different contexts', () => {
    const tag = trainContextTagger([
      { tokens: ['a', 'b', 'c'], tags: ['x', 'P', 'x'] },
      { tokens: ['d', 'b', 'e'], tags: ['x', 'Q', 'x'] },
      { tokens: ['d', 'b', 'e'], tags: ['x', 'Q', 'x'] },
    ]);
    assert.deepEqual(tag(['a', 'b', 'c']), ['x', 'P', 'x']);
    assert.deepEqual(tag(['d', 'b', 'e']), ['x', 'Q', 'x']);
    // Unseen context: back off to the token alone (most frequent: Q), then to the overall tag.
    assert.deepEqual(tag(['z', 'b', 'z']), ['x', 'Q', 'x']);
  });

  test('edit distance and the nearest neighbour', () => {
    assert.equal(editDistance([...'kitten'], [...'sitting']), 3);
    assert.equal(editDistance([], ['a', 'b']), 2);
    const nn = trainNearestNeighbour([
      { source: [...'cat'], target: ['K', 'AE', 'T'] },
      { source: [...'dog'], target: ['D', 'AO', 'G'] },
      { source: [...'cats'], target: ['K', 'AE', 'T', 'S'] },
    ]);
    assert.deepEqual(nn([...'cot']), ['K', 'AE', 'T']);
    assert.deepEqual(nn([...'dogs']), ['D', 'AO', 'G']);
    assert.deepEqual(nn([...'catss']), ['K', 'AE', 'T', 'S']);
  });

  test('ETS continues a trend and a season it was fitted on', () => {
    const season = [3, -1, -2, 0];
    const series = Array.from({ length: 48 }, (_, t) => 10 + 0.5 * t + season[t % 4]!);
    const model = fitEts(series.slice(0, 40), 4);
    const forecast = model.forecast(series.slice(0, 40), 8);
    forecast.forEach((v, h) => assert.ok(Math.abs(v - series[40 + h]!) < 0.5, `step ${h}: ${v} vs ${series[40 + h]}`));
    // Without a season (m = 1): Holt's linear trend.
    const line = Array.from({ length: 30 }, (_, t) => 2 * t + 1);
    fitEts(line, 1)
      .forecast(line, 3)
      .forEach((v, h) => assert.ok(Math.abs(v - (2 * (30 + h) + 1)) < 0.5, `${v}`));
  });

  test('nearest class mean separates sequences by their level and spread, and steps by their values', () => {
    const predict = trainNearestMean([
      { sequence: [[0], [0.1], [0]], label: 'low' },
      { sequence: [[5], [5.2], [4.9]], label: 'high' },
    ]);
    assert.deepEqual(predict([[4.5], [5]]), ['high']);
    assert.deepEqual(predict([[0.3]]), ['low']);
    const perStep = trainNearestMean([{ sequence: [[0], [10], [0]], tags: ['a', 'b', 'a'] }], true);
    assert.deepEqual(perStep([[9], [1]]), ['b', 'a']);
  });
});
