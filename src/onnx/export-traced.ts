/**
 * ONNX export of any module by tracing its forward pass: Keras-style sequential and functional
 * models, single Keras-style layers, and any nn Module built from supported ops and layers.
 * The forward runs twice in eval mode without gradients (on the example inputs, then on them
 * grown along each symbolic dim; trace-record.ts) and the ops become a graph (trace-emit.ts).
 *
 * Inputs are named `input` (or `input_0`, `input_1`...), float32, or int64 when the graph only
 * reads them as ids (an Embedding's input). Outputs are named after forward's result: `output`
 * for a tensor, `output_0`... for a list, the keys of an object (`output`, `h`, `c`).
 */
import { ExportError, ValueError } from '../errors.js';
import { RecurrentLayer as KerasRecurrentLayer } from '../layers/recurrent/base.js';
import type { Module } from '../nn/module.js';
import { Tensor } from '../tensor/tensor.js';
import { type Dim, GraphBuilder } from './builder.js';
import { inEval, type OnnxValueSpec } from './export.js';
import { TraceEmitter } from './trace-emit.js';
import { grow, growth, inputDimensions, modulePath, record } from './trace-record.js';

export interface TracedExport {
  builder: GraphBuilder;
  inputs: OnnxValueSpec[];
  outputs: OnnxValueSpec[];
}

/** Traces `module` on `examples` (one tensor per forward argument); `inputDims` as in OnnxExportOptions. */
export function exportTraced(
  module: Module,
  examples: readonly Tensor[],
  inputDims?: readonly (readonly Dim[])[],
): TracedExport {
  if (examples.length === 0 || !examples.every((x) => x instanceof Tensor))
    throw new ValueError('exportOnnx', 'exampleInput must be a Tensor or a list of tensors (one per forward argument)');
  const dims = inputDimensions(module, examples, inputDims);
  const steps = growth(dims);
  const grown = examples.map((x, i) => grow(x, dims[i]!, steps));
  for (const [path, m] of module.namedModules())
    if (m instanceof KerasRecurrentLayer && m.stateful)
      throw new ExportError(
        modulePath(path),
        'recurrent',
        `${m.describe()} is stateful: its state carries over between calls, which one ONNX graph without state inputs cannot do (and tracing would advance it)`,
      );
  const first = inEval(module, () => record(module, examples));
  for (const [path, m] of module.namedModules())
    if (m instanceof KerasRecurrentLayer && m.lastPath === 'loop')
      throw new ExportError(
        modulePath(path),
        'recurrent',
        `${m.describe()} ran its per-step loop (its configuration does not map onto the fused kernel: see 'implementation' in layers/recurrent/base.ts); unrolled steps would fix the sequence length`,
      );
  const second = inEval(module, () => record(module, grown));
  const builder = new GraphBuilder();
  const names = examples.length === 1 ? ['input'] : examples.map((_, i) => `input_${i}`);
  const graph = new TraceEmitter(builder).build(
    first,
    second,
    names.map((name, i) => ({ name, dims: dims[i]! })),
  );
  return { builder, inputs: graph.inputs, outputs: graph.outputs };
}
