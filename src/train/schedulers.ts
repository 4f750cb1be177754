/**
 * Learning-rate schedulers with PyTorch 1.13's semantics. They set `optimizer.lr`.
 *
 * Call `scheduler.step()` once per epoch, after that epoch's `optimizer.step()` calls
 * (ReduceLROnPlateau: `step(validationMetric)`). Constructing `StepLR` or
 * `CosineAnnealingLR` counts as epoch 0 and leaves the optimizer's lr (the base lr) as it is.
 *
 * `stateDict()` saves the schedule's position and options as a JSON-friendly object;
 * `loadStateDict()` restores them. As in PyTorch, neither touches the optimizer: restore the
 * optimizer's own state dict too (it holds the current lr).
 */
import { StateDictError, ValueError } from '../errors.js';
import {
  checkChoice,
  checkInteger,
  checkKeys,
  checkNumber,
  loadCounter,
  loadFinite,
  loadNumber,
  type Optimizer,
  type SavedNumber,
  saveNumber,
} from './optimizers/optimizer.js';

/** What a scheduler needs of an optimizer: its learning rate. */
type HasLr = Pick<Optimizer, 'lr'>;

/** State of {@link StepLR} (JSON-friendly). */
export interface StepLRState {
  /** Which scheduler wrote it. */
  type: 'StepLR';
  /** Epochs stepped so far (0 right after construction). */
  lastEpoch: number;
  /** The optimizer's lr when the scheduler was built. */
  baseLr: number;
  /** The lr the last step set. */
  lastLr: number;
  /** Option `stepSize`. */
  stepSize: number;
  /** Option `gamma`. */
  gamma: number;
}

/** State of {@link CosineAnnealingLR} (JSON-friendly). */
export interface CosineAnnealingLRState {
  /** Which scheduler wrote it. */
  type: 'CosineAnnealingLR';
  /** Epochs stepped so far (0 right after construction). */
  lastEpoch: number;
  /** The optimizer's lr when the scheduler was built (the cosine's top). */
  baseLr: number;
  /** The lr the last step set. */
  lastLr: number;
  /** Option `tMax`. */
  tMax: number;
  /** Option `etaMin`. */
  etaMin: number;
}

/** Options of {@link StepLR}. */
export interface StepLROptions {
  /** Decay every `stepSize` epochs (an integer ≥ 1). */
  stepSize: number;
  /** Multiplicative decay factor, ≥ 0. Default 0.1. */
  gamma?: number;
}

/**
 * Multiplies the learning rate by `gamma` every `stepSize` epochs, as PyTorch's `StepLR`:
 * after the `e`-th `step()`, `lr = lr · gamma` when `e % stepSize == 0`, so with an unchanged
 * lr, `lr_e = baseLr · gamma^⌊e / stepSize⌋` (computed step by step, like PyTorch's
 * chainable form).
 */
export class StepLR {
  readonly optimizer: HasLr;
  private stepSize: number;
  private gamma: number;
  private epoch = 0;
  private base: number;
  private last: number;

  constructor(optimizer: HasLr, options: StepLROptions) {
    const where = 'StepLR';
    if (typeof options !== 'object' || options === null)
      throw new ValueError(where, 'options must be an object with stepSize');
    this.stepSize = checkInteger(where, 'stepSize', options.stepSize, 1);
    this.gamma = checkNumber(where, 'gamma', options.gamma ?? 0.1);
    this.optimizer = optimizer;
    this.base = optimizer.lr;
    this.last = optimizer.lr;
  }

  /** The lr set by the last `step()` (the base lr before the first). */
  get lastLr(): number {
    return this.last;
  }

  /** Epochs stepped so far. */
  get lastEpoch(): number {
    return this.epoch;
  }

  /** Ends an epoch: advances the schedule and sets the optimizer's lr. */
  step(): void {
    this.epoch += 1;
    const lr = this.optimizer.lr;
    this.optimizer.lr = this.epoch % this.stepSize === 0 ? lr * this.gamma : lr;
    this.last = this.optimizer.lr;
  }

