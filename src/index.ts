/**
 * recurrent: RNN, LSTM and GRU with PyTorch's semantics, for Node.js and the browser.
 * This file is the whole public API.
 */
import './backend/reference/index.js';

export * from './tensor/index.js';
export * as nn from './nn/index.js';
export * as models from './models/index.js';
export * as data from './data/index.js';
export { PackedSequence, packPaddedSequence, padPackedSequence, type PackOptions, type PadOptions } from './sequence/packed.js';
export { lastValidStep, lengthsMask, type LastStepOptions } from './sequence/last-step.js';
export { setBackend, getBackend, type Backend, type BackendName } from './backend/backend.js';
export { RecurrentError, ShapeError, ValueError, StateDictError, GradientError, DataError, FormatError, TrainingError, type ShapeErrorDetails, type StateDictProblem } from './errors.js';
export { parseSafetensors, serializeSafetensors, type SafetensorsContent } from './io/safetensors.js';
export { loadSafetensors, saveSafetensors } from './io/safetensors-file.js';
export { writeFileAtomic } from './io/atomic.js';
