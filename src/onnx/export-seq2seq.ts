/**
 * ONNX export of a Seq2Seq model as two graphs (opset 14), since its decoding loop (greedy or
 * beam search, stopping at EOS) is not a fixed graph:
 *
 *   encoder.onnx       source int64 (batch, source), lengths int64 (batch)
 *                      -> h (L, batch, H) [, c (L, batch, H) for LSTM]
 *                         [, memory_values (batch, source, M), memory_keys (batch, source, H),
 *                            memory_padding float (batch, source): 1 at padded steps]  (attention)
 *   decoder_step.onnx  previous int64 (batch), h [, c] [, memory_values, memory_keys, memory_padding]
 *                      -> logits (batch, targetVocab), new_h [, new_c]
 *
 * They do exactly what `Seq2Seq.encode` and `Seq2Seq.step` do (eval mode: no dropout). The caller
 * runs the loop: feed BOS as `previous`, then the chosen token, passing new_h / new_c back as h / c
 * and the memory tensors unchanged. Batch and source length are symbolic ('batch', 'source').
 * Luong, Bahdanau and no attention; GRU and LSTM cells (tested; RNN goes through the same code);
 * bidirectional encoders (bridge).
 */
import { join } from 'node:path';
import { ValueError } from '../errors.js';
import { FAMILIES } from '../families.js';
import { writeFileAtomic } from '../io/atomic.js';
import { Seq2Seq } from '../models/seq2seq.js';
import { Tensor } from '../tensor/tensor.js';
import { type Dim, GraphBuilder } from './builder.js';
import { EXPORT_OPSET, inEval, linearWeights, type OnnxValueSpec, RecurrentEmitter } from './export.js';
import { DataType } from './proto.js';
import { embeddingTable, layerSlices, stepOutputs } from './step-graph.js';
import { arrayFrom, int64s } from './values.js';

const WHERE = 'exportSeq2SeqOnnx';

export interface Seq2SeqOnnxGraph {
  bytes: Uint8Array;
  inputs: OnnxValueSpec[];
  outputs: OnnxValueSpec[];
}

export interface Seq2SeqOnnxExport {
  encoder: Seq2SeqOnnxGraph;
  decoderStep: Seq2SeqOnnxGraph;
}

export interface Seq2SeqOnnxOptions {
  /** Extra entries for both models' metadata_props. */
  metadata?: Record<string, string>;
}

type Linearish = { weight: Tensor; bias: Tensor | null };

function gemm(b: GraphBuilder, x: string, module: Linearish, hint: string): string {
  const { w, bias } = linearWeights(b, module, hint, false);
  return b.op('Gemm', [x, w, bias], hint, { transB: { i: 1 } });
}

/** (…, in) x Wᵀ for a Linear without bias on a rank-3 value. */
function matmulLinear(b: GraphBuilder, x: string, module: Linearish, hint: string): string {
  const { w, bias } = linearWeights(b, module, hint, true);
  const product = b.op('MatMul', [x, w], `${hint}_matmul`);
  return bias ? b.op('Add', [product, bias], hint) : product;
}

function checkExamples(model: Seq2Seq, source: unknown, lengths: unknown): { source: Tensor; lengths: number[] } {
  if (!(source instanceof Tensor) || source.rank !== 2)
    throw new ValueError(WHERE, 'exampleSource must be a Tensor of token ids with shape (batch, source)');
  if (!Array.isArray(lengths) || lengths.length !== source.shape[0])
    throw new ValueError(WHERE, `exampleLengths must be an array of ${source.shape[0]} lengths`);
  const list = lengths as number[];
  inEval(model, () => {
    const state = model.encode(source, list);
    model.step(new Array<number>(list.length).fill(model.config.bosId), state);
  });
  return { source, lengths: list };
}

function metadata(model: Seq2Seq, part: string, options: Seq2SeqOnnxOptions): Record<string, string> {
  return {
    'recurrent.seq2seq.part': part,
    'recurrent.seq2seq.config': JSON.stringify(model.config),
    ...options.metadata,
  };
}

