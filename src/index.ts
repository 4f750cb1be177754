/**
 * recurrent: RNN, LSTM and GRU with PyTorch's semantics, for Node.js and the browser.
 * This file is the whole public API: everything in `browser.ts` (the part that runs anywhere)
 * plus the Node-only parts below. `data` here is the browser's `data` plus the file loaders.
 */
export * from './browser.js';
import './backend/native/index.js';

export * as data from './data/index.js';
export { loadSafetensors, saveSafetensors } from './io/safetensors-file.js';
export { loadNpy, saveNpy } from './io/npy-file.js';
export { writeFileAtomic } from './io/atomic.js';
export { loadTfjsLayersModel } from './interop/tfjs-file.js';
export {
  exportOnnx,
  exportOnnxModel,
  loadOnnx,
  parseOnnx,
  OnnxModel,
  supportedOperators,
  type OnnxExportOptions,
  type OnnxExportResult,
  type OnnxValueSpec,
  type OnnxFeed,
  type OnnxInputInfo,
  type OnnxValueInfo,
} from './onnx/index.js';
export {
  exportSeq2SeqOnnx,
  exportSeq2SeqOnnxModels,
  type Seq2SeqOnnxExport,
  type Seq2SeqOnnxGraph,
  type Seq2SeqOnnxOptions,
} from './onnx/index.js';
export {
  LR_SCHEDULES,
  type LrSchedule,
  trainTask,
  type TrainOptions,
  type TrainOutcome,
  type TrainCallbacks,
} from './tasks/run.js';
export { loadPredictor, saveModelDirectory, readModelConfig } from './tasks/model-dir.js';
export type { Predictor, Evaluation, TaskDefinition, DataOptions } from './tasks/task.js';
export { evaluateModel, type EvaluateOutcome } from './tasks/evaluate.js';
export * as baselines from './baselines/index.js';
export { TASKS, TASK_NAMES, type TaskName } from './tasks/registry.js';
export {
  exportTaskModel,
  exportModelDirectory,
  exportSeq2SeqModelDirectory,
  type TaskOnnxExport,
  type ModelDirectoryExport,
} from './tasks/export-onnx.js';
