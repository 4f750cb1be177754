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
 * One language per word. Each list's rank of the word is compared, the `favoured` language's rank
 * first divided by `favour` (English: its list is web text, while the other lists are subtitles,
 * which carry many English words, so an English word keeps English unless another list ranks it
 * more than `favour` times better). The word goes to the best such rank; it is kept only if its
 * own rank there is within `perLanguage` and no other list's compared rank is within `margin`
 * times the best (`margin` 1: only ties are dropped). Words in `exclude` are left out. Returns
 * { word, lang, rank }[], by language, then rank.
 *
 * With favour 1 and margin 5 (the earlier rule), `okay` (de 160, it 253), `die` (de 7, nl 22) and
 * `hello` (en 2,394, pl 3,867) are dropped; `ich` (de 1, pl 75) stays German.
 */
export function resolveLanguages(ranks, { perLanguage, margin, favoured = null, favour = 1, exclude = new Set() }) {
  const kept = [];
  for (const [word, byLang] of ranks) {
    if (exclude.has(word)) continue;
    const compared = Object.entries(byLang)
      .map(([lang, rank]) => [lang, lang === favoured ? rank / favour : rank])
      .sort((a, b) => a[1] - b[1]);
    const [first, second] = compared;
    const rank = byLang[first[0]];
    if (rank > perLanguage) continue;
    if (second !== undefined && second[1] <= margin * first[1]) continue;
    kept.push({ word, lang: first[0], rank });
  }
  return kept.sort((a, b) => (a.lang < b.lang ? -1 : a.lang > b.lang ? 1 : a.rank - b.rank));
}
