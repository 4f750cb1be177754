#!/usr/bin/env node
/**
 * Writes the full CMUdict as a seq2seq file for the G2P recipe (docs/recipes.md), to stdout:
 * `source<TAB>target` rows, `word<TAB>PHONEMES` with the stress digits removed.
 * Usage: node scripts/data/cmudict-full.mjs > cmudict-full.tsv
 * From the npm devDependency cmu-pronouncing-dictionary (CMUdict, BSD-2-Clause, see
 * data/g2p/README.md). The same rules as the embedded sample (scripts/data/build-datasets.mjs):
 * plain lowercase words of letters only, the first pronunciation (alternates "word(2)" and
 * annotated entries left out); here of any length, sorted by word.
 */
const { dictionary } = await import('cmu-pronouncing-dictionary');
const rows = Object.keys(dictionary)
  .filter((w) => /^[a-z]+$/.test(w) && !dictionary[w].includes('#'))
  .sort()
  .map(
    (w) =>
      `${w}\t${dictionary[w]
        .trim()
        .split(/\s+/)
        .map((p) => p.replace(/[0-2]$/, ''))
        .join(' ')}`,
  );
process.stdout.write(`source\ttarget\n${rows.join('\n')}\n`);
