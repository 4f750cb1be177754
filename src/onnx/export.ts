/**
 * ONNX export of the recurrent layers and the ready architectures, with ONNX's own
 * RNN / LSTM / GRU operators (opset 14), so any ONNX runtime runs them with its fused kernels.
 *
 * What maps to what:
 *   nn.RNN / nn.LSTM / nn.GRU   one ONNX op per layer (both directions in one op);
 *                               between layers Y (T, D, N, H) -> Transpose -> Reshape (T, N, D*H)
 *   gate order                  PyTorch LSTM i,f,g,o -> ONNX i,o,f,c; GRU r,z,n -> ONNX z,r,h
 *   biases                      B = [b_ih ; b_hh] per direction (omitted when bias = false)
 *   GRU                         linear_before_reset = 1 (PyTorch applies r to W_hn h + b_hn)
 *   RNN nonlinearity relu       activations = ['Relu'] per direction
 *   batchFirst                  Transpose (1, 0, 2) around the recurrent ops (layout stays 0,
 *                               which every runtime supports)
 *   lengths                     an int64 input `lengths` (batch), cast to int32 sequence_lens
 *   initial states              inputs `h0` (and `c0`), sliced per layer
 *   projSize > 0                refused: ONNX's LSTM op has no projection
 * Inputs and outputs have symbolic batch and time dimensions (dim_param 'batch', 'time').
 *
 * Ready architectures (inference only: dropout is not exported):
 *   SequenceClassifier  tokens int64 (batch, time) or features float (batch, time, F), lengths
 *                       int64 (batch) -> logits (batch, classes); pooling last, mean or max
 *   SequenceTagger      tokens / features, lengths -> logits (batch, time, tags)
 *   Forecaster          window (batch, time, F) -> forecast (batch, horizon, F); 'direct', or
 *                       'autoregressive' unrolled over the configured horizon (the model's
 *                       recurrent ops repeated per step, sharing one set of weights)
 * Seq2Seq: see export-seq2seq.ts (an encoder graph and a one-step decoder graph; the loop and
 * beam search stay outside ONNX).
 */
import { ValueError } from '../errors.js';
import { FAMILIES, type FamilySpec } from '../families.js';
import { writeFileAtomic } from '../io/atomic.js';
import { Forecaster } from '../models/forecaster.js';
import { LanguageModel } from '../models/language-model.js';
import { Seq2Seq } from '../models/seq2seq.js';
import { SequenceClassifier } from '../models/classifier.js';
import { SequenceTagger } from '../models/tagger.js';
import type { RecurrentLayer } from '../models/recurrent-layer.js';
import type { Module } from '../nn/module.js';
import { GRU } from '../nn/recurrent/gru.js';
import { LSTM } from '../nn/recurrent/lstm.js';
import type { RecurrentBase } from '../nn/recurrent/base.js';
import { RNN } from '../nn/recurrent/rnn.js';
import { noGrad } from '../tensor/autograd.js';
import { Tensor } from '../tensor/tensor.js';
import { type Dim, GraphBuilder } from './builder.js';
import { exportTraced } from './export-traced.js';
import { DataType } from './proto.js';
import { arrayFrom, type ElemType, int64s, makeArray, type NDArray } from './values.js';

/** The opset of exported models. */
export const EXPORT_OPSET = 14;

export interface OnnxExportOptions {
  /**
   * Add an int64 input `lengths` (batch) with each sequence's valid steps (ONNX sequence_lens).
   * Default: true for SequenceClassifier and SequenceTagger, false for RNN/LSTM/GRU. Not for Forecaster.
   */
  lengths?: boolean;
  /** RNN/LSTM/GRU: add inputs `h0` (and `c0` for LSTM) with the initial states (default false: zeros). */
  initialState?: boolean;
  /** Extra entries for the model's metadata_props. */
  metadata?: Record<string, string>;
  /** The model's doc_string (default: a description of the module). */
  docString?: string;
  /**
   * Traced export (any module but the six above): each input's dims, a number for a fixed size
   * or a name for a size that may change at run time. Default: for a Keras-style model its
   * declared input shapes (`null` dims become 'batch', 'time', 'dimK'); otherwise dim 0 is
   * 'batch', dim 1 'time' for a 3-D input or for 2-D integer ids, and the others fixed.
   */
  inputDims?: readonly (readonly Dim[])[];
}

