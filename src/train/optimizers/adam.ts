/** Adam and AdamW (decoupled weight decay), sharing one update. */
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
    if (typeof b !== 'number' || !(b >= 0 && b < 1)) throw new ValueError(where, `option betas[${i}] must be in [0, 1), got ${String(b)}`);
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
 */
function adamUpdate(o: ResolvedAdamOptions, decoupled: boolean, param: Float32Array, grad: Float32Array, state: ParamState | null): ParamState {
  const n = param.length;
  const s: ParamState = state ?? {
    step: 0,
    expAvg: new Float32Array(n),
    expAvgSq: new Float32Array(n),
    ...(o.amsgrad && { maxExpAvgSq: new Float32Array(n) }),
  };
  const step = (s.step as number) + 1;
  s.step = step;
  const m = s.expAvg as Float32Array;
  const v = s.expAvgSq as Float32Array;
  const vmax = o.amsgrad ? (s.maxExpAvgSq as Float32Array) : null;
  const [beta1, beta2] = o.betas;
  // Scalars as PyTorch computes them (float64) and passes them to float32 kernels.
  const b1 = Math.fround(beta1);
  const b2 = Math.fround(beta2);
  const oneMinusB1 = Math.fround(1 - beta1);
  const oneMinusB2 = Math.fround(1 - beta2);
  const stepSize = Math.fround(o.lr / (1 - beta1 ** step));
  const bc2Sqrt = Math.fround(Math.sqrt(1 - beta2 ** step));
  const eps = Math.fround(o.eps);
  const wd = Math.fround(o.weightDecay);
  const decay = Math.fround(1 - o.lr * o.weightDecay);
  for (let i = 0; i < n; i++) {
    let g = o.maximize ? -grad[i]! : grad[i]!;
    if (decoupled) param[i] = param[i]! * decay;
    else if (o.weightDecay !== 0) g = Math.fround(g + wd * param[i]!);
    m[i] = Math.fround(m[i]! * b1) + oneMinusB1 * g;
    v[i] = Math.fround(v[i]! * b2) + oneMinusB2 * g * g;
    let second = v[i]!;
    if (vmax !== null) {
      if (!(vmax[i]! >= second)) vmax[i] = second;
      second = vmax[i]!;
    }
    const denom = Math.fround(Math.fround(Math.fround(Math.sqrt(second)) / bc2Sqrt) + eps);
    param[i] = param[i]! - (stepSize * m[i]!) / denom;
  }
  return s;
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
    return adamUpdate(this.options, false, param, grad, state);
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
    return adamUpdate(this.options, true, param, grad, state);
  }
}
