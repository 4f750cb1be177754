/**
 * ONNX's RNN, LSTM and GRU operators, every attribute of the spec (opsets 7 to 22):
 *   direction forward | reverse | bidirectional, hidden_size, layout 0 | 1, clip,
 *   activations (+ activation_alpha / activation_beta), sequence_lens, initial_h, initial_c,
 *   LSTM peepholes P and input_forget, GRU linear_before_reset.
 *
 * Gate order (ONNX): LSTM i, o, f, c; GRU z, r, h. Equations (⊙ element-wise, clip applied to
 * every activation's input when `clip` is set):
 *   RNN   H = f(X·Wᵀ + H·Rᵀ + Wb + Rb)
 *   GRU   z = f(X·Wzᵀ + H·Rzᵀ + Wbz + Rbz)   r = f(X·Wrᵀ + H·Rrᵀ + Wbr + Rbr)
 *         h = g(X·Whᵀ + (r ⊙ H)·Rhᵀ + Rbh + Wbh)          linear_before_reset = 0
 *         h = g(X·Whᵀ + r ⊙ (H·Rhᵀ + Rbh) + Wbh)          linear_before_reset = 1
 *         H' = (1 - z) ⊙ h + z ⊙ H
 *   LSTM  i = f(X·Wiᵀ + H·Riᵀ + Pi ⊙ C + Wbi + Rbi)   f = f(... + Pf ⊙ C ...) (1 - i with input_forget)
 *         c = g(X·Wcᵀ + H·Rcᵀ + Wbc + Rbc)   C' = f ⊙ C + i ⊙ c
 *         o = f(X·Woᵀ + H·Roᵀ + Po ⊙ C' + Wbo + Rbo)   H' = o ⊙ h(C')
 * With sequence_lens, each sequence runs over its own first `len` steps (the reverse direction
 * starts at step len-1), Y is zero past `len`, and Y_h / Y_c hold the state after step len-1
 * (zeros for len = 0, as ONNX Runtime does).
 *
 * Two paths compute this. The library's fused layer kernel (the one nn.RNN/LSTM/GRU run) takes
 * every direction whose settings PyTorch's layers share: default activations (Tanh or Relu for
 * RNN), no clip, no (or all-zero) peepholes, no input_forget, GRU linear_before_reset = 1, all
 * lengths >= 1. Anything else runs the general reference path below, a step-by-step loop in
 * float64 arithmetic with float32 states.
 *
 * Activation parameters are consumed in the order of the activations list, each activation
 * taking only what it uses (Affine, ScaledTanh, HardSigmoid: alpha and beta; LeakyRelu,
 * ThresholdedRelu, Elu: alpha), as ONNX Runtime does. Missing values default to the standalone
 * ONNX operators' defaults: LeakyRelu 0.01, ThresholdedRelu 1.0, HardSigmoid 0.2 / 0.5, Elu 1.0,
 * Affine 1.0 / 0.0, ScaledTanh 1.0 / 1.0. (ONNX Runtime differs here for the last three: it
 * uses 0 when no value is given; models that rely on these defaults are rare.)
 */
import '../../backend/reference/index.js';
import { CELL_FAMILIES, type CellFamily, type CellKind, FAMILIES, inversePermutation, kindOf } from '../../families.js';
import { recurrentInference } from '../../nn/recurrent/fused.js';
import { WeightPacking } from '../../nn/recurrent/packing.js';
import { uninitializedFloats } from '../../tensor/uninitialized.js';
import { Tensor } from '../../tensor/tensor.js';
import { makeArray, type NDArray } from '../values.js';
import type { OpContext, OpImpl } from './context.js';
import { copyRuns, copyView, transposeData } from './util.js';

/** PyTorch gate block g comes from ONNX block onnxBlockOfTorch(family)[g] (the table's onnxOrder, inverted). */
const onnxBlockOfTorch = (family: CellFamily) => inversePermutation(FAMILIES[family].onnxOrder);

type Activation = (x: number) => number;

interface ActivationSpec {
  name: string;
  fn: Activation;
}

