/**
 * Data for the training CLI: the embedded datasets, a user's own files, vocabularies, splits and
 * batching. Node-only (the loaders read files with node:fs).
 */
export { Vocabulary, DEFAULT_SPECIALS, type VocabularyBuildOptions, type VocabularyJSON, type EncodeOptions, type DecodeOptions } from './vocabulary.js';
export {
  loadLanguageId, loadCommonWords, loadEverydayWords, loadDiacritics, loadG2P, loadCO2, dataDirectory, datasetManifest, DATASET_NAMES, DATASET_TASKS,
  type DatasetName, type DatasetManifest, type LanguageIdDataset, type DiacriticsExample, type G2PExample, type DatedSeries,
} from './datasets.js';
export { splitDataset, timeSplit, type SplitOptions, type Splits, type TimeSplitOptions, type TimeSplits, type SeriesPart } from './split.js';
export { padSequences, batches, slidingWindows, type PadSequencesOptions, type PaddedBatch, type BatchOptions, type Windows } from './batching.js';
export {
  loadUserData, parseUserData, readOwnData, parseOwnData, TASK_COLUMNS, type OwnData, type ResolvedTokens,
  type TaskKind, type ClassifyExample, type TagExample, type Seq2SeqExample, type TimeSeries, type UserData, type UserDataOptions, type ParseUserDataOptions,
} from './user-data.js';
export { formatOf, parseDelimited, type DataFormat, type TableOptions } from './delimited.js';
export { sniffFormat, looksLikeHeader, type SniffedFormat } from './sniff.js';
export { tokenize, joinTokens, chooseTokens, TOKEN_MODES, type TokenMode, type Tokens } from './tokens.js';
export { featureStats, standardize, type FeatureStats, type NumericExample, type NumericData } from './numeric.js';
export { parseSplit, checkSplits, DEFAULT_SPLIT, type SplitShares } from './checks.js';
export { stripDiacritics, diacriticTags, applyDiacriticTags, DIACRITIC_MARKS, NO_DIACRITIC } from './text.js';
