/**
 * The training loop: epochs of mini-batches, backprop, clipping, optimizer and scheduler steps,
 * validation, early stopping, and a stop request (Ctrl-C) honoured between batches.
 * It knows nothing of tasks: the caller supplies batches, the loss and the validation metric.
 */
import { TrainingError } from '../errors.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';

/** What the loop needs of an optimizer. */
export interface LoopOptimizer {
  step(): void;
  zeroGrad(): void;
  lr: number;
}

/** What the loop needs of a learning-rate scheduler: called once per epoch. */
export interface LoopScheduler {
  /** `metric` is the validation metric (used by reduce-on-plateau, ignored by the others). */
  step(metric?: number): void;
}

export interface LoopEarlyStopping {
  /** Returns true when training should stop. */
  step(metric: number): boolean;
}

export interface StepInfo {
  epoch: number;
  /** 1-based step within the epoch. */
  step: number;
  stepsPerEpoch: number;
  loss: number;
  /** Running mean of the epoch's loss so far. */
  meanLoss: number;
  lr: number;
  /** Seconds left of a time budget (budgeted runs only). */
  secondsLeft?: number;
}

export interface EpochInfo {
  epoch: number;
  trainLoss: number;
  /** Validation metric (lower is better), or null without validation. */
  validation: number | null;
  lr: number;
  seconds: number;
  /** Whether this epoch's validation is the best so far. */
  improved: boolean;
  /** Steps trained in this epoch (fewer than its batches when `endEpoch` ended it early). */
  steps?: number;
  /** Seconds left of a time budget (budgeted runs only). */
  secondsLeft?: number;
  /** The loop's state after this epoch, for a checkpoint that `resume` continues bit-identically. */
  state: FitState;
}

/** What `fit` needs to continue a run after `epoch` (see FitOptions.resume). */
export interface FitState {
  /** The last completed epoch. */
  epoch: number;
  trainLoss: number[];
  validation: number[];
  /** Best validation so far (Infinity before any). */
  best: number;
  bestEpoch: number | null;
  /** Weights of the best epoch (when restoreBest), else null. */
  bestWeights: Record<string, Tensor> | null;
}

export interface FitOptions<Batch> {
  model: Module;
  optimizer: LoopOptimizer;
  /** The epoch's batches, in order (shuffle inside if wanted); called once per epoch. */
  batches: (epoch: number) => Batch[];
  /** Scalar loss of one batch (the graph is built here; the loop calls backward). */
  loss: (batch: Batch) => Tensor;
  epochs: number;
  /** Validation metric, lower is better (e.g. loss or error rate); evaluated in eval mode. */
  validate?: () => number;
  /** Clip the global gradient norm to this value before each step. */
  clipNorm?: (parameters: Tensor[]) => void;
  scheduler?: LoopScheduler;
  earlyStopping?: LoopEarlyStopping;
  /** Keep the weights of the epoch with the best validation metric at the end (default true). */
  restoreBest?: boolean;
  onStep?: (info: StepInfo) => void;
  /** Called after each epoch (after validation): save checkpoints here. */
  onEpoch?: (info: EpochInfo) => void;
  /** Checked between batches: return true to stop (e.g. after Ctrl-C). */
  stopRequested?: () => boolean;
  /**
   * Checked after each step: return true to end the epoch there, as if its batches were done
   * (validation, scheduler, onEpoch follow). Used by time-budgeted rounds.
   */
  endEpoch?: () => boolean;
  /** Checked after each epoch: return true to end training (e.g. a time budget is spent). */
  done?: () => boolean;
  /**
   * Continue a run from a checkpoint: epochs start after `resume.epoch`. The caller restores
   * the model, optimizer, scheduler, early stopping and generators to that moment.
   */
  resume?: FitState;
}

export interface FitResult {
  trainLoss: number[];
  validation: number[];
  bestEpoch: number | null;
  stoppedEarly: boolean;
  interrupted: boolean;
  epochsRun: number;
}

/**
 * The name of the first parameter holding a NaN or an infinity, or null when all are finite.
 * (x * 0 is 0 for every finite x and NaN otherwise, so one pass of adds checks a whole tensor.)
 */
