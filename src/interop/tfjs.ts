/**
 * TF.js Layers models (`model.json` + weight shards, as `model.save()` in TF.js or the
 * tensorflowjs converter writes them) -> Keras-style models from `layers`, with the same
 * architecture and weights, so `predict` gives what TF.js's `predict` gives. No Node APIs here:
 * `loadTfjsLayersModel(path)` in tfjs-file.ts reads the files and calls `parseTfjsLayersModel`.
 *
 *   const model = parseTfjsLayersModel(JSON.parse(modelJsonText), weightBytes, 'model.json');
 *   model.predict(x);
 *
 * The format: model.json holds `modelTopology` (Keras's model config: `{ class_name, config }`,
 * or `{ model_config: {...} }` as the Python converter writes it), `weightsManifest` (a list of
 * groups `{ paths: [shard files], weights: [{ name, shape, dtype }] }`) and `format:
 * 'layers-model'`. The weight data is every group's shards joined in order; each weight takes
 * `4 * prod(shape)` bytes (little-endian float32), in manifest order.
 *
 * Supported: Sequential and functional models (several inputs/outputs, returnState, initial
 * states, layers shared across nodes; not models nested in models) of InputLayer, Dense,
 * Embedding, SimpleRNN, LSTM, GRU (resetAfter true or false), Bidirectional and TimeDistributed
 * wrapping them, Masking and Dropout. The saved configuration is used as saved (e.g. TF.js's
 * default LSTM/GRU recurrent_activation is 'hard_sigmoid', clip(0.2x + 0.5, 0, 1), which is what
 * TF.js computes for it); a field that is absent takes TF.js's default. Weights are matched to
 * layers by name (`<layer>/<weight>`, `<bidirectional>/forward_<layer>/<weight>`, with
 * Keras's `lstm/lstm_cell/kernel` and `:0` forms accepted).
 *
 * `modelJson` may also be TF.js's in-memory `ModelArtifacts` (what an IOHandler's `save` gets:
 * `modelTopology` and `weightSpecs`, with `weightData` as the second argument).
 *
 * Known differences from Keras in Python (TF.js behaves as this loader does): 'hard_sigmoid'
 * means TF.js's and Keras 2's clip(0.2x + 0.5, 0, 1), where Keras 3 uses relu6(x + 3) / 6; and
 * a masked step repeats the previous output, where Keras 2 with `zero_output_for_mask`
 * (set inside its Bidirectional) outputs zeros there.
 *
 * Everything is checked before weights are allocated: the manifest (names, float32 dtype, no
 * quantization, shapes, total size against the data), then the topology; each weight's shape
 * against its layer. Problems are FormatErrors naming the file and the weight or layer.
 */
import { FormatError, RecurrentError } from '../errors.js';
import { CELL_FAMILIES, FAMILIES, familyOfKerasClass } from '../families.js';
import type { ActivationName } from '../layers/activations.js';
import { Dense, Dropout, input, Masking } from '../layers/core.js';
import { Embedding } from '../layers/embedding.js';
import type { Arity, Layer } from '../layers/layer.js';
import { type Model, model as functionalModel, Sequential } from '../layers/model.js';
import type { RecurrentLayer } from '../layers/recurrent/base.js';
import { GRU } from '../layers/recurrent/gru.js';
import { LSTM } from '../layers/recurrent/lstm.js';
import { SimpleRNN } from '../layers/recurrent/simple-rnn.js';
import type { Dim } from '../layers/shape.js';
import type { SymbolicTensor } from '../layers/symbolic.js';
import { Bidirectional, type MergeMode, TimeDistributed } from '../layers/wrappers.js';
import { Tensor } from '../tensor/tensor.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => {
  const text = JSON.stringify(v);
  return text === undefined ? String(v) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
};
const showShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

// ---------------------------------------------------------------------------------------------
// The weights manifest

/** One weight of the manifest, placed in the joined weight data. */
export interface TfjsWeightSpec {
  /** The name as written in the manifest, e.g. `lstm_LSTM1/kernel`. */
  name: string;
  shape: number[];
  /** Where its bytes start in the joined weight data. */
  byteOffset: number;
  /** 4 * prod(shape). */
  byteLength: number;
}

/** One group of the manifest: its shard files (in order) and the bytes they must hold in all. */
export interface TfjsWeightGroup {
  /** The shard paths as written (relative to model.json). */
  paths: string[];
  byteOffset: number;
  byteLength: number;
  /** Names of the weights it holds. */
  weights: string[];
}

/** The checked `weightsManifest` of a model.json. */
export interface TfjsWeightManifest {
  weights: TfjsWeightSpec[];
  groups: TfjsWeightGroup[];
  /** Bytes of weight data the manifest needs (every group's shards joined). */
  byteLength: number;
}

