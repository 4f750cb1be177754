/**
 * `trainTask`: everything `recurrent train` does, callable from code. Loads the embedded data
 * set (or the user's file), splits it, builds the task's model, trains it with Adam, gradient
 * clipping, reduce-on-plateau and early stopping, checkpoints every epoch, evaluates against
 * the baseline, and saves the model directory and the HTML report.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadCO2, loadDiacritics, loadG2P, loadLanguageId } from '../data/datasets.js';
import { splitDataset } from '../data/split.js';
import { loadUserData } from '../data/user-data.js';
import { TrainingError, ValueError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { CELL_TYPES, type CellType } from '../models/recurrent-layer.js';
import { Generator } from '../tensor/random.js';
import { clipGradNorm } from '../train/clip.js';
import { EarlyStopping } from '../train/early-stopping.js';
import { type EpochInfo, fit, type FitState, type StepInfo } from '../train/loop.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { Adam } from '../train/optimizers/adam.js';
import { ReduceLROnPlateau } from '../train/schedulers.js';
import { prepareClassify } from './classify.js';
import { prepareForecast } from './forecast.js';
import { saveModelDirectory } from './model-dir.js';
import { renderReport } from './report.js';
import { prepareSeq2Seq } from './seq2seq.js';
import { prepareTag } from './tag.js';
import { type Evaluation, type PreparedTask, TASK_NAMES, type TaskName, type TaskSettings } from './task.js';

export interface TrainOptions {
  /** Default 'classify'. */
  task?: TaskName;
  /** The user's CSV/TSV/JSONL file; the embedded data set when omitted. */
  data?: string;
  cell?: CellType;
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
  /** Cap on training examples (0 = all). */
  maxTrainExamples?: number;
  /** Model directory to write. Default `runs/<task>`. */
  out?: string;
  /**
   * Continue the run whose checkpoint is in `out` (same options, taken from the checkpoint;
   * `epochs` may be raised). The result is bit-identical to a run that was never interrupted.
   */
  resume?: boolean;
}

export interface TrainCallbacks {
  onStart?: (info: { task: TaskName; summary: string; parameters: number; epochs: number; stepsPerEpoch: number }) => void;
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

/** Per-task defaults: chosen so that `recurrent train` with no flags ends well within two minutes. */
const DEFAULTS: Record<TaskName, { epochs: number; hiddenSize: number; lr: number; batchSize: number; bidirectional: boolean; maxTrainExamples: number; cell: CellType }> = {
  classify: { epochs: 6, hiddenSize: 64, lr: 0.01, batchSize: 64, bidirectional: false, maxTrainExamples: 0, cell: 'gru' },
  tag: { epochs: 6, hiddenSize: 48, lr: 0.01, batchSize: 64, bidirectional: true, maxTrainExamples: 0, cell: 'gru' },
  seq2seq: { epochs: 8, hiddenSize: 64, lr: 0.01, batchSize: 64, bidirectional: false, maxTrainExamples: 12000, cell: 'gru' },
  forecast: { epochs: 40, hiddenSize: 32, lr: 0.005, batchSize: 32, bidirectional: false, maxTrainExamples: 0, cell: 'gru' },
};

function checkNumber(name: string, value: number, min: number, integer: boolean): number {
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new ValueError('train', `--${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${value}`);
  }
  return value;
}

function loadTask(options: TrainOptions, settings: TaskSettings, generator: Generator): PreparedTask<unknown> {
  const task = options.task ?? 'classify';
  const split = <T>(items: readonly T[]) => splitDataset(items, { validation: 0.1, test: 0.1, generator });
  switch (task) {
    case 'classify':
      return prepareClassify(split(options.data ? loadUserData(options.data, 'classify') : loadLanguageId().examples), settings, generator) as PreparedTask<unknown>;
    case 'tag':
      return prepareTag(split(options.data ? loadUserData(options.data, 'tag') : loadDiacritics()), settings, generator, options.data ? 'generic' : 'diacritics') as PreparedTask<unknown>;
    case 'seq2seq': {
      const examples = options.data ? loadUserData(options.data, 'seq2seq') : loadG2P().map((e) => ({ source: e.word, target: e.phonemes }));
      return prepareSeq2Seq(split(examples), settings, generator) as PreparedTask<unknown>;
    }
    case 'forecast': {
      const series = options.data ? loadUserData(options.data, 'forecast') : loadCO2();
      const dates = series.dates ?? series.values.map((_, i) => String(i + 1));
      return prepareForecast({ dates, values: series.values }, settings, generator) as PreparedTask<unknown>;
    }
    default:
      throw new ValueError('train', `--task must be one of ${TASK_NAMES.join(', ')}, got ${String(task)}`);
  }
}

/** The options that define a run, as stored in its checkpoints. */
const RUN_KEYS = ['task', 'data', 'cell', 'hiddenSize', 'numLayers', 'bidirectional', 'dropout', 'epochs', 'batchSize', 'lr', 'seed', 'clipNorm', 'patience', 'maxTrainExamples'] as const;

