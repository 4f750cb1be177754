/**
 * Scale-out to PyTorch. `exportPytorch(modelDir, out)` writes into `out`:
 *   model.py             the task's architecture as torch.nn modules (PyTorch's parameter names)
 *   weights.safetensors  the weights, under those names
 *   config.json          the model directory's config, its modelConfig with every default filled in
 *   train.py             trains on a data file with DDP under torchrun, writes weights back
 * `importPytorch(dir, out)` reads such a folder (after train.py, or as exported) back into a
 * model directory for predict/serve/export: the same checks as any model directory, so a
 * missing or misshapen weight fails naming it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { loadModelDirectory, saveModelDirectory } from '../model-dir.js';
import { modelPy } from './model-py.js';
import { trainPy } from './train-py.js';

export interface PytorchExport {
  task: string;
  dir: string;
  files: string[];
}

export function exportPytorch(modelDir: string, out: string): PytorchExport {
  const { config, task, model } = loadModelDirectory(modelDir);
  const pytorch = task.pytorch;
  if ('unsupported' in pytorch)
    throw new FormatError(
      join(modelDir, 'config.json'),
      `task '${config.task}' cannot be exported to PyTorch: ${pytorch.unsupported}`,
    );
  mkdirSync(out, { recursive: true });
  const artifacts = { task: config.task, modelConfig: pytorch.fullConfig(model), data: config.data };
  saveModelDirectory(out, model, artifacts, config.metrics ?? {});
  writeFileAtomic(join(out, 'model.py'), modelPy(config.task, pytorch.modelClass.source, pytorch.modelClass.name));
  writeFileAtomic(join(out, 'train.py'), trainPy(config.task, pytorch.trainSource));
  return {
    task: config.task,
    dir: out,
    files: ['model.py', 'weights.safetensors', 'config.json', 'train.py'].map((f) => join(out, f)),
  };
}

/**
 * Reads a folder written by exportPytorch or by its train.py into the model directory `out`.
 * The original run's metrics are not carried over: after training in PyTorch they would be stale.
 */
export function importPytorch(dir: string, out: string): { task: string; dir: string } {
  const { config, model } = loadModelDirectory(dir);
  mkdirSync(out, { recursive: true });
  saveModelDirectory(
    out,
    model,
    { task: config.task, modelConfig: config.modelConfig, data: config.data },
    { importedFrom: 'pytorch' },
  );
  return { task: config.task, dir: out };
}
