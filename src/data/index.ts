/**
 * Data for training: the embedded datasets, a user's own files, vocabularies, splits and
 * batching. The loaders are Node-only (they read files with node:fs); the rest is in browser.ts.
 */
export * from './browser.js';
export {
  loadLanguageId, loadDiacritics, loadG2P, loadCO2, dataDirectory, datasetManifest, DATASET_NAMES, DATASET_TASKS,
  type DatasetName, type DatasetManifest, type LanguageIdDataset, type DiacriticsExample, type G2PExample, type DatedSeries,
} from './datasets.js';
export {
  loadUserData, parseUserData, TASK_COLUMNS,
  type TaskKind, type ClassifyExample, type TagExample, type Seq2SeqExample, type UserData, type UserDataOptions, type ParseUserDataOptions,
} from './user-data.js';