export async function trainTask(requested: TrainOptions = {}, callbacks: TrainCallbacks = {}): Promise<TrainOutcome> {
  const started = performance.now();
  const out = requested.out ?? join('runs', requested.task ?? 'classify');
  const checkpointRoot = join(out, 'checkpoint');
  const checkpoint = requested.resume ? readCheckpoint(checkpointRoot) : null;
  if (requested.resume && !checkpoint) throw new ValueError('train', `--resume: no checkpoint in ${checkpointRoot} (it is written at the end of each epoch)`);
  const options: TrainOptions = checkpoint
    ? { ...(checkpoint.state.options as TrainOptions), ...(requested.epochs !== undefined && { epochs: requested.epochs }), out }
    : requested;
  const task = options.task ?? 'classify';
  if (!TASK_NAMES.includes(task)) throw new ValueError('train', `--task must be one of ${TASK_NAMES.join(', ')}, got ${String(task)}`);
  const defaults = DEFAULTS[task];
  const cell = options.cell ?? defaults.cell;
  if (!CELL_TYPES.includes(cell)) throw new ValueError('train', `--cell must be one of ${CELL_TYPES.join(', ')}, got ${String(cell)}`);
  const settings: TaskSettings = {
    cell,
    hiddenSize: checkNumber('hidden', options.hiddenSize ?? defaults.hiddenSize, 1, true),
    numLayers: checkNumber('layers', options.numLayers ?? 1, 1, true),
    bidirectional: options.bidirectional ?? defaults.bidirectional,
    dropout: checkNumber('dropout', options.dropout ?? 0, 0, false),
    batchSize: checkNumber('batch-size', options.batchSize ?? defaults.batchSize, 1, true),
    maxTrainExamples: checkNumber('max-train', options.maxTrainExamples ?? defaults.maxTrainExamples, 0, true),
  };
  const epochs = checkNumber('epochs', options.epochs ?? defaults.epochs, 1, true);
  const lr = checkNumber('lr', options.lr ?? defaults.lr, 0, false);
  const seed = checkNumber('seed', options.seed ?? 0, 0, true);
  const clip = checkNumber('clip-norm', options.clipNorm ?? 5, 0, false);

  const generator = new Generator(seed);
  const prepared = loadTask({ ...options, task }, settings, generator);
  const model = prepared.model;
  const optimizer = new Adam(model.parameters(), { lr });
  const scheduler = new ReduceLROnPlateau(optimizer, { factor: 0.5, patience: 1 });
  const earlyStopping = new EarlyStopping({ patience: checkNumber('patience', options.patience ?? 4, 1, true) });
  mkdirSync(out, { recursive: true });
  const shuffler = new Generator(seed + 1);
  let resume: FitState | undefined;
  if (checkpoint) {
    const { state } = checkpoint;
    model.loadStateDict(checkpoint.weights);
    optimizer.loadStateDict(state.optimizer as Parameters<typeof optimizer.loadStateDict>[0]);
    scheduler.loadStateDict(state.scheduler as Parameters<typeof scheduler.loadStateDict>[0]);
    earlyStopping.loadStateDict(state.earlyStopping as Parameters<typeof earlyStopping.loadStateDict>[0]);
    generator.setState(state.generators['model']!);
    shuffler.setState(state.generators['shuffle']!);
    resume = { ...state.fit, best: Number(state.fit.best), bestWeights: checkpoint.bestWeights };
  } else {
    rmSync(checkpointRoot, { recursive: true, force: true });
  }
  const runOptions = Object.fromEntries(RUN_KEYS.filter((k) => options[k] !== undefined).map((k) => [k, options[k]]));
  callbacks.onStart?.({ task, summary: prepared.summary, parameters: model.parameterCount(), epochs, stepsPerEpoch: Math.ceil(prepared.trainBatches(new Generator(0)).length) });

  let result;
  try {
    result = await fit({
      model,
      optimizer,
      batches: () => prepared.trainBatches(shuffler),
      loss: (batch) => prepared.loss(batch),
      epochs,
      validate: () => prepared.validate(),
      ...(clip > 0 && { clipNorm: (parameters) => void clipGradNorm(parameters, clip) }),
      scheduler,
      earlyStopping,
      onStep: callbacks.onStep,
      onEpoch: (info) => {
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
          },
        });
        callbacks.onEpoch?.(info);
      },
      stopRequested: callbacks.stopRequested,
      ...(resume && { resume }),
    } as Parameters<typeof fit<unknown>>[0]);
  } catch (error) {
    if (error instanceof TrainingError) {
      throw new TrainingError(existsSync(join(checkpointRoot, 'latest.json'))
        ? `${error.message}. The last good checkpoint (the previous epoch) is in ${checkpointRoot}`
        : `${error.message}. No checkpoint was written: it diverged in the first epoch`);
    }
    throw error;
  }
  const evaluation = prepared.evaluate();
  const seconds = (performance.now() - started) / 1000;
  const summary = {
    task, metrics: evaluation.metrics, baseline: evaluation.baseline, baselineName: evaluation.baselineName,
    epochs: result.epochsRun, interrupted: result.interrupted, seconds,
  };
  saveModelDirectory(out, model, prepared.artifacts(), summary);
  writeFileAtomic(join(out, 'metrics.json'), `${JSON.stringify({ ...summary, trainLoss: result.trainLoss, validation: result.validation }, null, 2)}\n`);
  writeFileAtomic(join(out, 'report.html'), renderReport({
    task, summary: prepared.summary, evaluation, trainLoss: result.trainLoss, validation: result.validation,
    settings: { ...settings, epochs, lr, seed, clipNorm: clip }, seconds, interrupted: result.interrupted,
  }));
  return { task, out, evaluation, epochsRun: result.epochsRun, interrupted: result.interrupted, stoppedEarly: result.stoppedEarly, seconds, trainLoss: result.trainLoss, validation: result.validation };
}