  /** The schedule's position and options. */
  stateDict(): StepLRState {
    return {
      type: 'StepLR',
      lastEpoch: this.epoch,
      baseLr: this.base,
      lastLr: this.last,
      stepSize: this.stepSize,
      gamma: this.gamma,
    };
  }

  /** Restores `stateDict()`'s output (StateDictError/ValueError for a bad entry; nothing changes then). */
  loadStateDict(state: StepLRState): void {
    const where = 'StepLR.loadStateDict';
    const r = checkKeys(where, '', state, ['type', 'lastEpoch', 'baseLr', 'lastLr', 'stepSize', 'gamma']);
    checkType(where, r.type, 'StepLR');
    const epoch = loadCounter(where, 'lastEpoch', r.lastEpoch);
    const base = loadFinite(where, 'baseLr', r.baseLr);
    const last = loadFinite(where, 'lastLr', r.lastLr);
    const stepSize = checkInteger(where, 'stepSize', r.stepSize, 1);
    const gamma = checkNumber(where, 'gamma', r.gamma);
    this.epoch = epoch;
    this.base = base;
    this.last = last;
    this.stepSize = stepSize;
    this.gamma = gamma;
  }
}

/** Options of {@link CosineAnnealingLR}. */
export interface CosineAnnealingLROptions {
  /** Half-period in epochs: the lr reaches `etaMin` after `tMax` epochs (an integer ≥ 1). */
  tMax: number;
  /** The lowest lr, ≥ 0. Default 0. */
  etaMin?: number;
}

/**
 * Cosine annealing, as PyTorch's `CosineAnnealingLR` (without restarts), in closed form:
 * after the `e`-th `step()`,
 *   `lr = etaMin + (baseLr - etaMin) · (1 + cos(π · e / tMax)) / 2`.
 * Past `tMax` the lr rises again along the same cosine (period `2·tMax`), as in PyTorch.
 */
export class CosineAnnealingLR {
  readonly optimizer: HasLr;
  private tMax: number;
  private etaMin: number;
  private epoch = 0;
  private base: number;
  private last: number;

  constructor(optimizer: HasLr, options: CosineAnnealingLROptions) {
    const where = 'CosineAnnealingLR';
    if (typeof options !== 'object' || options === null)
      throw new ValueError(where, 'options must be an object with tMax');
    this.tMax = checkInteger(where, 'tMax', options.tMax, 1);
    this.etaMin = checkNumber(where, 'etaMin', options.etaMin ?? 0);
    this.optimizer = optimizer;
    this.base = optimizer.lr;
    this.last = optimizer.lr;
  }

  /** The lr set by the last `step()` (the base lr before the first). */
  get lastLr(): number {
    return this.last;
  }

  /** Epochs stepped so far. */
  get lastEpoch(): number {
    return this.epoch;
  }

  /** Ends an epoch: advances the schedule and sets the optimizer's lr. */
  step(): void {
    this.epoch += 1;
    const lr = this.etaMin + ((this.base - this.etaMin) * (1 + Math.cos((Math.PI * this.epoch) / this.tMax))) / 2;
    // Rounding can leave the cosine a hair below etaMin at the trough; the lr must stay ≥ 0.
    this.optimizer.lr = Math.max(lr, 0);
    this.last = this.optimizer.lr;
  }

  /** The schedule's position and options. */
  stateDict(): CosineAnnealingLRState {
    return {
      type: 'CosineAnnealingLR',
      lastEpoch: this.epoch,
      baseLr: this.base,
      lastLr: this.last,
      tMax: this.tMax,
      etaMin: this.etaMin,
    };
  }

  /** Restores `stateDict()`'s output (StateDictError/ValueError for a bad entry; nothing changes then). */
  loadStateDict(state: CosineAnnealingLRState): void {
    const where = 'CosineAnnealingLR.loadStateDict';
    const r = checkKeys(where, '', state, ['type', 'lastEpoch', 'baseLr', 'lastLr', 'tMax', 'etaMin']);
    checkType(where, r.type, 'CosineAnnealingLR');
    const epoch = loadCounter(where, 'lastEpoch', r.lastEpoch);
    const base = loadFinite(where, 'baseLr', r.baseLr);
    const last = loadFinite(where, 'lastLr', r.lastLr);
    const tMax = checkInteger(where, 'tMax', r.tMax, 1);
    const etaMin = checkNumber(where, 'etaMin', r.etaMin);
    this.epoch = epoch;
    this.base = base;
    this.last = last;
    this.tMax = tMax;
    this.etaMin = etaMin;
  }
}

