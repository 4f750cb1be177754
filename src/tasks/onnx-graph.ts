/** The ONNX export of a task whose model is one fixed graph (classify, tag, forecast). */
import type { Module } from '../nn/module.js';
import { exportOnnx } from '../onnx/export.js';
import { Tensor } from '../tensor/tensor.js';
import type { TaskOnnx } from './task.js';

/** One graph, `model.onnx`, traced with `example(model)` as the input. */
export function singleGraphOnnx<M extends Module>(
  example: (model: M) => Tensor,
  notes: readonly string[],
): TaskOnnx<M> {
  return {
    graphs: ['model.onnx'],
    notes,
    write: (model, file, metadata) => [{ file, ...exportOnnx(model, example(model), file, { metadata }) }],
  };
}

/**
 * A two-step example input for a sequence model: token ids (1, 2) when it embeds tokens,
 * else zero features (1, 2, inputSize).
 */
export function tokenExample(model: { embedding: unknown; config: { inputSize: number } }): Tensor {
  return model.embedding
    ? new Tensor(Float32Array.of(1, 1), [1, 2])
    : new Tensor(new Float32Array(2 * model.config.inputSize), [1, 2, model.config.inputSize]);
}
