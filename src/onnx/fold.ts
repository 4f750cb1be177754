/**
 * Load-time folding of the layout nodes that PyTorch's exporter puts around a recurrent node.
 * A `batch_first` layer exports as
 *
 *   x (batch, time, input) -> Transpose [1, 0, 2] -> RNN/LSTM/GRU (layout 0) -> Y (time, 1, batch, hidden)
 *     -> Squeeze axes [1] -> Transpose [1, 0, 2] -> output (batch, time, hidden)
 *
 * The Transpose before the node is folded into it when the node is its only reader (the node
 * then reads X batch-first), and Squeeze + Transpose after it when each is its value's only
 * reader and the node has one direction (the node then writes Y as (batch, time, hidden)).
 * A bidirectional layer (or any whose Y is not squeezed) exports as
 *
 *   Y (time, directions, batch, hidden) -> Transpose [0, 2, 1, 3] -> Reshape [0, 0, -1]
 *     -> (time, batch, directions·hidden) [-> Transpose [1, 0, 2] -> (batch, time, directions·hidden)]
 *
 * and Transpose + Reshape (and the last Transpose when there is one) are folded into the node
 * the same way: it then writes Y in the final layout, one pass instead of two or three copies.
 * Neither intermediate value may be a graph output. Each fold is independent; anything else
 * keeps its nodes. The recurrent operator reads the flags from `OpContext.folded`.
 */
import { type FoldedLayout, NodeInfo } from './ops/context.js';
import type { NDArray } from './values.js';

const RECURRENT = new Set(['RNN', 'LSTM', 'GRU']);

/** Operators whose output depends on their input's shape only, never on its values. */
export function isShapeOperator(op: string): boolean {
  return op === 'Shape' || op === 'Size';
}

interface Step {
  info: NodeInfo;
}

function isTranspose(info: NodeInfo, expected: readonly number[]): boolean {
  if (info.node.op_type !== 'Transpose') return false;
  const perm = safe(() => info.attrs.ints('perm'));
  return perm !== undefined && perm.length === expected.length && perm.every((p, i) => p === expected[i]);
}

const isSwapOfFirstTwo = (info: NodeInfo) => isTranspose(info, [1, 0, 2]);

/** A Reshape to [0, 0, -1] (keep the first two dims, merge the rest), from a constant shape. */
function isMergeOfLastDims(info: NodeInfo, constants: ReadonlyMap<string, NDArray>): boolean {
  if (info.node.op_type !== 'Reshape' || safe(() => info.attrs.int('allowzero', 0)) !== 0) return false;
  const shapeName = info.node.input?.[1];
  const shape = shapeName ? constants.get(shapeName)?.data : undefined;
  return shape !== undefined && shape.length === 3 && shape[0] === 0 && shape[1] === 0 && shape[2] === -1;
}

/** A Squeeze of axis 1 (or -3) only, of a rank-4 value. */
function isSqueezeOfAxis1(info: NodeInfo, constants: ReadonlyMap<string, NDArray>): boolean {
  if (info.node.op_type !== 'Squeeze') return false;
  const axesName = info.node.input?.[1];
  const axes = axesName ? constants.get(axesName)?.data : safe(() => info.attrs.ints('axes'));
  return axes !== undefined && axes.length === 1 && (Number(axes[0]) === 1 || Number(axes[0]) === -3);
}

/** The value of `read`, or undefined when it throws (a malformed attribute stays for run time to report). */
function safe<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/**
 * The plan with the layout nodes around recurrent nodes folded in (see the top of this file).
 * `steps` are in run order; `constants` holds initializers and values computed at load;
 * `remake` gives a step with a new NodeInfo.
 */
export function foldRecurrentLayouts<S extends Step>(
  steps: readonly S[],
  constants: ReadonlyMap<string, NDArray>,
  graphOutputs: ReadonlySet<string>,
  remake: (step: S, info: NodeInfo) => S,
): S[] {
  const readers = new Map<string, { step: number; slot: number }[]>();
  const producer = new Map<string, number>();
  steps.forEach((s, i) => {
    (s.info.node.input ?? []).forEach((name, slot) => {
      if (!name) return;
      const list = readers.get(name) ?? [];
      list.push({ step: i, slot });
      readers.set(name, list);
    });
    for (const name of s.info.node.output ?? []) if (name) producer.set(name, i);
  });
  /** The one node reading `name` (at slot 0), when `name` is not a graph output. */
  const soleReader = (name: string | undefined): number | null => {
    if (!name || graphOutputs.has(name)) return null;
    const list = readers.get(name);
    return list && list.length === 1 && list[0]!.slot === 0 ? list[0]!.step : null;
  };
  const dropped = new Set<number>();
  const result = [...steps];
  steps.forEach((step, i) => {
    const { node } = step.info;
    if (!RECURRENT.has(node.op_type ?? '') || safe(() => step.info.attrs.int('layout', 0)) !== 0) return;
    const inputs = [...(node.input ?? [])];
    const outputs = [...(node.output ?? [])];
    const folded: FoldedLayout = { batchFirstX: false, batchFirstY: false };

    const transposeIn = inputs[0] ? producer.get(inputs[0]) : undefined;
    if (transposeIn !== undefined && soleReader(inputs[0]) === i && isSwapOfFirstTwo(steps[transposeIn]!.info)) {
      inputs[0] = steps[transposeIn]!.info.node.input![0]!;
      dropped.add(transposeIn);
      folded.batchFirstX = true;
    }

    const squeeze =
      safe(() => step.info.attrs.string('direction', 'forward')) !== 'bidirectional' ? soleReader(outputs[0]) : null;
    if (squeeze !== null && isSqueezeOfAxis1(steps[squeeze]!.info, constants)) {
      const squeezed = steps[squeeze]!.info.node.output?.[0];
      const transposeOut = soleReader(squeezed);
      if (transposeOut !== null && isSwapOfFirstTwo(steps[transposeOut]!.info)) {
        outputs[0] = steps[transposeOut]!.info.node.output![0]!;
        dropped.add(squeeze);
        dropped.add(transposeOut);
        folded.batchFirstY = true;
      }
    }
    const swap = folded.batchFirstY ? null : soleReader(outputs[0]);
    if (swap !== null && isTranspose(steps[swap]!.info, [0, 2, 1, 3])) {
      const reshape = soleReader(steps[swap]!.info.node.output?.[0]);
      if (reshape !== null && isMergeOfLastDims(steps[reshape]!.info, constants)) {
        outputs[0] = steps[reshape]!.info.node.output![0]!;
        dropped.add(swap);
        dropped.add(reshape);
        folded.mergedY = true;
        const transposeOut = soleReader(outputs[0]);
        if (transposeOut !== null && isSwapOfFirstTwo(steps[transposeOut]!.info)) {
          outputs[0] = steps[transposeOut]!.info.node.output![0]!;
          dropped.add(transposeOut);
          folded.batchFirstY = true;
        }
      }
    }
    if (!folded.batchFirstX && !folded.batchFirstY && !folded.mergedY) return;
    result[i] = remake(
      step,
      new NodeInfo({ ...node, input: inputs, output: outputs }, step.info.index, step.info.file, folded),
    );
  });
  return result.filter((_, i) => !dropped.has(i));
}
