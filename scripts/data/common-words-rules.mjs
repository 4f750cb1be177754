/**
 * The rules of data/language-id/common.tsv (used by build-common-words.mjs, tested by
 * test/data-common-words.test.ts): how one entry of a frequency list is read, and which language
 * a word that is frequent in several lists gets.
 */

/**
 * The word of one list entry, or null: NFC, lowercase; German entries with capitals (nouns) are
 * lowercased, other entries with capitals (names) are dropped; letters only, 2 to 20 of them.
 */
export function readEntry(raw, lang) {
  let word = raw.trim().normalize('NFC');
  if (word !== word.toLowerCase()) {
    if (lang !== 'de') return null;
    word = word.toLowerCase();
  }
  return /^\p{L}{2,20}$/u.test(word) ? word : null;
}

/**
 * Ranks of each word in each list: `lists` maps a language to its entries, most frequent first;
 * the rank counts usable entries only (1 = the most frequent). Returns word -> { lang: rank }.
 */
export function rankWords(lists) {
  const ranks = new Map();
  for (const [lang, entries] of Object.entries(lists)) {
    let rank = 0;
    const seen = new Set();
    for (const raw of entries) {
      const word = readEntry(raw, lang);
      if (word === null || seen.has(word)) continue;
      seen.add(word);
      rank++;
      (ranks.get(word) ?? ranks.set(word, {}).get(word))[lang] = rank;
    }
  }
  return ranks;
}

/**
 * One language per word: the list where it ranks best, kept only if that rank is within
 * `perLanguage` and no other list ranks it within `margin` times that rank (`margin` 1: only
 * ties are dropped). With margin 5, `okay` (de 160, it 253), `die` (de 7, nl 22) and names found
 * in many lists (`jack`) are dropped, `ich` (de 1, pl 75) stays German. Words in `exclude` are
 * left out. Returns { word, lang, rank }[], by language, then rank.
 */
export function resolveLanguages(ranks, { perLanguage, margin, exclude = new Set() }) {
  const kept = [];
  for (const [word, byLang] of ranks) {
    const [first, second] = Object.entries(byLang).sort((a, b) => a[1] - b[1]);
    if (first[1] > perLanguage || exclude.has(word)) continue;
    if (second !== undefined && second[1] <= margin * first[1]) continue;
    kept.push({ word, lang: first[0], rank: first[1] });
  }
  return kept.sort((a, b) => (a.lang < b.lang ? -1 : a.lang > b.lang ? 1 : a.rank - b.rank));
}