/** Options of {@link ReduceLROnPlateau}. Defaults are PyTorch's. */
export interface ReduceLROnPlateauOptions {
  /** `'min'` (default): lower metrics are better (a loss); `'max'`: higher are better (an accuracy). */
  mode?: 'min' | 'max';
  /** The lr is multiplied by `factor` (in [0, 1)) on a plateau. Default 0.1. */
  factor?: number;
  /** Epochs without improvement tolerated; the lr drops on the next one (integer ≥ 0). Default 10. */
  patience?: number;
  /** Least change that counts as an improvement (≥ 0), see `thresholdMode`. Default 1e-4. */
  threshold?: number;
  /**
   * `'rel'` (default): improvement means `metric < best·(1 - threshold)` (mode min) or
   * `metric > best·(1 + threshold)` (max); `'abs'`: `metric < best - threshold` or
   * `metric > best + threshold`.
   */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again (integer ≥ 0). Default 0. */
  cooldown?: number;
  /** The lr never goes below this (≥ 0). Default 0. */
  minLr?: number;
  /** A reduction smaller than `eps` (≥ 0) is skipped. Default 1e-8. */
  eps?: number;
}

/** State of {@link ReduceLROnPlateau} (JSON-friendly). */
export interface ReduceLROnPlateauState {
  /** Which scheduler wrote it. */
  type: 'ReduceLROnPlateau';
  /** Every option, defaults filled in. */
  options: Required<ReduceLROnPlateauOptions>;
  /** Calls to `step()` so far. */
  lastEpoch: number;
  /** Best metric so far (`'Infinity'`/`'-Infinity'` before the first improvement). */
  best: SavedNumber;
  /** Bad epochs counted since the last improvement, reduction or cooldown epoch. */
  numBadEpochs: number;
  /** Cooldown epochs left. */
  cooldownCounter: number;
  /** The optimizer's lr after the last step (null before the first). */
  lastLr: number | null;
}

function resolvePlateau(where: string, o: ReduceLROnPlateauOptions): Required<ReduceLROnPlateauOptions> {
  if (typeof o !== 'object' || o === null) throw new ValueError(where, 'options must be an object');
  const factor = checkNumber(where, 'factor', o.factor ?? 0.1);
  if (factor >= 1) throw new ValueError(where, `option factor must be < 1, got ${factor}`);
  return {
    mode: checkChoice(where, 'mode', o.mode ?? 'min', ['min', 'max'] as const),
    factor,
    patience: checkInteger(where, 'patience', o.patience ?? 10, 0),
    threshold: checkNumber(where, 'threshold', o.threshold ?? 1e-4),
    thresholdMode: checkChoice(where, 'thresholdMode', o.thresholdMode ?? 'rel', ['rel', 'abs'] as const),
    cooldown: checkInteger(where, 'cooldown', o.cooldown ?? 0, 0),
    minLr: checkNumber(where, 'minLr', o.minLr ?? 0),
    eps: checkNumber(where, 'eps', o.eps ?? 1e-8),
  };
}

/**
 * Lowers the learning rate when a metric stops improving, as PyTorch's `ReduceLROnPlateau`.
 * Each `step(metric)`:
 * 1. if the metric improves on the best so far (see `thresholdMode`), it becomes the best and
 *    the bad-epoch count resets, else the count grows (a NaN metric is never an improvement);
 * 2. during cooldown, the cooldown counter decreases and the bad-epoch count is reset to 0;
 * 3. when more than `patience` bad epochs have accumulated,
 *    `lr ← max(lr · factor, minLr)` (skipped if that changes lr by no more than `eps`), the
 *    cooldown starts (`cooldown` epochs) and the count resets.
 */
