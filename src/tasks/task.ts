/**
 * The task contract. A task ties a dataset to an architecture for `recurrent train` and
 * `recurrent predict`: how examples become batches, the loss, the validation metric, the test
 * metrics with a baseline, what is saved in the model directory, how a saved model predicts and
 * how it is exported to ONNX. Each task is one `TaskDefinition` (its file: `tasks/<name>.ts`),
 * listed once in `registry.ts`; everything else looks tasks up there.
 */
import { splitDataset, type Splits } from '../data/split.js';
import { ValueError } from '../errors.js';
import type { Module } from '../nn/module.js';
import type { OnnxValueSpec } from '../onnx/export.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import type { CellFamily } from '../families.js';
import type { TokenMode } from '../data/tokens.js';

/** Model and training settings shared by every task (the CLI's flags). */
export interface TaskSettings {
  cell: CellFamily;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  dropout: number;
  batchSize: number;
  /** Cap on training examples (0 = all): keeps the default run short. */
  maxTrainExamples: number;
  /**
   * Build member k of the task's ensemble alone, with the initial weights it has in the whole
   * ensemble (a worker of an ensemble trained in parallel, parallel-members.ts). Unset: the whole model.
   */
  ensembleMember?: number;
}

/** A plot for the HTML report, as data; the report draws it. */
export type ReportPlot =
  | { kind: 'confusion'; title: string; labels: string[]; counts: number[][] }
  | { kind: 'series'; title: string; x: string[]; lines: { name: string; values: (number | null)[] }[] }
  | { kind: 'table'; title: string; columns: string[]; rows: string[][] };

export interface Evaluation {
  /** Test metrics of the model, e.g. { accuracy: 0.91 }. */
  metrics: Record<string, number>;
  /** The same metrics for the simple baseline. */
  baseline: Record<string, number>;
  /** Name of the baseline, e.g. 'majority class'. */
  baselineName: string;
  /** Which metric headlines the report, and whether higher is better. */
  primary: { name: string; higherIsBetter: boolean };
  /** A trivial reference beside the classical baseline (majority class, seasonal naive), when the task has one. */
  reference?: { name: string; metrics: Record<string, number> };
  plots: ReportPlot[];
}

/** Everything `recurrent train` needs of a task after its data is loaded. */
export interface PreparedTask<Batch> {
  name: string;
  model: Module;
  /** A description of the data for the console: sizes and source. */
  summary: string;
  /** The epoch's batches; shuffled with `generator`. */
  trainBatches(generator: Generator): Batch[];
  /** Scalar training loss of one batch. */
  loss(batch: Batch): Tensor;
  /** Validation metric, lower is better (evaluated in eval mode, no grad). */
  validate(): number;
  /** Test metrics against the baseline. */
  evaluate(): Evaluation;
  /** What the model directory must hold to rebuild the model: JSON-friendly. */
  artifacts(): TaskArtifacts;
  /**
   * The same metrics and baseline as `evaluate`, on the examples of another file of the task's
   * format (read with the run's data options): `recurrent evaluate`.
   */
  evaluateFile?(file: string): Evaluation;
}

/** Saved in `config.json` of the model directory. */
export interface TaskArtifacts {
  task: string;
  /** The architecture's constructor config. */
  modelConfig: Record<string, unknown>;
  /** Vocabularies, labels, normalisation: whatever predict needs. */
  data: Record<string, unknown>;
}

/** A model restored from its directory. */
export interface Predictor {
  task: string;
  /** Predicts one output per input (for forecast: the forecast values of one history). */
  predict(inputs: string[]): string[];
  /**
   * What `recurrent predict` prints for the input lines (arguments or stdin, one per line):
   * text (tab-separated) or, with `json`, JSON lines. Ends with a newline.
   */
  format(lines: string[], json: boolean): string;
  /**
   * For a predictor that generates text (a language model): the tokens generated for one
   * prompt, as they come; stops early when `signal` aborts. `recurrent serve` streams them as
   * server-sent events on POST /generate. Absent for predictors that answer in one piece.
   */
  stream?(prompt: string, signal: AbortSignal): Iterable<string> | AsyncIterable<string>;
}

