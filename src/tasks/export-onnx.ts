/**
 * ONNX export of a saved model directory (config.json + weights.safetensors, as written by
 * `recurrent train`). The task (registry.ts) says which graphs its model becomes and what they
 * leave out; the generic exporters in `src/onnx` write them. The pre- and post-processing that
 * `recurrent predict` does around the network (vocabulary lookup, label names, forecast scaling
 * and seasonal differences) is not in the graph, so the directory's `data` section goes into
 * every graph's metadata_props (`recurrent.data`, JSON) for whoever feeds the ONNX model.
 */
import { join } from 'node:path';
import { FormatError } from '../errors.js';
import type { OnnxValueSpec } from '../onnx/export.js';
import { loadModelDirectory, readModelConfig } from './model-dir.js';
import { TASKS } from './registry.js';
import type { OnnxGraphFile } from './task.js';

export interface TaskOnnxExport {
  task: string;
  /** The files written, in the task's order (one for most tasks; seq2seq: encoder, decoder step). */
  files: OnnxGraphFile[];
  /** What the graphs do not do, for the user to do around them. */
  notes: string[];
}

/**
 * Exports the model of `dir` as its task's ONNX graphs. `out`: the file for a one-graph task
 * (default `dir/model.onnx`), the folder for a task with several graphs (default `dir`).
 */
export function exportTaskModel(dir: string, out?: string): TaskOnnxExport {
  const { config, task, model } = loadModelDirectory(dir);
  const onnx = task.onnx;
  if ('unsupported' in onnx)
    throw new FormatError(
      join(dir, 'config.json'),
      `task '${config.task}' cannot be exported to ONNX: ${onnx.unsupported}`,
    );
  const target = out ?? (onnx.graphs.length === 1 ? join(dir, onnx.graphs[0]!) : dir);
  const files = onnx.write(model, target, {
    'recurrent.task': config.task,
    'recurrent.modelConfig': JSON.stringify(config.modelConfig),
    'recurrent.data': JSON.stringify(config.data),
  });
  return { task: config.task, files, notes: [...onnx.notes] };
}

export interface ModelDirectoryExport {
  file: string;
  task: string;
  bytes: number;
  inputs: OnnxValueSpec[];
  outputs: OnnxValueSpec[];
  /** What the graph does not do, for the user to do around it. */
  notes: string[];
}

/** Exports the one-graph model of `dir` to `file` (default `dir/model.onnx`); see `exportTaskModel`. */
export function exportModelDirectory(dir: string, file?: string): ModelDirectoryExport {
  const config = readModelConfig(dir);
  const onnx = TASKS[config.task].onnx;
  if (!('unsupported' in onnx) && onnx.graphs.length !== 1) {
    throw new FormatError(
      join(dir, 'config.json'),
      `task '${config.task}' exports ${onnx.graphs.length} graphs (${onnx.graphs.join(', ')}): use exportTaskModel`,
    );
  }
  const result = exportTaskModel(dir, file);
  return { ...result.files[0]!, task: result.task, notes: result.notes };
}

/**
 * Exports the seq2seq model of a model directory as `outDir/encoder.onnx` and
 * `outDir/decoder_step.onnx` (default outDir: `dir`); see `exportSeq2SeqOnnx`. The config's
 * bosId / eosId are in `recurrent.seq2seq.config`.
 */
export function exportSeq2SeqModelDirectory(
  dir: string,
  outDir = dir,
): { encoder: OnnxGraphFile; decoderStep: OnnxGraphFile; notes: string[] } {
  const config = readModelConfig(dir);
  if (config.task !== 'seq2seq')
    throw new FormatError(join(dir, 'config.json'), `task '${config.task}' is not seq2seq: use exportModelDirectory`);
  const { files, notes } = exportTaskModel(dir, outDir);
  return { encoder: files[0]!, decoderStep: files[1]!, notes };
}
