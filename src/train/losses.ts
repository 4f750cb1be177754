/**
 * Loss functions with PyTorch 1.13's semantics (`torch.nn.functional.cross_entropy`,
 * `nll_loss`, `mse_loss`, `l1_loss`, `huber_loss`). Every loss is differentiable: each is
 * one op (or a few composed ops) with its gradient written beside its forward pass.
 *
 * Reductions, as in PyTorch:
 * - `'none'`: one loss per element (per target position for the classification losses);
 * - `'sum'`: their sum, a scalar tensor (shape `[]`);
 * - `'mean'` (default): the sum divided by the element count; for the classification losses,
 *   divided by the number of non-ignored targets, or by the sum of their class weights when a
 *   `weight` is given. An empty or fully ignored batch gives NaN, as in PyTorch.
 */
import { getBackend } from '../backend/backend.js';
import { ShapeError, ValueError } from '../errors.js';
import { opResult } from '../tensor/ops/result.js';
import { logSoftmax } from '../tensor/ops/softmax.js';
import { formatShape, shapesEqual, sizeOf, stridesOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { uninitializedFloats } from '../tensor/uninitialized.js';

/** How per-element losses are combined: averaged (default), summed, or returned as they are. */
export type Reduction = 'mean' | 'sum' | 'none';

/** Options shared by every loss. */
export interface ReductionOptions {
  /** `'mean'` (default), `'sum'` or `'none'`; see the module comment for what each means. */
  reduction?: Reduction;
}

/** Options of {@link nllLoss}. */
export interface NllLossOptions extends ReductionOptions {
  /**
   * Targets equal to this value contribute nothing (no loss, no gradient, no share of the
   * 'mean' divisor). Default -100, as in PyTorch. It may also be a valid class index.
   */
  ignoreIndex?: number;
  /**
   * Per-class weights `w`, shape `(C)`. The loss at a position with target `t` is scaled by
   * `w[t]`, and `'mean'` divides by `Σ w[t]` over the non-ignored positions. No gradient flows
   * into `weight`.
   */
  weight?: Tensor;
}

/** Options of {@link crossEntropy}. */
export interface CrossEntropyOptions extends NllLossOptions {
  /**
   * Label smoothing `ε` in [0, 1] (default 0). The target distribution becomes
   * `(1 - ε)·onehot(t) + ε/C`, so the loss is `(1 - ε)·nll + (ε/C)·smooth` where, per position,
   * `smooth = -Σ_c w[c]·logp[c]` (`w[c] = 1` without weight), zero at ignored positions, and
   * reduced like `nll`: `'mean'` divides by the same divisor (the non-ignored count, or the
   * sum of the targets' class weights).
   */
  labelSmoothing?: number;
}

/** Options of {@link huberLoss}. */
export interface HuberLossOptions extends ReductionOptions {
  /** Where the loss turns from quadratic to linear; must be > 0. Default 1. */
  delta?: number;
}

function checkReduction(where: string, reduction: unknown): Reduction {
  if (reduction === 'mean' || reduction === 'sum' || reduction === 'none') return reduction;
  throw new ValueError(where, `reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(reduction)}`);
}

/** A flat position in a tensor of shape `shape`, written as `[i, j, ...]` for error messages. */
function formatPosition(flat: number, shape: readonly number[]): string {
  const strides = stridesOf(shape);
  return `[${strides.map((s, d) => Math.floor(flat / s) % shape[d]!).join(', ')}]`;
}

/** The validated targets of a classification loss and the layout they index. */
interface ClassTargets {
  /** Class index per position (or the ignore index). */
  index: Int32Array;
  /** Whether each position is ignored. */
  ignored: Uint8Array;
  /** Batch size (1 for unbatched input). */
  n: number;
  /** Number of classes. */
  classes: number;
  /** Product of the trailing dims d1... (1 when there are none). */
  inner: number;
  /** Shape of the targets and of the unreduced loss. */
  shape: number[];
}

/**
 * Checks the input/targets pair of a classification loss:
 * input `(N, C, d1, ...)` with targets `(N, d1, ...)`, or input `(C)` with a scalar target.
 */
function classTargets(
  where: string,
  input: Tensor,
  targets: Tensor | ArrayLike<number>,
  ignoreIndex: number,
): ClassTargets {
  if (input.rank === 0) {
    throw new ShapeError({ where, what: 'input rank', expected: '1 (C) or at least 2 (N, C, ...)', actual: 0 });
  }
  const unbatched = input.rank === 1;
  const classes = unbatched ? input.shape[0]! : input.shape[1]!;
  const n = unbatched ? 1 : input.shape[0]!;
  const rest = unbatched ? [] : input.shape.slice(2);
  const shape = unbatched ? [] : [n, ...rest];
  const inner = sizeOf(rest);
  if (classes === 0)
    throw new ShapeError({ where, what: 'number of classes (input dim 1)', expected: 'at least 1', actual: 0 });
  let values: ArrayLike<number>;
  if (targets instanceof Tensor) {
    if (!shapesEqual(targets.shape, shape)) {
      const hint = shapesEqual(targets.shape, input.shape)
        ? 'Targets must be class indices; class probabilities (targets shaped like the input) are not supported'
        : `Input ${formatShape(input.shape)} needs targets of shape ${formatShape(shape)} (input without its class dim 1)`;
      throw new ShapeError({ where, what: 'targets shape', expected: shape, actual: targets.shape, hint });
    }
    values = targets.data;
  } else {
    if (targets.length !== sizeOf(shape)) {
      throw new ShapeError({
        where,
        what: 'number of targets',
        expected: sizeOf(shape),
        actual: targets.length,
        hint: `Input ${formatShape(input.shape)} needs one class index per position of ${formatShape(shape)}`,
      });
    }
    values = targets;
  }
  const count = sizeOf(shape);
  const index = new Int32Array(count);
  const ignored = new Uint8Array(count);
  for (let p = 0; p < count; p++) {
    const t = values[p]!;
    if (t === ignoreIndex) {
      ignored[p] = 1;
      index[p] = t;
      continue;
    }
    if (!Number.isInteger(t) || t < 0 || t >= classes) {
      throw new ValueError(
        where,
        `target ${t} at position ${formatPosition(p, shape)} is not a class index in 0..${classes - 1} (ignoreIndex is ${ignoreIndex})`,
      );
    }
    index[p] = t;
  }
  return { index, ignored, n, classes, inner, shape };
}

function checkWeight(where: string, weight: Tensor | undefined, classes: number): Float32Array | null {
  if (weight === undefined) return null;
  if (!(weight instanceof Tensor) || weight.rank !== 1 || weight.shape[0] !== classes) {
    throw new ShapeError({
      where,
      what: 'weight shape',
      expected: [classes],
      actual: weight instanceof Tensor ? weight.shape : String(weight),
      hint: 'weight holds one value per class',
    });
  }
  return weight.data;
}

function checkIgnoreIndex(where: string, ignoreIndex: number): number {
  if (!Number.isInteger(ignoreIndex)) throw new ValueError(where, `ignoreIndex must be an integer, got ${ignoreIndex}`);
  return ignoreIndex;
}

/** Per non-ignored position, its class weight (1 without weights); 0 where ignored. */
function positionWeights(t: ClassTargets, weight: Float32Array | null): Float64Array {
  const w = new Float64Array(t.index.length);
  for (let p = 0; p < w.length; p++) if (!t.ignored[p]) w[p] = weight ? weight[t.index[p]!]! : 1;
  return w;
}

function sumOf(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s;
}

/**
 * Reduces per-position losses `loss` (shape `t.shape`) by `reduction`; `mean` divides by
 * `divisor`. `perPositionGrad(p, g)` must add `g · ∂loss_p/∂input` into `gx`.
 */
function reducedClassOp(
  name: string,
  input: Tensor,
  t: ClassTargets,
  loss: Float64Array,
  reduction: Reduction,
  divisor: number,
  addGrad: (gx: Float32Array, p: number, g: number) => void,
): Tensor {
  let out: Float32Array;
  let shape: number[];
  if (reduction === 'none') {
    out = Float32Array.from(loss);
    shape = t.shape;
  } else {
    const total = sumOf(loss);
    out = Float32Array.of(reduction === 'sum' ? total : total / divisor);
    shape = [];
  }
  return opResult(name, [input], out, shape, (g) => {
    const gx = new Float32Array(input.size);
    const scale = reduction === 'mean' ? 1 / divisor : 1;
    for (let p = 0; p < loss.length; p++) {
      if (t.ignored[p]) continue;
      addGrad(gx, p, (reduction === 'none' ? g[p]! : g[0]!) * scale);
    }
    return [gx];
  });
}

/** Flat index in the input of class `c` at target position `p` (layout `(N, C, inner)`). */
const inputIndex = (t: ClassTargets, p: number, c: number): number => {
  const nIdx = Math.floor(p / t.inner);
  const k = p - nIdx * t.inner;
  return (nIdx * t.classes + c) * t.inner + k;
};

/**
 * Negative log-likelihood of class-index targets.
 *
 * `logProbs`: `(N, C)`, `(N, C, d1, ...)` or `(C)` (unbatched) log-probabilities, e.g. from
 * `logSoftmax(x, 1)`. `targets`: class indices in `0..C-1` (or `ignoreIndex`), shape `(N)`,
 * `(N, d1, ...)` or `[]`, as a tensor or a flat array in row-major order.
 *
 * Per position: `loss = -w[t]·logProbs[n, t, d...]` (`w[t] = 1` without weight), 0 where
 * `t == ignoreIndex`. Reduced as described in the module comment. The result has shape
 * `(N, d1, ...)` for `'none'`, `[]` otherwise.
 *
 * Throws ShapeError when the targets' shape does not match, and ValueError naming the
 * position of a target that is not an integer class index.
 */
export function nllLoss(logProbs: Tensor, targets: Tensor | ArrayLike<number>, options: NllLossOptions = {}): Tensor {
  const where = 'nllLoss';
  const reduction = checkReduction(where, options.reduction ?? 'mean');
  const ignoreIndex = checkIgnoreIndex(where, options.ignoreIndex ?? -100);
  const t = classTargets(where, logProbs, targets, ignoreIndex);
  const weight = checkWeight(where, options.weight, t.classes);
  return nllCore(logProbs, t, weight, reduction);
}

function nllCore(logProbs: Tensor, t: ClassTargets, weight: Float32Array | null, reduction: Reduction): Tensor {
  const w = positionWeights(t, weight);
  const x = logProbs.data;
  const loss = new Float64Array(w.length);
  for (let p = 0; p < loss.length; p++) if (!t.ignored[p]) loss[p] = -w[p]! * x[inputIndex(t, p, t.index[p]!)]!;
  return reducedClassOp('nllLoss', logProbs, t, loss, reduction, sumOf(w), (gx, p, g) => {
    gx[inputIndex(t, p, t.index[p]!)]! -= w[p]! * g;
  });
}

/** The label-smoothing term: per position `-Σ_c w[c]·logp[c]`, 0 where ignored. */
function smoothingCore(logProbs: Tensor, t: ClassTargets, weight: Float32Array | null, reduction: Reduction): Tensor {
  const x = logProbs.data;
  const loss = new Float64Array(t.index.length);
  for (let p = 0; p < loss.length; p++) {
    if (t.ignored[p]) continue;
    let s = 0;
    for (let c = 0; c < t.classes; c++) s -= (weight ? weight[c]! : 1) * x[inputIndex(t, p, c)]!;
    loss[p] = s;
  }
  const divisor = sumOf(positionWeights(t, weight));
  return reducedClassOp('labelSmoothing', logProbs, t, loss, reduction, divisor, (gx, p, g) => {
    for (let c = 0; c < t.classes; c++) gx[inputIndex(t, p, c)]! -= (weight ? weight[c]! : 1) * g;
  });
}

/**
 * Cross-entropy between unnormalised `logits` and class-index `targets`, as PyTorch's
 * `F.cross_entropy`: `nllLoss(logSoftmax(logits, 1), targets)`, plus label smoothing.
 *
 * Shapes: logits `(N, C)` with targets `(N)`; `(N, C, d1, ...)` with targets `(N, d1, ...)`
 * (e.g. a sequence model's `(batch, classes, time)`); or `(C)` with a scalar target.
 * Targets are a tensor or a flat row-major array of class indices in `0..C-1`, or
 * `ignoreIndex` (default -100) for positions to skip.
 *
 * Per position with target `t` and `logp = logSoftmax(logits)` over the class dim:
 *   `loss = (1 - ε)·(-w[t]·logp[t]) + (ε/C)·(-Σ_c w[c]·logp[c])`
 * with `ε = labelSmoothing` and `w` the class weights (all 1 without `weight`). Ignored
 * positions give 0. `'mean'` divides the sum by the number of non-ignored positions, or by
 * `Σ w[t]` over them when `weight` is given (for both terms).
 *
 * Returns a scalar tensor, or the per-position losses `(N, d1, ...)` for `reduction: 'none'`.
 * Throws ShapeError for mismatched shapes and ValueError naming the position of an invalid
 * target, or for an invalid option.
 */
export function crossEntropy(
  logits: Tensor,
  targets: Tensor | ArrayLike<number>,
  options: CrossEntropyOptions = {},
): Tensor {
  const where = 'crossEntropy';
  const reduction = checkReduction(where, options.reduction ?? 'mean');
  const ignoreIndex = checkIgnoreIndex(where, options.ignoreIndex ?? -100);
  const smoothing = options.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing <= 1)) {
    throw new ValueError(where, `labelSmoothing must be in [0, 1], got ${smoothing}`);
  }
  const t = classTargets(where, logits, targets, ignoreIndex);
  const weight = checkWeight(where, options.weight, t.classes);
  const logProbs = logSoftmax(logits, logits.rank === 1 ? 0 : 1);
  const nll = nllCore(logProbs, t, weight, reduction);
  if (smoothing === 0) return nll;
  const smooth = smoothingCore(logProbs, t, weight, reduction);
  return nll.mul(1 - smoothing).add(smooth.mul(smoothing / t.classes));
}