export class ReduceLROnPlateau {
  readonly optimizer: HasLr;
  private options: Required<ReduceLROnPlateauOptions>;
  private epoch = 0;
  private bestValue: number;
  private bad = 0;
  private cooldownCounter = 0;
  private last: number | null = null;

  constructor(optimizer: HasLr, options: ReduceLROnPlateauOptions = {}) {
    this.options = resolvePlateau('ReduceLROnPlateau', options);
    this.optimizer = optimizer;
    this.bestValue = this.options.mode === 'min' ? Infinity : -Infinity;
  }

  /** The lr after the last `step()` (the optimizer's current lr before the first). */
  get lastLr(): number {
    return this.last ?? this.optimizer.lr;
  }

  /** Best metric so far (`Infinity` in mode min, `-Infinity` in mode max, before any improvement). */
  get best(): number {
    return this.bestValue;
  }

  /** Consecutive epochs without improvement counted so far. */
  get numBadEpochs(): number {
    return this.bad;
  }

  /** Calls to `step()` so far. */
  get lastEpoch(): number {
    return this.epoch;
  }

  private isBetter(a: number): boolean {
    const { mode, thresholdMode, threshold } = this.options;
    const best = this.bestValue;
    if (mode === 'min') return thresholdMode === 'rel' ? a < best * (1 - threshold) : a < best - threshold;
    return thresholdMode === 'rel' ? a > best * (threshold + 1) : a > best + threshold;
  }

  /** Ends an epoch with its validation `metric` (a number; NaN counts as no improvement). */
  step(metric: number): void {
    if (typeof metric !== 'number')
      throw new ValueError('ReduceLROnPlateau.step', `metric must be a number, got ${typeof metric}`);
    this.epoch += 1;
    if (this.isBetter(metric)) {
      this.bestValue = metric;
      this.bad = 0;
    } else {
      this.bad += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.bad = 0;
    }
    if (this.bad > this.options.patience) {
      const old = this.optimizer.lr;
      const lr = Math.max(old * this.options.factor, this.options.minLr);
      if (old - lr > this.options.eps) this.optimizer.lr = lr;
      this.cooldownCounter = this.options.cooldown;
      this.bad = 0;
    }
    this.last = this.optimizer.lr;
  }

  /** The counters, best metric and options. */
  stateDict(): ReduceLROnPlateauState {
    return {
      type: 'ReduceLROnPlateau',
      options: { ...this.options },
      lastEpoch: this.epoch,
      best: saveNumber(this.bestValue),
      numBadEpochs: this.bad,
      cooldownCounter: this.cooldownCounter,
      lastLr: this.last,
    };
  }

  /** Restores `stateDict()`'s output (StateDictError/ValueError for a bad entry; nothing changes then). */
  loadStateDict(state: ReduceLROnPlateauState): void {
    const where = 'ReduceLROnPlateau.loadStateDict';
    const r = checkKeys(where, '', state, [
      'type',
      'options',
      'lastEpoch',
      'best',
      'numBadEpochs',
      'cooldownCounter',
      'lastLr',
    ]);
    checkType(where, r.type, 'ReduceLROnPlateau');
    checkKeys(where, 'options.', r.options, Object.keys(this.options));
    const options = resolvePlateau(where, r.options as ReduceLROnPlateauOptions);
    const epoch = loadCounter(where, 'lastEpoch', r.lastEpoch);
    const best = loadNumber(where, 'best', r.best);
    const bad = loadCounter(where, 'numBadEpochs', r.numBadEpochs);
    const cooldownCounter = loadCounter(where, 'cooldownCounter', r.cooldownCounter);
    const last = r.lastLr === null ? null : loadFinite(where, 'lastLr', r.lastLr);
    this.options = options;
    this.epoch = epoch;
    this.bestValue = best;
    this.bad = bad;
    this.cooldownCounter = cooldownCounter;
    this.last = last;
  }
}

function checkType(where: string, actual: unknown, expected: string): void {
  if (actual !== expected) {
    throw new StateDictError(
      where,
      'type',
      'unexpected',
      `is ${JSON.stringify(actual)}, expected '${expected}' (a state saved by another scheduler)`,
    );
  }
}