const sigmoid: Activation = (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** Which parameters each activation takes, and their defaults. */
const ACTIVATION_PARAMS: Record<string, { alpha?: number; beta?: number }> = {
  relu: {},
  tanh: {},
  sigmoid: {},
  affine: { alpha: 1, beta: 0 },
  leakyrelu: { alpha: 0.01 },
  thresholdedrelu: { alpha: 1 },
  scaledtanh: { alpha: 1, beta: 1 },
  hardsigmoid: { alpha: 0.2, beta: 0.5 },
  elu: { alpha: 1 },
  softsign: {},
  softplus: {},
};

function makeActivation(name: string, alpha: number, beta: number): Activation {
  switch (name) {
    case 'relu':
      return (x) => (x > 0 ? x : 0);
    case 'tanh':
      return Math.tanh;
    case 'sigmoid':
      return sigmoid;
    case 'affine':
      return (x) => alpha * x + beta;
    case 'leakyrelu':
      return (x) => (x >= 0 ? x : alpha * x);
    case 'thresholdedrelu':
      return (x) => (x > alpha ? x : 0);
    case 'scaledtanh':
      return (x) => alpha * Math.tanh(beta * x);
    case 'hardsigmoid':
      return (x) => Math.min(Math.max(alpha * x + beta, 0), 1);
    case 'elu':
      return (x) => (x >= 0 ? x : alpha * (Math.exp(x) - 1));
    case 'softsign':
      return (x) => x / (1 + Math.abs(x));
    default:
      return (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))); // softplus
  }
}

/** readActivations' result per node (its Attributes object) and direction count. */
const activationsOfNode = new WeakMap<object, { directions: number; specs: ActivationSpec[][] }>();

/** The activation functions per direction, with their alpha/beta taken in list order (read once per node). */
function readActivations(ctx: OpContext, family: CellFamily, directions: number): ActivationSpec[][] {
  const known = activationsOfNode.get(ctx.attrs);
  if (known && known.directions === directions) return known.specs;
  const specs = parseActivations(ctx, family, directions);
  activationsOfNode.set(ctx.attrs, { directions, specs });
  return specs;
}

function parseActivations(ctx: OpContext, family: CellFamily, directions: number): ActivationSpec[][] {
  const defaults = FAMILIES[family].onnxActivations;
  const perDirection = defaults.length;
  let names = ctx.attrs.strings('activations') ?? [];
  if (names.length === 0) names = Array.from({ length: directions }, () => defaults).flat();
  else if (names.length === perDirection && directions === 2) names = [...names, ...names];
  if (names.length !== perDirection * directions) {
    throw ctx.formatError(
      `activations lists ${names.length} functions, expected ${perDirection * directions} (${perDirection} per direction: ${defaults.join(', ')})`,
    );
  }
  const alphas = ctx.attrs.floats('activation_alpha') ?? [];
  const betas = ctx.attrs.floats('activation_beta') ?? [];
  let a = 0;
  let b = 0;
  const specs = names.map((raw) => {
    const name = raw.toLowerCase();
    const params = ACTIVATION_PARAMS[name];
    if (!params)
      throw ctx.formatError(
        `activation '${raw}' is not one of Relu, Tanh, Sigmoid, Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign, Softplus`,
      );
    const alpha = params.alpha === undefined ? 0 : a < alphas.length ? alphas[a++]! : params.alpha;
    const beta = params.beta === undefined ? 0 : b < betas.length ? betas[b++]! : params.beta;
    return { name, fn: makeActivation(name, alpha, beta) };
  });
  return Array.from({ length: directions }, (_, d) => specs.slice(d * perDirection, (d + 1) * perDirection));
}