/**
 * Reads and checks `modelJson.weightsManifest` (no weight data needed): names, shapes, float32
 * dtypes and the byte layout. Throws a FormatError naming `file` and the weight.
 */
export function readTfjsWeightManifest(modelJson: unknown, file: string): TfjsWeightManifest {
  const root = rootObject(modelJson, file);
  // model.json has weightsManifest; TF.js's in-memory ModelArtifacts have weightSpecs (one group, no files).
  const rawGroups =
    root.weightsManifest ?? (Array.isArray(root.weightSpecs) ? [{ paths: [], weights: root.weightSpecs }] : undefined);
  if (rawGroups === undefined || rawGroups === null) return { weights: [], groups: [], byteLength: 0 };
  if (!Array.isArray(rawGroups))
    throw new FormatError(file, `weightsManifest must be a list of groups { paths, weights }, got ${show(rawGroups)}`);
  const weights: TfjsWeightSpec[] = [];
  const groups: TfjsWeightGroup[] = [];
  const seen = new Set<string>();
  let offset = 0;
  rawGroups.forEach((group, g) => {
    if (!isObject(group))
      throw new FormatError(file, `weightsManifest[${g}] must be an object { paths, weights }, got ${show(group)}`);
    const paths = group.paths;
    if (!Array.isArray(paths) || paths.some((p) => typeof p !== 'string' || p === '')) {
      throw new FormatError(file, `weightsManifest[${g}].paths must be a list of shard file names, got ${show(paths)}`);
    }
    if (!Array.isArray(group.weights))
      throw new FormatError(
        file,
        `weightsManifest[${g}].weights must be a list of { name, shape, dtype }, got ${show(group.weights)}`,
      );
    const start = offset;
    const names: string[] = [];
    group.weights.forEach((spec, k) => {
      const at = `weightsManifest[${g}].weights[${k}]`;
      if (!isObject(spec) || typeof spec.name !== 'string' || spec.name === '')
        throw new FormatError(file, `${at} must be { name, shape, dtype } with a name, got ${show(spec)}`);
      const name = spec.name;
      if (seen.has(name)) throw new FormatError(file, `weight '${name}' appears twice in the weightsManifest`);
      seen.add(name);
      if (spec.quantization !== undefined && spec.quantization !== null) {
        const q = isObject(spec.quantization) ? spec.quantization.dtype : undefined;
        throw new FormatError(
          file,
          `weight '${name}' is quantized (${typeof q === 'string' ? q : show(spec.quantization)}); only float32 weights are supported: save the model without quantization`,
        );
      }
      const dtype = spec.dtype ?? 'float32';
      if (dtype !== 'float32')
        throw new FormatError(file, `weight '${name}' has dtype ${show(dtype)}; only float32 weights are supported`);
      const shape = spec.shape;
      if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)) {
        throw new FormatError(
          file,
          `weight '${name}' has shape ${show(shape)}; a shape is a list of non-negative integers`,
        );
      }
      let count = 1;
      for (const d of shape as number[]) {
        count *= d;
        if (count * 4 > Number.MAX_SAFE_INTEGER)
          throw new FormatError(
            file,
            `weight '${name}' has shape ${showShape(shape as number[])}, too large to address`,
          );
      }
      weights.push({ name, shape: [...(shape as number[])], byteOffset: offset, byteLength: 4 * count });
      names.push(name);
      offset += 4 * count;
      if (offset > Number.MAX_SAFE_INTEGER)
        throw new FormatError(file, 'the weightsManifest describes more bytes than can be addressed');
    });
    groups.push({ paths: [...(paths as string[])], byteOffset: start, byteLength: offset - start, weights: names });
  });
  return { weights, groups, byteLength: offset };
}

function rootObject(modelJson: unknown, file: string): Json {
  if (!isObject(modelJson))
    throw new FormatError(file, `is not a TF.js model.json: expected a JSON object, got ${show(modelJson)}`);
  const format = modelJson.format;
  if (format !== undefined && format !== null && format !== 'layers-model') {
    throw new FormatError(
      file,
      `has format ${show(format)}; only TF.js Layers models ('layers-model') are supported${format === 'graph-model' ? ' (a graph model holds a TensorFlow graph, not Keras layers)' : ''}`,
    );
  }
  return modelJson;
}

function bytesOf(weightData: ArrayBuffer | Uint8Array, file: string): Uint8Array {
  if (weightData instanceof Uint8Array) return weightData;
  if (weightData instanceof ArrayBuffer) return new Uint8Array(weightData);
  throw new FormatError(
    file,
    `weight data must be an ArrayBuffer or Uint8Array, got ${Object.prototype.toString.call(weightData)}`,
  );
}