/** The element-wise losses: `f(d)` of `d = input - target`. */
type PointwiseKind = 'mse' | 'l1' | 'huber';

/**
 * `f(d)` summed in float64 over `d = x[i] - y[i]` (or written per element to `out`). One loop
 * per kind, so each stays monomorphic (the losses run over every output of a sequence model).
 */
function pointwiseForward(
  kind: PointwiseKind,
  delta: number,
  x: Float32Array,
  y: Float32Array,
  out: Float32Array | null,
): number {
  const n = x.length;
  if (kind === 'mse' && !out) return squaredErrorSum(x, y);
  let total = 0;
  if (kind === 'mse') {
    for (let i = 0; i < n; i++) {
      const d = x[i]! - y[i]!;
      const v = d * d;
      if (out) out[i] = v;
      total += v;
    }
  } else if (kind === 'l1') {
    for (let i = 0; i < n; i++) {
      const v = Math.abs(x[i]! - y[i]!);
      if (out) out[i] = v;
      total += v;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const d = x[i]! - y[i]!;
      const a = Math.abs(d);
      const v = a < delta ? 0.5 * d * d : delta * (a - 0.5 * delta);
      if (out) out[i] = v;
      total += v;
    }
  }
  return total;
}

/**
 * Σ (x[i] - y[i])² in float64, in index order: {@link pointwiseForward}'s sum for a reduced MSE
 * (the common case) in a loop of its own, with nothing else per element (a third faster over a
 * sequence model's outputs than the shared loop); the same operations, so the same bits.
 */
