/**
 * `trainTask`: everything `recurrent train` does, callable from code. Loads the embedded data
 * set (or the user's file), splits it, builds the task's model, trains it with Adam, gradient
 * clipping, reduce-on-plateau and early stopping, checkpoints every epoch, evaluates against
 * the baseline, and saves the model directory and the HTML report.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TrainingError, ValueError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { CELL_FAMILIES, type CellFamily } from '../families.js';
import { Generator } from '../tensor/random.js';
import { clipGradNorm } from '../train/clip.js';
import { EarlyStopping } from '../train/early-stopping.js';
import { type EpochInfo, type FitResult, fit, type FitState, type StepInfo } from '../train/loop.js';
import { BatchStream, type BatchStreamState, Budget, budgetLr, roundSeconds } from '../train/budget.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { Adam } from '../train/optimizers/adam.js';
import { CosineAnnealingLR, ReduceLROnPlateau } from '../train/schedulers.js';
import { saveModelDirectory } from './model-dir.js';
import { getTask, TASK_NAMES, type TaskName } from './registry.js';
import { renderReport } from './report.js';
import type { DataOptions, Evaluation, PreparedTask, TaskSettings } from './task.js';
import type { Tensor } from '../tensor/tensor.js';
import { memberDirectory, trainMembersInParallel } from './parallel-members.js';

export interface TrainOptions {
  /** Default 'classify'. */
  task?: TaskName;
  /** The user's CSV/TSV/JSONL file; the embedded data set when omitted. */
  data?: string;
  /** Options of the task's own (its `TaskDefinition.options`, by key), e.g. forecast's { season: 12 }. */
  taskOptions?: Record<string, unknown>;
  cell?: CellFamily;
  hiddenSize?: number;
  numLayers?: number;
  bidirectional?: boolean;
  dropout?: number;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  /** Global gradient-norm clipping (0 = off). Default 5. */
  clipNorm?: number;
  /** Stop after this many epochs without validation improvement. Default 4. */
  patience?: number;
  /**
   * The learning rate over the epochs (without a budget): `'plateau'` (default) halves it after an
   * epoch whose validation loss did not improve on the one before; `'cosine'` follows a cosine
   * from `lr` down to 0 at the last epoch (`epochs`), whatever the validation loss does.
   */
  schedule?: LrSchedule;
  /** Cap on training examples (0 = all). */
  maxTrainExamples?: number;
  /** Model directory to write. Default `runs/<task>`. */
  out?: string;
  /**
   * Continue the run whose checkpoint is in `out` (same options, taken from the checkpoint;
   * `epochs` and `budget` may be raised). Without a budget the result is bit-identical to a run
   * that was never interrupted; with one, training goes on from the last round with the time
   * already spent counted.
   */
  resume?: boolean;
  /**
   * Train for this many minutes of wall-clock time instead of a number of epochs: the learning
   * rate warms up and then follows a cosine to the deadline (train/budget.ts), validation and a
   * checkpoint come every round (a twentieth of the budget, 2-90 s), and the best validated
   * weights are kept. `epochs` still caps the passes when given; early stopping only with `patience`.
   */
  budget?: number;
  /** How the user's files are read and split (--columns, --no-header, --*-tokens, --split, --valid, --test, --target). */
  dataOptions?: DataOptions;
  /**
   * Train member k of the task's ensemble alone (a worker of an ensemble trained in parallel,
   * parallel-members.ts): `trainMember` only, which evaluates and saves nothing but checkpoints.
   */
  member?: number;
}

/** What a run says of itself as it starts training. */
export interface StartInfo {
  task: TaskName;
  summary: string;
  parameters: number;
  epochs: number;
  stepsPerEpoch: number;
  budgetSeconds?: number;
}

export interface TrainCallbacks {
  onStart?: (info: StartInfo) => void;
  /** One-line notices and warnings about the data (columns taken by position, tokens, split, duplicates...). */
  onNotice?: (message: string) => void;
  onStep?: (info: StepInfo) => void;
  onEpoch?: (info: EpochInfo) => void;
  stopRequested?: () => boolean;
}

export interface TrainOutcome {
  task: TaskName;
  out: string;
  evaluation: Evaluation;
  epochsRun: number;
  interrupted: boolean;
  stoppedEarly: boolean;
  seconds: number;
  trainLoss: number[];
  validation: number[];
}

/** The learning-rate schedules of an unbudgeted run ({@link TrainOptions.schedule}). */
export const LR_SCHEDULES = ['plateau', 'cosine'] as const;
export type LrSchedule = (typeof LR_SCHEDULES)[number];

/** The most rounds of a budgeted run (a cap that the clock reaches first). */
const MAX_BUDGET_ROUNDS = 1_000_000;

