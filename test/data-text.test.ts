/** Diacritics as per-character tags. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ValueError } from '../src/errors.js';
import { applyDiacriticTags, DIACRITIC_MARKS, diacriticTags, stripDiacritics } from '../src/data/index.js';

describe('diacritic tags', () => {
  test('strip, tag and apply', () => {
    assert.equal(stripDiacritics('élève'), 'eleve');
    assert.deepEqual(diacriticTags('élève'), ['acute', '-', 'grave', '-', '-']);
    assert.equal(applyDiacriticTags('eleve', ['acute', '-', 'grave', '-', '-']), 'élève');
    assert.deepEqual(diacriticTags('façade'), ['-', '-', 'cedilla', '-', '-', '-']);
    assert.deepEqual(diacriticTags('niño'), ['-', '-', 'tilde', '-']);
    assert.deepEqual(diacriticTags('Ångström'), ['ring', '-', '-', '-', '-', '-', 'diaeresis', '-']);
  });

  test('letters without a canonical decomposition stay as they are, tagged "-"', () => {
    for (const word of ['straße', 'søster', 'łódź', 'æble', 'đak']) {
      const base = stripDiacritics(word);
      assert.equal(Array.from(base).length, Array.from(word).length, word);
      assert.equal(applyDiacriticTags(base, diacriticTags(word)), word, word);
    }
    assert.equal(stripDiacritics('straße'), 'straße');
    assert.equal(stripDiacritics('łódź'), 'łodz');
    assert.deepEqual(diacriticTags('łódź'), ['-', 'acute', '-', 'acute']);
  });

  test('several marks on one letter, NFD input, standalone marks and unnamed marks', () => {
    assert.deepEqual(diacriticTags('ệ'), ['dot-below+circumflex']);
    assert.equal(applyDiacriticTags('e', ['dot-below+circumflex']), 'ệ');
    assert.equal(applyDiacriticTags('e', ['circumflex+dot-below']), 'ệ', 'NFC puts the marks in canonical order');
    assert.deepEqual(diacriticTags('e\u0301le\u0300ve'), ['acute', '-', 'grave', '-', '-']);
    // n + diaeresis has no precomposed form: the mark stays a separate code point after NFC.
    assert.equal(stripDiacritics('n\u0308a'), 'na');
    assert.deepEqual(diacriticTags('n\u0308a'), ['diaeresis', '-']);
    assert.equal(applyDiacriticTags('na', ['diaeresis', '-']), 'n\u0308a');
    // A mark with no name is written U and the hex code point (U+0345 combining ypogegrammeni).
    assert.deepEqual(diacriticTags('\u1FB3'), ['U0345']);
    assert.equal(applyDiacriticTags('\u03B1', ['U0345']), '\u1FB3');
    assert.equal(Object.keys(DIACRITIC_MARKS).length, new Set(Object.values(DIACRITIC_MARKS)).size);
  });

  test('applying checks lengths and tag names', () => {
    assert.throws(
      () => applyDiacriticTags('abc', ['-', '-']),
      (e: unknown) => e instanceof ValueError && /'abc' has 3 characters but 2 tags/.test(e.message),
    );
    assert.throws(
      () => applyDiacriticTags('a', ['umlaut']),
      (e: unknown) => e instanceof ValueError && /unknown diacritic tag 'umlaut'/.test(e.message),
    );
    assert.throws(() => applyDiacriticTags('a', ['U0041']), /unknown diacritic tag 'U0041'/);
    assert.throws(() => diacriticTags('\u0301a'), /starts with a combining mark/);
  });
});