export interface OnnxValueSpec {
  name: string;
  type: ElemType;
  dims: Dim[];
}

export interface OnnxExportResult {
  bytes: Uint8Array;
  inputs: OnnxValueSpec[];
  outputs: OnnxValueSpec[];
}

const WHERE = 'exportOnnx';

/** The layer's row of the cell-family table (its ONNX op and gate order). */
function family(layer: RecurrentBase): FamilySpec {
  if (!(layer instanceof LSTM || layer instanceof GRU || layer instanceof RNN))
    throw new ValueError(WHERE, `unsupported recurrent layer ${layer.describe()}`);
  return FAMILIES[layer.family];
}

/** Reorders gate blocks of `rows` rows (each `cols` wide) and writes them at `out[at...]`. */
export function writeGates(
  src: Float32Array,
  hidden: number,
  cols: number,
  order: readonly number[],
  out: Float32Array,
  at: number,
): void {
  let k = at;
  for (const g of order) {
    const start = g * hidden * cols;
    out.set(src.subarray(start, start + hidden * cols), k);
    k += hidden * cols;
  }
}

interface LayerWeights {
  w: string;
  r: string;
  b: string;
}

/** Emits a multi-layer recurrent stack. Weights are stored once and reused across calls (unrolling). */
export class RecurrentEmitter {
  private readonly spec: FamilySpec;
  /** The ONNX op: RNN, LSTM or GRU. */
  private readonly kind: FamilySpec['onnxOp'];
  private readonly weights: LayerWeights[] = [];
  private readonly params: Map<string, Tensor>;

  constructor(
    private readonly b: GraphBuilder,
    private readonly layer: RecurrentBase,
    private readonly prefix: string,
  ) {
    this.spec = family(layer);
    this.kind = this.spec.onnxOp;
    if (layer.projSize > 0) {
      throw new ValueError(
        WHERE,
        `${layer.describe()} has projSize=${layer.projSize}, but ONNX's LSTM operator has no projection (no W_hr): a model with projSize > 0 cannot be exported with the standard LSTM op`,
      );
    }
    this.params = new Map(layer.namedParameters());
  }

  get directions(): number {
    return this.layer.bidirectional ? 2 : 1;
  }

  private layerWeights(l: number): LayerWeights {
    const cached = this.weights[l];
    if (cached) return cached;
    const D = this.directions;
    const H = this.layer.hiddenSize;
    // ONNX block j holds PyTorch gate onnxOrder[j].
    const order = this.spec.onnxOrder;
    const G = order.length;
    const suffix = (d: number) => `_l${l}${d === 1 ? '_reverse' : ''}`;
    const get = (name: string) => this.params.get(name)!;
    const inputSize = get(`weight_ih${suffix(0)}`).shape[1]!;
    const w = new Float32Array(D * G * H * inputSize);
    const r = new Float32Array(D * G * H * H);
    const bias = this.layer.bias ? new Float32Array(D * 2 * G * H) : null;
    for (let d = 0; d < D; d++) {
      writeGates(get(`weight_ih${suffix(d)}`).data, H, inputSize, order, w, d * G * H * inputSize);
      writeGates(get(`weight_hh${suffix(d)}`).data, H, H, order, r, d * G * H * H);
      if (bias) {
        writeGates(get(`bias_ih${suffix(d)}`).data, H, 1, order, bias, d * 2 * G * H);
        writeGates(get(`bias_hh${suffix(d)}`).data, H, 1, order, bias, d * 2 * G * H + G * H);
      }
    }
    const name = `${this.prefix}${this.kind.toLowerCase()}_l${l}`;
    const result = {
      w: this.b.constant(`${name}_W`, makeArray('float32', [D, G * H, inputSize], w)),
      r: this.b.constant(`${name}_R`, makeArray('float32', [D, G * H, H], r)),
      b: bias ? this.b.constant(`${name}_B`, makeArray('float32', [D, 2 * G * H], bias)) : '',
    };
    this.weights[l] = result;
    return result;
  }

