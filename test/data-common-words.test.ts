/**
 * The common words of the default demo (data/language-id/common.tsv): the rules that read the
 * frequency lists and give each word one language (scripts/data/common-words-rules.mjs), and the
 * committed file against them (no word twice, no held-out everyday word, a rebuild gives it back).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadCommonWords, loadEverydayWords, loadLanguageId } from '../src/data/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

type Ranks = Map<string, Record<string, number>>;
interface Rules {
  readEntry(raw: string, lang: string): string | null;
  rankWords(lists: Record<string, string[]>): Ranks;
  resolveLanguages(
    ranks: Ranks,
    options: { perLanguage: number; margin: number; favoured?: string; favour?: number; exclude?: Set<string> },
  ): { word: string; lang: string; rank: number }[];
}
const rules = (): Promise<Rules> =>
  import(pathToFileURL(join(root, 'scripts/data/common-words-rules.mjs')).href) as Promise<Rules>;

describe('common words: rules', () => {
  test('an entry is read as one lowercase NFC word of 2-20 letters; capitals are German nouns or names', async () => {
    const { readEntry } = await rules();
    assert.equal(readEntry(' Haus ', 'de'), 'haus');
    assert.equal(readEntry('Paris', 'fr'), null);
    assert.equal(readEntry('e\u0301te\u0301', 'fr'), 'été');
    assert.equal(readEntry("l'eau", 'fr'), null);
    assert.equal(readEntry('a', 'en'), null);
    assert.equal(readEntry('x'.repeat(21), 'en'), null);
  });

  test('ranks count usable entries only, the first occurrence of a word in a list', async () => {
    const { rankWords } = await rules();
    const ranks = rankWords({ de: ['Ich', 'ich', '42', 'okay'], it: ['ciao', 'okay'] });
    assert.deepEqual(ranks.get('ich'), { de: 1 });
    assert.deepEqual(ranks.get('okay'), { de: 2, it: 2 });
    assert.deepEqual(ranks.get('ciao'), { it: 1 });
  });

  test('a word frequent in several lists keeps its best language only with a clear margin', async () => {
    const { resolveLanguages } = await rules();
    const ranks: Ranks = new Map<string, Record<string, number>>([
      ['ich', { de: 1, pl: 75 }],
      ['okay', { de: 160, it: 253 }],
      ['die', { de: 7, nl: 22 }],
      ['tie', { en: 9, nl: 9 }],
      ['rare', { en: 7000 }],
      ['held', { en: 3 }],
      ['the', { en: 1, pl: 5 }],
    ]);
    const words = (margin: number) =>
      resolveLanguages(ranks, { perLanguage: 6000, margin, exclude: new Set(['held']) }).map(
        (v) => `${v.word}:${v.lang}`,
      );
    assert.deepEqual(words(5), ['ich:de']);
    // margin 1: only ties are dropped (the earlier rule)
    assert.deepEqual(words(1), ['ich:de', 'die:de', 'okay:de', 'the:en']);
    assert.deepEqual(words(2), ['ich:de', 'die:de', 'the:en']);
  });

  test('the favoured language (English) keeps a word unless another list ranks it far better', async () => {
    const { resolveLanguages } = await rules();
    // ranks as the lists have them (hello: English web text 2,394, Polish subtitles 3,867)
    const ranks: Ranks = new Map<string, Record<string, number>>([
      ['hello', { en: 2394, pl: 3867, fr: 5555 }],
      ['okay', { de: 160, en: 4459, it: 253, pl: 681 }],
      ['sorry', { de: 1403, en: 2237, nl: 196 }],
      ['hey', { de: 118, en: 2821, es: 320 }],
      ['ich', { de: 1, en: 900, pl: 75 }],
      ['far', { en: 5000, nl: 20 }],
    ]);
    const words = (favour: number, margin: number) =>
      resolveLanguages(ranks, { perLanguage: 6000, margin, favoured: 'en', favour }).map(
        (v) => `${v.word}:${v.lang}:${v.rank}`,
      );
    // without favour, hello is a near tie and is dropped
    assert.deepEqual(words(1, 3), ['ich:de:1', 'far:nl:20', 'sorry:nl:196']);
    // favour 10: hello is English (its own rank is kept); okay, sorry and hey stay without an answer;
    // a word that another list ranks 250 times better (far) keeps that list
    assert.deepEqual(words(10, 3), ['ich:de:1', 'hello:en:2394', 'far:nl:20']);
    // the rank limit applies to the word's own rank, not the favoured one
    assert.deepEqual(
      resolveLanguages(ranks, { perLanguage: 2000, margin: 3, favoured: 'en', favour: 10 }).map((v) => v.word),
      ['ich', 'far'],
    );
  });

  test('rows come by language, then rank', async () => {
    const { resolveLanguages } = await rules();
    const ranks: Ranks = new Map<string, Record<string, number>>([
      ['b', { nl: 2 }],
      ['a', { de: 3 }],
      ['c', { de: 1 }],
    ]);
    assert.deepEqual(
      resolveLanguages(ranks, { perLanguage: 10, margin: 5 }).map((v) => v.word),
      ['c', 'a', 'b'],
    );
  });
});

describe('common words: the committed file', () => {
  test('one language per word, no everyday word, every language present', () => {
    const common = loadCommonWords();
    const everyday = new Set(loadEverydayWords().map((e) => e.text));
    const seen = new Set<string>();
    for (const { text } of common) {
      assert.ok(!seen.has(text), `${text} twice`);
      seen.add(text);
      assert.ok(!everyday.has(text), `everyday word ${text} in common.tsv`);
    }
    const labels = new Set(common.map((e) => e.label));
    assert.deepEqual([...labels].sort(), [...loadLanguageId().labels].sort());
    // words that several lists rank close together are not there (English words of the subtitle
    // lists among them), and English keeps `hello` (en 2,394, pl 3,867)
    for (const word of ['okay', 'yeah', 'sorry', 'hey', 'de', 'la', 'jack']) assert.ok(!seen.has(word), word);
    const labelOf = new Map(common.map((e) => [e.text, e.label]));
    assert.equal(labelOf.get('hello'), 'en');
    assert.equal(labelOf.get('ich'), 'de');
    // French comes from subtitles (the news list had neither): greetings are there
    for (const word of ['bonjour', 'salut', 'bonsoir']) assert.equal(labelOf.get(word), 'fr', word);
  });

  test('a rebuild from the package gives the committed file', () => {
    // exits 1 (and execFileSync throws) when they differ
    execFileSync(process.execPath, [join(root, 'scripts/data/build-common-words.mjs'), '--check'], { stdio: 'pipe' });
  });
});
