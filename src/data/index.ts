/**
 * Data for training: the embedded datasets, a user's own files, vocabularies, splits and
 * batching. The loaders are Node-only (they read files with node:fs); the rest is in browser.ts.
 */
export * from './browser.js';
export {
  loadLanguageId,
  loadCommonWords,
  loadEverydayWords,
  loadDiacritics,
  loadG2P,
  loadCO2,
  dataDirectory,
  datasetManifest,
  DATASET_NAMES,
  DATASET_TASKS,
  type DatasetName,
  type DatasetManifest,
  type LanguageIdDataset,
  type DiacriticsExample,
  type G2PExample,
  type DatedSeries,
} from './datasets.js';
export {
  loadUserData,
  parseUserData,
  readOwnData,
  parseOwnData,
  TASK_COLUMNS,
  type OwnData,
  type ResolvedTokens,
  type TaskKind,
  type ClassifyExample,
  type TagExample,
  type Seq2SeqExample,
  type UserData,
  type UserDataOptions,
  type ParseUserDataOptions,
} from './user-data.js';
export { loadTextCorpus, loadTextFile, TEXT_CORPUS_FILE } from './text-corpus.js';
export { type TableOptions } from './delimited.js';
export { sniffFormat, looksLikeHeader, type SniffedFormat } from './sniff.js';
export { tokenize, joinTokens, chooseTokens, TOKEN_MODES, type TokenMode, type Tokens } from './tokens.js';
export { featureStats, standardize, type FeatureStats, type NumericExample, type NumericData } from './numeric.js';
export { parseSplit, checkSplits, DEFAULT_SPLIT, type SplitShares } from './checks.js';
