/** Early stopping: stop training when a validation metric has stopped improving. */
import { StateDictError, ValueError } from '../errors.js';
import {
  checkChoice,
  checkInteger,
  checkKeys,
  checkNumber,
  loadCounter,
  loadNumber,
  type SavedNumber,
  saveNumber,
} from './optimizers/optimizer.js';

/** Options of {@link EarlyStopping}. */
export interface EarlyStoppingOptions {
  /**
   * How many consecutive epochs without improvement to tolerate: `step()` returns true on the
   * `patience`-th one (an integer ≥ 0; 0 stops at the first epoch that does not improve).
   */
  patience: number;
  /** Least change that counts as an improvement (≥ 0). Default 0. */
  minDelta?: number;
  /** `'min'` (default): lower is better (a loss); `'max'`: higher is better (an accuracy). */
  mode?: 'min' | 'max';
}

/** State of {@link EarlyStopping} (JSON-friendly). */
export interface EarlyStoppingState {
  /** What wrote it. */
  type: 'EarlyStopping';
  /** Every option, defaults filled in. */
  options: Required<EarlyStoppingOptions>;
  /** Calls to `step()` so far. */
  epochs: number;
  /** Best metric so far, or null before the first improvement. */
  best: SavedNumber | null;
  /** 0-based epoch of the best metric, or null. */
  bestEpoch: number | null;
  /** Consecutive epochs without improvement. */
  wait: number;
}

/**
 * Tracks a validation metric across epochs. A metric improves on the best so far when
 * `metric < best - minDelta` (mode min) or `metric > best + minDelta` (mode max); the first
 * metric always does, unless it is NaN. A NaN metric never improves.
 *
 * ```ts
 * const stopper = new EarlyStopping({ patience: 5 });
 * for (let epoch = 0; ; epoch++) {
 *   train(); const loss = validate();
 *   if (loss === stopper.best) saveCheckpoint();
 *   if (stopper.step(loss)) break;     // restore the checkpoint of stopper.bestEpoch
 * }
 * ```
 */
export class EarlyStopping {
  private options: Required<EarlyStoppingOptions>;
  private count = 0;
  private bestValue: number | null = null;
  private bestAt: number | null = null;
  private waited = 0;

  constructor(options: EarlyStoppingOptions) {
    this.options = resolve('EarlyStopping', options);
  }

  /** The best metric so far, or null before the first improvement. */
  get best(): number | null {
    return this.bestValue;
  }

  /** The 0-based epoch (count of earlier `step()` calls) of the best metric, or null. */
  get bestEpoch(): number | null {
    return this.bestAt;
  }

  /** Consecutive epochs without improvement so far. */
  get wait(): number {
    return this.waited;
  }

  /** Calls to `step()` so far. */
  get epochs(): number {
    return this.count;
  }

  /**
   * Records the metric of the epoch that just ended. Returns true when training should stop:
   * the last `patience` epochs (and at least one) brought no improvement.
   */
  step(metric: number): boolean {
    if (typeof metric !== 'number')
      throw new ValueError('EarlyStopping.step', `metric must be a number, got ${typeof metric}`);
    const epoch = this.count;
    this.count += 1;
    if (this.improves(metric)) {
      this.bestValue = metric;
      this.bestAt = epoch;
      this.waited = 0;
      return false;
    }
    this.waited += 1;
    return this.waited >= this.options.patience;
  }

  private improves(metric: number): boolean {
    if (Number.isNaN(metric)) return false;
    const best = this.bestValue;
    if (best === null) return true;
    const { mode, minDelta } = this.options;
    return mode === 'min' ? metric < best - minDelta : metric > best + minDelta;
  }

  /** The counters, best metric and options. */
  stateDict(): EarlyStoppingState {
    return {
      type: 'EarlyStopping',
      options: { ...this.options },
      epochs: this.count,
      best: this.bestValue === null ? null : saveNumber(this.bestValue),
      bestEpoch: this.bestAt,
      wait: this.waited,
    };
  }

  /** Restores `stateDict()`'s output (StateDictError/ValueError for a bad entry; nothing changes then). */
  loadStateDict(state: EarlyStoppingState): void {
    const where = 'EarlyStopping.loadStateDict';
    const r = checkKeys(where, '', state, ['type', 'options', 'epochs', 'best', 'bestEpoch', 'wait']);
    if (r.type !== 'EarlyStopping') {
      throw new StateDictError(
        where,
        'type',
        'unexpected',
        `is ${JSON.stringify(r.type)}, expected 'EarlyStopping' (a state saved by something else)`,
      );
    }
    checkKeys(where, 'options.', r.options, Object.keys(this.options));
    const options = resolve(where, r.options as EarlyStoppingOptions);
    const epochs = loadCounter(where, 'epochs', r.epochs);
    const best = r.best === null ? null : loadNumber(where, 'best', r.best);
    const bestEpoch = r.bestEpoch === null ? null : loadCounter(where, 'bestEpoch', r.bestEpoch);
    const wait = loadCounter(where, 'wait', r.wait);
    this.options = options;
    this.count = epochs;
    this.bestValue = best;
    this.bestAt = bestEpoch;
    this.waited = wait;
  }
}

function resolve(where: string, o: EarlyStoppingOptions): Required<EarlyStoppingOptions> {
  if (typeof o !== 'object' || o === null) throw new ValueError(where, 'options must be an object with patience');
  return {
    patience: checkInteger(where, 'patience', o.patience, 0),
    minDelta: checkNumber(where, 'minDelta', o.minDelta ?? 0),
    mode: checkChoice(where, 'mode', o.mode ?? 'min', ['min', 'max'] as const),
  };
}