/** The usual `format` of a predictor: one output line per input line, `input<TAB>prediction`. */
export function formatPerLine(predict: (inputs: string[]) => string[]): Predictor['format'] {
  return (lines, json) =>
    predict(lines)
      .map((p, i) => (json ? JSON.stringify({ input: lines[i], prediction: p }) : `${lines[i]}\t${p}`))
      .join('\n')
      .concat('\n');
}

/** Training settings that depend on the task (`recurrent train` without flags uses these). */
export interface TaskDefaults {
  cell: CellFamily;
  hiddenSize: number;
  bidirectional: boolean;
  epochs: number;
  lr: number;
  batchSize: number;
  /** Cap on training examples (0 = all). */
  maxTrainExamples: number;
}

/**
 * A command-line option that only this task understands (beyond the shared ones: cell, hidden,
 * epochs, ...). `recurrent train` registers it as `--<flag> <value>`; the parsed value reaches
 * `load` as `input.options[key]` and is stored in checkpoints with the run's options.
 */
export interface TaskOption {
  /** Flag without dashes, e.g. 'input-length'. */
  flag: string;
  /** Key in `TaskInput.options`, e.g. 'inputLength'. */
  key: string;
  /** Help text; the CLI adds which task it belongs to. */
  description: string;
  /** Parses the flag's text; throws naming the flag on bad input. */
  parse: (value: string) => string | number | boolean;
}

/** A TaskOption parser: `--<flag>` as an integer >= 1, or an error naming the flag and the value given. */
export const positiveIntegerOption =
  (flag: string) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new ValueError('train', `--${flag} must be an integer >= 1, got '${value}'`);
    return n;
  };

/** A TaskOption parser: `--<flag>` as one of `values`, or an error naming the flag, the allowed values and the value given. */
export const oneOfOption =
  (flag: string, values: readonly string[]) =>
  (value: string): string => {
    if (!values.includes(value))
      throw new ValueError('train', `--${flag} must be one of ${values.join(', ')}, got '${value}'`);
    return value;
  };

/** How a user's files are read and split (the shared flags --columns, --no-header, --*-tokens, --split, --valid, --test). */
export interface DataOptions {
  /** Whether the file has a header row; detected when undefined. */
  header?: boolean;
  /** The file's columns for the task's columns, in order (names or 1-based positions). */
  columns?: string[];
  /** Tokenisation of the text columns (default auto). */
  tokens?: { input?: TokenMode; source?: TokenMode; target?: TokenMode };
  /** TRAIN,VALIDATION,TEST fractions, e.g. '0.8,0.1,0.1' (default). */
  split?: string;
  /** A validation file (then the data file is not cut for validation). */
  valid?: string;
  /** A test file (then the data file is not cut for the test). */
  test?: string;
  /** forecast: the column to forecast. */
  target?: string;
}

/** What a task's `load` gets besides the shared settings. */
export interface TaskInput {
  /** The user's CSV/TSV/JSONL file; the task's embedded data set when omitted. */
  data?: string;
  /** Values of the task's own options (`TaskDefinition.options`), by key; absent ones are left out. */
  options: Record<string, unknown>;
  /** How the user's files are read and split. */
  dataOptions?: DataOptions;
  /** Receives one-line notices and warnings about the data (columns by position, tokens, split, duplicates...). */
  onNotice?: (message: string) => void;
}

/** One ONNX file written by a task's export. */
export interface OnnxGraphFile {
  file: string;
  bytes: number;
  inputs: OnnxValueSpec[];
  outputs: OnnxValueSpec[];
}

/** How a task's saved model becomes ONNX. */
export interface TaskOnnx<M extends Module> {
  /** Names of the files written, e.g. ['model.onnx'] or ['encoder.onnx', 'decoder_step.onnx']. */
  graphs: readonly string[];
  /** What the graphs leave to the caller (pre- and post-processing, decoding loops). */
  notes: readonly string[];
  /**
   * Writes the graphs of `model` (weights loaded, eval mode is the exporter's job). `out` is the
   * file for a single graph, else the folder for them; `metadata` goes into every graph's
   * metadata_props. Returns the files in the order of `graphs`.
   */
  write(model: M, out: string, metadata: Record<string, string>): OnnxGraphFile[];
}

/**
 * How a task's model moves to PyTorch (`recurrent export --format pytorch`, see tasks/pytorch/):
 * the Python of its architecture and of train.py's data and loss part.
 */
