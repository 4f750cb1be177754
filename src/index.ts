/**
 * recurrent: RNN, LSTM and GRU with PyTorch's semantics, for Node.js and the browser.
 * This file is the whole public API.
 */
import './backend/reference/index.js';
import './backend/wasm/index.js';
import './backend/native/index.js';

export * from './tensor/index.js';
export * as nn from './nn/index.js';
export * as models from './models/index.js';
export * as data from './data/index.js';
export * as layers from './layers/index.js';
export { PackedSequence, packPaddedSequence, padPackedSequence, type PackOptions, type PadOptions } from './sequence/packed.js';
export { lastValidStep, lengthsMask, type LastStepOptions } from './sequence/last-step.js';
export { setBackend, getBackend, backendStatus, type Backend, type BackendName } from './backend/backend.js';
export { initWasmBackend } from './backend/wasm/index.js';
export { RecurrentError, ShapeError, ValueError, StateDictError, GradientError, DataError, FormatError, TrainingError, type ShapeErrorDetails, type StateDictProblem } from './errors.js';
export { parseSafetensors, serializeSafetensors, type SafetensorsContent } from './io/safetensors.js';
export { loadSafetensors, saveSafetensors } from './io/safetensors-file.js';
export { writeFileAtomic } from './io/atomic.js';
export * from './train/index.js';
export { fit, type FitOptions, type FitResult, type StepInfo, type EpochInfo } from './train/loop.js';
export { trainTask, type TrainOptions, type TrainOutcome, type TrainCallbacks } from './tasks/run.js';
export { explainRecurrent, formatExplanation, type Explanation, type ExplainSpec } from './explain/explain.js';
export { loadPredictor, saveModelDirectory, readModelConfig } from './tasks/model-dir.js';
export type { Predictor, Evaluation, TaskDefinition, DataOptions } from './tasks/task.js';
export { evaluateModel, type EvaluateOutcome } from './tasks/evaluate.js';
export * as baselines from './baselines/index.js';
export { TASKS, TASK_NAMES, type TaskName } from './tasks/registry.js';
export { exportTaskModel, exportModelDirectory, exportSeq2SeqModelDirectory, type TaskOnnxExport, type ModelDirectoryExport } from './tasks/export-onnx.js';
export { parseNpy, serializeNpy, npyToTensor, type NpyArray, type NpyDtype, type NpyInput } from './io/npy.js';
export { loadNpy, saveNpy } from './io/npy-file.js';
export { exportOnnx, exportOnnxModel, loadOnnx, parseOnnx, OnnxModel, supportedOperators, type OnnxExportOptions, type OnnxExportResult, type OnnxValueSpec, type OnnxFeed, type OnnxInputInfo, type OnnxValueInfo } from './onnx/index.js';
export type * as shapes from './tensor/shape-types.js';
export { parseTfjsLayersModel, parseTfjsWeights, readTfjsWeightManifest, type TfjsWeightManifest, type TfjsWeightSpec, type TfjsWeightGroup } from './interop/tfjs.js';
export { loadTfjsLayersModel } from './interop/tfjs-file.js';
export { kerasToTorchStateDict, kerasToTorchModule, kerasRecurrentToTorch, torchRecurrentToKeras, torchToKerasWeights, torchToKerasLayer, type RecurrentKind, type KerasRecurrentWeights, type RecurrentNameOptions, type KerasRecurrentToTorchOptions, type KerasToTorchOptions, type KerasToTorchModuleOptions, type TorchConvertible, type TorchToKerasLayerOptions } from './interop/keras-torch.js';
export { exportSeq2SeqOnnx, exportSeq2SeqOnnxModels, type Seq2SeqOnnxExport, type Seq2SeqOnnxGraph, type Seq2SeqOnnxOptions } from './onnx/index.js';