interface Setup {
  family: CellFamily;
  T: number;
  N: number;
  I: number;
  H: number;
  D: number;
  G: number;
  layout: number;
  /** Y is written (batch, time, directions, hidden): layout 1, or a batch-first Y folded in at load. */
  batchFirstY: boolean;
  /** Y is written (time, batch, directions·hidden), or (batch, ...) with batchFirstY: see FoldedLayout. */
  mergedY: boolean;
  directions: ('forward' | 'reverse')[];
  /** X as given, float32: (T, N, I), or (N, T, I) when xBatchFirst. */
  x: NDArray;
  /** X is batch-first: layout 1, or a Transpose folded in at load. */
  xBatchFirst: boolean;
  /** X as (T, N, I), made at the first use (the general path reads it so). */
  xTimeMajor: NDArray | null;
  w: NDArray;
  r: NDArray;
  b: NDArray | null;
  /** Valid steps per batch row, or null when every row has all T steps (no sequence_lens). */
  lens: Int32Array | null;
  h0: NDArray | null; // (D, N, H)
  c0: NDArray | null;
  p: NDArray | null;
  clip: number | undefined;
  activations: ActivationSpec[][];
  linearBeforeReset: boolean;
  inputForget: boolean;
  /** Per direction: the fused kernel the node's settings allow (see NodeSettings). */
  kinds: (CellKind | null)[];
}

function expectShape(ctx: OpContext, name: string, a: NDArray, expected: number[]): void {
  if (a.shape.length !== expected.length || a.shape.some((d, i) => d !== expected[i]))
    throw ctx.shapeError(`${name} shape`, expected, a.shape);
}

function float32(ctx: OpContext, name: string, a: NDArray): NDArray {
  if (a.type !== 'float32') throw ctx.valueError(`${name} must be float32, got ${a.type}`);
  return a;
}

/** What a node's attributes say, checked and parsed once per node (they never change). */
interface NodeSettings {
  layout: number;
  direction: string;
  D: number;
  hiddenSize: number | undefined;
  clip: number | undefined;
  inputForget: boolean;
  linearBeforeReset: boolean;
  activations: ActivationSpec[][];
  /** Per direction: the fused kernel for the node's settings (lengths and peepholes are checked per run), or null. */
  kinds: (CellKind | null)[];
}

const settingsOfNode = new WeakMap<object, NodeSettings>();

function nodeSettings(ctx: OpContext, family: CellFamily): NodeSettings {
  const known = settingsOfNode.get(ctx.attrs);
  if (known) return known;
  const layout = ctx.attrs.int('layout', 0);
  if (layout !== 0 && layout !== 1) throw ctx.formatError(`layout must be 0 or 1, got ${layout}`);
  const direction = ctx.attrs.string('direction', 'forward');
  if (direction !== 'forward' && direction !== 'reverse' && direction !== 'bidirectional')
    throw ctx.formatError(`direction must be forward, reverse or bidirectional, got '${direction}'`);
  const D = direction === 'bidirectional' ? 2 : 1;
  const clip = ctx.attrs.float('clip');
  if (clip !== undefined && !(clip >= 0)) throw ctx.formatError(`clip must be a non-negative threshold, got ${clip}`);
  const settings: NodeSettings = {
    layout,
    direction,
    D,
    hiddenSize: ctx.attrs.int('hidden_size'),
    clip,
    inputForget: family === 'lstm' && ctx.attrs.int('input_forget', 0) !== 0,
    linearBeforeReset: family === 'gru' && ctx.attrs.int('linear_before_reset', 0) !== 0,
    activations: readActivations(ctx, family, D),
    kinds: [],
  };
  settings.kinds = settings.activations.map((acts) => staticKind(family, settings, acts));
  settingsOfNode.set(ctx.attrs, settings);
  return settings;
}

/** The fused kernel for a direction's settings (before lengths and peepholes), or null. */
function staticKind(family: CellFamily, n: NodeSettings, acts: ActivationSpec[]): CellKind | null {
  if (n.clip !== undefined || n.inputForget) return null;
  const names = acts.map((a) => a.name);
  if (family === 'rnn') return names[0] === 'tanh' || names[0] === 'relu' ? kindOf('rnn', names[0]) : null;
  const defaults = FAMILIES[family].onnxActivations.map((a) => a.toLowerCase());
  if (names.some((a, i) => a !== defaults[i])) return null;
  if (family === 'gru' && !n.linearBeforeReset) return null;
  return kindOf(family);
}

