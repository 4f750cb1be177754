/**
 * ONNX export of a saved model directory (config.json + weights.safetensors, as written by
 * `recurrent train`). The network is exported; the pre- and post-processing that `recurrent
 * predict` does around it (vocabulary lookup, label names, forecast scaling and seasonal
 * differences) is not part of the graph, so the directory's `data` section is copied into the
 * model's metadata_props (`recurrent.data`, JSON) for whoever feeds the ONNX model.
 */
import { join } from 'node:path';
import { FormatError } from '../errors.js';
import { loadSafetensors } from '../io/safetensors-file.js';
import { type SequenceClassifierConfig, SequenceClassifier } from '../models/classifier.js';
import { Forecaster, type ForecasterConfig } from '../models/forecaster.js';
import { SequenceTagger, type SequenceTaggerConfig } from '../models/tagger.js';
import type { Module } from '../nn/module.js';
import { readModelConfig } from '../tasks/model-dir.js';
import { Tensor } from '../tensor/tensor.js';
import { exportOnnx, type OnnxValueSpec } from './export.js';

export interface ModelDirectoryExport {
  file: string;
  task: string;
  bytes: number;
  inputs: OnnxValueSpec[];
  outputs: OnnxValueSpec[];
  /** What the graph does not do, for the user to do around it. */
  notes: string[];
}

/** Exports the model of `dir` to `file` (default `dir/model.onnx`). */
export function exportModelDirectory(dir: string, file = join(dir, 'model.onnx')): ModelDirectoryExport {
  const config = readModelConfig(dir);
  const configPath = join(dir, 'config.json');
  let model: Module;
  let example: Tensor;
  const notes: string[] = [];
  try {
    switch (config.task) {
      case 'classify': {
        const m = new SequenceClassifier(config.modelConfig as unknown as SequenceClassifierConfig);
        example = m.embedding ? new Tensor(Float32Array.of(1, 1), [1, 2]) : new Tensor(new Float32Array(2 * m.config.inputSize), [1, 2, m.config.inputSize]);
        notes.push('inputs are token ids from the vocabulary in metadata recurrent.data (0 pads); outputs are logits over recurrent.data.labels');
        model = m;
        break;
      }
      case 'tag': {
        const m = new SequenceTagger(config.modelConfig as unknown as SequenceTaggerConfig);
        example = m.embedding ? new Tensor(Float32Array.of(1, 1), [1, 2]) : new Tensor(new Float32Array(2 * m.config.inputSize), [1, 2, m.config.inputSize]);
        notes.push('inputs are token ids from the vocabulary in metadata recurrent.data (0 pads); outputs are logits over recurrent.data.tags');
        model = m;
        break;
      }
      case 'forecast': {
        const m = new Forecaster(config.modelConfig as unknown as ForecasterConfig);
        example = new Tensor(new Float32Array(2 * m.config.inputSize), [1, 2, m.config.inputSize]);
        notes.push('the window and the forecast are in the model\'s scaled (and seasonally differenced) units: see recurrent.data (scaling, season, inputLength)');
        model = m;
        break;
      }
      default:
        throw new FormatError(configPath, `task '${config.task}' cannot be exported to ONNX (classify, tag and forecast can; a seq2seq decoder loop with beam search is not a fixed graph)`);
    }
  } catch (error) {
    if (error instanceof FormatError) throw error;
    throw new FormatError(configPath, `cannot rebuild the model: ${(error as Error).message}`);
  }
  model.loadStateDict(loadSafetensors(join(dir, 'weights.safetensors')));
  const info = exportOnnx(model, example, file, {
    metadata: {
      'recurrent.task': config.task,
      'recurrent.modelConfig': JSON.stringify(config.modelConfig),
      'recurrent.data': JSON.stringify(config.data),
    },
  });
  return { file, task: config.task, ...info, notes };
}
