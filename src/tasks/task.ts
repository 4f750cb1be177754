/**
 * A task ties a dataset to an architecture for `recurrent train` and `recurrent predict`:
 * how examples become batches, the loss, the validation metric, the test metrics with a
 * baseline, what is saved in the model directory, and how a saved model predicts.
 */
import { ValueError } from '../errors.js';
import type { Module } from '../nn/module.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import type { CellType } from '../models/recurrent-layer.js';

export type TaskName = 'classify' | 'tag' | 'seq2seq' | 'forecast';
export const TASK_NAMES: readonly TaskName[] = ['classify', 'tag', 'seq2seq', 'forecast'];

/** Model and training settings shared by every task (the CLI's flags). */
export interface TaskSettings {
  cell: CellType;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  dropout: number;
  batchSize: number;
  /** Cap on training examples (0 = all): keeps the default run short. */
  maxTrainExamples: number;
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
  plots: ReportPlot[];
}

/** Everything `recurrent train` needs of a task after its data is loaded. */
export interface PreparedTask<Batch> {
  name: TaskName;
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
}

/** Saved in `config.json` of the model directory. */
export interface TaskArtifacts {
  task: TaskName;
  /** The architecture's constructor config. */
  modelConfig: Record<string, unknown>;
  /** Vocabularies, labels, normalisation: whatever predict needs. */
  data: Record<string, unknown>;
}

/** A model restored from its directory. */
export interface Predictor {
  task: TaskName;
  /** Predicts one output line per input line. */
  predict(inputs: string[]): string[];
}

/** Reads `data[key]` of saved artifacts, checking it with `valid`; throws naming the key. */
export function savedValue<T>(artifacts: TaskArtifacts, key: string, valid: (value: unknown) => boolean, expected: string): T {
  const value = artifacts.data[key];
  if (!valid(value)) throw new ValueError('config.json', `data.${key} must be ${expected}`);
  return value as T;
}

export const isStringArray = (v: unknown): boolean => Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string');
export const isPositiveInteger = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 1e6;