function squaredErrorSum(x: Float32Array, y: Float32Array): number {
  const n = x.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - y[i]!;
    total += d * d;
  }
  return total;
}

/**
 * `gi[i] = f'(x[i] - y[i]) · (g[i] or g0) · scale` (g null: the reduced loss's gradient g0); the
 * backend's kernel where it has one (the same operations, bit for bit; the loss gradient of a
 * sequence model covers every output value).
 */
function pointwiseBackward(
  kind: PointwiseKind,
  delta: number,
  x: Float32Array,
  y: Float32Array,
  g: Float32Array | null,
  g0: number,
  scale: number,
  gi: Float32Array,
): void {
  const backend = getBackend();
  if (backend.pointwiseLossBackward) {
    backend.pointwiseLossBackward(kind, delta, x, y, g, g0, scale, gi);
    return;
  }
  if (g) pointwiseBackwardEach(kind, delta, x, y, g, scale, gi);
  else if (kind === 'mse') mseBackwardReduced(x, y, g0, scale, gi);
  else pointwiseBackwardReduced(kind, delta, x, y, g0, scale, gi);
}

/**
 * {@link pointwiseBackward} for a reduced MSE (the common case): its own loop, with the same
 * operations in the same order (`(2·d)·g0·scale`), so the same bits. The general loop below
 * picks the slope per element and ran at ~20 ns per element over a sequence model's outputs.
 */