function buildEncoder(model: Seq2Seq, options: Seq2SeqOnnxOptions): Seq2SeqOnnxGraph {
  const c = model.config;
  const b = new GraphBuilder();
  const L = c.numLayers;
  const H = c.hiddenSize;
  const D = c.bidirectionalEncoder ? 2 : 1;
  const M = D * H;
  const lstm = FAMILIES[c.cell].hasCell;
  const inputs: OnnxValueSpec[] = [
    { name: 'source', type: 'int64', dims: ['batch', 'source'] },
    { name: 'lengths', type: 'int64', dims: ['batch'] },
  ];
  for (const i of inputs) b.input(i.name, i.type, i.dims);
  const table = embeddingTable(b, model.sourceEmbedding.weight, 'source_embedding_weight');
  const embedded = b.op('Gather', [table, 'source'], 'source_embedded', { axis: { i: 0 } }); // (N, S, E)
  const timeMajor = b.op('Transpose', [embedded], 'source_time_major', { perm: { ints: [1, 0, 2] } });
  const seqLens = b.op('Cast', ['lengths'], 'sequence_lens', { to: { i: DataType.INT32 } });
  const { y, h, c: cs } = new RecurrentEmitter(b, model.encoder, 'encoder_').run(timeMajor, seqLens, null, null);
  // Per layer (D, N, H) -> the decoder's (1, N, H): as is, or tanh(bridge([fwd; bwd])).
  const axes0 = b.constant('axes_0', int64s([0]));
  const bridged = (states: string[], hint: string): string => {
    const layers = states.map((s, l) => {
      if (!model.bridge) return s;
      const t = b.op('Transpose', [s], `${hint}_l${l}_batch_major`, { perm: { ints: [1, 0, 2] } });
      const both = b.op('Reshape', [t, b.constant('shape_0_m1', int64s([0, -1]))], `${hint}_l${l}_both`); // (N, 2H)
      const squashed = b.op('Tanh', [gemm(b, both, model.bridge, 'bridge')], `${hint}_l${l}_bridged`);
      return b.op('Unsqueeze', [squashed, axes0], `${hint}_l${l}`);
    });
    return layers.length === 1 ? layers[0]! : b.op('Concat', layers, `${hint}_all`, { axis: { i: 0 } });
  };
  const stateDims: Dim[] = [L, 'batch', H];
  const outputs: OnnxValueSpec[] = [{ name: 'h', type: 'float32', dims: stateDims }];
  b.output('h', bridged(h, 'h'), 'float32', stateDims);
  if (lstm) {
    outputs.push({ name: 'c', type: 'float32', dims: stateDims });
    b.output('c', bridged(cs, 'c'), 'float32', stateDims);
  }
  if (model.attention) {
    const values = b.op('Transpose', [y], 'memory_values_batch_major', { perm: { ints: [1, 0, 2] } }); // (N, S, M)
    const keys = matmulLinear(b, values, model.attention.keyProjection, 'attention_key');
    const shape = b.op('Shape', ['source'], 'source_shape');
    const length = b.op('Gather', [shape, b.constant('one', arrayFrom('int64', [], [1]))], 'source_length', {
      axis: { i: 0 },
    });
    const steps = b.op(
      'Range',
      [b.constant('zero', arrayFrom('int64', [], [0])), length, b.constant('one', arrayFrom('int64', [], [1]))],
      'source_steps',
    );
    const stepRow = b.op('Unsqueeze', [steps, axes0], 'source_steps_row'); // (1, S)
    const lengthColumn = b.op('Unsqueeze', ['lengths', b.constant('axes_1', int64s([1]))], 'lengths_column'); // (N, 1)
    const padded = b.op('GreaterOrEqual', [stepRow, lengthColumn], 'padded'); // (N, S)
    const padding = b.op('Cast', [padded], 'padding', { to: { i: DataType.FLOAT } });
    const memory: [string, string, Dim[]][] = [
      ['memory_values', values, ['batch', 'source', M]],
      ['memory_keys', keys, ['batch', 'source', H]],
      ['memory_padding', padding, ['batch', 'source']],
    ];
    for (const [name, value, dims] of memory) {
      outputs.push({ name, type: 'float32', dims });
      b.output(name, value, 'float32', dims);
    }
  }
  const bytes = b.encode({
    graphName: 'Seq2SeqEncoder',
    opset: EXPORT_OPSET,
    docString: `${model.describe()} encoder, exported by recurrent`,
    metadata: metadata(model, 'encoder', options),
  });
  return { bytes, inputs, outputs };
}