  /**
   * x (T, N, I) -> { y (T, N, D*H), h per layer (D, N, H), c per layer (LSTM) }.
   * `initialH[l]` / `initialC[l]` are (D, N, H) values or '' for zeros.
   */
  run(
    x: string,
    seqLens: string,
    initialH: string[] | null,
    initialC: string[] | null,
  ): { y: string; h: string[]; c: string[] } {
    const D = this.directions;
    const H = this.layer.hiddenSize;
    const hs: string[] = [];
    const cs: string[] = [];
    let input = x;
    for (let l = 0; l < this.layer.numLayers; l++) {
      const { w, r, b } = this.layerWeights(l);
      const attrs: Record<string, { i: number } | { s: string } | { strings: string[] }> = {
        hidden_size: { i: H },
        direction: { s: D === 2 ? 'bidirectional' : 'forward' },
      };
      if (this.spec.family === 'gru') attrs['linear_before_reset'] = { i: 1 };
      if (this.layer instanceof RNN && this.layer.nonlinearity === 'relu')
        attrs['activations'] = { strings: new Array<string>(D).fill('Relu') };
      const h0 = initialH?.[l] ?? '';
      const inputs = [input, w, r, b, seqLens, h0];
      if (this.spec.hasCell) inputs.push(initialC?.[l] ?? '');
      const hint = `${this.prefix}${this.kind.toLowerCase()}_l${l}`;
      const outputs = this.b.node(this.kind, inputs, hint, attrs, 2 + (this.spec.hasCell ? 1 : 0));
      const y = outputs[0]!; // (T, D, N, H)
      hs.push(outputs[1]!);
      if (this.spec.hasCell) cs.push(outputs[2]!);
      if (D === 1) {
        input = this.b.op('Squeeze', [y, this.b.constant('axes_1', int64s([1]))], `${hint}_y`);
      } else {
        const t = this.b.op('Transpose', [y], `${hint}_y_t`, { perm: { ints: [0, 2, 1, 3] } });
        input = this.b.op('Reshape', [t, this.b.constant('shape_0_0_m1', int64s([0, 0, -1]))], `${hint}_y`);
      }
    }
    return { y: input, h: hs, c: cs };
  }
}

function concatStates(b: GraphBuilder, states: string[], hint: string): string {
  return states.length === 1 ? states[0]! : b.op('Concat', states, hint, { axis: { i: 0 } });
}

function checkExample(example: unknown, rank: number, what: string): Tensor {
  if (!(example instanceof Tensor)) throw new ValueError(WHERE, `exampleInput must be a Tensor (${what})`);
  if (example.rank !== rank)
    throw new ValueError(WHERE, `exampleInput must be ${what}, got shape [${example.shape.join(', ')}]`);
  return example;
}

/** Runs `f` in eval mode without gradients, restoring the module's training flags after. */
export function inEval<T>(module: Module, f: () => T): T {
  const modes = module.namedModules().map(([, m]) => [m, m.training] as const);
  module.eval();
  try {
    return noGrad(f);
  } finally {
    for (const [m, mode] of modes) m.training = mode;
  }
}

interface Built {
  builder: GraphBuilder;
  inputs: OnnxValueSpec[];
  outputs: OnnxValueSpec[];
  name: string;
}

