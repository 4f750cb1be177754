#!/usr/bin/env node
/**
 * Builds the four embedded datasets under data/ from their sources, deterministically.
 *
 *   node scripts/data/build-datasets.mjs           writes the files
 *   node scripts/data/build-datasets.mjs --check   rebuilds in memory, exits 1 if data/ differs
 *
 * Sources (see data/README.md for licences):
 *   - Debian word lists in /usr/share/dict (apt-get install wamerican wngerman wfrench wspanish
 *     witalian wportuguese wdutch wpolish): language-id and diacritics;
 *   - the npm devDependency cmu-pronouncing-dictionary: g2p;
 *   - the npm devDependency vega-datasets (data/co2-concentration.csv): co2.
 *
 * Sampling is by a seeded hash of each word (the N words with the smallest hash are kept), so a
 * word's selection depends only on the word and the seed, never on the order of a list or the
 * platform. Output rows are sorted by code unit, files end with a newline, encoding UTF-8.
 * Plain Node (>= 20), no dependencies beyond the two npm packages above.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DATA = join(ROOT, 'data');
const DICT = '/usr/share/dict';
const CHECK = process.argv.includes('--check');

/** Word lists: ISO 639-1 code -> [file in /usr/share/dict, Debian package]. */
const LISTS = {
  de: ['ngerman', 'wngerman'],
  en: ['american-english', 'wamerican'],
  es: ['spanish', 'wspanish'],
  fr: ['french', 'wfrench'],
  it: ['italian', 'witalian'],
  nl: ['dutch', 'wdutch'],
  pl: ['polish', 'wpolish'],
  pt: ['portuguese', 'wportuguese'],
};

const LANGUAGE_ID = { seed: 'language-id-v1', perLanguage: 3000, minLength: 3, maxLength: 20 };
const DIACRITICS = { seed: 'diacritics-v1', languages: ['de', 'es', 'fr', 'pt'], accented: 2500, plain: 1250 };
const G2P = { seed: 'g2p-v1', count: 25000, minLength: 2, maxLength: 15 };

// ---------------------------------------------------------------------------------------------
// Helpers

