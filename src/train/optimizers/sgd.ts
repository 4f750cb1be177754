/** Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay. */
import { ValueError } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { checkBoolean, checkNumber, Optimizer, type ParamState } from './optimizer.js';

/** Options of {@link SGD}. Defaults are PyTorch's. */
export interface SGDOptions {
  /** Learning rate `η`, ≥ 0 (required, as in PyTorch). */
  lr: number;
  /** Momentum factor `μ`, ≥ 0. Default 0 (plain SGD). */
  momentum?: number;
  /** Dampening `τ` of the momentum: the new gradient enters the buffer scaled by `1 - τ`. Default 0. */
  dampening?: number;
  /** Nesterov momentum (needs `momentum > 0` and `dampening = 0`). Default false. */
  nesterov?: boolean;
  /** L2 penalty `λ` ≥ 0 added to the gradient: `g ← g + λ·θ`. Default 0. */
  weightDecay?: number;
  /** Ascend instead of descend (the gradient is negated first). Default false. */
  maximize?: boolean;
}

function resolve(o: SGDOptions): Required<SGDOptions> {
  const where = 'SGD';
  if (typeof o !== 'object' || o === null) throw new ValueError(where, 'options must be an object with at least lr');
  const r: Required<SGDOptions> = {
    lr: checkNumber(where, 'lr', o.lr),
    momentum: checkNumber(where, 'momentum', o.momentum ?? 0),
    dampening: checkNumber(where, 'dampening', o.dampening ?? 0, -Infinity),
    nesterov: checkBoolean(where, 'nesterov', o.nesterov ?? false),
    weightDecay: checkNumber(where, 'weightDecay', o.weightDecay ?? 0),
    maximize: checkBoolean(where, 'maximize', o.maximize ?? false),
  };
  if (r.nesterov && (r.momentum <= 0 || r.dampening !== 0)) {
    throw new ValueError(
      where,
      `option nesterov needs momentum > 0 and dampening = 0 (got momentum ${r.momentum}, dampening ${r.dampening})`,
    );
  }
  return r;
}

/**
 * SGD, exactly as PyTorch 1.13's `torch.optim.SGD`. Per parameter `θ` with gradient `g`:
 * ```
 * g ← maximize ? -g : g
 * g ← g + λ·θ                               (weightDecay λ ≠ 0)
 * b ← g on the first step, else μ·b + (1 - τ)·g   (momentum μ ≠ 0)
 * g ← nesterov ? g + μ·b : b                (momentum μ ≠ 0)
 * θ ← θ - η·g
 * ```
 * State per parameter: `momentumBuffer` (only with momentum).
 */
export class SGD extends Optimizer<Required<SGDOptions>> {
  constructor(params: Iterable<Tensor>, options: SGDOptions) {
    super(params, resolve(options));
  }

  protected get name(): string {
    return 'SGD';
  }

  protected resolveOptions(options: Required<SGDOptions>): Required<SGDOptions> {
    return resolve(options);
  }

  protected stateKeys(options: Required<SGDOptions>): { counters: string[]; buffers: string[] } {
    return { counters: [], buffers: options.momentum !== 0 ? ['momentumBuffer'] : [] };
  }

  protected updateParam(param: Float32Array, grad: Float32Array, state: ParamState | null): ParamState | null {
    const o = this.options;
    // Hyperparameters enter PyTorch's float32 kernels as float32 scalars.
    const lr = Math.fround(o.lr);
    const wd = Math.fround(o.weightDecay);
    const mu = Math.fround(o.momentum);
    const keep = Math.fround(1 - o.dampening);
    const n = param.length;
    let buf: Float32Array | null = null;
    let fresh = false;
    if (o.momentum !== 0) {
      buf = (state?.momentumBuffer as Float32Array | undefined) ?? null;
      if (buf === null) {
        buf = new Float32Array(n);
        fresh = true;
      }
    }
    for (let i = 0; i < n; i++) {
      let d = o.maximize ? -grad[i]! : grad[i]!;
      if (o.weightDecay !== 0) d = Math.fround(d + wd * param[i]!);
      if (buf !== null) {
        buf[i] = fresh ? d : Math.fround(buf[i]! * mu) + keep * d;
        d = o.nesterov ? Math.fround(d + mu * buf[i]!) : buf[i]!;
      }
      param[i] = param[i]! - lr * d;
    }
    return buf === null ? state : { momentumBuffer: buf };
  }
}
