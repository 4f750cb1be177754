/**
 * recurrent for the browser (and workers): the part of the public API that runs anywhere.
 * `src/index.ts` re-exports all of it and adds the Node-only parts, so the two entries cannot
 * drift apart: a name means the same thing in both (test/entries.test.ts).
 *
 * Everything here imports nothing from `node:*` or any package, directly or through the modules
 * it re-exports (checked by test/e2e-playground.test.ts). Node-only, in `src/index.ts`: the
 * embedded dataset loaders and user-file reading (`data.load*`), files on disk (safetensors,
 * npy, atomic writes), the native backend, the task runner (`trainTask`, `loadPredictor`, the
 * model directory) and ONNX (protobufjs). In a page, bring the data in yourself (e.g. a
 * bundler's `?raw` import) and parse it with `data.parseDelimited`.
 */
import './backend/reference/index.js';
import './backend/wasm/index.js';

export * from './tensor/index.js';
export * as nn from './nn/index.js';
export * as models from './models/index.js';
export * as data from './data/browser.js';
export * as layers from './layers/index.js';
export {
  PackedSequence,
  packPaddedSequence,
  padPackedSequence,
  type PackOptions,
  type PadOptions,
} from './sequence/packed.js';
export { lastValidStep, lengthsMask, type LastStepOptions } from './sequence/last-step.js';
export { setBackend, getBackend, backendStatus, type Backend, type BackendName } from './backend/backend.js';
export { initWasmBackend } from './backend/wasm/index.js';
export { FAMILIES, CELL_FAMILIES, type CellFamily, type CellKind, type FamilySpec } from './families.js';
export {
  RecurrentError,
  ShapeError,
  ValueError,
  StateDictError,
  GradientError,
  DataError,
  FormatError,
  TrainingError,
  ExportError,
  type ShapeErrorDetails,
  type StateDictProblem,
} from './errors.js';
export { parseSafetensors, serializeSafetensors, type SafetensorsContent } from './io/safetensors.js';
export { parseNpy, serializeNpy, npyToTensor, type NpyArray, type NpyDtype, type NpyInput } from './io/npy.js';
export * from './train/index.js';
export { fit, type FitOptions, type FitResult, type StepInfo, type EpochInfo } from './train/loop.js';
export { explainRecurrent, formatExplanation, type Explanation, type ExplainSpec } from './explain/explain.js';
export type * as shapes from './tensor/shape-types.js';
export {
  parseTfjsLayersModel,
  parseTfjsWeights,
  readTfjsWeightManifest,
  type TfjsWeightManifest,
  type TfjsWeightSpec,
  type TfjsWeightGroup,
} from './interop/tfjs.js';
export {
  kerasToTorchStateDict,
  kerasToTorchModule,
  kerasRecurrentToTorch,
  torchRecurrentToKeras,
  torchToKerasWeights,
  torchToKerasLayer,
  type KerasRecurrentWeights,
  type RecurrentNameOptions,
  type KerasRecurrentToTorchOptions,
  type KerasToTorchOptions,
  type KerasToTorchModuleOptions,
  type TorchConvertible,
  type TorchToKerasLayerOptions,
} from './interop/keras-torch.js';
