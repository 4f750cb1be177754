/**
 * LanguageModel shapes and weight tying, the text tokenizer (unknown words), held-out scoring
 * with carried state against a token-by-token pass, and the count baselines (unigram,
 * interpolated Kneser-Ney) against hand-worked values.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Generator, models, noGrad, Tensor, ValueError } from '../src/index.js';
import { dataDirectory } from '../src/data/datasets.js';
import { loadTextCorpus } from '../src/data/text-corpus.js';
import { TextTokenizer } from '../src/data/text-tokenizer.js';
import { scoreStream } from '../src/train/lm-score.js';

describe('LanguageModel', () => {
  for (const cell of ['lstm', 'gru', 'rnn'] as const) {
    test(`${cell}: logits (N, T, V), state (L, N, H); two pieces with the carried state equal one pass`, () => {
      const lm = new models.LanguageModel(
        { vocabSize: 11, embeddingDim: 5, hiddenSize: 6, numLayers: 2, cell },
        new Generator(1),
      );
      lm.eval();
      const g = new Generator(2);
      const ids = Float32Array.from({ length: 3 * 7 }, () => Math.floor(g.random() * 11));
      const whole = noGrad(() => lm.forward(new Tensor(ids, [3, 7])));
      assert.deepEqual([...whole.logits.shape], [3, 7, 11]);
      assert.deepEqual([...whole.state.h.shape], [2, 3, 6]);
      assert.equal(whole.state.c === null, cell !== 'lstm');
      const part = (from: number, to: number) =>
        new Tensor(
          Float32Array.from(
            { length: 3 * (to - from) },
            (_, k) => ids[Math.floor(k / (to - from)) * 7 + from + (k % (to - from))]!,
          ),
          [3, to - from],
        );
      const first = noGrad(() => lm.forward(part(0, 4)));
      const second = noGrad(() => lm.forward(part(4, 7), first.state));
      for (let b = 0; b < 3; b++) {
        for (let v = 0; v < 11; v++) {
          const expected = whole.logits.data[(b * 7 + 6) * 11 + v]!;
          assert.ok(Math.abs(second.logits.data[(b * 3 + 2) * 11 + v]! - expected) < 1e-5);
        }
      }
      for (let i = 0; i < whole.state.h.size; i++)
        assert.ok(Math.abs(second.state.h.data[i]! - whole.state.h.data[i]!) < 1e-6);
    });
  }

  test('tied weights: the output layer reads the embedding table (no head.weight), and needs E = H', () => {
    const lm = new models.LanguageModel({ vocabSize: 9, hiddenSize: 8, tieWeights: true }, new Generator(3));
    assert.deepEqual(
      Object.keys(lm.stateDict()).filter((k) => k.startsWith('head') || k.startsWith('embedding')),
      ['embedding.weight', 'head.bias'],
    );
    lm.eval();
    const x = new Tensor(Float32Array.of(1, 2, 3), [1, 3]);
    const before = noGrad(() => lm.forward(x)).logits;
    // Changing a row of the table that is never an input changes only that token's logit.
    lm.embedding.weight.data.fill(0.25, 8 * 8, 9 * 8);
    const after = noGrad(() => lm.forward(x)).logits;
    for (let k = 0; k < after.size; k++) {
      if (k % 9 === 8) assert.notEqual(after.data[k], before.data[k]);
      else assert.equal(after.data[k], before.data[k]);
    }
    assert.throws(
      () => new models.LanguageModel({ vocabSize: 9, embeddingDim: 4, hiddenSize: 8, tieWeights: true }),
      ValueError,
    );
    assert.throws(() => new models.LanguageModel({ vocabSize: 9, cell: 'transformer' as 'lstm' }), ValueError);
    assert.throws(() => lm.forward(new Tensor(Float32Array.of(1, 2), [2])), ValueError);
  });
});

describe('TextTokenizer', () => {
  test('chars: code points, <unk> for an unknown one, printing back the same text', () => {
    const t = TextTokenizer.build('abca\n', 'chars');
    assert.equal(t.size, 5); // <unk> a b c \n
    const ids = t.encode('cab\nz');
    assert.equal(ids[4], t.vocabulary.unkId);
    assert.equal(t.decodeAll(t.encode('cab\nab')), 'cab\nab');
  });

  test('words: punctuation and newlines are tokens; unknown words try lower case and capitals, then <unk>', () => {
    const t = TextTokenizer.build('And God said, Let there be light: and there was light.\nthe end\n', 'words');
    assert.deepEqual(TextTokenizer.split("Don't stop, (now)!", 'words'), ["Don't", 'stop', ',', '(', 'now', ')', '!']);
    const [a, b, c, d] = t.encode('LIGHT God end Zebra');
    assert.equal(t.vocabulary.tokenAt(a!), 'light');
    assert.equal(t.vocabulary.tokenAt(b!), 'God');
    assert.equal(t.vocabulary.tokenAt(c!), 'end');
    assert.equal(d, t.vocabulary.unkId);
    assert.equal(
      t.decodeAll(t.encode('And God said, Let there be light.\nthe end')),
      'And God said, Let there be light.\nthe end',
    );
    const json = JSON.parse(JSON.stringify(t.toJSON()));
    assert.deepEqual(TextTokenizer.fromJSON(json).encode('light, the end'), t.encode('light, the end'));
    assert.throws(() => TextTokenizer.fromJSON({ level: 'bytes', vocabulary: json.vocabulary }), ValueError);
  });
});

describe('scoreStream', () => {
  const lm = new models.LanguageModel({ vocabSize: 6, hiddenSize: 5, numLayers: 2, cell: 'gru' }, new Generator(4));
  const g = new Generator(5);
  const ids = Array.from({ length: 47 }, () => Math.floor(g.random() * 6));
  /** -ln p of each token after the first, reading one token at a time from `from`. */
  const byStep = (from: number, to: number) => {
    const session = lm.session();
    let nll = 0;
    session.feed([ids[from]!]);
    for (let i = from + 1; i < to; i++) {
      const logits = session.nextLogits!;
      const max = Math.max(...logits);
      const logZ = Math.log(logits.reduce((s, v) => s + Math.exp(v - max), 0)) + max;
      nll += logZ - logits[ids[i]!]!;
      session.feed([ids[i]!]);
    }
    return nll;
  };

  test('one stream: the sum of -ln p over every token after the first, as a token-by-token pass gives', () => {
    const score = scoreStream(lm, ids, { chunk: 5 });
    assert.equal(score.count, 46);
    assert.ok(Math.abs(score.nll - byStep(0, 47)) < 1e-3, `${score.nll} vs ${byStep(0, 47)}`);
    assert.ok(Math.abs(score.bitsPerToken - score.nll / 46 / Math.LN2) < 1e-12);
    assert.ok(Math.abs(score.perplexity - Math.exp(score.nll / 46)) < 1e-9);
  });

  test('4 streams: each stream scored from its own start, the leftover ids continuing the last stream', () => {
    const score = scoreStream(lm, ids, { streams: 4, chunk: 4 });
    const L = Math.floor(47 / 4); // 11; streams 0..10, 11..21, 22..32, 33..43 + leftover 44..46
    const expected = byStep(0, L) + byStep(L, 2 * L) + byStep(2 * L, 3 * L) + byStep(3 * L, 47);
    assert.equal(score.count, 47 - 4);
    assert.ok(Math.abs(score.nll - expected) < 1e-3, `${score.nll} vs ${expected}`);
  });
});

