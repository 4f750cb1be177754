/** Ready architectures: `import { models } from 'recurrent'`. */
export { SequenceClassifier, type SequenceClassifierConfig } from './classifier.js';
export { SequenceTagger, type SequenceTaggerConfig } from './tagger.js';
export { Seq2Seq, type Seq2SeqConfig, type DecoderState, type DecodeOptions } from './seq2seq.js';
export { Seq2SeqEnsemble, type Seq2SeqEnsembleConfig, logMeanProbability } from './seq2seq-ensemble.js';
export { decodeSequences, type StepDecoder } from './search.js';
export { Forecaster, type ForecasterConfig, type ForecastMode } from './forecaster.js';
export { Attention, type AttentionKind, type AttentionMemory } from './attention.js';
export { createRecurrent, runRecurrent, type RecurrentLayer, type RecurrentState } from './recurrent-layer.js';
export type { CellFamily } from '../families.js';
export { maskedMean, maskedMax, type Pooling } from './pooling.js';
export type { SequenceEncoderConfig } from './encoder-config.js';
export { LanguageModel, TiedHead, type LanguageModelConfig, type TokenCodec } from './language-model.js';
export {
  GenerationSession,
  generateTokens,
  type GenerateOptions,
  type SessionOptions,
  type GeneratedToken,
} from './generation.js';
export { samplingDistribution, sampleToken, drawFrom, checkSamplingOptions, type SamplingOptions } from './sampling.js';
export { KneserNey, unigramScore, type NllSum } from './ngram.js';