function exportRecurrent(layer: RecurrentLayer, example: Tensor, options: OnnxExportOptions): Built {
  checkExample(
    example,
    3,
    `a batched 3-D input ${layer.batchFirst ? '(batch, time, features)' : '(time, batch, features)'}`,
  );
  // Typed-shape overloads aside, any 3-D Tensor is a valid call at run time.
  inEval(layer, () => (layer as unknown as { forward(x: Tensor): unknown }).forward(example));
  const b = new GraphBuilder();
  const spec = family(layer);
  const kind = spec.onnxOp;
  const D = layer.bidirectional ? 2 : 1;
  const L = layer.numLayers;
  const H = layer.hiddenSize;
  const seqDims: Dim[] = layer.batchFirst ? ['batch', 'time'] : ['time', 'batch'];
  const inputs: OnnxValueSpec[] = [{ name: 'input', type: 'float32', dims: [...seqDims, layer.inputSize] }];
  const emitter = new RecurrentEmitter(b, layer, '');
  b.input('input', 'float32', inputs[0]!.dims);
  let x = layer.batchFirst ? b.op('Transpose', ['input'], 'input_time_major', { perm: { ints: [1, 0, 2] } }) : 'input';
  let initialH: string[] | null = null;
  let initialC: string[] | null = null;
  const slices = (state: string) =>
    Array.from({ length: L }, (_, l) =>
      b.op(
        'Slice',
        [
          state,
          b.constant('start', int64s([l * D])),
          b.constant('end', int64s([(l + 1) * D])),
          b.constant('axes_0', int64s([0])),
        ],
        `${state}_l${l}`,
      ),
    );
  if (options.initialState) {
    const stateDims: Dim[] = [L * D, 'batch', H];
    inputs.push({ name: 'h0', type: 'float32', dims: stateDims });
    b.input('h0', 'float32', stateDims);
    initialH = L === 1 ? ['h0'] : slices('h0');
    if (spec.hasCell) {
      inputs.push({ name: 'c0', type: 'float32', dims: stateDims });
      b.input('c0', 'float32', stateDims);
      initialC = L === 1 ? ['c0'] : slices('c0');
    }
  }
  let seqLens = '';
  if (options.lengths) {
    inputs.push({ name: 'lengths', type: 'int64', dims: ['batch'] });
    b.input('lengths', 'int64', ['batch']);
    seqLens = b.op('Cast', ['lengths'], 'sequence_lens', { to: { i: DataType.INT32 } });
  }
  const { y, h, c } = emitter.run(x, seqLens, initialH, initialC);
  x = layer.batchFirst ? b.op('Transpose', [y], 'output_batch_first', { perm: { ints: [1, 0, 2] } }) : y;
  const outputs: OnnxValueSpec[] = [
    { name: 'output', type: 'float32', dims: [...seqDims, D * H] },
    { name: 'h', type: 'float32', dims: [L * D, 'batch', H] },
  ];
  b.output('output', x, 'float32', outputs[0]!.dims);
  b.output('h', concatStates(b, h, 'h_all'), 'float32', outputs[1]!.dims);
  if (spec.hasCell) {
    outputs.push({ name: 'c', type: 'float32', dims: [L * D, 'batch', H] });
    b.output('c', concatStates(b, c, 'c_all'), 'float32', outputs[2]!.dims);
  }
  return { builder: b, inputs, outputs, name: kind };
}

/** Inputs of the token/feature encoders: returns the time-major sequence (T, N, E). */
function encoderInput(
  b: GraphBuilder,
  model: SequenceClassifier | SequenceTagger,
  example: Tensor,
  inputs: OnnxValueSpec[],
): string {
  if (model.embedding) {
    checkExample(example, 2, 'token ids of shape (batch, time)');
    inputs.push({ name: 'tokens', type: 'int64', dims: ['batch', 'time'] });
    b.input('tokens', 'int64', ['batch', 'time']);
    const table = b.constant(
      'embedding_weight',
      makeArray('float32', [...model.embedding.weight.shape], Float32Array.from(model.embedding.weight.data)),
    );
    const embedded = b.op('Gather', [table, 'tokens'], 'embedded', { axis: { i: 0 } }); // (N, T, E)
    return b.op('Transpose', [embedded], 'embedded_time_major', { perm: { ints: [1, 0, 2] } });
  }
  checkExample(example, 3, 'features of shape (batch, time, features)');
  const F = model.config.inputSize;
  inputs.push({ name: 'features', type: 'float32', dims: ['batch', 'time', F] });
  b.input('features', 'float32', ['batch', 'time', F]);
  return b.op('Transpose', ['features'], 'features_time_major', { perm: { ints: [1, 0, 2] } });
}