describe('count baselines', () => {
  test('unigram with add-one smoothing', () => {
    const s = models.unigramScore([0, 1, 1, 2], [1, 0, 2], 4);
    // p(0) = 2/8, p(2) = 2/8, scored: ids after the first.
    assert.equal(s.count, 2);
    assert.ok(Math.abs(s.nll - -2 * Math.log(2 / 8)) < 1e-12);
  });

  test('Kneser-Ney: every distribution sums to 1, and a bigram case worked by hand', () => {
    const g = new Generator(9);
    const train = Array.from({ length: 400 }, () => Math.floor(g.random() * 5));
    const kn = models.KneserNey.fit(train, { order: 3, vocabSize: 6 });
    for (const context of [[], [1], [2, 3], [4, 4], [5, 5]]) {
      let total = 0;
      for (let w = 0; w < 6; w++) {
        const p = kn.probability(context, w);
        assert.ok(p > 0, `p(${w} | ${context}) > 0 (token 5 never seen)`);
        total += p;
      }
      assert.ok(Math.abs(total - 1) < 1e-9, `context [${context}] sums to ${total}`);
    }
    // Bigrams of 0 1 0 2 0 1: c(0 1) = 2, c(0 2) = 1, c(0 •) = 3, N1+(0 •) = 2. Continuation counts
    // of the unigram level come from the distinct bigrams 01, 10, 02, 20: N1+(• 1) = 1, N1+(• 0) = 2,
    // N1+(• 2) = 1, total 4 over 3 types; plus the first token 0 counted raw: N(0) = 3, total 5.
    const small = models.KneserNey.fit([0, 1, 0, 2, 0, 1], { order: 2, vocabSize: 3 });
    const [D1, D2] = small.discounts as [number, number];
    const p1 = (Math.max(1 - D1, 0) + D1 * 3 * (1 / 3)) / 5; // p_1(1): count 1, 3 types, 5 in all
    const expected = (2 - D2 + D2 * 2 * p1) / 3;
    assert.ok(Math.abs(small.probability([0], 1) - expected) < 1e-12, `${small.probability([0], 1)} vs ${expected}`);
    const score = small.score([0, 1, 0]);
    assert.equal(score.count, 2);
    assert.ok(
      Math.abs(score.nll - -(Math.log(small.probability([0], 1)) + Math.log(small.probability([1], 0)))) < 1e-12,
    );
    assert.throws(() => models.KneserNey.fit([0, 9], { order: 2, vocabSize: 3 }), ValueError);
  });
});

describe('embedded text corpus', () => {
  test('data/kjv/genesis-judges.txt has the size and SHA-256 its README states, and only printable ASCII', () => {
    const text = loadTextCorpus();
    const readme = readFileSync(join(dataDirectory(), 'kjv', 'README.md'), 'utf8');
    const sha = /SHA-256 `([0-9a-f]{64})`/.exec(readme)?.[1];
    const bytes = /\*\*Size:\*\* ([\d,]+) bytes/.exec(readme)?.[1]?.replace(/,/g, '');
    assert.equal(Buffer.byteLength(text), Number(bytes));
    assert.equal(createHash('sha256').update(text).digest('hex'), sha);
    assert.match(text, /^[\x20-\x7e\n]+$/);
    assert.ok(text.startsWith('Genesis 1\n\n1 In the beginning God created the heaven and the earth.\n'));
  });
});