/** Throws unless the weight data is exactly as long as the manifest says. */
function checkDataLength(manifest: TfjsWeightManifest, byteLength: number, file: string): void {
  if (byteLength < manifest.byteLength) {
    const first = manifest.weights.find((w) => w.byteOffset + w.byteLength > byteLength)!;
    throw new FormatError(
      file,
      `weight data is ${byteLength} bytes, but the weightsManifest needs ${manifest.byteLength}: weight '${first.name}' ${showShape(first.shape)} would end at byte ${first.byteOffset + first.byteLength} (truncated weights file?)`,
    );
  }
  if (byteLength > manifest.byteLength) {
    throw new FormatError(
      file,
      `weight data is ${byteLength} bytes, but the weightsManifest describes ${manifest.byteLength} (${byteLength - manifest.byteLength} bytes too many): the weights do not belong to this model.json`,
    );
  }
}

function decodeWeights(manifest: TfjsWeightManifest, bytes: Uint8Array): Map<string, Tensor> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Map<string, Tensor>();
  for (const w of manifest.weights) {
    const data = new Float32Array(w.byteLength / 4);
    for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(w.byteOffset + 4 * i, true);
    out.set(w.name, new Tensor(data, w.shape));
  }
  return out;
}

/**
 * The weights of a TF.js model by manifest name (`lstm_LSTM1/kernel` -> Tensor in Keras layout),
 * after the checks of `readTfjsWeightManifest` and of the data's length.
 */
export function parseTfjsWeights(
  modelJson: unknown,
  weightData: ArrayBuffer | Uint8Array,
  file: string,
): Map<string, Tensor> {
  const manifest = readTfjsWeightManifest(modelJson, file);
  const bytes = bytesOf(weightData, file);
  checkDataLength(manifest, bytes.byteLength, file);
  return decodeWeights(manifest, bytes);
}

// ---------------------------------------------------------------------------------------------
// The topology

interface Context {
  file: string;
  /** Floats the manifest holds: no layer may need more (checked before its weights exist). */
  manifestFloats: number;
  /** Floats the layers made so far need at least. */
  neededFloats: number;
}

interface LayerEntry {
  className: string;
  config: Json;
  name: string;
}

/** Runs `f`, turning the library's own errors into FormatErrors that name the file and `where`. */
function guard<T>(ctx: Context, where: string, f: () => T): T {
  try {
    return f();
  } catch (error) {
    if (error instanceof FormatError || !(error instanceof RecurrentError)) throw error;
    throw new FormatError(ctx.file, `${where}: ${error.message}`);
  }
}

function layerEntry(raw: unknown, ctx: Context, where: string): LayerEntry {
  if (!isObject(raw) || typeof raw.class_name !== 'string')
    throw new FormatError(ctx.file, `${where} must be a layer { class_name, config }, got ${show(raw)}`);
  const config = raw.config ?? {};
  if (!isObject(config))
    throw new FormatError(ctx.file, `${where} (${raw.class_name}) has config ${show(config)}, expected an object`);
  const name = config.name ?? raw.name;
  if (typeof name !== 'string' || name === '')
    throw new FormatError(ctx.file, `${where} (${raw.class_name}) has no name`);
  return { className: raw.class_name, config, name };
}

const describeLayer = (e: LayerEntry): string => `layer '${e.name}' (${e.className})`;

function positiveInt(ctx: Context, e: LayerEntry, key: string): number {
  const v = e.config[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0)
    throw new FormatError(ctx.file, `${describeLayer(e)}: config.${key} must be a positive integer, got ${show(v)}`);
  return v;
}