export function linearWeights(
  b: GraphBuilder,
  module: { weight: Tensor; bias: Tensor | null },
  hint: string,
  transposed: boolean,
): { w: string; bias: string } {
  const [out, inp] = module.weight.shape as [number, number];
  let w: NDArray;
  if (transposed) {
    const t = new Float32Array(out * inp);
    for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) t[i * out + o] = module.weight.data[o * inp + i]!;
    w = makeArray('float32', [inp, out], t);
  } else {
    w = makeArray('float32', [out, inp], Float32Array.from(module.weight.data));
  }
  return {
    w: b.constant(`${hint}_weight${transposed ? '_t' : ''}`, w),
    bias: module.bias
      ? b.constant(`${hint}_bias`, makeArray('float32', [out], Float32Array.from(module.bias.data)))
      : '',
  };
}

/** Gemm(x, Wᵀ) + b for a Linear layer on (N, in). */
function gemm(b: GraphBuilder, x: string, module: { weight: Tensor; bias: Tensor | null }, hint: string): string {
  const { w, bias } = linearWeights(b, module, hint, false);
  return b.op('Gemm', [x, w, bias], hint, { transB: { i: 1 } });
}

function exportClassifier(model: SequenceClassifier, example: Tensor, options: OnnxExportOptions): Built {
  inEval(model, () => model.forward(example));
  const b = new GraphBuilder();
  const inputs: OnnxValueSpec[] = [];
  const x = encoderInput(b, model, example, inputs);
  const useLengths = options.lengths ?? true;
  let seqLens = '';
  if (useLengths) {
    inputs.push({ name: 'lengths', type: 'int64', dims: ['batch'] });
    b.input('lengths', 'int64', ['batch']);
    seqLens = b.op('Cast', ['lengths'], 'sequence_lens', { to: { i: DataType.INT32 } });
  }
  const { y, h } = new RecurrentEmitter(b, model.rnn, 'rnn_').run(x, seqLens, null, null);
  let pooled: string;
  const pooling = model.config.pooling;
  if (pooling === 'last') {
    const top = h[h.length - 1]!; // (D, N, H)
    const t = b.op('Transpose', [top], 'last_batch_major', { perm: { ints: [1, 0, 2] } });
    pooled = b.op('Reshape', [t, b.constant('shape_0_m1', int64s([0, -1]))], 'pooled');
  } else if (pooling === 'mean') {
    if (useLengths) {
      // Padded steps are exact zeros in Y, so the sum over time only counts valid steps.
      const total = b.op('ReduceSum', [y, b.constant('axes_0', int64s([0]))], 'sum_over_time', { keepdims: { i: 0 } });
      const counts = b.op('Cast', ['lengths'], 'lengths_float', { to: { i: DataType.FLOAT } });
      const column = b.op('Unsqueeze', [counts, b.constant('axes_1', int64s([1]))], 'lengths_column');
      pooled = b.op('Div', [total, column], 'pooled');
    } else {
      pooled = b.op('ReduceMean', [y], 'pooled', { axes: { ints: [0] }, keepdims: { i: 0 } });
    }
  } else {
    let masked = y;
    if (useLengths) {
      const shape = b.op('Shape', [y], 'y_shape');
      const time = b.op('Gather', [shape, b.constant('zero', arrayFrom('int64', [], [0]))], 'time', { axis: { i: 0 } });
      const steps = b.op(
        'Range',
        [b.constant('zero', arrayFrom('int64', [], [0])), time, b.constant('one', arrayFrom('int64', [], [1]))],
        'steps',
      );
      const stepColumn = b.op('Unsqueeze', [steps, b.constant('axes_1', int64s([1]))], 'steps_column'); // (T, 1)
      const lengthRow = b.op('Unsqueeze', ['lengths', b.constant('axes_0', int64s([0]))], 'lengths_row'); // (1, N)
      const valid = b.op('Less', [stepColumn, lengthRow], 'valid'); // (T, N)
      const valid3 = b.op('Unsqueeze', [valid, b.constant('axes_2', int64s([2]))], 'valid_3d'); // (T, N, 1)
      masked = b.op(
        'Where',
        [valid3, y, b.constant('minus_infinity', arrayFrom('float32', [], [-Infinity]))],
        'masked',
      );
    }
    pooled = b.op('ReduceMax', [masked], 'pooled', { axes: { ints: [0] }, keepdims: { i: 0 } });
  }
  const logits = gemm(b, pooled, model.head, 'head');
  const outputs: OnnxValueSpec[] = [{ name: 'logits', type: 'float32', dims: ['batch', model.config.numClasses] }];
  b.output('logits', logits, 'float32', outputs[0]!.dims);
  return { builder: b, inputs, outputs, name: 'SequenceClassifier' };
}