function firstNonFinite(named: readonly [string, Tensor][]): string | null {
  for (const [name, p] of named) {
    const d = p.data;
    let acc = 0;
    for (let i = 0; i < d.length; i++) acc += d[i]! * 0;
    if (acc !== 0) return name;
  }
  return null;
}

/** Node's setImmediate where there is one (it waits for no timer); browsers have only setTimeout. */
const setImmediateIfAny = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;

/** Lets pending events (a Ctrl-C, a timer, a worker message) run between batches. */
const yieldToEvents = () =>
  new Promise<void>((resolve) => (setImmediateIfAny ? setImmediateIfAny(resolve) : setTimeout(resolve, 0)));

/** Trains `model`; async only so that signals and progress output are handled between batches. */
export async function fit<Batch>(options: FitOptions<Batch>): Promise<FitResult> {
  const { model, optimizer } = options;
  const named = model.namedParameters();
  const parameters = named.map(([, p]) => p);
  const resume = options.resume;
  const result: FitResult = {
    trainLoss: [...(resume?.trainLoss ?? [])],
    validation: [...(resume?.validation ?? [])],
    bestEpoch: resume?.bestEpoch ?? null,
    stoppedEarly: false,
    interrupted: false,
    epochsRun: resume?.epoch ?? 0,
  };
  let best = resume?.best ?? Infinity;
  let bestWeights: Record<string, Tensor> | null = resume?.bestWeights ?? null;
  for (let epoch = (resume?.epoch ?? 0) + 1; epoch <= options.epochs; epoch++) {
    const started = performance.now();
    model.train();
    const batches = options.batches(epoch);
    let total = 0;
    let count = 0;
    for (let i = 0; i < batches.length; i++) {
      await yieldToEvents();
      if (options.stopRequested?.()) {
        result.interrupted = true;
        break;
      }
      optimizer.zeroGrad();
      const loss = options.loss(batches[i]!);
      const value = loss.item();
      if (!Number.isFinite(value)) {
        throw new TrainingError(
          `loss is ${value} at epoch ${epoch}, step ${i + 1}: training diverged. Try gradient clipping (--clip-norm 1) or a lower learning rate`,
        );
      }
      loss.backward();
      options.clipNorm?.(parameters);
      optimizer.step();
      // A finite loss can still have an infinite gradient: stop before such weights reach a checkpoint.
      const broken = firstNonFinite(named);
      if (broken !== null) {
        throw new TrainingError(
          `the update at epoch ${epoch}, step ${i + 1} made ${broken} NaN or infinite (the loss was ${value}): training diverged. Try gradient clipping (--clip-norm 1) or a lower learning rate`,
        );
      }
      total += value;
      count++;
      options.onStep?.({
        epoch,
        step: i + 1,
        stepsPerEpoch: batches.length,
        loss: value,
        meanLoss: total / count,
        lr: optimizer.lr,
      });
      if (options.endEpoch?.()) break;
    }
    if (result.interrupted) break;
    const trainLoss = count > 0 ? total / count : Number.NaN;
    model.eval();
    const validation = options.validate ? options.validate() : null;
    const improved = validation !== null && validation < best;
    if (improved) {
      best = validation;
      result.bestEpoch = epoch;
      if (options.restoreBest ?? true) bestWeights = model.stateDict();
    }
    result.trainLoss.push(trainLoss);
    if (validation !== null) result.validation.push(validation);
    result.epochsRun = epoch;
    options.scheduler?.step(validation ?? trainLoss);
    // Early stopping decides before onEpoch, so a checkpoint written there holds its new state.
    const stop = validation !== null && (options.earlyStopping?.step(validation) ?? false);
    options.onEpoch?.({
      epoch,
      trainLoss,
      validation,
      lr: optimizer.lr,
      seconds: (performance.now() - started) / 1000,
      improved,
      steps: count,
      state: {
        epoch,
        trainLoss: [...result.trainLoss],
        validation: [...result.validation],
        best,
        bestEpoch: result.bestEpoch,
        bestWeights,
      },
    });
    if (stop) {
      result.stoppedEarly = true;
      break;
    }
    if (options.done?.()) break;
  }
  if (bestWeights) model.loadStateDict(bestWeights);
  model.eval();
  return result;
}
