/**
 * Training to a wall-clock budget: the learning rate follows the clock, not the epoch count.
 *
 *   lr(t) = peak · t / w                                   for t < w   (linear warm-up)
 *   lr(t) = final + (peak - final) · (1 + cos(π (t - w) / (1 - w))) / 2   for w <= t <= 1
 *
 * where t = elapsed / budget in [0, 1] and w the warm-up fraction (default 0.05). The learning
 * rate therefore reaches `final` exactly at the deadline, whatever the speed of the machine.
 *
 * Training runs in rounds (the budget's "epochs"): a round ends after `roundSeconds` or at the end
 * of a pass over the data, whichever comes first; each round ends with validation and a
 * checkpoint. `BatchStream` hands out the batches of each round and remembers where it is in the
 * current pass (the shuffle generator's state at the pass's start and the offset into it), so a
 * run killed at any moment resumes from its last round with the same data order.
 */
import { ValueError } from '../errors.js';

export interface BudgetScheduleOptions {
  /** Peak learning rate (reached at the end of the warm-up). */
  peak: number;
  /** Learning rate at the deadline (default peak / 50). */
  final?: number;
  /** Share of the budget spent warming up, in [0, 1) (default 0.05). */
  warmup?: number;
}

/** The learning rate at a fraction `t` of the budget (see the module comment). */
export function budgetLr(t: number, options: BudgetScheduleOptions): number {
  const { peak } = options;
  const final = options.final ?? peak / 50;
  const warmup = options.warmup ?? 0.05;
  if (!(warmup >= 0 && warmup < 1))
    throw new ValueError('budgetLr', `warmup is ${warmup}, expected a fraction in [0, 1)`);
  const x = Math.min(Math.max(t, 0), 1);
  if (x < warmup) return peak * Math.max(x / warmup, 0.01);
  return final + ((peak - final) * (1 + Math.cos((Math.PI * (x - warmup)) / (1 - warmup)))) / 2;
}

/** A wall-clock budget that survives a restart: the time spent before it is carried in `spent`. */
export class Budget {
  readonly seconds: number;
  private readonly spent: number;
  private readonly started: number;
  private readonly now: () => number;

  /**
   * @param minutes the whole budget
   * @param spentSeconds seconds already used by earlier runs of the same training (resume)
   * @param now clock in milliseconds (default performance.now)
   */
  constructor(minutes: number, spentSeconds = 0, now: () => number = () => performance.now()) {
    if (!(Number.isFinite(minutes) && minutes > 0))
      throw new ValueError('--budget', `expected a number of minutes > 0, got ${minutes}`);
    this.seconds = minutes * 60;
    this.spent = spentSeconds;
    this.now = now;
    this.started = now();
  }

  /** Seconds used so far, including earlier runs. */
  elapsed(): number {
    return this.spent + (this.now() - this.started) / 1000;
  }

  /** Seconds left (never negative). */
  left(): number {
    return Math.max(0, this.seconds - this.elapsed());
  }

  /** The used share of the budget in [0, 1]. */
  fraction(): number {
    return Math.min(1, this.elapsed() / this.seconds);
  }

  expired(): boolean {
    return this.elapsed() >= this.seconds;
  }
}

/** Seconds per round: a twentieth of the budget, between 2 s and 90 s. */
export function roundSeconds(budgetSeconds: number): number {
  return Math.min(90, Math.max(2, budgetSeconds / 20));
}

/** Where a BatchStream stands: saved in checkpoints. */
export interface BatchStreamState {
  /** Passes over the data begun so far. */
  pass: number;
  /** Batches of the current pass already handed out and trained on. */
  offset: number;
  /** The shuffle generator's state at the start of the current pass. */
  passStart: number[];
}

/**
 * Rounds of batches over endless shuffled passes. `next()` gives the rest of the current pass
 * (starting a new pass when it is used up); after the round, `consumed(steps)` says how many of
 * them were trained on. `makePass` must shuffle with the generator whose state `getState`/`setState`
 * read and restore.
 */
export class BatchStream<B> {
  private pass = 0;
  private offset = 0;
  private passStart: number[];
  private batches: B[] | null = null;

  constructor(
    private readonly makePass: () => B[],
    private readonly getState: () => number[],
    private readonly setState: (state: number[]) => void,
    resume?: BatchStreamState,
  ) {
    if (resume) {
      this.pass = resume.pass;
      this.offset = resume.offset;
      this.passStart = resume.passStart;
      this.setState(resume.passStart);
      this.batches = this.pass > 0 ? this.makePass() : null;
    } else {
      this.passStart = this.getState();
    }
  }

  /** The batches not yet trained on in the current pass (a new pass when none are left). */
  next(): B[] {
    if (this.batches === null || this.offset >= this.batches.length) {
      this.passStart = this.getState();
      this.batches = this.makePass();
      this.pass++;
      this.offset = 0;
      if (this.batches.length === 0) throw new ValueError('BatchStream', 'a pass over the data gave no batches');
    }
    return this.batches.slice(this.offset);
  }

  /** Records that the first `steps` batches of the last `next()` were trained on. */
  consumed(steps: number): void {
    this.offset += steps;
  }

  state(): BatchStreamState {
    return { pass: this.pass, offset: this.offset, passStart: [...this.passStart] };
  }
}