/** What a budgeted run adds to its checkpoints. */
interface BudgetState {
  /** Seconds of the budget used up to the checkpoint. */
  spent: number;
  stream: BatchStreamState;
}

function checkNumber(name: string, value: number, min: number, integer: boolean): number {
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new ValueError('train', `--${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${value}`);
  }
  return value;
}

/** The options that define a run, as stored in its checkpoints. */
const RUN_KEYS = [
  'task',
  'data',
  'dataOptions',
  'budget',
  'taskOptions',
  'cell',
  'hiddenSize',
  'numLayers',
  'bidirectional',
  'dropout',
  'epochs',
  'batchSize',
  'lr',
  'seed',
  'clipNorm',
  'patience',
  'schedule',
  'maxTrainExamples',
] as const;

/** A trained member of an ensemble trained in parallel: its best weights and its curves. */
export interface TrainedMember {
  weights: Record<string, Tensor>;
  result: FitResult;
}

export async function trainTask(requested: TrainOptions = {}, callbacks: TrainCallbacks = {}): Promise<TrainOutcome> {
  const { run, result } = await trainRun(requested, callbacks);
  return finishRun(run, result);
}

/** Trains member `requested.member` of the task's ensemble alone (see TrainOptions.member). */
export async function trainMember(requested: TrainOptions, callbacks: TrainCallbacks = {}): Promise<TrainedMember> {
  if (requested.member === undefined) throw new ValueError('trainMember', 'options.member is not set');
  const { run, result } = await trainRun(requested, callbacks);
  return { weights: run.prepared.model.stateDict(), result };
}

/** Everything a run's end needs of its set-up. */
interface Run {
  task: TaskName;
  out: string;
  started: number;
  settings: TaskSettings;
  taskOptions: Record<string, unknown>;
  runOptions: Record<string, unknown>;
  epochs: number;
  lr: number;
  seed: number;
  clip: number;
  prepared: PreparedTask<unknown>;
}

