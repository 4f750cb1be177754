/** Adam and AdamW (decoupled weight decay), sharing one update. */
import { type AdamStepArgs, getBackend } from '../../backend/backend.js';
import { ValueError } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { checkBoolean, checkNumber, Optimizer, type ParamState } from './optimizer.js';

/** Options of {@link Adam}. Defaults are PyTorch's. */
export interface AdamOptions {
  /** Learning rate `η`, ≥ 0. Default 1e-3. */
  lr?: number;
  /** `[β1, β2]`, each in [0, 1): decay rates of the first and second moment averages. Default [0.9, 0.999]. */
  betas?: readonly [number, number] | readonly number[];
  /** `ε` ≥ 0 added to the denominator. Default 1e-8. */
  eps?: number;
  /** L2 penalty `λ` ≥ 0 added to the gradient (Adam: `g ← g + λ·θ`). Default 0. */
  weightDecay?: number;
  /** Use the maximum of all second-moment averages so far (AMSGrad). Default false. */
  amsgrad?: boolean;
  /** Ascend instead of descend. Default false. */
  maximize?: boolean;
}

/** Options of {@link AdamW}: as Adam's, but `weightDecay` (default 1e-2) is decoupled: `θ ← θ·(1 - η·λ)`. */
export interface AdamWOptions extends AdamOptions {
  /** Decoupled weight decay `λ` ≥ 0: each step first does `θ ← θ·(1 - η·λ)`. Default 1e-2. */
  weightDecay?: number;
}

/** Adam/AdamW options with every default filled in (see {@link AdamOptions}). */
export interface ResolvedAdamOptions {
  /** Learning rate `η`. */
  lr: number;
  /** `[β1, β2]`. */
  betas: [number, number];
  /** `ε` added to the denominator. */
  eps: number;
  /** `λ`: an L2 term for Adam, decoupled decay for AdamW. */
  weightDecay: number;
  /** AMSGrad variant. */
  amsgrad: boolean;
  /** Ascend instead of descend. */
  maximize: boolean;
}

function resolve(where: string, o: AdamOptions, defaultWeightDecay: number): ResolvedAdamOptions {
  if (typeof o !== 'object' || o === null) throw new ValueError(where, 'options must be an object');
  const betas = o.betas ?? [0.9, 0.999];
  if (!Array.isArray(betas) || betas.length !== 2) {
    throw new ValueError(where, `option betas must be a pair [beta1, beta2], got ${JSON.stringify(betas)}`);
  }
  betas.forEach((b: unknown, i: number) => {
    if (typeof b !== 'number' || !(b >= 0 && b < 1))
      throw new ValueError(where, `option betas[${i}] must be in [0, 1), got ${String(b)}`);
  });
  return {
    lr: checkNumber(where, 'lr', o.lr ?? 1e-3),
    betas: [betas[0]!, betas[1]!],
    eps: checkNumber(where, 'eps', o.eps ?? 1e-8),
    weightDecay: checkNumber(where, 'weightDecay', o.weightDecay ?? defaultWeightDecay),
    amsgrad: checkBoolean(where, 'amsgrad', o.amsgrad ?? false),
    maximize: checkBoolean(where, 'maximize', o.maximize ?? false),
  };
}

/** The scalars of one Adam step, rounded as PyTorch passes them to its float32 kernels. */
type AdamScalars = Omit<AdamStepArgs, 'params'>;

function adamScalars(o: ResolvedAdamOptions, decoupled: boolean): AdamScalars {
  const [beta1, beta2] = o.betas;
  return {
    beta1: Math.fround(beta1),
    beta2: Math.fround(beta2),
    oneMinusBeta1: Math.fround(1 - beta1),
    oneMinusBeta2: Math.fround(1 - beta2),
    eps: Math.fround(o.eps),
    weightDecay: Math.fround(o.weightDecay),
    decay: Math.fround(1 - o.lr * o.weightDecay),
    decoupled,
    amsgrad: o.amsgrad,
    maximize: o.maximize,
  };
}

/**
 * The Adam update of PyTorch 1.13 (`_single_tensor_adam` / `_single_tensor_adamw`). With
 * `t` the parameter's step count after increment:
 * ```
 * g ← maximize ? -g : g
 * θ ← θ·(1 - η·λ)                (AdamW)        g ← g + λ·θ   (Adam, λ ≠ 0)
 * m ← β1·m + (1 - β1)·g
 * v ← β2·v + (1 - β2)·g²
 * v̂ ← amsgrad ? (vmax ← max(vmax, v)) : v
 * θ ← θ - (η / (1 - β1^t)) · m / (√v̂ / √(1 - β2^t) + ε)
 * ```
 *
 * This is the reference kernel, for one parameter (the backends' fused `adamStep` must equal it
 * bit for bit). Scalars are float32 values; the arithmetic is float64 with the roundings shown.
 */
export function adamKernel(
  k: AdamScalars,
  stepSize: number,
  bc2Sqrt: number,
  param: Float32Array,
  grad: Float32Array,
  m: Float32Array,
  v: Float32Array,
  vmax: Float32Array | null,
): void {
  const n = param.length;
  const { beta1: b1, beta2: b2, oneMinusBeta1, oneMinusBeta2, eps, weightDecay: wd, decay, maximize, decoupled } = k;
  const l2 = !decoupled && wd !== 0;
  // Each value is read once and kept in a local, rounded as the Float32Array store rounds it
  // (Math.fround): the same bits as storing and reading back, 15 % faster.
  for (let i = 0; i < n; i++) {
    let g = maximize ? -grad[i]! : grad[i]!;
    let p = param[i]!;
    if (decoupled) p = Math.fround(p * decay);
    else if (l2) g = Math.fround(g + wd * p);
    const mi = Math.fround(Math.fround(m[i]! * b1) + oneMinusBeta1 * g);
    const vi = Math.fround(Math.fround(v[i]! * b2) + oneMinusBeta2 * g * g);
    m[i] = mi;
    v[i] = vi;
    let second = vi;
    if (vmax !== null) {
      if (!(vmax[i]! >= second)) vmax[i] = second;
      second = vmax[i]!;
    }
    const denom = Math.fround(Math.fround(Math.fround(Math.sqrt(second)) / bc2Sqrt) + eps);
    param[i] = p - (stepSize * mi) / denom;
  }
}