function setup(ctx: OpContext, family: CellFamily): Setup {
  const n = nodeSettings(ctx, family);
  const { layout, D } = n;
  const G = FAMILIES[family].gates;
  const x = float32(ctx, 'X', ctx.input(0, 'X'));
  if (x.shape.length !== 3)
    throw ctx.shapeError(
      'X rank',
      layout === 0 ? '3 (seq_length, batch_size, input_size)' : '3 (batch_size, seq_length, input_size)',
      x.shape.length,
    );
  // Layout 1, or a Transpose folded into the node at load: X is (batch, time, input). The fused
  // kernel reads it so; the general path takes a time-major copy (timeMajorX).
  const xBatchFirst = layout === 1 || Boolean(ctx.folded?.batchFirstX);
  const [s0, s1, I] = x.shape as [number, number, number];
  const [T, N] = xBatchFirst ? [s1, s0] : [s0, s1];
  const w = float32(ctx, 'W', ctx.input(1, 'W'));
  const r = float32(ctx, 'R', ctx.input(2, 'R'));
  if (r.shape.length !== 3) throw ctx.shapeError('R rank', 3, r.shape.length);
  const H = n.hiddenSize ?? r.shape[2]!;
  expectShape(ctx, 'W', w, [D, G * H, I]);
  expectShape(ctx, 'R', r, [D, G * H, H]);
  const b = ctx.optional(3);
  if (b) expectShape(ctx, 'B', float32(ctx, 'B', b), [D, 2 * G * H]);
  const seq = ctx.optional(4);
  let lens: Int32Array | null = null;
  if (seq) {
    if (seq.type !== 'int32' && seq.type !== 'int64')
      throw ctx.valueError(`sequence_lens must be int32, got ${seq.type}`);
    expectShape(ctx, 'sequence_lens', seq, [N]);
    lens = new Int32Array(N);
    for (let k = 0; k < N; k++) {
      const v = Number(seq.data[k]);
      if (!Number.isInteger(v) || v < 0 || v > T)
        throw ctx.valueError(`sequence_lens[${k}] is ${v}, expected an integer in [0, ${T}] (seq_length = ${T})`);
      lens[k] = v;
    }
  }
  const state = (k: number, name: string): NDArray | null => {
    let s = ctx.optional(k);
    if (!s) return null;
    float32(ctx, name, s);
    if (layout === 1) {
      expectShape(ctx, name, s, [N, D, H]);
      s = transposeData(s, [1, 0, 2], (shape) => makeArray('float32', shape));
    } else {
      expectShape(ctx, name, s, [D, N, H]);
    }
    return s;
  };
  const h0 = state(5, 'initial_h');
  const c0 = family === 'lstm' ? state(6, 'initial_c') : null;
  const p = family === 'lstm' ? ctx.optional(7) : null;
  if (p) expectShape(ctx, 'P', float32(ctx, 'P', p), [D, 3 * H]);
  return {
    family,
    T,
    N,
    I,
    H,
    D,
    G,
    layout,
    batchFirstY: layout === 1 || Boolean(ctx.folded?.batchFirstY),
    mergedY: Boolean(ctx.folded?.mergedY),
    directions: n.direction === 'bidirectional' ? ['forward', 'reverse'] : [n.direction as 'forward' | 'reverse'],
    x,
    xBatchFirst,
    xTimeMajor: null,
    w,
    r,
    b,
    lens,
    h0,
    c0,
    p,
    clip: n.clip,
    activations: n.activations,
    linearBeforeReset: n.linearBeforeReset,
    inputForget: n.inputForget,
    kinds: n.kinds,
  };
}

/** The fused kernel for this direction, or null when the general path is needed. */
function fusedKind(s: Setup, d: number): CellKind | null {
  const kind = s.kinds[d] ?? null;
  if (kind === null) return null;
  if (s.p && s.p.data.subarray(d * 3 * s.H, (d + 1) * 3 * s.H).some((v) => v !== 0)) return null;
  if (s.lens && s.lens.includes(0)) return null;
  return kind;
}

/** Rows of direction d of W/R (or a bias half), reordered from ONNX's gate order to PyTorch's. */
function pytorchOrder(s: Setup, src: Float32Array, offset: number, cols: number): Float32Array {
  const { G, H } = s;
  const out = new Float32Array(G * H * cols);
  onnxBlockOfTorch(s.family).forEach((onnxBlock, k) => {
    const start = offset + onnxBlock * H * cols;
    out.set(src.subarray(start, start + H * cols), k * H * cols);
  });
  return out;
}