async function trainRun(requested: TrainOptions, callbacks: TrainCallbacks): Promise<{ run: Run; result: FitResult }> {
  const started = performance.now();
  const out = requested.out ?? join('runs', requested.task ?? 'classify');
  const checkpointRoot = join(out, 'checkpoint');
  // An ensemble trained in parallel keeps its checkpoints per member; member 0's holds the options.
  const checkpoint = requested.resume
    ? (readCheckpoint(checkpointRoot) ?? readCheckpoint(join(memberDirectory(out, 0), 'checkpoint')))
    : null;
  if (requested.resume && !checkpoint)
    throw new ValueError(
      'train',
      `--resume: no checkpoint in ${checkpointRoot} (it is written at the end of each epoch)`,
    );
  const options: TrainOptions = checkpoint
    ? {
        ...(checkpoint.state.options as TrainOptions),
        ...(requested.epochs !== undefined && { epochs: requested.epochs }),
        ...(requested.budget !== undefined && { budget: requested.budget }),
        out,
        ...(requested.member !== undefined && { member: requested.member }),
      }
    : requested;
  const task = options.task ?? 'classify';
  const definition = getTask(task);
  const defaults = definition.defaults;
  // The task's own options, each checked by its parser (the CLI's text and the API's values alike).
  const taskOptions = Object.fromEntries(
    Object.entries(options.taskOptions ?? {}).map(([key, value]) => {
      const option = definition.options.find((o) => o.key === key);
      if (!option) {
        // Named as the CLI names it, with the tasks it belongs to, where it is another task's.
        const owners = TASK_NAMES.flatMap((name) =>
          getTask(name)
            .options.filter((o) => o.key === key)
            .map((o) => ({ name, flag: o.flag })),
        );
        throw new ValueError(
          'train',
          `option ${owners[0] ? `--${owners[0].flag}` : `'${key}'`} is not one of task ${task}'s (${definition.options.map((o) => `--${o.flag}`).join(', ') || 'it has none'})${owners.length > 0 ? `: it belongs to --task ${owners.map((o) => o.name).join(', ')}` : ''}`,
        );
      }
      return [key, option.parse(String(value))];
    }),
  );
  const cell = options.cell ?? defaults.cell;
  if (!CELL_FAMILIES.includes(cell))
    throw new ValueError('train', `--cell must be one of ${CELL_FAMILIES.join(', ')}, got ${String(cell)}`);
  const settings: TaskSettings = {
    cell,
    hiddenSize: checkNumber('hidden', options.hiddenSize ?? defaults.hiddenSize, 1, true),
    numLayers: checkNumber('layers', options.numLayers ?? 1, 1, true),
    bidirectional: options.bidirectional ?? defaults.bidirectional,
    dropout: checkNumber('dropout', options.dropout ?? 0, 0, false),
    batchSize: checkNumber('batch-size', options.batchSize ?? defaults.batchSize, 1, true),
    // The default cap keeps the embedded demo short; a user's file is used whole.
    maxTrainExamples: checkNumber(
      'max-train',
      options.maxTrainExamples ?? (options.data !== undefined ? 0 : defaults.maxTrainExamples),
      0,
      true,
    ),
    ...(options.member !== undefined && { ensembleMember: options.member }),
  };
  const budgetMinutes = options.budget;
  if (budgetMinutes !== undefined) checkNumber('budget', budgetMinutes, 0.01, false);
  const epochs = checkNumber(
    'epochs',
    options.epochs ?? (budgetMinutes !== undefined ? MAX_BUDGET_ROUNDS : defaults.epochs),
    1,
    true,
  );
  const lr = checkNumber('lr', options.lr ?? defaults.lr, 0, false);
  const seed = checkNumber('seed', options.seed ?? 0, 0, true);
  const clip = checkNumber('clip-norm', options.clipNorm ?? 5, 0, false);

  const generator = new Generator(seed);
  const prepared = definition.load(
    {
      ...(options.data !== undefined && { data: options.data }),
      options: taskOptions,
      ...(options.dataOptions !== undefined && { dataOptions: options.dataOptions }),
      ...(callbacks.onNotice !== undefined && !checkpoint && { onNotice: callbacks.onNotice }),
    },
    settings,
    generator,
  );
  // Saved parsed, as the CLI gives them: `recurrent evaluate` and --resume rebuild the task from these.
  const runOptions = Object.fromEntries(
    RUN_KEYS.filter((k) => options[k] !== undefined).map((k) => [k, k === 'taskOptions' ? taskOptions : options[k]]),
  );
  const run: Run = { task, out, started, settings, taskOptions, runOptions, epochs, lr, seed, clip, prepared };
  const start: StartInfo = {
    task,
    summary: prepared.summary,
    parameters: prepared.model.parameterCount(),
    epochs,
    stepsPerEpoch: prepared.trainBatches(new Generator(0)).length,
    ...(budgetMinutes !== undefined && { budgetSeconds: budgetMinutes * 60 }),
  };
  const parallel = options.member === undefined ? (definition.parallelMembers?.(taskOptions) ?? 0) : 0;
  if (parallel > 1) {
    mkdirSync(out, { recursive: true });
    callbacks.onStart?.(start);
    const result = await trainMembersInParallel(
      prepared.model,
      parallel,
      { ...options, out, resume: !!checkpoint },
      callbacks,
    );
    return { run, result };
  }
  const model = prepared.model;
  const optimizer = new Adam(model.parameters(), { lr });
  const schedule = options.schedule ?? 'plateau';
  if (!LR_SCHEDULES.includes(schedule))
    throw new ValueError('train', `--schedule must be one of ${LR_SCHEDULES.join(', ')}, got ${String(schedule)}`);
  const scheduler =
    schedule === 'cosine'
      ? new CosineAnnealingLR(optimizer, { tMax: epochs })
      : new ReduceLROnPlateau(optimizer, { factor: 0.5, patience: 1 });
  // With a budget, early stopping only when asked for (the schedule already ends at the deadline).
  const earlyStopping = new EarlyStopping({
    patience: checkNumber(
      'patience',
      options.patience ?? (budgetMinutes !== undefined ? MAX_BUDGET_ROUNDS : 4),
      1,
      true,
    ),
  });
  mkdirSync(out, { recursive: true });
  const shuffler = new Generator(seed + 1);
  let resume: FitState | undefined;
  if (checkpoint) {
    const { state } = checkpoint;
    model.loadStateDict(checkpoint.weights);
    optimizer.loadStateDict(state.optimizer as Parameters<typeof optimizer.loadStateDict>[0]);
    // The checkpoint's options chose the same schedule, so its state is this scheduler's kind.
    (scheduler as { loadStateDict(saved: unknown): void }).loadStateDict(state.scheduler);
    earlyStopping.loadStateDict(state.earlyStopping as Parameters<typeof earlyStopping.loadStateDict>[0]);
    generator.setState(state.generators['model']!);
    shuffler.setState(state.generators['shuffle']!);
    resume = { ...state.fit, best: Number(state.fit.best), bestWeights: checkpoint.bestWeights };
  } else {
    rmSync(checkpointRoot, { recursive: true, force: true });
  }
  const saved = checkpoint?.state.budget as BudgetState | undefined;
  const budget = budgetMinutes !== undefined ? new Budget(budgetMinutes, saved?.spent ?? 0) : null;
  const stream = budget
    ? new BatchStream(
        () => prepared.trainBatches(shuffler),
        () => shuffler.getState(),
        (s) => shuffler.setState(s),
        saved?.stream,
      )
    : null;
  const round = budget ? roundSeconds(budget.seconds) * 1000 : 0;
  let roundStarted = performance.now();
  const budgetLrNow = () => budgetLr(budget!.fraction(), { peak: lr });
  if (budget) optimizer.lr = budgetLrNow();
  callbacks.onStart?.(start);

  let result;
  try {
    result = await fit({
      model,
      optimizer,
      batches: () => {
        roundStarted = performance.now();
        return stream ? stream.next() : prepared.trainBatches(shuffler);
      },
      loss: (batch) => prepared.loss(batch),
      epochs,
      validate: () => prepared.validate(),
      ...(clip > 0 && { clipNorm: (parameters) => void clipGradNorm(parameters, clip) }),
      ...(budget
        ? {
            // The learning rate follows the clock; a round ends after `round` ms, training at the deadline.
            endEpoch: () => performance.now() - roundStarted >= round || budget.expired(),
            done: () => budget.expired(),
          }
        : { scheduler }),
      earlyStopping,
      onStep: (info: StepInfo) => {
        if (budget) optimizer.lr = budgetLrNow();
        callbacks.onStep?.(budget ? { ...info, secondsLeft: budget.left() } : info);
      },
      onEpoch: (info) => {
        stream?.consumed(info.steps ?? 0);
        // Everything needed to continue bit-identically, verified by checksums on resume.
        const { bestWeights, ...fitState } = info.state;
        writeCheckpoint(checkpointRoot, info.epoch, {
          weights: model.stateDict(),
          bestWeights,
          state: {
            options: runOptions,
            optimizer: optimizer.stateDict(),
            scheduler: scheduler.stateDict(),
            earlyStopping: earlyStopping.stateDict(),
            generators: { model: generator.getState(), shuffle: shuffler.getState() },
            fit: { ...fitState, best: Number.isFinite(fitState.best) ? fitState.best : String(fitState.best) },
            ...(budget &&
              stream && { budget: { spent: budget.elapsed(), stream: stream.state() } satisfies BudgetState }),
          },
        });
        callbacks.onEpoch?.(budget ? { ...info, secondsLeft: budget.left() } : info);
      },
      stopRequested: callbacks.stopRequested,
      ...(resume && { resume }),
    } as Parameters<typeof fit<unknown>>[0]);
  } catch (error) {
    if (error instanceof TrainingError) {
      throw new TrainingError(
        existsSync(join(checkpointRoot, 'latest.json'))
          ? `${error.message}. The last good checkpoint (the previous epoch) is in ${checkpointRoot}`
          : `${error.message}. No checkpoint was written: it diverged in the first epoch`,
      );
    }
    throw error;
  }
  return { run, result };
}

