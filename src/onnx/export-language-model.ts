/**
 * ONNX export of a LanguageModel's step graph (opset 14): one token in, the next token's logits
 * out, with the recurrent state as explicit inputs and outputs, so that any ONNX runtime can
 * generate text and a server can keep each stream's state between requests.
 *
 *   token int64 (batch), h float (L, batch, H) [, c float (L, batch, H) for LSTM]
 *     -> logits float (batch, V), new_h (L, batch, H) [, new_c (L, batch, H)]
 *
 * It does exactly what `LanguageModel.step` does in eval mode (no dropout): Gather of the
 * embedding row, one ONNX RNN/LSTM/GRU op per layer (see export.ts for the weight layouts),
 * Gemm to the vocabulary (the embedding table itself when the weights are tied). Start a stream
 * with zeros for h and c, feed each token with the previous step's new_h / new_c, and draw the
 * next token from softmax(logits) outside the graph. The tokenizer (vocabulary) is not part of
 * the graph: it goes into metadata_props by whoever calls this (e.g. the model directory export).
 */
import { ValueError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { LanguageModel, TiedHead } from '../models/language-model.js';
import type { Tensor } from '../tensor/tensor.js';
import { type Dim, GraphBuilder } from './builder.js';
import { EXPORT_OPSET, inEval, linearWeights, type OnnxExportResult, RecurrentEmitter } from './export.js';
import { embeddingTable, layerSlices, stepOutputs } from './step-graph.js';
import { int64s, makeArray } from './values.js';

export interface LanguageModelOnnxOptions {
  /** Extra entries for the model's metadata_props. */
  metadata?: Record<string, string>;
}

/** Builds the step graph of `model` (see the module comment). */
export function exportLanguageModelStep(
  model: LanguageModel,
  options: LanguageModelOnnxOptions = {},
): OnnxExportResult {
  if (!(model instanceof LanguageModel))
    throw new ValueError('exportLanguageModelStep', 'model must be a LanguageModel');
  const { vocabSize: V, numLayers: L, hiddenSize: H, cell } = model.config;
  const lstm = cell === 'lstm';
  inEval(model, () => model.step([0], null)); // fails here, with the model's message, if the model cannot run
  const b = new GraphBuilder();
  const stateDims: Dim[] = [L, 'batch', H];
  const inputs: OnnxExportResult['inputs'] = [
    { name: 'token', type: 'int64', dims: ['batch'] },
    { name: 'h', type: 'float32', dims: stateDims },
  ];
  if (lstm) inputs.push({ name: 'c', type: 'float32', dims: stateDims });
  for (const i of inputs) b.input(i.name, i.type, i.dims);
  const axes0 = b.constant('axes_0', int64s([0]));
  const weight: Tensor = model.embedding.weight;
  const table = embeddingTable(b, weight, 'embedding_weight');
  const embedded = b.op('Gather', [table, 'token'], 'embedded', { axis: { i: 0 } }); // (N, E)
  const x = b.op('Unsqueeze', [embedded, axes0], 'embedded_step'); // (1, N, E)
  const run = new RecurrentEmitter(b, model.rnn, 'rnn_').run(
    x,
    '',
    layerSlices(b, 'h', L, axes0),
    lstm ? layerSlices(b, 'c', L, axes0) : null,
  );
  const output = b.op('Squeeze', [run.y, axes0], 'rnn_output'); // (N, H)
  const head = model.head;
  const { w, bias } =
    head instanceof TiedHead
      ? { w: table, bias: b.constant('head_bias', makeArray('float32', [V], Float32Array.from(head.bias.data))) }
      : linearWeights(b, head, 'head', false);
  const logits = b.op('Gemm', [output, w, bias], 'head', { transB: { i: 1 } });
  const outputs = stepOutputs(b, logits, V, run, stateDims, lstm);
  const bytes = b.encode({
    graphName: 'LanguageModelStep',
    opset: EXPORT_OPSET,
    docString: `${model.describe()} step graph, exported by recurrent`,
    metadata: { 'recurrent.graph': 'language_model_step', ...options.metadata },
  });
  return { bytes, inputs, outputs };
}

/** Writes the step graph to `file` (atomically); see `exportLanguageModelStep`. */
export function exportLanguageModelOnnx(
  model: LanguageModel,
  file: string,
  options: LanguageModelOnnxOptions = {},
): Omit<OnnxExportResult, 'bytes'> & { bytes: number } {
  const result = exportLanguageModelStep(model, options);
  writeFileAtomic(file, result.bytes);
  return { inputs: result.inputs, outputs: result.outputs, bytes: result.bytes.length };
}
