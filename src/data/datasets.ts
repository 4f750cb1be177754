/**
 * The four embedded datasets, one per architecture of the training CLI (see data/README.md):
 *
 *   loadLanguageId()  classify  24,000 words × 8 languages      { examples: { text, label }[], labels }
 *   loadDiacritics()  tag       15,000 words, 4 languages        { input, tags, word, language }[]
 *   loadG2P()         seq2seq   25,000 CMUdict words → ARPAbet   { word, phonemes }[]
 *   loadCO2()         forecast  741 months of Mauna Loa CO2 ppm  { dates, values }
 *
 * The files live in the repository's data/ folder, in the same formats as a user's own data
 * (data/FORMATS.md), listed with their sizes and SHA-256 in data/datasets.json. Each call reads
 * and parses the files again and returns new arrays, in a fixed order (the files' order).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataError } from '../errors.js';
import { applyDiacriticTags } from './text.js';
import { type ClassifyExample, parseUserData, type TagExample, type TaskKind } from './user-data.js';

/** The names of the embedded datasets. */
export const DATASET_NAMES = ['language-id', 'diacritics', 'g2p', 'co2'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** The task of each embedded dataset. */
export const DATASET_TASKS: Readonly<Record<DatasetName, TaskKind>> = Object.freeze({
  'language-id': 'classify',
  diacritics: 'tag',
  g2p: 'seq2seq',
  co2: 'forecast',
});

/** The part of data/datasets.json the loaders read (the file holds more: sources, versions, counts). */
export interface DatasetManifest {
  version: number;
  datasets: {
    'language-id': { labels: string[]; languages: { label: string; file: string; count: number }[]; count: number };
    diacritics: { languages: { language: string; file: string; count: number }[]; count: number };
    g2p: { file: string; count: number; phonemes: string[] };
    co2: { file: string; count: number; missingMonths: string[] };
  } & Record<DatasetName, { task: TaskKind; count: number; files: Record<string, { bytes: number; sha256: string }> }>;
}

/** Where the data folder may be, relative to this module: dist/data/ and src/data/ (2 up), build/src/data/ (3 up). */
const CANDIDATES = ['../../data/', '../../../data/'];

/**
 * The absolute path of the data folder: `$RECURRENT_DATA_DIR` when set, else the repository's
 * data/ found from this module. Throws DataError when it cannot be found.
 */
export function dataDirectory(): string {
  const fromEnv = process.env['RECURRENT_DATA_DIR'];
  if (fromEnv) return fromEnv;
  const tried: string[] = [];
  for (const candidate of CANDIDATES) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(join(dir, 'datasets.json'))) return dir;
    tried.push(dir);
  }
  throw new DataError(
    'datasets.json',
    null,
    `the embedded datasets were not found (looked in ${tried.join(', ')}); set RECURRENT_DATA_DIR to the data folder`,
  );
}

function readData(relative: string): { path: string; text: string } {
  const path = join(dataDirectory(), relative);
  try {
    return { path, text: readFileSync(path, 'utf8') };
  } catch (e) {
    throw new DataError(path, null, `cannot read the embedded dataset file: ${(e as Error).message}`);
  }
}

/** data/datasets.json: every dataset's files (bytes, SHA-256), counts, sources and versions. */
export function datasetManifest(): DatasetManifest {
  const { path, text } = readData('datasets.json');
  try {
    return JSON.parse(text) as DatasetManifest;
  } catch (e) {
    throw new DataError(path, null, `invalid JSON: ${(e as Error).message}`);
  }
}

/** Language identification: lowercase words and their language (ISO 639-1 code). */
export interface LanguageIdDataset {
  /** Grouped by language (in `labels` order), each group sorted. */
  examples: ClassifyExample[];
  /** The languages, sorted: de, en, es, fr, it, nl, pl, pt. */
  labels: string[];
}

/** 3,000 words in each of 8 languages from Debian's word lists (data/language-id/README.md). */
export function loadLanguageId(): LanguageIdDataset {
  const info = datasetManifest().datasets['language-id'];
  const examples: ClassifyExample[] = [];
  for (const { label, file } of info.languages) {
    const { path, text } = readData(file);
    const rows = parseUserData(text, 'classify', { format: 'tsv', file: path });
    rows.forEach((row, k) => {
      if (row.label !== label) throw new DataError(path, k + 2, `label '${row.label}' in the file of '${label}'`);
    });
    examples.push(...rows);
  }
  return { examples, labels: [...info.labels] };
}

/**
 * The most frequent words of each of the 8 languages (data/language-id/common.tsv, 3,400 to
 * 5,800 a language from frequency-ranked lists, in rank order within each language; each word
 * labelled with the language where it ranks best (English favoured), words that another list
 * ranks nearly as high left out). The default classify demo trains on these alone.
 */
export function loadCommonWords(): ClassifyExample[] {
  const { path, text } = readData('language-id/common.tsv');
  return parseUserData(text, 'classify', { format: 'tsv', file: path });
}

/**
 * Everyday words held out from every training set (data/language-id/everyday.tsv: 19 or 20 a
 * language, 156 in all, written by hand: greetings, family, home, weather, ...): the demo's check on words people type.
 */
export function loadEverydayWords(): ClassifyExample[] {
  const { path, text } = readData('language-id/everyday.tsv');
  return parseUserData(text, 'classify', { format: 'tsv', file: path });
}

/** A diacritic-restoration example: `tags[i]` is the mark to put on character `i` of `input`. */
export interface DiacriticsExample extends TagExample {
  /** The word with its diacritics: `applyDiacriticTags(input, tags)`. */
  word: string;
  /** ISO 639-1 code of the word list it came from. */
  language: string;
}

/**
 * 15,000 lowercase words (de, es, fr, pt; a third without diacritics) with their diacritics
 * removed and one tag per character (data/diacritics/README.md). Grouped by language, sorted.
 */
export function loadDiacritics(): DiacriticsExample[] {
  const out: DiacriticsExample[] = [];
  for (const { language, file } of datasetManifest().datasets.diacritics.languages) {
    const { path, text } = readData(file);
    for (const { input, tags } of parseUserData(text, 'tag', { format: 'tsv', file: path })) {
      out.push({ input, tags, word: applyDiacriticTags(input, tags), language });
    }
  }
  return out;
}

/** A word and its pronunciation: ARPAbet phonemes without stress digits (`AH`, not `AH0`). */
export interface G2PExample {
  word: string;
  phonemes: string[];
}

/** 25,000 words of the CMU Pronouncing Dictionary (data/g2p/README.md), sorted by word. */
export function loadG2P(): G2PExample[] {
  const { path, text } = readData(datasetManifest().datasets.g2p.file);
  return parseUserData(text, 'seq2seq', { format: 'tsv', file: path }).map(({ source, target }) => ({
    word: source,
    phonemes: target,
  }));
}

/** A monthly series with its dates (`YYYY-MM`). */
export interface DatedSeries {
  dates: string[];
  values: number[];
}

/**
 * Monthly mean CO2 at Mauna Loa in ppm, 1958-03 to 2020-04 (data/co2/README.md): 741 months;
 * 5 months without a valid measurement (1958-06, 1958-10, 1964-02 to 1964-04) are absent.
 */
export function loadCO2(): DatedSeries {
  const { path, text } = readData(datasetManifest().datasets.co2.file);
  const { dates, values } = parseUserData(text, 'forecast', { format: 'csv', file: path });
  if (dates === null) throw new DataError(path, 1, `missing column 'date'`);
  return { dates, values };
}
