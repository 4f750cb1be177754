#!/usr/bin/env node
/**
 * Writes the full CMUdict as a seq2seq file for the G2P recipe (docs/recipes.md), to stdout:
 * `source<TAB>target` rows, `word<TAB>PHONEMES` with the stress digits removed.
 * Usage: node scripts/data/cmudict-full.mjs > cmudict-full.tsv
 * From the npm devDependency cmu-pronouncing-dictionary (CMUdict, BSD-2-Clause, see
 * data/g2p/README.md). The words are those of the embedded sample's rules
 * (scripts/data/build-datasets.mjs): plain lowercase words of letters only whose first entry is
 * not annotated ("# place, danish"); here of any length, sorted by word. Every pronunciation of
 * a word is written, one row each, the first one first, then the alternates `word(2)`,
 * `word(3)`, ... in order (annotated alternates left out); pronunciations that are equal once
 * the stress is removed are written once. The rows of one word share their source, so the
 * seq2seq split keeps them in one part and scoring counts a word right if it matches any of them.
 */
const { dictionary } = await import('cmu-pronouncing-dictionary');
const unstressed = (entry) =>
  entry
    .trim()
    .split(/\s+/)
    .map((p) => p.replace(/[0-2]$/, ''))
    .join(' ');
const rows = [];
for (const w of Object.keys(dictionary)
  .filter((w) => /^[a-z]+$/.test(w) && !dictionary[w].includes('#'))
  .sort()) {
  const seen = new Set();
  for (let k = 1; ; k++) {
    const entry = dictionary[k === 1 ? w : `${w}(${k})`];
    if (entry === undefined) break;
    if (entry.includes('#')) continue;
    const phonemes = unstressed(entry);
    if (seen.has(phonemes)) continue;
    seen.add(phonemes);
    rows.push(`${w}\t${phonemes}`);
  }
}
process.stdout.write(`source\ttarget\n${rows.join('\n')}\n`);
