/**
 * `evaluateModel`: what `recurrent evaluate MODEL_DIR --data FILE` does, callable from code.
 *
 * A saved model is scored on another file of its task's format with the task's own metrics,
 * beside the task's baseline. The baseline and the data reading (columns, tokens) must be those
 * of training, so the run's options saved in config.json (`run`) rebuild the training split with
 * the same seed (the task's `load`); the saved weights then replace the new model's, and the
 * task's `evaluateFile` scores the file. Generic: any registered task whose prepared form has
 * `evaluateFile` can be evaluated.
 */
import { join } from 'node:path';
import { FormatError, ValueError } from '../errors.js';
import { Generator } from '../tensor/random.js';
import { loadModelDirectory } from './model-dir.js';
import type { DataOptions, Evaluation, TaskSettings } from './task.js';
import { beatsBaseline } from './task.js';

export interface EvaluateOutcome {
  task: string;
  file: string;
  evaluation: Evaluation;
  /** Whether the model's primary metric beats the baseline's. */
  beatsBaseline: boolean;
}

/** Scores the model in `dir` on `file` (see the module comment). */
export function evaluateModel(dir: string, file: string): EvaluateOutcome {
  const { config, task, model } = loadModelDirectory(dir);
  const run = config.run;
  if (run === undefined || run === null || typeof run !== 'object') {
    throw new FormatError(
      join(dir, 'config.json'),
      'has no `run` (the training options): it was saved before `recurrent evaluate` existed; train it again',
    );
  }
  const r = run as Record<string, unknown>;
  const modelConfig = config.modelConfig as Record<string, unknown>;
  const defaults = task.defaults;
  const settings: TaskSettings = {
    cell: (r['cell'] as TaskSettings['cell'] | undefined) ?? defaults.cell,
    hiddenSize: (r['hiddenSize'] as number | undefined) ?? defaults.hiddenSize,
    numLayers: (r['numLayers'] as number | undefined) ?? 1,
    bidirectional: (r['bidirectional'] as boolean | undefined) ?? defaults.bidirectional,
    dropout: (r['dropout'] as number | undefined) ?? 0,
    batchSize: (r['batchSize'] as number | undefined) ?? defaults.batchSize,
    maxTrainExamples:
      (r['maxTrainExamples'] as number | undefined) ?? (r['data'] !== undefined ? 0 : defaults.maxTrainExamples),
  };
  const seed = (r['seed'] as number | undefined) ?? 0;
  const prepared = task.load(
    {
      ...(typeof r['data'] === 'string' && { data: r['data'] }),
      options: (r['taskOptions'] as Record<string, unknown> | undefined) ?? {},
      ...(r['dataOptions'] !== undefined && { dataOptions: r['dataOptions'] as DataOptions }),
    },
    settings,
    new Generator(seed),
  );
  if (!prepared.evaluateFile) throw new ValueError('recurrent evaluate', `task ${config.task} cannot evaluate a file`);
  if (JSON.stringify(prepared.artifacts().modelConfig) !== JSON.stringify(modelConfig)) {
    throw new FormatError(
      join(dir, 'config.json'),
      `the training data (${String(r['data'] ?? 'the embedded set')}) no longer gives this model's configuration: has the file changed since training?`,
    );
  }
  prepared.model.loadStateDict(model.stateDict());
  prepared.model.eval();
  const evaluation = prepared.evaluateFile(file);
  return { task: config.task, file, evaluation, beatsBaseline: beatsBaseline(evaluation) };
}