/** X as (T, N, I): s.x itself, or a copy made once per run. */
function timeMajorX(s: Setup): NDArray {
  if (!s.xBatchFirst) return s.x;
  return (s.xTimeMajor ??= transposeData(s.x, [1, 0, 2], (shape) => makeArray('float32', shape)));
}

interface DirectionResult {
  /** (T, N, H), or (N, T, H) when batchFirst. */
  y: Float32Array;
  batchFirst: boolean;
  h: Float32Array; // (N, H)
  c: Float32Array | null;
}

/** One direction's weights in PyTorch's gate order, as the fused kernel takes them, and their packed copies. */
interface FusedWeights {
  wIh: Tensor;
  wHh: Tensor;
  bIh: Tensor | null;
  bHh: Tensor | null;
  packing: WeightPacking;
}

/**
 * Weights reordered (and, by the fused kernel, packed) per W array and direction. W, R and B are
 * constants in an exported model (initializers: the same arrays at every run), so this is done
 * once per model; an entry is used only while R and B are the arrays it was made from. Values are
 * never written after they are made, so the packed copies stay right.
 */
const preparedWeights = new WeakMap<
  object,
  { r: object; b: object | null; directions: (FusedWeights | undefined)[] }
>();

function fusedWeights(s: Setup, d: number): FusedWeights {
  let entry = preparedWeights.get(s.w.data);
  if (!entry || entry.r !== s.r.data || entry.b !== (s.b?.data ?? null)) {
    entry = { r: s.r.data, b: s.b?.data ?? null, directions: [] };
    preparedWeights.set(s.w.data, entry);
  }
  const { I, H, G } = s;
  return (entry.directions[d] ??= {
    wIh: new Tensor(pytorchOrder(s, s.w.data as Float32Array, d * G * H * I, I), [G * H, I]),
    wHh: new Tensor(pytorchOrder(s, s.r.data as Float32Array, d * G * H * H, H), [G * H, H]),
    bIh: s.b ? new Tensor(pytorchOrder(s, s.b.data as Float32Array, d * 2 * G * H, 1), [G * H]) : null,
    bHh: s.b ? new Tensor(pytorchOrder(s, s.b.data as Float32Array, d * 2 * G * H + G * H, 1), [G * H]) : null,
    packing: new WeightPacking(),
  });
}

function runDirectionFused(s: Setup, d: number, kind: CellKind): DirectionResult {
  const { T, N, I, H } = s;
  const { wIh, wHh, bIh, bHh, packing } = fusedWeights(s, d);
  // The kernel copies the initial state before it changes it: a view is enough here.
  const state = (a: NDArray | null) =>
    new Tensor(a ? (a.data as Float32Array).subarray(d * N * H, (d + 1) * N * H) : new Float32Array(N * H), [N, H]);
  const lengths = s.lens === null || s.lens.every((v) => v === T) ? null : s.lens;
  // The kernel reads a batch-first X and writes Y batch-first in place (no copies around it).
  const result = recurrentInference(
    {
      kind,
      x: new Tensor(s.x.data as Float32Array, s.xBatchFirst ? [N, T, I] : [T, N, I]),
      h0: state(s.h0),
      c0: FAMILIES[s.family].hasCell ? state(s.c0) : null,
      wIh,
      wHh,
      bIh,
      bHh,
      wHr: null,
      lengths,
      reverse: s.directions[d] === 'reverse',
      packing,
    },
    s.xBatchFirst,
  );
  return { y: result.output, batchFirst: s.xBatchFirst, h: result.h, c: result.c };
}