/** 32-bit FNV-1a over UTF-16 code units, finished with the murmur3 avalanche. */
function hash32(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const byCodeUnit = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/** The `count` items with the smallest seeded hash (ties by code unit), returned sorted. */
function sample(items, count, seed) {
  const keyed = items.map((item) => [hash32(`${seed}\u0000${item}`), item]);
  keyed.sort((a, b) => a[0] - b[0] || byCodeUnit(a[1], b[1]));
  if (keyed.length < count) throw new Error(`sample ${seed}: only ${keyed.length} candidates, need ${count}`);
  return keyed
    .slice(0, count)
    .map(([, item]) => item)
    .sort(byCodeUnit);
}

const codePoints = (s) => Array.from(s).length;
const LATIN_WORD = /^(?:(?=\p{L})\p{Script=Latin})+$/u;

/** Reads a word list: UTF-8, NFC, trimmed, without blank lines. */
function readList(file) {
  const path = join(DICT, file);
  if (!existsSync(path)) {
    throw new Error(
      `${path} is missing: apt-get install -y ${Object.values(LISTS)
        .map(([, p]) => p)
        .join(' ')}`,
    );
  }
  const text = readFileSync(path, 'utf8');
  if (text.includes('\uFFFD')) throw new Error(`${path} is not UTF-8`);
  return text
    .split('\n')
    .map((l) => l.trim().normalize('NFC'))
    .filter((l) => l.length > 0);
}

/**
 * The usable form of a list entry, or null: lowercase Latin letters only (accents allowed).
 * Entries with capitals are proper names or abbreviations and are dropped, except in German,
 * where a single initial capital marks a noun (kept, lowercased).
 */
function clean(entry, lang, minLength, maxLength) {
  let word = entry;
  const lower = entry.toLowerCase();
  if (entry !== lower) {
    const [first, ...rest] = Array.from(entry);
    const restText = rest.join('');
    if (lang !== 'de' || first === first.toLowerCase() || restText !== restText.toLowerCase()) return null;
    word = lower;
  }
  if (!LATIN_WORD.test(word)) return null;
  const n = codePoints(word);
  return n >= minLength && n <= maxLength ? word : null;
}

function tsv(header, rows) {
  for (const row of rows) {
    for (const field of row) {
      if (/[\t\n\r"]/.test(field) || field.length === 0) throw new Error(`bad TSV field ${JSON.stringify(field)}`);
    }
  }
  return [header, ...rows.map((r) => r.join('\t'))].join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Diacritic tags (the same rules as src/data/text.ts, written out here so the script needs no build)

const MARK_NAMES = new Map([
  [0x0300, 'grave'],
  [0x0301, 'acute'],
  [0x0302, 'circumflex'],
  [0x0303, 'tilde'],
  [0x0304, 'macron'],
  [0x0306, 'breve'],
  [0x0307, 'dot'],
  [0x0308, 'diaeresis'],
  [0x0309, 'hook'],
  [0x030a, 'ring'],
  [0x030b, 'double-acute'],
  [0x030c, 'caron'],
  [0x031b, 'horn'],
  [0x0323, 'dot-below'],
  [0x0326, 'comma-below'],
  [0x0327, 'cedilla'],
  [0x0328, 'ogonek'],
]);
const IS_MARK = /^\p{M}$/u;

/** [stripped word, tags]: one tag per character of the stripped word ('-' or mark names joined by '+'). */
function diacritics(word) {
  const bases = [];
  const tags = [];
  for (const ch of word.normalize('NFC')) {
    const parts = Array.from(ch.normalize('NFD'));
    const marks = parts.filter((p) => IS_MARK.test(p));
    const base = parts
      .filter((p) => !IS_MARK.test(p))
      .join('')
      .normalize('NFC');
    if (base.length === 0) {
      if (tags.length === 0) throw new Error(`${word}: starts with a combining mark`);
      tags[tags.length - 1] = [
        ...(tags[tags.length - 1] === '-' ? [] : tags[tags.length - 1].split('+')),
        ...marks.map(markName),
      ].join('+');
    } else if (marks.length === 0 || codePoints(base) !== 1) {
      bases.push(ch);
      tags.push('-');
    } else {
      bases.push(base);
      tags.push(marks.map(markName).join('+'));
    }
  }
  return [bases.join(''), tags];
}

function markName(mark) {
  const cp = mark.codePointAt(0);
  return MARK_NAMES.get(cp) ?? `U${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

// ---------------------------------------------------------------------------------------------
// Builders: each returns { files: { relativePath: text }, info: manifest entry }

function sourceVersion(pkg) {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function npmVersion(name) {
  return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
}

/** Every list read once: lang -> { entries, lowered: Set of every entry lowercased }. */
function readAllLists() {
  const lists = {};
  for (const [lang, [file]] of Object.entries(LISTS)) {
    const entries = readList(file);
    lists[lang] = { entries, lowered: new Set(entries.map((e) => e.toLowerCase())) };
  }
  return lists;
}

function buildLanguageId(lists) {
  const { seed, perLanguage, minLength, maxLength } = LANGUAGE_ID;
  const files = {};
  const languages = [];
  const langs = Object.keys(LISTS).sort();
  for (const lang of langs) {
    const candidates = new Set();
    for (const entry of lists[lang].entries) {
      const word = clean(entry, lang, minLength, maxLength);
      if (word === null) continue;
      if (langs.some((other) => other !== lang && lists[other].lowered.has(word))) continue;
      candidates.add(word);
    }
    const words = sample([...candidates], perLanguage, `${seed}:${lang}`);
    const path = `language-id/${lang}.tsv`;
    files[path] = tsv(
      'text\tlabel',
      words.map((w) => [w, lang]),
    );
    languages.push({
      label: lang,
      file: path,
      count: words.length,
      candidates: candidates.size,
      source: `/usr/share/dict/${LISTS[lang][0]}`,
      package: LISTS[lang][1],
      version: sourceVersion(LISTS[lang][1]),
    });
  }
  return {
    files,
    info: { task: 'classify', labels: langs, languages, count: languages.reduce((n, l) => n + l.count, 0) },
  };
}

function buildDiacritics(lists) {
  const { seed, languages: langs, accented, plain } = DIACRITICS;
  // Every candidate word of the chosen languages, by stripped form, to find ambiguous inputs.
  const targetsByInput = new Map();
  const cleaned = {};
  for (const lang of langs) {
    cleaned[lang] = new Set();
    for (const entry of lists[lang].entries) {
      const word = clean(entry, lang, 1, 1000);
      if (word === null) continue;
      cleaned[lang].add(word);
      const [input] = diacritics(word);
      let set = targetsByInput.get(input);
      if (!set) targetsByInput.set(input, (set = new Set()));
      set.add(word);
    }
  }
  const files = {};
  const info = [];
  for (const lang of langs) {
    const withMarks = [];
    const without = [];
    for (const word of cleaned[lang]) {
      const n = codePoints(word);
      if (n < LANGUAGE_ID.minLength || n > LANGUAGE_ID.maxLength) continue;
      if (langs.some((other) => other !== lang && lists[other].lowered.has(word))) continue;
      const [input, tags] = diacritics(word);
      if (targetsByInput.get(input).size !== 1) continue; // the input has several restorations
      (tags.every((t) => t === '-') ? without : withMarks).push(word);
    }
    const words = [
      ...sample(withMarks, accented, `${seed}:${lang}:accented`),
      ...sample(without, plain, `${seed}:${lang}:plain`),
    ].sort(byCodeUnit);
    const rows = words
      .map((w) => {
        const [input, tags] = diacritics(w);
        return [input, tags.join(' ')];
      })
      .sort((a, b) => byCodeUnit(a[0], b[0]));
    const path = `diacritics/${lang}.tsv`;
    files[path] = tsv('input\ttags', rows);
    const tagCounts = {};
    for (const [, tags] of rows) for (const t of tags.split(' ')) if (t !== '-') tagCounts[t] = (tagCounts[t] ?? 0) + 1;
    info.push({
      language: lang,
      file: path,
      count: rows.length,
      accented,
      plain,
      tagCounts: Object.fromEntries(Object.entries(tagCounts).sort((a, b) => byCodeUnit(a[0], b[0]))),
      source: `/usr/share/dict/${LISTS[lang][0]}`,
      package: LISTS[lang][1],
      version: sourceVersion(LISTS[lang][1]),
    });
  }
  return { files, info: { task: 'tag', languages: info, count: info.reduce((n, l) => n + l.count, 0) } };
}

async function buildG2P() {
  const { seed, count, minLength, maxLength } = G2P;
  const { dictionary } = await import('cmu-pronouncing-dictionary');
  // Plain lowercase words; alternates ("word(2)") and the few annotated entries ("# abbrev",
  // "# foreign french", ...) are left out.
  const words = Object.keys(dictionary).filter(
    (w) => /^[a-z]+$/.test(w) && w.length >= minLength && w.length <= maxLength && !dictionary[w].includes('#'),
  );
  const chosen = sample(words, count, seed);
  const rows = chosen.map((w) => {
    const phones = dictionary[w]
      .trim()
      .split(/\s+/)
      .map((p) => p.replace(/[0-2]$/, ''));
    if (!phones.every((p) => /^[A-Z]+$/.test(p))) throw new Error(`g2p: odd phonemes for ${w}: ${dictionary[w]}`);
    return [w, phones.join(' ')];
  });
  const phonemes = [...new Set(rows.flatMap(([, p]) => p.split(' ')))].sort(byCodeUnit);
  const path = 'g2p/cmudict.tsv';
  return {
    files: { [path]: tsv('source\ttarget', rows) },
    info: {
      task: 'seq2seq',
      file: path,
      count: rows.length,
      candidates: words.length,
      phonemes,
      package: 'cmu-pronouncing-dictionary',
      version: npmVersion('cmu-pronouncing-dictionary'),
    },
  };
}

function buildCO2() {
  const src = join(ROOT, 'node_modules', 'vega-datasets', 'data', 'co2-concentration.csv');
  const lines = readFileSync(src, 'utf8').trim().split(/\r?\n/);
  if (lines[0] !== 'Date,CO2,adjusted CO2') throw new Error(`${src}: unexpected header ${lines[0]}`);
  const rows = lines.slice(1).map((line) => {
    const [date, co2] = line.split(',');
    if (!/^\d{4}-\d{2}-01$/.test(date) || !Number.isFinite(Number(co2))) throw new Error(`${src}: bad row ${line}`);
    return [date.slice(0, 7), co2];
  });
  // Months absent from the source (no valid measurement), listed in the manifest.
  const missing = [];
  for (let i = 1; i < rows.length; i++) {
    let [y, m] = rows[i - 1][0].split('-').map(Number);
    for (;;) {
      m += 1;
      if (m === 13) [y, m] = [y + 1, 1];
      const month = `${y}-${String(m).padStart(2, '0')}`;
      if (month >= rows[i][0]) break;
      missing.push(month);
    }
  }
  const path = 'co2/mauna-loa-co2.csv';
  return {
    files: { [path]: ['date,value', ...rows.map((r) => r.join(','))].join('\n') + '\n' },
    info: {
      task: 'forecast',
      file: path,
      count: rows.length,
      first: rows[0][0],
      last: rows.at(-1)[0],
      missingMonths: missing,
      package: 'vega-datasets',
      version: npmVersion('vega-datasets'),
    },
  };
}

// ---------------------------------------------------------------------------------------------

const lists = readAllLists();
const built = {
  'language-id': buildLanguageId(lists),
  diacritics: buildDiacritics(lists),
  g2p: await buildG2P(),
  co2: buildCO2(),
};

const files = {};
const manifest = { version: 1, generator: 'scripts/data/build-datasets.mjs', datasets: {} };
for (const [name, { files: f, info }] of Object.entries(built)) {
  const sums = {};
  for (const [path, text] of Object.entries(f)) {
    files[path] = text;
    sums[path] = { bytes: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') };
  }
  manifest.datasets[name] = { ...info, files: sums };
}
files['datasets.json'] = JSON.stringify(manifest, null, 2) + '\n';

let differ = 0;
for (const [path, text] of Object.entries(files)) {
  const target = join(DATA, path);
  const same = existsSync(target) && readFileSync(target, 'utf8') === text;
  if (CHECK) {
    if (!same) {
      differ++;
      console.error(`differs: ${relative(ROOT, target)}`);
    }
  } else if (!same) {
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
  }
  console.log(
    `${same ? 'unchanged' : CHECK ? 'DIFFERS  ' : 'written  '} ${relative(ROOT, target)} (${Buffer.byteLength(text)} bytes)`,
  );
}
const total = Object.values(files).reduce((n, t) => n + Buffer.byteLength(t), 0);
console.log(`total ${total} bytes in ${Object.keys(files).length} files`);
if (CHECK && differ > 0) process.exit(1);