function buildDecoderStep(model: Seq2Seq, options: Seq2SeqOnnxOptions): Seq2SeqOnnxGraph {
  const c = model.config;
  const b = new GraphBuilder();
  const L = c.numLayers;
  const H = c.hiddenSize;
  const M = (c.bidirectionalEncoder ? 2 : 1) * H;
  const lstm = FAMILIES[c.cell].hasCell;
  const stateDims: Dim[] = [L, 'batch', H];
  const inputs: OnnxValueSpec[] = [
    { name: 'previous', type: 'int64', dims: ['batch'] },
    { name: 'h', type: 'float32', dims: stateDims },
  ];
  if (lstm) inputs.push({ name: 'c', type: 'float32', dims: stateDims });
  if (model.attention) {
    inputs.push(
      { name: 'memory_values', type: 'float32', dims: ['batch', 'source', M] },
      { name: 'memory_keys', type: 'float32', dims: ['batch', 'source', H] },
      { name: 'memory_padding', type: 'float32', dims: ['batch', 'source'] },
    );
  }
  for (const i of inputs) b.input(i.name, i.type, i.dims);
  const axes0 = b.constant('axes_0', int64s([0]));
  const axes1 = b.constant('axes_1', int64s([1]));
  const table = embeddingTable(b, model.targetEmbedding.weight, 'target_embedding_weight');
  const embedded = b.op('Gather', [table, 'previous'], 'previous_embedded', { axis: { i: 0 } }); // (N, E)

  /** Masked softmax attention of queries (N, 1, H') given scores (N, 1, S) -> context (N, M). */
  const attendScores = (scores: string): string => {
    const padded = b.op('Greater', ['memory_padding', b.constant('half', arrayFrom('float32', [], [0.5]))], 'padded'); // (N, S)
    const padded3 = b.op('Unsqueeze', [padded, axes1], 'padded_3d'); // (N, 1, S)
    const masked = b.op(
      'Where',
      [padded3, b.constant('minus_infinity', arrayFrom('float32', [], [-Infinity])), scores],
      'masked_scores',
    );
    const weights = b.op('Softmax', [masked], 'attention_weights', { axis: { i: -1 } }); // (N, 1, S)
    const context = b.op('MatMul', [weights, 'memory_values'], 'context_3d'); // (N, 1, M)
    return b.op('Squeeze', [context, axes1], 'context'); // (N, M)
  };

  let input = embedded;
  let bahdanauContext = '';
  if (c.attention === 'bahdanau') {
    const attention = model.attention!;
    const top = b.op('Gather', ['h', b.constant('top_layer', arrayFrom('int64', [], [L - 1]))], 'query', {
      axis: { i: 0 },
    }); // (N, H)
    const { w: wq } = linearWeights(b, attention.queryProjection!, 'attention_query', true);
    const q = b.op('Unsqueeze', [b.op('MatMul', [top, wq], 'query_projected'), axes1], 'query_3d'); // (N, 1, H)
    const energy = b.op('Tanh', [b.op('Add', [q, 'memory_keys'], 'energy_sum')], 'energy'); // (N, S, H)
    const { w: v } = linearWeights(b, attention.scoreVector!, 'attention_score', true); // (H, 1)
    const scores = b.op('MatMul', [energy, v], 'scores_column'); // (N, S, 1)
    const scoreRow = b.op('Transpose', [scores], 'scores', { perm: { ints: [0, 2, 1] } }); // (N, 1, S)
    bahdanauContext = attendScores(scoreRow);
    input = b.op('Concat', [embedded, bahdanauContext], 'decoder_input', { axis: { i: 1 } }); // (N, E + M)
  }
  const x = b.op('Unsqueeze', [input, axes0], 'decoder_input_time_major'); // (1, N, I)
  const run = new RecurrentEmitter(b, model.decoder, 'decoder_').run(
    x,
    '',
    layerSlices(b, 'h', L, axes0),
    lstm ? layerSlices(b, 'c', L, axes0) : null,
  );
  const output = b.op('Squeeze', [run.y, axes0], 'decoder_output'); // (N, H)
  let features = output;
  if (c.attention === 'luong') {
    const query = b.op('Unsqueeze', [output, axes1], 'query_3d'); // (N, 1, H)
    const keysT = b.op('Transpose', ['memory_keys'], 'keys_t', { perm: { ints: [0, 2, 1] } }); // (N, H, S)
    const context = attendScores(b.op('MatMul', [query, keysT], 'scores')); // (N, M)
    const joined = b.op('Concat', [context, output], 'combine_input', { axis: { i: 1 } });
    features = b.op('Tanh', [gemm(b, joined, model.combine!, 'combine')], 'attentional');
  } else if (c.attention === 'bahdanau') {
    features = b.op('Concat', [output, bahdanauContext], 'head_input', { axis: { i: 1 } });
  }
  const logits = gemm(b, features, model.head, 'head');
  const outputs = stepOutputs(b, logits, c.targetVocabSize, run, stateDims, lstm);
  const bytes = b.encode({
    graphName: 'Seq2SeqDecoderStep',
    opset: EXPORT_OPSET,
    docString: `${model.describe()} decoder step, exported by recurrent`,
    metadata: metadata(model, 'decoder_step', options),
  });
  return { bytes, inputs, outputs };
}