/** The general (reference) path: any activations, clip, peepholes, input_forget, linear_before_reset = 0. */
function runDirectionGeneral(s: Setup, d: number): DirectionResult {
  const { T, N, I, H, G, family } = s;
  const GH = G * H;
  const W = s.w.data.subarray(d * GH * I, (d + 1) * GH * I);
  const R = s.r.data.subarray(d * GH * H, (d + 1) * GH * H);
  const Wb = s.b ? s.b.data.subarray(d * 2 * GH, d * 2 * GH + GH) : null;
  const Rb = s.b ? s.b.data.subarray(d * 2 * GH + GH, (d + 1) * 2 * GH) : null;
  const P = s.p ? s.p.data.subarray(d * 3 * H, (d + 1) * 3 * H) : null;
  const [f, g, hAct] = s.activations[d]!.map((a) => a.fn) as [
    Activation,
    Activation | undefined,
    Activation | undefined,
  ];
  const clip = s.clip;
  const cl = clip === undefined ? (v: number) => v : (v: number) => Math.min(Math.max(v, -clip), clip);
  const reverse = s.directions[d] === 'reverse';
  const x = timeMajorX(s).data;

  const y = new Float32Array(T * N * H);
  const h = new Float32Array(N * H);
  const c = new Float32Array(N * H);
  if (s.h0) h.set(s.h0.data.subarray(d * N * H, (d + 1) * N * H));
  if (s.c0) c.set(s.c0.data.subarray(d * N * H, (d + 1) * N * H));
  const xw = new Float64Array(GH);
  const hr = new Float64Array(GH);
  const gate = new Float64Array(GH);
  const rh = new Float64Array(H);

  for (let step = 0; step < T; step++) {
    for (let n = 0; n < N; n++) {
      const len = s.lens ? s.lens[n]! : T;
      if (step >= len) continue;
      const t = reverse ? len - 1 - step : step;
      const xt = (t * N + n) * I;
      const hp = n * H;
      for (let k = 0; k < GH; k++) {
        let sx = Wb ? Wb[k]! : 0;
        for (let i = 0; i < I; i++) sx += x[xt + i]! * W[k * I + i]!;
        xw[k] = sx;
        let sh = Rb ? Rb[k]! : 0;
        for (let j = 0; j < H; j++) sh += h[hp + j]! * R[k * H + j]!;
        hr[k] = sh;
      }
      const out = y.subarray((t * N + n) * H, (t * N + n + 1) * H);
      if (family === 'rnn') {
        for (let j = 0; j < H; j++) out[j] = f(cl(xw[j]! + hr[j]!));
      } else if (family === 'gru') {
        // Blocks: z = 0, r = 1, h = 2.
        for (let j = 0; j < 2 * H; j++) gate[j] = f(cl(xw[j]! + hr[j]!));
        if (s.linearBeforeReset) {
          for (let j = 0; j < H; j++) gate[2 * H + j] = g!(cl(xw[2 * H + j]! + gate[H + j]! * hr[2 * H + j]!));
        } else {
          for (let j = 0; j < H; j++) rh[j] = gate[H + j]! * h[hp + j]!;
          for (let j = 0; j < H; j++) {
            let sr = Rb ? Rb[2 * H + j]! : 0;
            for (let q = 0; q < H; q++) sr += rh[q]! * R[(2 * H + j) * H + q]!;
            gate[2 * H + j] = g!(cl(xw[2 * H + j]! + sr));
          }
        }
        for (let j = 0; j < H; j++) {
          const z = gate[j]!;
          out[j] = (1 - z) * gate[2 * H + j]! + z * h[hp + j]!;
        }
      } else {
        // Blocks: i = 0, o = 1, f = 2, c = 3; P holds i, o, f.
        for (let j = 0; j < H; j++) {
          const cPrev = c[hp + j]!;
          const i = f(cl(xw[j]! + hr[j]! + (P ? P[j]! * cPrev : 0)));
          const fg = s.inputForget ? 1 - i : f(cl(xw[2 * H + j]! + hr[2 * H + j]! + (P ? P[2 * H + j]! * cPrev : 0)));
          const cc = g!(cl(xw[3 * H + j]! + hr[3 * H + j]!));
          const cNew = Math.fround(fg * cPrev + i * cc);
          const o = f(cl(xw[H + j]! + hr[H + j]! + (P ? P[H + j]! * cNew : 0)));
          c[hp + j] = cNew;
          out[j] = o * hAct!(cNew);
        }
      }
      h.set(out, hp);
    }
  }
  for (let n = 0; n < N && s.lens; n++) {
    if (s.lens[n] === 0) {
      h.fill(0, n * H, (n + 1) * H);
      c.fill(0, n * H, (n + 1) * H);
    }
  }
  return { y, batchFirst: false, h, c: family === 'lstm' ? c : null };
}

let generalOnly = false;