export interface TaskPytorch<M extends Module> {
  /** The torch.nn class in model.py: its name and source (tasks/pytorch/model-py.ts). */
  modelClass: { name: string; source: string };
  /** train.py's task part: `make_dataset(records, config, path)` and `loss_of(model, batch)` (tasks/pytorch/train-py.ts). */
  trainSource: string;
  /** Every constructor setting of `model`, defaults filled in: the modelConfig model.py reads. */
  fullConfig(model: M): Record<string, unknown>;
}

/**
 * One task: the single place that knows it. `recurrent train --task <name>`, the model
 * directory (`config.json` names the task), `recurrent predict`, the report and
 * `recurrent export` all find it by `name` in `TASKS` (registry.ts).
 *
 * `M` is the model class, `C` its constructor config: `buildModel(config)` rebuilds the model
 * from the `modelConfig` that `prepare` saved in its artifacts (the constructor checks every
 * field, so a damaged config.json fails there, named as such by the loader).
 *
 * A new task (e.g. a language model with generation as its predict, or numeric sequences with
 * standardisation stats saved in `data`) needs only its file with one `TaskDefinition` and one
 * line in `TASKS`; its own flags go in `options`, its own predict input/output in `predictor`.
 */
export interface TaskDefinition<M extends Module = Module, C extends object = object> {
  /** `--task` value and `config.json`'s `task`, e.g. 'classify'. */
  readonly name: string;
  /** One line for `recurrent train --help`: what it learns from what, and the embedded data. */
  readonly description: string;
  readonly defaults: TaskDefaults;
  /** The task's own command-line options (may be empty). */
  readonly options: readonly TaskOption[];
  /** Example `recurrent predict` input lines for a model trained with the defaults (tests run every task on them). */
  readonly sampleInputs: readonly string[];
  /**
   * Loads the data (the embedded set, or `input.data`), splits it with `generator`, builds the
   * model (its weights drawn from `generator`) and returns what training needs.
   */
  load(input: TaskInput, settings: TaskSettings, generator: Generator): PreparedTask<unknown>;
  /** Rebuilds the model (untrained weights) from the saved `modelConfig`. */
  buildModel(config: C): M;
  /** Wraps a rebuilt model with loaded weights, in eval mode, and the saved `data` as a predictor. */
  predictor(model: M, artifacts: TaskArtifacts): Predictor;
  /** ONNX export, or a sentence saying why this task has none. */
  readonly onnx: TaskOnnx<M> | { unsupported: string };
  /** PyTorch export (model.py, train.py), or a sentence saying why this task has none yet. */
  readonly pytorch: TaskPytorch<M> | { unsupported: string };
  /**
   * What one input of `recurrent serve`'s POST /predict is: 'text' (default; a string, one line of
   * `recurrent predict`) or 'series' (an array of numbers, predicted alone).
   */
  readonly serveInput?: 'text' | 'series';
  /**
   * How many ensemble members the task's options ask to train in parallel, each alone on its own
   * thread (0 or absent: the model trains as one). The run then builds each member with
   * `TaskSettings.ensembleMember` and puts the trained members back into the whole model.
   */
  parallelMembers?(options: Record<string, unknown>): number;
}

/** Splits examples 80/10/10 with `generator` (the split every text task uses). */
export function splitExamples<T>(items: readonly T[], generator: Generator): Splits<T> {
  return splitDataset(items, { validation: 0.1, test: 0.1, generator });
}

/** Whether the model's primary metric is better than the baseline's (ties are not). */
export function beatsBaseline(evaluation: Evaluation): boolean {
  const { name, higherIsBetter } = evaluation.primary;
  const model = evaluation.metrics[name];
  const base = evaluation.baseline[name];
  if (model === undefined || base === undefined || Number.isNaN(model) || Number.isNaN(base)) return false;
  return higherIsBetter ? model > base : model < base;
}

/** Reads `data[key]` of saved artifacts, checking it with `valid`; throws naming the key. */
export function savedValue<T>(
  artifacts: TaskArtifacts,
  key: string,
  valid: (value: unknown) => boolean,
  expected: string,
): T {
  const value = artifacts.data[key];
  if (!valid(value)) throw new ValueError('config.json', `data.${key} must be ${expected}`);
  return value as T;
}

export const isStringArray = (v: unknown): boolean =>
  Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string');
export const isPositiveInteger = (v: unknown): boolean =>
  typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 1e6;