function mseBackwardReduced(x: Float32Array, y: Float32Array, g0: number, scale: number, gi: Float32Array): void {
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - y[i]!;
    gi[i] = 2 * d * g0 * scale;
  }
}

/** {@link pointwiseBackward} for a reduced L1 or Huber loss (the gradient g0 is one number). */
function pointwiseBackwardReduced(
  kind: PointwiseKind,
  delta: number,
  x: Float32Array,
  y: Float32Array,
  g0: number,
  scale: number,
  gi: Float32Array,
): void {
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - y[i]!;
    const slope = kind === 'l1' ? Math.sign(d) : d < -delta ? -delta : d > delta ? delta : d;
    gi[i] = slope * g0 * scale;
  }
}

/** {@link pointwiseBackward} for `reduction: 'none'` (a gradient per element, g). */
function pointwiseBackwardEach(
  kind: PointwiseKind,
  delta: number,
  x: Float32Array,
  y: Float32Array,
  g: Float32Array,
  scale: number,
  gi: Float32Array,
): void {
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - y[i]!;
    const slope = kind === 'mse' ? 2 * d : kind === 'l1' ? Math.sign(d) : d < -delta ? -delta : d > delta ? delta : d;
    gi[i] = slope * g[i]! * scale;
  }
}

/**
 * An element-wise loss `f(input - target)`, reduced (`delta` is Huber's δ). The target's
 * gradient is the negation of the input's. The differences are recomputed in backward from the
 * inputs, as PyTorch does, instead of being kept.
 */