/**
 * Builds the encoder and one-step decoder graphs of `model`. The example source ids (batch,
 * source) and lengths are first run through `model.encode` and one `model.step` (eval mode, no
 * gradients), so a wrong input fails with the model's own message.
 */
export function exportSeq2SeqOnnxModels(
  model: Seq2Seq,
  exampleSource: Tensor,
  exampleLengths: readonly number[],
  options: Seq2SeqOnnxOptions = {},
): Seq2SeqOnnxExport {
  checkExamples(model, exampleSource, exampleLengths);
  return inEval(model, () => ({
    encoder: buildEncoder(model, options),
    decoderStep: buildDecoderStep(model, options),
  }));
}

/** Writes `dir/encoder.onnx` and `dir/decoder_step.onnx` (atomically); see `exportSeq2SeqOnnxModels`. */
export function exportSeq2SeqOnnx(
  model: Seq2Seq,
  exampleSource: Tensor,
  exampleLengths: readonly number[],
  dir: string,
  options: Seq2SeqOnnxOptions = {},
): {
  encoder: { file: string; bytes: number; inputs: OnnxValueSpec[]; outputs: OnnxValueSpec[] };
  decoderStep: { file: string; bytes: number; inputs: OnnxValueSpec[]; outputs: OnnxValueSpec[] };
} {
  const built = exportSeq2SeqOnnxModels(model, exampleSource, exampleLengths, options);
  const write = (graph: Seq2SeqOnnxGraph, name: string) => {
    const file = join(dir, name);
    writeFileAtomic(file, graph.bytes);
    return { file, bytes: graph.bytes.length, inputs: graph.inputs, outputs: graph.outputs };
  };
  return { encoder: write(built.encoder, 'encoder.onnx'), decoderStep: write(built.decoderStep, 'decoder_step.onnx') };
}
