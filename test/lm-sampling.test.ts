/**
 * Sampling the next token: temperature, top-k and top-p on a fixed distribution worked by hand,
 * draws that follow the filtered distribution, and generation that is the same for the same seed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Generator, models, ValueError } from '../src/index.js';
import { TextTokenizer } from '../src/data/text-tokenizer.js';

const P = [0.05, 0.5, 0.1, 0.2, 0.15]; // ids by probability: 1, 3, 4, 2, 0
const logits = P.map((p) => Math.log(p) + 3); // any shift: softmax gives P back

const close = (actual: ArrayLike<number>, expected: number[], label: string) => {
  assert.equal(actual.length, expected.length, label);
  for (let i = 0; i < expected.length; i++)
    assert.ok(Math.abs(actual[i]! - expected[i]!) < 1e-9, `${label}: [${i}] ${actual[i]} vs ${expected[i]}`);
};

describe('samplingDistribution on p = [0.05, 0.5, 0.1, 0.2, 0.15]', () => {
  const dist = models.samplingDistribution;
  test('no filter gives p back', () => close(dist(logits), P, 'plain'));
  test('top-k 2 keeps ids 1 and 3: 0.5/0.7 and 0.2/0.7', () =>
    close(dist(logits, { topK: 2 }), [0, 0.5 / 0.7, 0, 0.2 / 0.7, 0], 'topK 2'));
  test('top-p 0.8 keeps 1, 3 and 4 (0.7 < 0.8 <= 0.85)', () =>
    close(dist(logits, { topP: 0.8 }), [0, 0.5 / 0.85, 0, 0.2 / 0.85, 0.15 / 0.85], 'topP 0.8'));
  test('top-p 0.5 keeps only id 1 (its mass reaches 0.5)', () =>
    close(dist(logits, { topP: 0.5 }), [0, 1, 0, 0, 0], 'topP 0.5'));
  test('top-k 3 then top-p 0.6 keeps 1 and 3', () =>
    close(dist(logits, { topK: 3, topP: 0.6 }), [0, 0.5 / 0.7, 0, 0.2 / 0.7, 0], 'topK 3 topP 0.6'));
  test('temperature 2 gives p^(1/2) renormalised; temperature 0 the argmax', () => {
    const root = P.map(Math.sqrt);
    const z = root.reduce((a, b) => a + b);
    close(
      dist(logits, { temperature: 2 }),
      root.map((r) => r / z),
      'temperature 2',
    );
    close(dist(logits, { temperature: 0 }), [0, 1, 0, 0, 0], 'temperature 0');
  });
  test('excluded ids get nothing; greedy skips them', () => {
    close(dist(logits, { exclude: [1] }), [0.1, 0, 0.2, 0.4, 0.3], 'exclude 1');
    close(dist(logits, { temperature: 0, exclude: [1] }), [0, 0, 0, 1, 0], 'greedy exclude 1');
    assert.throws(() => dist(logits, { exclude: [0, 1, 2, 3, 4] }), ValueError);
  });
  test('bad options are ValueErrors', () => {
    assert.throws(() => dist(logits, { temperature: -1 }), ValueError);
    assert.throws(() => dist(logits, { topK: 1.5 }), ValueError);
    assert.throws(() => dist(logits, { topP: 0 }), ValueError);
    assert.throws(() => dist(logits, { topP: 1.2 }), ValueError);
  });
});

describe('sampleToken', () => {
  test('draw frequencies follow the filtered distribution (top-k 2, 20000 draws)', () => {
    const g = new Generator(7);
    const counts = [0, 0, 0, 0, 0];
    for (let i = 0; i < 20000; i++) counts[models.sampleToken(logits, g, { topK: 2 })]!++;
    assert.equal(counts[0]! + counts[2]! + counts[4]!, 0, 'nothing outside the top 2');
    assert.ok(Math.abs(counts[1]! / 20000 - 0.5 / 0.7) < 0.015, `id 1: ${counts[1]! / 20000}`);
  });
  test('drawFrom maps the uniform number through the cumulative distribution', () => {
    // One Generator draw per token: replay the same uniforms by hand.
    const g = new Generator(11);
    const replay = new Generator(11);
    for (let i = 0; i < 50; i++) {
      const u = replay.random();
      const expected = u < 0.05 ? 0 : u < 0.55 ? 1 : u < 0.65 ? 2 : u < 0.85 ? 3 : 4;
      assert.equal(models.drawFrom(P, g), expected);
    }
  });
});

describe('generation', () => {
  const text = 'In the beginning God created the heaven and the earth. And the earth was without form.\n';
  const tokenizer = TextTokenizer.build(text, 'chars');
  const lm = new models.LanguageModel(
    { vocabSize: tokenizer.size, hiddenSize: 16, numLayers: 2, dropout: 0.3 },
    new Generator(5),
  );
  lm.codec = tokenizer;
  const run = async (seed: number, options: models.GenerateOptions = {}) => {
    const out: models.GeneratedToken[] = [];
    for await (const token of lm.generate('And the', { length: 40, seed, ...options })) out.push(token);
    return out;
  };

  test('the same seed gives the same text; another seed another text; dropout is off while generating', async () => {
    lm.train();
    const a = await run(1);
    const b = await run(1);
    assert.equal(a.length, 40);
    assert.deepEqual(b, a);
    assert.notDeepEqual(
      (await run(2)).map((t) => t.id),
      a.map((t) => t.id),
    );
    assert.equal(lm.training, true, 'the training mode is restored');
    assert.equal(a.map((t) => t.text).join(''), tokenizer.decodeAll(a.map((t) => t.id)));
    assert.ok(
      a.every((t) => !tokenizer.excluded.includes(t.id)),
      'never the unknown token',
    );
  });

  test('a session fed the prompt and stepped gives the same tokens as generate', async () => {
    const session = lm.session({ seed: 3, temperature: 0.7, topP: 0.9 });
    session.feed('And the');
    const stepped = Array.from({ length: 40 }, () => session.step());
    assert.deepEqual(stepped, await run(3, { temperature: 0.7, topP: 0.9 }));
  });

  test('greedy generation is the argmax of the step logits', async () => {
    const tokens = await run(0, { temperature: 0 });
    const session = lm.session({ temperature: 0 });
    session.feed('And the');
    for (const token of tokens) {
      const logits = session.nextLogits!;
      let best = -1;
      for (let i = 0; i < logits.length; i++)
        if (!tokenizer.excluded.includes(i) && (best < 0 || logits[i]! > logits[best]!)) best = i;
      assert.equal(token.id, best);
      session.feed([token.id]);
    }
  });

  test('errors: text without a codec, ids out of range, step before feed', () => {
    const bare = new models.LanguageModel({ vocabSize: 5, hiddenSize: 4 }, new Generator(0));
    assert.throws(() => bare.session().feed('x'), /codec/);
    assert.throws(() => bare.session().feed([7]), ValueError);
    assert.throws(() => bare.session().step(), /feed/);
  });
});
