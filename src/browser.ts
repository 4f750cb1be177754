/**
 * recurrent for the browser (and workers): the part of the public API that runs anywhere.
 *
 * Everything here imports nothing from `node:*`, directly or through the modules it re-exports
 * (checked by test/e2e-playground.test.ts). Left out, because they read or write files: the
 * embedded dataset loaders and user-file reading (`data`), safetensors files on disk, atomic
 * writes, `trainTask`/`loadPredictor` and the model directory; and, for now, `fit` (its loop
 * yields with Node's `setImmediate`, which browsers lack): write the few lines of a training
 * step instead (`loss.backward(); optimizer.step()`). In a page, bring the data in yourself
 * (e.g. a bundler's `?raw` import) and parse it with `parseDelimited`.
 */
import './backend/reference/index.js';
import './backend/wasm/index.js';

export * from './tensor/index.js';
export * as nn from './nn/index.js';
export * as models from './models/index.js';
export { PackedSequence, packPaddedSequence, padPackedSequence, type PackOptions, type PadOptions } from './sequence/packed.js';
export { lastValidStep, lengthsMask, type LastStepOptions } from './sequence/last-step.js';
export { setBackend, getBackend, backendStatus, type Backend, type BackendName } from './backend/backend.js';
export { initWasmBackend } from './backend/wasm/index.js';
export { RecurrentError, ShapeError, ValueError, StateDictError, GradientError, DataError, FormatError, TrainingError, type ShapeErrorDetails, type StateDictProblem } from './errors.js';
export { parseSafetensors, serializeSafetensors, type SafetensorsContent } from './io/safetensors.js';
export * from './train/index.js';
export { explainRecurrent, formatExplanation, type Explanation, type ExplainSpec } from './explain/explain.js';
export { Vocabulary, DEFAULT_SPECIALS, type VocabularyBuildOptions, type VocabularyJSON, type EncodeOptions, type DecodeOptions } from './data/vocabulary.js';
export { padSequences, batches, slidingWindows, type PadSequencesOptions, type PaddedBatch, type BatchOptions, type Windows } from './data/batching.js';
export { parseDelimited, type DataFormat } from './data/delimited.js';
export { stripDiacritics, diacriticTags, applyDiacriticTags, DIACRITIC_MARKS, NO_DIACRITIC } from './data/text.js';
export { TextTokenizer, TOKEN_LEVELS, type TokenLevel, type TextTokenizerJSON } from './data/text-tokenizer.js';
export { parseNpy, serializeNpy, npyToTensor, type NpyArray, type NpyDtype, type NpyInput } from './io/npy.js';