/** Evaluates the trained model on the test part and saves the model directory, metrics and report. */
function finishRun(run: Run, result: FitResult): TrainOutcome {
  const { task, out, started, settings, taskOptions, runOptions, epochs, lr, seed, clip, prepared } = run;
  const model = prepared.model;
  // Evaluated as inference: fit leaves its model so, but an ensemble trained in parallel comes
  // back as a fresh model (training mode, dropout on) with the members' weights loaded.
  model.eval();
  const evaluation = prepared.evaluate();
  const seconds = (performance.now() - started) / 1000;
  const summary = {
    task,
    metrics: evaluation.metrics,
    baseline: evaluation.baseline,
    baselineName: evaluation.baselineName,
    epochs: result.epochsRun,
    interrupted: result.interrupted,
    seconds,
  };
  saveModelDirectory(out, model, prepared.artifacts(), summary, runOptions);
  writeFileAtomic(
    join(out, 'metrics.json'),
    `${JSON.stringify({ ...summary, trainLoss: result.trainLoss, validation: result.validation }, null, 2)}\n`,
  );
  writeFileAtomic(
    join(out, 'report.html'),
    renderReport({
      task,
      summary: prepared.summary,
      evaluation,
      trainLoss: result.trainLoss,
      validation: result.validation,
      settings: { ...settings, epochs, lr, seed, clipNorm: clip, ...taskOptions },
      seconds,
      interrupted: result.interrupted,
    }),
  );
  return {
    task,
    out,
    evaluation,
    epochsRun: result.epochsRun,
    interrupted: result.interrupted,
    stoppedEarly: result.stoppedEarly,
    seconds,
    trainLoss: result.trainLoss,
    validation: result.validation,
  };
}
