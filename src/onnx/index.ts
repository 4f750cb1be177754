/** ONNX: export of the recurrent layers and ready architectures, and a runtime for ONNX models (Node). */
export {
  exportOnnx,
  exportOnnxModel,
  EXPORT_OPSET,
  type OnnxExportOptions,
  type OnnxExportResult,
  type OnnxValueSpec,
} from './export.js';
export {
  loadOnnx,
  parseOnnx,
  OnnxModel,
  supportedOperators,
  toNpyArray,
  type OnnxFeed,
  type OnnxInputInfo,
  type OnnxValueInfo,
} from './graph.js';
export {
  exportSeq2SeqOnnx,
  exportSeq2SeqOnnxModels,
  type Seq2SeqOnnxExport,
  type Seq2SeqOnnxGraph,
  type Seq2SeqOnnxOptions,
} from './export-seq2seq.js';
export {
  exportLanguageModelStep,
  exportLanguageModelOnnx,
  type LanguageModelOnnxOptions,
} from './export-language-model.js';