function exportTagger(model: SequenceTagger, example: Tensor, options: OnnxExportOptions): Built {
  inEval(model, () => model.forward(example));
  const b = new GraphBuilder();
  const inputs: OnnxValueSpec[] = [];
  const x = encoderInput(b, model, example, inputs);
  let seqLens = '';
  if (options.lengths ?? true) {
    inputs.push({ name: 'lengths', type: 'int64', dims: ['batch'] });
    b.input('lengths', 'int64', ['batch']);
    seqLens = b.op('Cast', ['lengths'], 'sequence_lens', { to: { i: DataType.INT32 } });
  }
  const { y } = new RecurrentEmitter(b, model.rnn, 'rnn_').run(x, seqLens, null, null);
  const batchMajor = b.op('Transpose', [y], 'output_batch_major', { perm: { ints: [1, 0, 2] } });
  const { w, bias } = linearWeights(b, model.head, 'head', true);
  const product = b.op('MatMul', [batchMajor, w], 'head_matmul');
  const logits = bias ? b.op('Add', [product, bias], 'head') : product;
  const outputs: OnnxValueSpec[] = [{ name: 'logits', type: 'float32', dims: ['batch', 'time', model.config.numTags] }];
  b.output('logits', logits, 'float32', outputs[0]!.dims);
  return { builder: b, inputs, outputs, name: 'SequenceTagger' };
}

function exportForecaster(model: Forecaster, example: Tensor, options: OnnxExportOptions): Built {
  if (options.lengths)
    throw new ValueError(WHERE, 'a Forecaster reads whole windows: the lengths option does not apply');
  checkExample(example, 3, 'a window of shape (batch, time, features)');
  inEval(model, () => model.forward(example));
  const b = new GraphBuilder();
  const F = model.config.inputSize;
  const horizon = model.config.horizon;
  const inputs: OnnxValueSpec[] = [{ name: 'window', type: 'float32', dims: ['batch', 'time', F] }];
  b.input('window', 'float32', inputs[0]!.dims);
  const x = b.op('Transpose', ['window'], 'window_time_major', { perm: { ints: [1, 0, 2] } });
  const emitter = new RecurrentEmitter(b, model.rnn, 'rnn_');
  let state = emitter.run(x, '', null, null);
  const axes0 = b.constant('axes_0', int64s([0]));
  const topH = (h: string[]) => b.op('Squeeze', [h[h.length - 1]!, axes0], 'top_h'); // (N, H)
  const { w, bias } = linearWeights(b, model.head, 'head', false);
  const head = (v: string) => b.op('Gemm', [v, w, bias], 'head', { transB: { i: 1 } });
  let forecast: string;
  if (model.config.mode === 'direct') {
    const flat = head(topH(state.h)); // (N, horizon*F)
    forecast = b.op('Reshape', [flat, b.constant('shape_forecast', int64s([0, horizon, F]))], 'forecast_direct');
  } else {
    const steps: string[] = [];
    let prediction = head(topH(state.h)); // (N, F)
    const axes1 = b.constant('axes_1', int64s([1]));
    steps.push(b.op('Unsqueeze', [prediction, axes1], 'step'));
    for (let t = 1; t < horizon; t++) {
      const next = b.op('Unsqueeze', [prediction, axes0], `feedback_${t}`); // (1, N, F)
      state = emitter.run(next, '', state.h, state.c.length > 0 ? state.c : null);
      prediction = head(topH(state.h));
      steps.push(b.op('Unsqueeze', [prediction, axes1], 'step'));
    }
    forecast = steps.length === 1 ? steps[0]! : b.op('Concat', steps, 'forecast_steps', { axis: { i: 1 } });
  }
  const outputs: OnnxValueSpec[] = [{ name: 'forecast', type: 'float32', dims: ['batch', horizon, F] }];
  b.output('forecast', forecast, 'float32', outputs[0]!.dims);
  return { builder: b, inputs, outputs, name: 'Forecaster' };
}

