/** Vocabulary: order, specials, encode/decode, JSON round trip. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ValueError } from '../src/errors.js';
import { DEFAULT_SPECIALS, loadG2P, Vocabulary } from '../src/data/index.js';

describe('Vocabulary', () => {
  const words = ['cat', 'act', 'tack', 'a'];
  const chars = () => Vocabulary.build(words.map((w) => Array.from(w)));

  test('specials first, then by count descending, ties by token', () => {
    const v = chars();
    // counts: a 4, c 3, t 3, k 1
    assert.deepEqual(v.tokenList, [...DEFAULT_SPECIALS, 'a', 'c', 't', 'k']);
    assert.equal(v.size, 8);
    assert.deepEqual([v.padId, v.unkId, v.bosId, v.eosId], [0, 1, 2, 3]);
    assert.equal(v.indexOf('c'), 5);
    assert.equal(v.indexOf('z'), -1);
    assert.equal(v.tokenAt(7), 'k');
    assert.ok(v.has('t') && !v.has('z'));
  });

  test('the order does not depend on the order of the data', () => {
    const a = Vocabulary.build(words.map((w) => Array.from(w)));
    const b = Vocabulary.build([...words].reverse().map((w) => Array.from(w).reverse()));
    assert.deepEqual(a.tokenList, b.tokenList);
  });

  test('encode / decode, unknown tokens, bos / eos', () => {
    const v = chars();
    assert.deepEqual(v.encode(['c', 'a', 't']), [5, 4, 6]);
    assert.deepEqual(v.encode('cat'), [5, 4, 6]);
    assert.deepEqual(v.encode(['d', 'o', 'g']), [1, 1, 1]);
    assert.deepEqual(v.encode(['a'], { bos: true, eos: true }), [2, 4, 3]);
    assert.deepEqual(v.decode([5, 4, 6]), ['c', 'a', 't']);
    assert.deepEqual(v.decode([2, 5, 4, 6, 3, 0, 0], { skipSpecials: true }), ['c', 'a', 't']);
    assert.deepEqual(v.decode([5, 4, 3, 6, 0], { stopAtEos: true }), ['c', 'a']);
    assert.throws(
      () => v.decode([8]),
      (e: unknown) => e instanceof ValueError && /id 8 is out of range \[0, 8\)/.test(e.message),
    );
    assert.throws(() => v.tokenAt(-1), ValueError);
  });

  test('minCount, maxSize and custom specials', () => {
    assert.deepEqual(
      Vocabulary.build(
        words.map((w) => Array.from(w)),
        { minCount: 2 },
      ).tokenList,
      [...DEFAULT_SPECIALS, 'a', 'c', 't'],
    );
    assert.deepEqual(
      Vocabulary.build(
        words.map((w) => Array.from(w)),
        { maxSize: 5 },
      ).tokenList,
      [...DEFAULT_SPECIALS, 'a'],
    );
    const v = Vocabulary.build([['x', '[PAD]', 'y', 'x']], { specials: ['[PAD]', '[UNK]'], unkToken: '[UNK]' });
    assert.deepEqual(v.tokenList, ['[PAD]', '[UNK]', 'x', 'y']);
    assert.deepEqual(v.encode(['z']), [1]);
    assert.throws(() => v.padId, /no '<pad>' token/);
    assert.throws(() => Vocabulary.build([], { specials: ['a', 'a'] }), /twice/);
    assert.throws(() => Vocabulary.build([], { minCount: 0 }), /minCount is 0/);
    assert.throws(() => Vocabulary.build([], { maxSize: 2 }), /maxSize is 2/);
  });

  test('a label vocabulary without specials rejects unknown labels', () => {
    const labels = Vocabulary.build([['fr', 'en', 'en', 'de']], { specials: [] });
    assert.deepEqual(labels.tokenList, ['en', 'de', 'fr']);
    assert.equal(labels.unkToken, null);
    assert.deepEqual(labels.encode(['de', 'fr']), [1, 2]);
    assert.throws(
      () => labels.encode(['xx']),
      (e: unknown) => e instanceof ValueError && /unknown token 'xx'/.test(e.message),
    );
    assert.throws(() => labels.unkId, /no unknown token/);
  });

  test('toJSON / fromJSON round trip (through JSON text)', () => {
    const v = Vocabulary.build(loadG2P().map((e) => e.phonemes));
    const back = Vocabulary.fromJSON(JSON.parse(JSON.stringify(v)));
    assert.deepEqual(back.tokenList, v.tokenList);
    assert.equal(back.size, 43);
    assert.equal(back.unkToken, '<unk>');
    assert.equal(back.specialCount, 4);
    assert.deepEqual(back.encode(['HH', 'AH', 'L', 'OW', '??']), v.encode(['HH', 'AH', 'L', 'OW', '??']));
    const labels = Vocabulary.fromJSON(JSON.parse(JSON.stringify(Vocabulary.build([['b', 'a']], { specials: [] }))));
    assert.equal(labels.unkToken, null);
    assert.throws(
      () => Vocabulary.fromJSON({ tokens: ['a', 'a'], specials: 0, unkToken: null }),
      /token 'a' appears twice/,
    );
    assert.throws(
      () => Vocabulary.fromJSON({ tokens: ['a'], specials: 0, unkToken: 'b' }),
      /unkToken 'b' is not in the vocabulary/,
    );
    assert.throws(() => Vocabulary.fromJSON({ tokens: 'abc', specials: 0 }), /'tokens' must be an array of strings/);
    assert.throws(() => Vocabulary.fromJSON(null), ValueError);
  });
});
