/**
 * The saved-model directory:
 *   config.json          { format, version, task, modelConfig, data (vocabularies, labels, ...), metrics }
 *   weights.safetensors  the module's parameters under their PyTorch-style names
 * Written atomically, file by file; weights first, so a config.json always names complete weights.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { loadSafetensors, saveSafetensors } from '../io/safetensors-file.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { isTaskName, TASK_NAMES, TASKS, type TaskName } from './registry.js';
import type { Predictor, TaskArtifacts, TaskDefinition } from './task.js';

export const MODEL_FORMAT = 'recurrent-model';
export const MODEL_FORMAT_VERSION = 1;

export interface SavedConfig extends TaskArtifacts {
  task: TaskName;
  format: string;
  version: number;
  metrics?: Record<string, unknown>;
  /** The options of the training run (data file, data options, settings, seed): `recurrent evaluate` rebuilds the split and the baseline from them. */
  run?: Record<string, unknown>;
}

export function saveModelDirectory(
  dir: string,
  model: Module,
  artifacts: TaskArtifacts,
  metrics: Record<string, unknown> = {},
  run?: Record<string, unknown>,
): void {
  saveSafetensors(model.stateDict(), join(dir, 'weights.safetensors'), { format: 'pt', task: artifacts.task });
  const config = { format: MODEL_FORMAT, version: MODEL_FORMAT_VERSION, ...artifacts, metrics, ...(run && { run }) };
  writeFileAtomic(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
}

/** Reads and checks config.json of a model directory. */
export function readModelConfig(dir: string): SavedConfig {
  const path = join(dir, 'config.json');
  if (!existsSync(path))
    throw new FormatError(path, 'not found: is this a model directory written by `recurrent train`?');
  return parseModelConfig(readFileSync(path, 'utf8'), path);
}

/** Parses and checks the text of a config.json; `path` names it in errors. */
export function parseModelConfig(text: string, path: string): SavedConfig {
  let config: SavedConfig;
  try {
    config = JSON.parse(text) as SavedConfig;
  } catch (error) {
    throw new FormatError(path, `is not valid JSON (${(error as Error).message})`);
  }
  if (config === null || typeof config !== 'object' || config.format !== MODEL_FORMAT)
    throw new FormatError(path, `format must be '${MODEL_FORMAT}'`);
  if (config.version !== MODEL_FORMAT_VERSION)
    throw new FormatError(
      path,
      `version ${String(config.version)} is not supported (expected ${MODEL_FORMAT_VERSION})`,
    );
  if (!isTaskName(config.task))
    throw new FormatError(path, `task must be one of ${TASK_NAMES.join(', ')}, got ${String(config.task)}`);
  if (
    config.modelConfig === null ||
    typeof config.modelConfig !== 'object' ||
    config.data === null ||
    typeof config.data !== 'object'
  ) {
    throw new FormatError(path, 'modelConfig and data must be objects');
  }
  return config;
}

/**
 * Refuses a config whose sizes could not come from these weights, BEFORE any model is
 * allocated: a forged `hiddenSize: 1e6` must fail as a FormatError, not exhaust memory.
 * Every numeric setting must be a finite number in [0, 1e6], and the product of the two
 * largest (the biggest weight matrix such a model can have) must be within 16x the weights'
 * element count.
 */
function checkConfigFitsWeights(config: SavedConfig, weights: Record<string, Tensor>, path: string): void {
  const numbers: number[] = [];
  for (const [key, value] of Object.entries(config.modelConfig)) {
    if (typeof value !== 'number') continue;
    if (!Number.isFinite(value) || value < 0 || value > 1e6)
      throw new FormatError(path, `modelConfig.${key} is ${value}, outside [0, 1e6]`);
    numbers.push(value);
  }
  const elements = Object.values(weights).reduce((n, t) => n + t.size, 0);
  const [largest = 0, second = 0] = numbers.sort((a, b) => b - a);
  if (largest * second > 16 * elements) {
    throw new FormatError(
      path,
      `modelConfig describes a model far larger than weights.safetensors (${elements} values)`,
    );
  }
}

/** A model directory read back: its config, its task and the model with its weights, in eval mode. */
export interface LoadedModel {
  config: SavedConfig;
  task: TaskDefinition;
  model: Module;
}

/**
 * Rebuilds `what` from the directory's config with its task, turning any failure other than a
 * FormatError or StateDictError into a FormatError on config.json ("cannot rebuild the model").
 */
function rebuilding<T>(dir: string, what: () => T): T {
  try {
    return what();
  } catch (error) {
    if (error instanceof Error && !(error instanceof FormatError) && error.name !== 'StateDictError') {
      throw new FormatError(join(dir, 'config.json'), `cannot rebuild the model: ${error.message}`);
    }
    throw error;
  }
}

/** Reads a model directory and rebuilds its model with the weights loaded (eval mode). */
export function loadModelDirectory(dir: string): LoadedModel {
  const config = readModelConfig(dir);
  const weights = loadSafetensors(join(dir, 'weights.safetensors'));
  checkConfigFitsWeights(config, weights, join(dir, 'config.json'));
  const task: TaskDefinition = TASKS[config.task];
  return rebuilding(dir, () => {
    const model = task.buildModel(config.modelConfig);
    model.loadStateDict(weights);
    model.eval();
    return { config, task, model };
  });
}

/** Restores a saved model as a predictor. */
export function loadPredictor(dir: string): Predictor {
  const { config, task, model } = loadModelDirectory(dir);
  return rebuilding(dir, () => task.predictor(model, config));
}
