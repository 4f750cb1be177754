/**
 * Pieces shared by the step graphs (the seq2seq decoder step and the language model step): one
 * token in, logits out, the recurrent state (L, batch, H) as explicit graph inputs and outputs.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { Dim, GraphBuilder } from './builder.js';
import type { OnnxValueSpec } from './export.js';
import { int64s, makeArray } from './values.js';

/** An embedding table (V, E) as a float constant, for a Gather of token rows. */
export function embeddingTable(b: GraphBuilder, weight: Tensor, hint: string): string {
  return b.constant(hint, makeArray('float32', [...weight.shape], Float32Array.from(weight.data)));
}

/** A state input (L, N, H) cut into its L layers, (1, N, H) each, as `RecurrentEmitter.run` takes them. */
export function layerSlices(b: GraphBuilder, state: string, layers: number, axes0: string): string[] {
  if (layers === 1) return [state];
  return Array.from({ length: layers }, (_, l) =>
    b.op(
      'Slice',
      [state, b.constant('start', int64s([l])), b.constant('end', int64s([l + 1])), axes0],
      `${state}_l${l}`,
    ),
  );
}

/**
 * Declares the step outputs: `logits` (N, vocab), then `new_h` and, for LSTM, `new_c`, each
 * (L, N, H) joined from the per-layer states `h[l]`/`c[l]` (1, N, H). Returns their specs.
 */
export function stepOutputs(
  b: GraphBuilder,
  logits: string,
  vocab: number,
  state: { h: string[]; c: string[] },
  stateDims: Dim[],
  lstm: boolean,
): OnnxValueSpec[] {
  const outputs: OnnxValueSpec[] = [{ name: 'logits', type: 'float32', dims: ['batch', vocab] }];
  b.output('logits', logits, 'float32', outputs[0]!.dims);
  const join = (layers: string[], hint: string) =>
    layers.length === 1 ? layers[0]! : b.op('Concat', layers, hint, { axis: { i: 0 } });
  const states: [string, string[]][] = [
    ['new_h', state.h],
    ...(lstm ? [['new_c', state.c] as [string, string[]]] : []),
  ];
  for (const [name, layers] of states) {
    outputs.push({ name, type: 'float32', dims: stateDims });
    b.output(name, join(layers, `${name}_all`), 'float32', stateDims);
  }
  return outputs;
}