function flag(ctx: Context, e: LayerEntry, key: string, fallback: boolean): boolean {
  const v = e.config[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean')
    throw new FormatError(ctx.file, `${describeLayer(e)}: config.${key} must be true or false, got ${show(v)}`);
  return v;
}

function fraction(ctx: Context, e: LayerEntry, key: string, fallback: number): number {
  const v = e.config[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !(v >= 0 && v < 1))
    throw new FormatError(ctx.file, `${describeLayer(e)}: config.${key} must be a number in [0, 1), got ${show(v)}`);
  return v;
}

/** Keras's names (snake_case) and TF.js's (camelCase) -> ours. */
const ACTIVATIONS: Record<string, ActivationName> = {
  linear: 'linear',
  tanh: 'tanh',
  sigmoid: 'sigmoid',
  hardsigmoid: 'hardSigmoid',
  relu: 'relu',
  softmax: 'softmax',
  softplus: 'softplus',
  softsign: 'softsign',
  elu: 'elu',
  selu: 'selu',
  swish: 'swish',
  silu: 'swish',
};

function activation(ctx: Context, e: LayerEntry, key: string, fallback: ActivationName): ActivationName {
  let v = e.config[key];
  if (v === undefined || v === null) return fallback;
  // Keras 3 may write { module: 'keras.activations', class_name: 'function', config: 'tanh' }.
  if (isObject(v) && typeof v.config === 'string') v = v.config;
  const found = typeof v === 'string' ? ACTIVATIONS[v.toLowerCase().replace(/_/g, '')] : undefined;
  if (!found)
    throw new FormatError(
      ctx.file,
      `${describeLayer(e)}: ${key} ${show(v)} is not supported (supported: ${Object.keys(ACTIVATIONS).join(', ')})`,
    );
  return found;
}

/** The batch input shape a layer's config declares (batch first), or null. */
function declaredShape(ctx: Context, e: LayerEntry): Dim[] | null {
  const c = e.config;
  let shape: unknown = c.batch_input_shape ?? c.batch_shape;
  if ((shape === undefined || shape === null) && Array.isArray(c.input_shape)) shape = [null, ...c.input_shape];
  if (shape === undefined || shape === null) return null;
  if (
    !Array.isArray(shape) ||
    shape.length < 2 ||
    shape.some((d) => d !== null && (typeof d !== 'number' || !Number.isSafeInteger(d) || d <= 0))
  ) {
    throw new FormatError(
      ctx.file,
      `${describeLayer(e)}: the input shape ${show(shape)} must be a list of positive integers or null, batch first`,
    );
  }
  return shape as Dim[];
}

/** Counts weights a layer needs at least, and refuses a topology that needs more than the manifest holds. */
function need(ctx: Context, e: LayerEntry, floats: number): void {
  ctx.neededFloats += floats;
  if (ctx.neededFloats > ctx.manifestFloats) {
    throw new FormatError(
      ctx.file,
      `${describeLayer(e)} needs at least ${floats} weight values, and the layers so far ${ctx.neededFloats}, but the weightsManifest holds ${ctx.manifestFloats}: the topology and the weights do not match`,
    );
  }
}

const RECURRENT: readonly string[] = CELL_FAMILIES.map((f) => FAMILIES[f].kerasClass);
const SUPPORTED = [
  'InputLayer',
  'Dense',
  'Embedding',
  ...RECURRENT,
  'Bidirectional',
  'TimeDistributed',
  'Masking',
  'Dropout',
];

function makeRecurrent(ctx: Context, e: LayerEntry, directions: number): RecurrentLayer {
  const c = e.config;
  if (c.time_major === true)
    throw new FormatError(ctx.file, `${describeLayer(e)}: time_major true is not supported (inputs are batch first)`);
  if (c.unroll !== undefined && c.unroll !== null && typeof c.unroll !== 'boolean')
    throw new FormatError(ctx.file, `${describeLayer(e)}: config.unroll must be true or false`);
  const units = positiveInt(ctx, e, 'units');
  const family = familyOfKerasClass(e.className)!;
  need(ctx, e, directions * FAMILIES[family].gates * units * units);
  const common = {
    name: e.name,
    units,
    activation: activation(ctx, e, 'activation', 'tanh'),
    useBias: flag(ctx, e, 'use_bias', true),
    returnSequences: flag(ctx, e, 'return_sequences', false),
    returnState: flag(ctx, e, 'return_state', false),
    goBackwards: flag(ctx, e, 'go_backwards', false),
    stateful: flag(ctx, e, 'stateful', false),
    dropout: fraction(ctx, e, 'dropout', 0),
    recurrentDropout: fraction(ctx, e, 'recurrent_dropout', 0),
    trainable: flag(ctx, e, 'trainable', true),
  };
  return guard(ctx, describeLayer(e), () => {
    // Absent recurrent_activation / reset_after take TF.js's defaults (hardSigmoid; GRU reset-before).
    if (family === 'lstm') {
      return new LSTM({
        ...common,
        recurrentActivation: activation(ctx, e, 'recurrent_activation', 'hardSigmoid'),
        unitForgetBias: flag(ctx, e, 'unit_forget_bias', true),
      });
    }
    if (family === 'gru') {
      return new GRU({
        ...common,
        recurrentActivation: activation(ctx, e, 'recurrent_activation', 'hardSigmoid'),
        resetAfter: flag(ctx, e, 'reset_after', false),
      });
    }
    return new SimpleRNN(common);
  });
}

function makeLayer(ctx: Context, e: LayerEntry): Layer<Arity> {
  const c = e.config;
  const where = describeLayer(e);
  const trainable = flag(ctx, e, 'trainable', true);
  if (RECURRENT.includes(e.className)) return makeRecurrent(ctx, e, 1);
  switch (e.className) {
    case 'Dense': {
      const units = positiveInt(ctx, e, 'units');
      need(ctx, e, units);
      const options = {
        name: e.name,
        units,
        activation: activation(ctx, e, 'activation', 'linear'),
        useBias: flag(ctx, e, 'use_bias', true),
        trainable,
      };
      return guard(ctx, where, () => new Dense(options));
    }
    case 'Embedding': {
      const inputDim = positiveInt(ctx, e, 'input_dim');
      const outputDim = positiveInt(ctx, e, 'output_dim');
      need(ctx, e, inputDim * outputDim);
      const options = { name: e.name, inputDim, outputDim, maskZero: flag(ctx, e, 'mask_zero', false), trainable };
      return guard(ctx, where, () => new Embedding(options));
    }
    case 'Bidirectional': {
      const inner = layerEntry(c.layer, ctx, `${where}: config.layer`);
      if (!RECURRENT.includes(inner.className))
        throw new FormatError(
          ctx.file,
          `${where} wraps ${describeLayer(inner)}; only SimpleRNN, LSTM and GRU can be wrapped`,
        );
      const mergeMode = c.merge_mode === undefined ? 'concat' : c.merge_mode;
      if (!['concat', 'sum', 'mul', 'ave', null].includes(mergeMode as string | null))
        throw new FormatError(
          ctx.file,
          `${where}: merge_mode ${show(mergeMode)} is not one of concat, sum, mul, ave, null`,
        );
      const wrapped = makeRecurrent(ctx, inner, 2);
      return guard(
        ctx,
        where,
        () => new Bidirectional(wrapped, { name: e.name, mergeMode: mergeMode as MergeMode, trainable }),
      );
    }
    case 'TimeDistributed': {
      const inner = layerEntry(c.layer, ctx, `${where}: config.layer`);
      if (inner.className === 'InputLayer' || inner.className === 'TimeDistributed')
        throw new FormatError(ctx.file, `${where} wraps ${describeLayer(inner)}, which cannot be wrapped`);
      const wrapped = makeLayer(ctx, inner);
      return guard(ctx, where, () => new TimeDistributed(wrapped, { name: e.name, trainable }));
    }
    case 'Masking': {
      const maskValue = c.mask_value ?? 0;
      if (typeof maskValue !== 'number')
        throw new FormatError(ctx.file, `${where}: mask_value must be a number, got ${show(maskValue)}`);
      return guard(ctx, where, () => new Masking({ name: e.name, maskValue }));
    }
    case 'Dropout': {
      const rate = c.rate;
      if (typeof rate !== 'number' || !(rate >= 0 && rate < 1))
        throw new FormatError(ctx.file, `${where}: rate must be a number in [0, 1), got ${show(rate)}`);
      return guard(ctx, where, () => new Dropout({ name: e.name, rate }));
    }
    case 'Sequential':
    case 'Model':
    case 'Functional':
      throw new FormatError(
        ctx.file,
        `${where}: models nested in a model are not supported; flatten the model before saving`,
      );
    default:
      throw new FormatError(
        ctx.file,
        `${where}: layer class '${e.className}' is not supported (supported: ${SUPPORTED.join(', ')})`,
      );
  }
}

/** A symbolic input for a declared batch shape. */
function inputFor(ctx: Context, shape: Dim[], name: string | undefined, where: string): SymbolicTensor {
  return guard(ctx, where, () => input({ shape: shape.slice(1), batchSize: shape[0] ?? undefined, name }));
}

function buildSequential(ctx: Context, config: unknown, modelName: string | undefined): Sequential {
  const rawLayers = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
  if (!Array.isArray(rawLayers) || rawLayers.length === 0)
    throw new FormatError(ctx.file, 'the Sequential model has no layers (modelTopology.config.layers)');
  const entries = rawLayers.map((raw, i) => layerEntry(raw, ctx, `Sequential layer ${i}`));
  let shape: Dim[] | null = null;
  let inputName: string | undefined;
  if (entries[0]!.className === 'InputLayer') {
    const first = entries.shift()!;
    shape = declaredShape(ctx, first);
    inputName = first.name;
  } else {
    const first = entries[0]!;
    shape = declaredShape(ctx, first);
    if (!shape && isObject(first.config.layer))
      shape = declaredShape(ctx, layerEntry(first.config.layer, ctx, `${describeLayer(first)}: config.layer`));
  }
  if (!shape)
    throw new FormatError(
      ctx.file,
      'the Sequential model declares no input shape (batch_input_shape of its first layer), so its weights cannot be placed',
    );
  const x = inputFor(ctx, shape, inputName, "the Sequential model's input");
  const layers = entries.map((e) => {
    if (e.className === 'InputLayer')
      throw new FormatError(ctx.file, `${describeLayer(e)}: an InputLayer can only come first in a Sequential model`);
    return { entry: e, layer: makeLayer(ctx, e) };
  });
  const seq = guard(ctx, 'the Sequential model', () => new Sequential([x], { name: modelName }));
  for (const { entry, layer } of layers) guard(ctx, describeLayer(entry), () => seq.add(layer));
  return seq;
}

/** A reference to a layer's output: which layer, which of its applications, which output. */
interface TensorRef {
  layer: string;
  node: number;
  index: number;
}

function refFromList(v: unknown): TensorRef | null {
  if (!Array.isArray(v) || v.length < 3 || typeof v[0] !== 'string') return null;
  const [layer, node, index] = v as [string, unknown, unknown];
  if (
    typeof node !== 'number' ||
    typeof index !== 'number' ||
    !Number.isInteger(node) ||
    !Number.isInteger(index) ||
    node < 0 ||
    index < 0
  )
    return null;
  return { layer, node, index };
}

/** Keras 3 writes tensors as { class_name: '__keras_tensor__', config: { keras_history: [layer, node, index] } }. */
function refFromKeras3(v: unknown): TensorRef | null {
  if (!isObject(v) || v.class_name !== '__keras_tensor__' || !isObject(v.config)) return null;
  return refFromList(v.config.keras_history);
}

/** The tensors one application of a layer read, and whether it read one tensor (not a list). */
function parseNode(ctx: Context, e: LayerEntry, raw: unknown, k: number): { refs: TensorRef[]; single: boolean } {
  const where = `${describeLayer(e)} inbound node ${k}`;
  const bad = (why: string) => new FormatError(ctx.file, `${where}: ${why}`);
  const stateRefs = (states: unknown): TensorRef[] => {
    if (states === undefined || states === null) return [];
    const list = Array.isArray(states) && !refFromList(states) ? states : [states];
    return list.map((s) => {
      const ref = refFromList(s) ?? refFromKeras3(s);
      if (!ref) throw bad(`initial_state entry ${show(s)} is not a tensor reference`);
      return ref;
    });
  };
  const checkKwargs = (kwargs: unknown) => {
    if (!isObject(kwargs)) return;
    for (const [key, value] of Object.entries(kwargs)) {
      if (key === 'initial_state' || key === 'training' || value === null || value === undefined) continue;
      if (key === 'mask')
        throw bad('an explicit mask argument is not supported (masks come from Masking and Embedding(mask_zero))');
      if (refFromKeras3(value) || refFromList(value)) throw bad(`the tensor argument '${key}' is not supported`);
    }
  };
  if (Array.isArray(raw)) {
    // TF.js and Keras 2: [[layer, node, index, kwargs], ...]
    if (raw.length === 0) throw bad('is empty');
    const refs = raw.map((item) => {
      const ref = refFromList(item);
      if (!ref) throw bad(`${show(item)} is not a [layer, node, index, kwargs] reference`);
      return ref;
    });
    const kwargs = (raw[0] as unknown[])[3];
    checkKwargs(kwargs);
    const states = isObject(kwargs) ? stateRefs(kwargs.initial_state) : [];
    return { refs: [...refs, ...states], single: refs.length === 1 && states.length === 0 };
  }
  if (isObject(raw) && Array.isArray(raw.args)) {
    // Keras 3: { args: [tensor or [tensors]], kwargs: {...} }
    const [first, ...rest] = raw.args as unknown[];
    if (rest.some((a) => refFromKeras3(a))) throw bad('positional tensor arguments after the first are not supported');
    const single = refFromKeras3(first);
    const refs = single
      ? [single]
      : Array.isArray(first)
        ? first.map((t) => {
            const ref = refFromKeras3(t);
            if (!ref) throw bad(`${show(t)} is not a tensor`);
            return ref;
          })
        : null;
    if (!refs || refs.length === 0) throw bad(`its first argument ${show(first)} is not a tensor or a list of tensors`);
    checkKwargs(raw.kwargs);
    const states = isObject(raw.kwargs) ? stateRefs(raw.kwargs.initial_state) : [];
    return { refs: [...refs, ...states], single: single !== null && states.length === 0 };
  }
  throw bad(`${show(raw)} is not a list of references or { args, kwargs }`);
}

function refList(ctx: Context, raw: unknown, what: string): TensorRef[] {
  if (!Array.isArray(raw) || raw.length === 0)
    throw new FormatError(ctx.file, `${what} must be a non-empty list of [layer, node, index], got ${show(raw)}`);
  const list = refFromList(raw) ? [raw] : raw; // Keras 3 writes a single reference unwrapped
  return list.map((item) => {
    const ref = refFromList(item);
    if (!ref) throw new FormatError(ctx.file, `${what}: ${show(item)} is not a [layer, node, index] reference`);
    return ref;
  });
}

function buildFunctional(ctx: Context, config: unknown, modelName: string | undefined): Model {
  if (!isObject(config) || !Array.isArray(config.layers))
    throw new FormatError(ctx.file, 'the functional model has no layers (modelTopology.config.layers)');
  interface Slot {
    entry: LayerEntry;
    layer: Layer<Arity> | null;
    nodes: { refs: TensorRef[]; single: boolean }[];
    outputs: SymbolicTensor[][];
  }
  const slots = new Map<string, Slot>();
  (config.layers as unknown[]).forEach((raw, i) => {
    const e = layerEntry(raw, ctx, `layer ${i}`);
    if (slots.has(e.name)) throw new FormatError(ctx.file, `two layers are named '${e.name}'`);
    const rawNodes = isObject(raw) ? (raw.inbound_nodes ?? []) : [];
    if (!Array.isArray(rawNodes)) throw new FormatError(ctx.file, `${describeLayer(e)}: inbound_nodes must be a list`);
    if (e.className === 'InputLayer') {
      const shape = declaredShape(ctx, e);
      if (!shape) throw new FormatError(ctx.file, `${describeLayer(e)} declares no batch_input_shape`);
      slots.set(e.name, {
        entry: e,
        layer: null,
        nodes: [],
        outputs: [[inputFor(ctx, shape, e.name, describeLayer(e))]],
      });
      return;
    }
    slots.set(e.name, {
      entry: e,
      layer: makeLayer(ctx, e),
      nodes: rawNodes.map((n, k) => parseNode(ctx, e, n, k)),
      outputs: [],
    });
  });
  const lookup = (ref: TensorRef): SymbolicTensor | undefined => slots.get(ref.layer)?.outputs[ref.node]?.[ref.index];
  // Apply each layer's nodes in order once their inputs exist (the layer list need not be sorted).
  for (let progress = true; progress; ) {
    progress = false;
    for (const slot of slots.values()) {
      while (slot.layer && slot.outputs.length < slot.nodes.length) {
        const node = slot.nodes[slot.outputs.length]!;
        const inputs = node.refs.map(lookup);
        if (inputs.some((t) => t === undefined)) break;
        const ins = inputs as SymbolicTensor[];
        const layer = slot.layer;
        const out = guard(ctx, describeLayer(slot.entry), () =>
          node.single ? layer.apply(ins[0]!) : layer.apply(ins),
        );
        slot.outputs.push(Array.isArray(out) ? out : [out]);
        progress = true;
      }
    }
  }
  const explain = (ref: TensorRef): string => {
    const slot = slots.get(ref.layer);
    if (!slot) return `there is no layer '${ref.layer}'`;
    if (ref.node >= Math.max(slot.nodes.length, slot.outputs.length))
      return `layer '${ref.layer}' has no node ${ref.node}`;
    const produced = slot.outputs[ref.node];
    if (produced && ref.index >= produced.length)
      return `layer '${ref.layer}' node ${ref.node} has ${produced.length} output(s), not ${ref.index + 1}`;
    return `layer '${ref.layer}' node ${ref.node} is never computed (a cycle?)`;
  };
  for (const slot of slots.values()) {
    if (slot.layer && slot.outputs.length < slot.nodes.length) {
      const k = slot.outputs.length;
      const missing = slot.nodes[k]!.refs.find((r) => !lookup(r))!;
      throw new FormatError(
        ctx.file,
        `${describeLayer(slot.entry)} inbound node ${k} reads [${missing.layer}, ${missing.node}, ${missing.index}], but ${explain(missing)}`,
      );
    }
  }
  const resolve = (refs: TensorRef[], what: string) =>
    refs.map((ref) => {
      const t = lookup(ref);
      if (!t) throw new FormatError(ctx.file, `${what} [${ref.layer}, ${ref.node}, ${ref.index}]: ${explain(ref)}`);
      return t;
    });
  const inputs = resolve(refList(ctx, config.input_layers, 'config.input_layers'), 'model input');
  const outputs = resolve(refList(ctx, config.output_layers, 'config.output_layers'), 'model output');
  return guard(ctx, 'the functional model', () =>
    functionalModel({
      inputs: inputs.length === 1 ? inputs[0]! : inputs,
      outputs: outputs.length === 1 ? outputs[0]! : outputs,
      name: modelName,
    }),
  );
}

function buildModel(ctx: Context, modelJson: Json): Model {
  let topology = modelJson.modelTopology;
  if (isObject(topology) && isObject(topology.model_config)) topology = topology.model_config;
  if (!isObject(topology) || typeof topology.class_name !== 'string') {
    throw new FormatError(
      ctx.file,
      `modelTopology must be a Keras model config { class_name, config }, got ${show(topology)}`,
    );
  }
  const config = topology.config;
  const name = isObject(config) && typeof config.name === 'string' ? config.name : undefined;
  switch (topology.class_name) {
    case 'Sequential':
      return buildSequential(ctx, config, name);
    case 'Model':
    case 'Functional':
      return buildFunctional(ctx, config, name);
    default:
      throw new FormatError(
        ctx.file,
        `modelTopology has class_name '${topology.class_name}'; expected 'Sequential', 'Model' or 'Functional'`,
      );
  }
}

// ---------------------------------------------------------------------------------------------
// Weights onto layers

/** `lstm/lstm_cell/kernel:0` -> ['lstm', 'lstm_cell', 'kernel']. */
const segmentsOf = (name: string): string[] => name.replace(/:\d+$/, '').split('/');

/**
 * The manifest weight for parameter `path` (e.g. `forward_lstm_1.kernel`) of top-level layer
 * `owner`: the exact name `<owner>/<path with '/'>` first; else a name whose first segment is
 * the owner and whose last is the weight (`lstm/lstm_cell/kernel`); else one with the owner as
 * any segment. Bidirectional directions must match (`forward_` / `backward_`).
 */
function findWeight(
  ctx: Context,
  specs: readonly TfjsWeightSpec[],
  used: Set<string>,
  owner: Layer<Arity>,
  path: string,
): TfjsWeightSpec {
  const parts = path.split('.');
  const base = parts[parts.length - 1]!;
  const direction =
    owner instanceof Bidirectional ? (parts[0]!.startsWith('forward_') ? 'forward_' : 'backward_') : null;
  const exact = [owner.name, ...parts].join('/');
  const free = specs.filter((s) => !used.has(s.name));
  const fits = (s: TfjsWeightSpec, anywhere: boolean): boolean => {
    const segs = segmentsOf(s.name);
    if (segs[segs.length - 1] !== base) return false;
    if (anywhere ? !segs.slice(0, -1).includes(owner.name) : segs[0] !== owner.name) return false;
    return direction === null || segs.slice(0, -1).some((seg) => seg.startsWith(direction));
  };
  const tiers = [
    free.filter((s) => segmentsOf(s.name).join('/') === exact),
    free.filter((s) => fits(s, false)),
    free.filter((s) => fits(s, true)),
  ];
  for (const tier of tiers) {
    if (tier.length === 1) return tier[0]!;
    if (tier.length > 1)
      throw new FormatError(
        ctx.file,
        `layer '${owner.name}' (${owner.className}) weight ${path}: several manifest weights could be it (${tier.map((s) => `'${s.name}'`).join(', ')})`,
      );
  }
  throw new FormatError(
    ctx.file,
    `layer '${owner.name}' (${owner.className}) needs weight '${exact}' (${path}), which the weightsManifest does not have`,
  );
}

function assignWeights(ctx: Context, model: Model, manifest: TfjsWeightManifest, values: Map<string, Tensor>): void {
  const used = new Set<string>();
  for (const owner of model.layers) {
    const named = owner.namedParameters();
    if (named.length === 0) continue;
    const weights = named.map(([path, param]) => {
      const spec = findWeight(ctx, manifest.weights, used, owner, path);
      used.add(spec.name);
      if (spec.shape.length !== param.rank || spec.shape.some((d, i) => d !== param.shape[i])) {
        throw new FormatError(
          ctx.file,
          `weight '${spec.name}' has shape ${showShape(spec.shape)} in the weightsManifest, but layer '${owner.name}' (${owner.className}) needs ${showShape(param.shape)} for ${path} (Keras layout; the topology's sizes and the weights disagree)`,
        );
      }
      return values.get(spec.name)!;
    });
    guard(ctx, `layer '${owner.name}' (${owner.className})`, () => owner.setWeights(weights));
  }
  const unused = manifest.weights.filter((s) => !used.has(s.name));
  if (unused.length > 0) {
    throw new FormatError(
      ctx.file,
      `the weightsManifest has weights no layer of the model uses: ${unused.map((s) => `'${s.name}'`).join(', ')}`,
    );
  }
}

/**
 * A TF.js Layers model from its model.json (parsed JSON) and weight data (every weight shard of
 * every manifest group, joined in manifest order): a `Sequential` or functional `Model` of
 * Keras-style layers with the saved architecture and weights. `file` names the model in errors.
 * No Node APIs: works in the browser (fetch the shards and join them).
 */
export function parseTfjsLayersModel(modelJson: unknown, weightData: ArrayBuffer | Uint8Array, file: string): Model {
  const root = rootObject(modelJson, file);
  const manifest = readTfjsWeightManifest(root, file);
  const bytes = bytesOf(weightData, file);
  checkDataLength(manifest, bytes.byteLength, file);
  const ctx: Context = { file, manifestFloats: manifest.byteLength / 4, neededFloats: 0 };
  const model = buildModel(ctx, root);
  assignWeights(ctx, model, manifest, decodeWeights(manifest, bytes));
  return model;
}
