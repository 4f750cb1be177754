/** RMSprop, optionally centered and with momentum. */
import { ValueError } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { checkBoolean, checkNumber, Optimizer, type ParamState } from './optimizer.js';

/** Options of {@link RMSprop}. Defaults are PyTorch's. */
export interface RMSpropOptions {
  /** Learning rate `η`, ≥ 0. Default 1e-2. */
  lr?: number;
  /** Smoothing constant `α` ≥ 0 of the squared-gradient average. Default 0.99. */
  alpha?: number;
  /** `ε` ≥ 0 added to the denominator. Default 1e-8. */
  eps?: number;
  /** L2 penalty `λ` ≥ 0 added to the gradient: `g ← g + λ·θ`. Default 0. */
  weightDecay?: number;
  /** Momentum factor `μ` ≥ 0. Default 0. */
  momentum?: number;
  /** Normalise by the estimated variance (subtract the squared mean gradient). Default false. */
  centered?: boolean;
  /** Ascend instead of descend. Default false. */
  maximize?: boolean;
}

function resolve(o: RMSpropOptions): Required<RMSpropOptions> {
  const where = 'RMSprop';
  if (typeof o !== 'object' || o === null) throw new ValueError(where, 'options must be an object');
  return {
    lr: checkNumber(where, 'lr', o.lr ?? 1e-2),
    alpha: checkNumber(where, 'alpha', o.alpha ?? 0.99),
    eps: checkNumber(where, 'eps', o.eps ?? 1e-8),
    weightDecay: checkNumber(where, 'weightDecay', o.weightDecay ?? 0),
    momentum: checkNumber(where, 'momentum', o.momentum ?? 0),
    centered: checkBoolean(where, 'centered', o.centered ?? false),
    maximize: checkBoolean(where, 'maximize', o.maximize ?? false),
  };
}

/**
 * RMSprop, exactly as PyTorch 1.13's `torch.optim.RMSprop`:
 * ```
 * g ← maximize ? -g : g;   g ← g + λ·θ            (λ ≠ 0)
 * s ← α·s + (1 - α)·g²
 * centered:  a ← α·a + (1 - α)·g;   d ← √(s - a²) + ε      else  d ← √s + ε
 * momentum μ > 0:  b ← μ·b + g/d;   θ ← θ - η·b           else  θ ← θ - η·g/d
 * ```
 * State per parameter: `step`, `squareAvg`, and `momentumBuffer` (momentum > 0) and
 * `gradAvg` (centered).
 */
export class RMSprop extends Optimizer<Required<RMSpropOptions>> {
  constructor(params: Iterable<Tensor>, options: RMSpropOptions = {}) {
    super(params, resolve(options));
  }

  protected get name(): string {
    return 'RMSprop';
  }

  protected resolveOptions(options: Required<RMSpropOptions>): Required<RMSpropOptions> {
    return resolve(options);
  }

  protected stateKeys(o: Required<RMSpropOptions>): { counters: string[]; buffers: string[] } {
    return {
      counters: ['step'],
      buffers: ['squareAvg', ...(o.momentum > 0 ? ['momentumBuffer'] : []), ...(o.centered ? ['gradAvg'] : [])],
    };
  }

  protected updateParam(param: Float32Array, grad: Float32Array, state: ParamState | null): ParamState {
    const o = this.options;
    const n = param.length;
    const s: ParamState = state ?? {
      step: 0,
      squareAvg: new Float32Array(n),
      ...(o.momentum > 0 && { momentumBuffer: new Float32Array(n) }),
      ...(o.centered && { gradAvg: new Float32Array(n) }),
    };
    s.step = (s.step as number) + 1;
    const sq = s.squareAvg as Float32Array;
    const buf = o.momentum > 0 ? (s.momentumBuffer as Float32Array) : null;
    const avgGrad = o.centered ? (s.gradAvg as Float32Array) : null;
    const alpha = Math.fround(o.alpha);
    const oneMinusAlpha = Math.fround(1 - o.alpha);
    const eps = Math.fround(o.eps);
    const wd = Math.fround(o.weightDecay);
    const mu = Math.fround(o.momentum);
    const lr = Math.fround(o.lr);
    for (let i = 0; i < n; i++) {
      let g = o.maximize ? -grad[i]! : grad[i]!;
      if (o.weightDecay !== 0) g = Math.fround(g + wd * param[i]!);
      sq[i] = Math.fround(sq[i]! * alpha) + oneMinusAlpha * g * g;
      let avg: number;
      if (avgGrad !== null) {
        avgGrad[i] = Math.fround(avgGrad[i]! * alpha) + oneMinusAlpha * g;
        avg = Math.fround(Math.sqrt(Math.fround(sq[i]! - avgGrad[i]! * avgGrad[i]!)));
      } else {
        avg = Math.fround(Math.sqrt(sq[i]!));
      }
      avg = Math.fround(avg + eps);
      if (buf !== null) {
        buf[i] = Math.fround(buf[i]! * mu) + g / avg;
        param[i] = param[i]! - lr * buf[i]!;
      } else {
        param[i] = param[i]! - (lr * g) / avg;
      }
    }
    return s;
  }
}
