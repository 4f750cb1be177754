/**
 * The part of `data` that runs anywhere (no file reading): vocabularies, splits, batching,
 * delimited text and the diacritics helpers. `data/index.ts` adds the Node-only loaders.
 */
export {
  Vocabulary,
  DEFAULT_SPECIALS,
  type VocabularyBuildOptions,
  type VocabularyJSON,
  type EncodeOptions,
  type DecodeOptions,
} from './vocabulary.js';
export {
  splitDataset,
  timeSplit,
  keepInTraining,
  type SplitOptions,
  type Splits,
  type TimeSplitOptions,
  type TimeSplits,
  type SeriesPart,
  type TimeSeries,
} from './split.js';
export {
  padSequences,
  batches,
  slidingWindows,
  type PadSequencesOptions,
  type PaddedBatch,
  type BatchOptions,
  type Windows,
} from './batching.js';
export { formatOf, parseDelimited, type DataFormat } from './delimited.js';
export { stripDiacritics, diacriticTags, applyDiacriticTags, DIACRITIC_MARKS, NO_DIACRITIC } from './text.js';
export {
  TextTokenizer,
  TOKEN_LEVELS,
  type TokenLevel,
  type TokenizerBuildOptions,
  type TextTokenizerJSON,
} from './text-tokenizer.js';