/**
 * Runs every direction through the general reference path (true), or lets the fused kernel take
 * the directions it covers (false, the default). For tests that check one path against the other.
 */
export function useGeneralRecurrentPath(value: boolean): void {
  generalOnly = value;
}

/**
 * The directions' outputs as one array in `order` (T, D, N, H), (T, N, D, H) or (N, T, D, H);
 * each direction's y is (T, N, H), or (N, T, H) when it is batchFirst. With one direction whose
 * y is already in that order (one batch row or one step: either layout), y itself is given back
 * (values are never written after they are made).
 */
function interleave(
  results: readonly DirectionResult[],
  T: number,
  N: number,
  H: number,
  order: 'TDNH' | 'TNDH' | 'NTDH',
): Float32Array {
  const D = results.length;
  const first = results[0]!;
  if (D === 1 && (N === 1 || T === 1 || first.batchFirst === (order === 'NTDH'))) return first.y;
  const result = uninitializedFloats(T * N * D * H); // every element is written below
  const out = copyView(result).bits;
  // Where row (t, n) of direction d starts in `out`: t * tStride + n * nStride + d * dStride.
  const tStride = order === 'NTDH' ? D * H : order === 'TNDH' ? N * D * H : D * N * H;
  const nStride = order === 'NTDH' ? T * D * H : order === 'TNDH' ? D * H : H;
  const dStride = order === 'TDNH' ? N * H : H;
  results.forEach((r, d) => {
    // Where row (t, n) starts in y.
    const [from0, from1] = r.batchFirst ? [H, T * H] : [N * H, H];
    copyRuns(out, d * dStride, tStride, nStride, copyView(r.y).bits, 0, from0, from1, T, N, H);
  });
  return result;
}

function recurrent(family: CellFamily): OpImpl {
  const hasCell = FAMILIES[family].hasCell;
  return (ctx) => {
    const s = setup(ctx, family);
    const { T, N, H, D } = s;
    const results = Array.from({ length: D }, (_, d) => {
      const kind = generalOnly ? null : fusedKind(s, d);
      return kind ? runDirectionFused(s, d, kind) : runDirectionGeneral(s, d);
    });
    const make = (shape: number[]) => makeArray('float32', shape);
    const Yh = D === 1 ? makeArray('float32', [1, N, H], results[0]!.h) : make([D, N, H]);
    const Yc = D === 1 ? makeArray('float32', [1, N, H], results[0]!.c ?? new Float32Array(N * H)) : make([D, N, H]);
    if (D > 1) {
      results.forEach((r, d) => {
        Yh.data.set(r.h, d * N * H);
        if (r.c) Yc.data.set(r.c, d * N * H);
      });
    }
    // Y in its final layout, written in one pass from the directions' (T, N, H) arrays.
    let Y: NDArray;
    if (s.mergedY) {
      // Transpose [0, 2, 1, 3] + Reshape [0, 0, -1] (+ Transpose [1, 0, 2]) folded in at load.
      const shape = s.batchFirstY ? [N, T, D * H] : [T, N, D * H];
      Y = makeArray('float32', shape, interleave(results, T, N, H, s.batchFirstY ? 'NTDH' : 'TNDH'));
    } else if (s.batchFirstY) {
      // (N, T, D, H); a Squeeze + Transpose folded in at load: (N, T, H).
      Y = makeArray('float32', s.layout === 0 ? [N, T, H] : [N, T, D, H], interleave(results, T, N, H, 'NTDH'));
    } else {
      Y = makeArray('float32', [T, D, N, H], interleave(results, T, N, H, 'TDNH'));
    }
    const outputs: (NDArray | null)[] = [Y, Yh, hasCell ? Yc : null];
    if (s.layout === 1) {
      outputs[1] = transposeData(Yh, [1, 0, 2], make); // (N, D, H)
      if (hasCell) outputs[2] = transposeData(Yc, [1, 0, 2], make);
    }
    return outputs.slice(0, 2 + (hasCell ? 1 : 0));
  };
}

export const recurrentOps: Record<string, OpImpl> = Object.fromEntries(
  CELL_FAMILIES.map((f) => [FAMILIES[f].onnxOp, recurrent(f)]),
);