/**
 * Builds the ONNX model of `module`. nn.RNN / nn.LSTM / nn.GRU, SequenceClassifier,
 * SequenceTagger and Forecaster have their own graphs (with `lengths` and `initialState`
 * inputs); any other module (a Keras-style sequential or functional model or layer, or an nn
 * Module built from supported layers and tensor ops) is exported by tracing its forward pass
 * (export-traced.ts), with one example tensor per forward argument. An op without an ONNX form
 * fails with an ExportError naming the module path and the op. `exampleInput` is run through
 * the module first (eval mode, no gradients), so a wrong input fails with the module's own
 * message. Returns the bytes and the input/output names, types and dimensions.
 */
export function exportOnnxModel(
  module: Module,
  exampleInput: Tensor | readonly Tensor[],
  options: OnnxExportOptions = {},
): OnnxExportResult {
  const isLayer = module instanceof RNN || module instanceof LSTM || module instanceof GRU;
  const ready =
    module instanceof SequenceClassifier || module instanceof SequenceTagger || module instanceof Forecaster;
  if (!isLayer && options.initialState)
    throw new ValueError(WHERE, 'the initialState option is for nn.RNN / nn.LSTM / nn.GRU only');
  if (!isLayer && !ready && options.lengths)
    throw new ValueError(WHERE, `the lengths option is not available for traced export (${module.describe()})`);
  const example = exampleInput as Tensor;
  let built: Built;
  if (module instanceof RNN || module instanceof LSTM || module instanceof GRU)
    built = exportRecurrent(module, example, options);
  else if (module instanceof SequenceClassifier) built = exportClassifier(module, example, options);
  else if (module instanceof SequenceTagger) built = exportTagger(module, example, options);
  else if (module instanceof Forecaster) built = exportForecaster(module, example, options);
  else if (module instanceof Seq2Seq || module instanceof LanguageModel)
    throw new ValueError(
      WHERE,
      `cannot export ${module.describe()} as one graph: its decoding loop stays outside ONNX; use ${module instanceof Seq2Seq ? 'exportSeq2SeqOnnx' : 'exportLanguageModelOnnx'} (an encoder / step graph)`,
    );
  else {
    const examples = Array.isArray(exampleInput) ? [...(exampleInput as readonly Tensor[])] : [exampleInput as Tensor];
    built = { ...exportTraced(module, examples, options.inputDims), name: sanitizeGraphName(module) };
  }
  const bytes = built.builder.encode({
    graphName: built.name,
    opset: EXPORT_OPSET,
    docString: options.docString ?? `${module.describe()}, exported by recurrent`,
    metadata: options.metadata ?? {},
  });
  return { bytes, inputs: built.inputs, outputs: built.outputs };
}

function sanitizeGraphName(module: Module): string {
  return module.constructor.name || 'Module';
}

/** Exports `module` to an ONNX file (written atomically); see `exportOnnxModel`. */
export function exportOnnx(
  module: Module,
  exampleInput: Tensor | readonly Tensor[],
  file: string,
  options: OnnxExportOptions = {},
): Omit<OnnxExportResult, 'bytes'> & { bytes: number } {
  const result = exportOnnxModel(module, exampleInput, options);
  writeFileAtomic(file, result.bytes);
  return { inputs: result.inputs, outputs: result.outputs, bytes: result.bytes.length };
}