/** A parameter's state, created on its first step. */
function adamState(o: ResolvedAdamOptions, n: number, state: ParamState | null): ParamState {
  return (
    state ?? {
      step: 0,
      expAvg: new Float32Array(n),
      expAvgSq: new Float32Array(n),
      ...(o.amsgrad && { maxExpAvgSq: new Float32Array(n) }),
    }
  );
}

/**
 * One Adam / AdamW step over every parameter with a gradient: with a backend that has a fused
 * `adamStep` (native), one call for all of them; otherwise {@link adamKernel} per parameter.
 * Step counts are per parameter (a parameter without a gradient keeps its count).
 */
function adamStepAll(
  o: ResolvedAdamOptions,
  decoupled: boolean,
  items: { index: number; param: Float32Array; grad: Float32Array }[],
  states: (ParamState | null)[],
): void {
  if (items.length === 0) return;
  const k = adamScalars(o, decoupled);
  const [beta1, beta2] = o.betas;
  const params = items.map(({ index, param, grad }) => {
    const s = adamState(o, param.length, states[index]!);
    states[index] = s;
    const step = (s.step as number) + 1;
    s.step = step;
    return {
      param,
      grad,
      m: s.expAvg as Float32Array,
      v: s.expAvgSq as Float32Array,
      vmax: o.amsgrad ? (s.maxExpAvgSq as Float32Array) : null,
      stepSize: Math.fround(o.lr / (1 - beta1 ** step)),
      bc2Sqrt: Math.fround(Math.sqrt(1 - beta2 ** step)),
    };
  });
  const backend = getBackend();
  if (backend.adamStep && !useReferenceAdam) {
    backend.adamStep({ ...k, params });
    return;
  }
  for (const p of params) adamKernel(k, p.stepSize, p.bc2Sqrt, p.param, p.grad, p.m, p.v, p.vmax);
}

let useReferenceAdam = false;

/** Runs Adam / AdamW with the reference kernel even where the backend has a fused one (tests compare the two). */
export function useReferenceAdamKernel(value: boolean): void {
  useReferenceAdam = value;
}

function adamKeys(o: ResolvedAdamOptions): { counters: string[]; buffers: string[] } {
  return { counters: ['step'], buffers: ['expAvg', 'expAvgSq', ...(o.amsgrad ? ['maxExpAvgSq'] : [])] };
}

/**
 * Adam, exactly as PyTorch 1.13's `torch.optim.Adam` (weight decay as an L2 term added to the
 * gradient). See {@link AdamOptions}; the update:
 * ```
 * g ← g + λ·θ;  m ← β1·m + (1-β1)·g;  v ← β2·v + (1-β2)·g²
 * θ ← θ - η/(1-β1^t) · m / (√v / √(1-β2^t) + ε)        (v → running max of v with amsgrad)
 * ```
 * State per parameter: `step`, `expAvg`, `expAvgSq` (and `maxExpAvgSq` with amsgrad).
 */
export class Adam extends Optimizer<ResolvedAdamOptions> {
  constructor(params: Iterable<Tensor>, options: AdamOptions = {}) {
    super(params, resolve('Adam', options, 0));
  }

  protected get name(): string {
    return 'Adam';
  }

  protected resolveOptions(options: ResolvedAdamOptions): ResolvedAdamOptions {
    return resolve('Adam', options, 0);
  }

  protected stateKeys(options: ResolvedAdamOptions): { counters: string[]; buffers: string[] } {
    return adamKeys(options);
  }

  protected updateParam(param: Float32Array, grad: Float32Array, state: ParamState | null): ParamState {
    const states = [state];
    adamStepAll(this.options, false, [{ index: 0, param, grad }], states);
    return states[0]!;
  }

  /** Updates every parameter with a gradient, in one fused call where the backend has one. */
  override step(): void {
    adamStepAll(this.options, false, this.withGradients(), this.state);
  }
}

/**
 * AdamW, exactly as PyTorch 1.13's `torch.optim.AdamW`: Adam with decoupled weight decay,
 * `θ ← θ·(1 - η·λ)` before the Adam step (λ = weightDecay, default 1e-2), and no L2 term in
 * the gradient. State per parameter as {@link Adam}'s.
 */
export class AdamW extends Optimizer<ResolvedAdamOptions> {
  constructor(params: Iterable<Tensor>, options: AdamWOptions = {}) {
    super(params, resolve('AdamW', options, 1e-2));
  }

  protected get name(): string {
    return 'AdamW';
  }

  protected resolveOptions(options: ResolvedAdamOptions): ResolvedAdamOptions {
    return resolve('AdamW', options, 1e-2);
  }

  protected stateKeys(options: ResolvedAdamOptions): { counters: string[]; buffers: string[] } {
    return adamKeys(options);
  }

  protected updateParam(param: Float32Array, grad: Float32Array, state: ParamState | null): ParamState {
    const states = [state];
    adamStepAll(this.options, true, [{ index: 0, param, grad }], states);
    return states[0]!;
  }

  /** Updates every parameter with a gradient, in one fused call where the backend has one. */
  override step(): void {
    adamStepAll(this.options, true, this.withGradients(), this.state);
  }
}