function pointwiseLoss(
  where: string,
  input: Tensor,
  target: Tensor,
  reduction: Reduction,
  kind: PointwiseKind,
  delta = 1,
): Tensor {
  if (!(input instanceof Tensor) || !(target instanceof Tensor)) {
    throw new ValueError(where, 'input and target must be tensors');
  }
  if (!shapesEqual(input.shape, target.shape)) {
    throw new ShapeError({
      where,
      what: 'target shape',
      expected: input.shape,
      actual: target.shape,
      hint: 'input and target must have the same shape (no broadcasting)',
    });
  }
  const n = input.size;
  const x = input.data;
  const y = target.data;
  let out: Float32Array;
  let shape: readonly number[];
  if (reduction === 'none') {
    out = new Float32Array(n);
    pointwiseForward(kind, delta, x, y, out);
    shape = input.shape;
  } else {
    const total = pointwiseForward(kind, delta, x, y, null);
    out = Float32Array.of(reduction === 'sum' ? total : total / n);
    shape = [];
  }
  return opResult(where, [input, target], out, shape, (g) => {
    const scale = reduction === 'mean' ? 1 / n : 1;
    const gi = uninitializedFloats(n); // pointwiseBackward writes every element
    pointwiseBackward(kind, delta, x, y, reduction === 'none' ? g : null, g[0]!, scale, gi);
    let gt: Float32Array | null = null;
    if (target.requiresGrad) {
      gt = new Float32Array(n);
      for (let i = 0; i < n; i++) gt[i] = -gi[i]!;
    }
    return [input.requiresGrad ? gi : null, gt];
  });
}

/**
 * Mean squared error: per element `(input - target)²`, reduced (default: mean over all
 * elements). `input` and `target` must have the same shape (ShapeError otherwise); gradients
 * flow to both.
 */
export function mseLoss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const reduction = checkReduction('mseLoss', options.reduction ?? 'mean');
  return pointwiseLoss('mseLoss', input, target, reduction, 'mse');
}

/**
 * Mean absolute error: per element `|input - target|`, reduced (default: mean). Same shapes
 * required. The gradient at `input == target` is 0, as in PyTorch.
 */
export function l1Loss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const reduction = checkReduction('l1Loss', options.reduction ?? 'mean');
  return pointwiseLoss('l1Loss', input, target, reduction, 'l1');
}

/**
 * Huber loss, per element with `d = input - target` and `δ = delta` (default 1):
 *   `0.5·d²` if `|d| < δ`, else `δ·(|d| - 0.5·δ)`;
 * reduced (default: mean). Same shapes required; `delta` must be > 0 (ValueError).
 */
export function huberLoss(input: Tensor, target: Tensor, options: HuberLossOptions = {}): Tensor {
  const where = 'huberLoss';
  const reduction = checkReduction(where, options.reduction ?? 'mean');
  const delta = options.delta ?? 1;
  if (!(delta > 0) || !Number.isFinite(delta))
    throw new ValueError(where, `delta must be a finite number > 0, got ${delta}`);
  return pointwiseLoss(where, input, target, reduction, 'huber', delta);
}
