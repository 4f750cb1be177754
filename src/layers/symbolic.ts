/**
 * Symbolic tensors: placeholders with a shape (batch `null`) that record which layer produced
 * them. Applying layers to them builds a graph; `model({ inputs, outputs })` runs that graph
 * on data. Eager tensors produced by layers may carry a mask (see `maskOf`).
 */
import type { Tensor } from '../tensor/tensor.js';
import { formatSymbolicShape, type SymbolicShape } from './shape.js';

/** The layer type as the graph sees it (kept structural to avoid an import cycle). */
export interface GraphLayer {
  readonly name: string;
  readonly className: string;
}

/** One application of a layer: which symbolic tensors went in and which came out. */
export class LayerNode {
  readonly outputs: SymbolicTensor[] = [];
  constructor(
    readonly layer: GraphLayer,
    /** Inputs in call order (for recurrent layers: the sequence, then any initial states). */
    readonly inputs: readonly SymbolicTensor[],
    /** Whether the layer was given one tensor rather than a list (decides what `call` receives). */
    readonly singleInput: boolean,
    /** Whether the layer returned one tensor rather than a list. */
    readonly singleOutput: boolean,
  ) {}
}

/** A placeholder for a tensor of a known symbolic shape: `(None, 10, 20)`. */
export class SymbolicTensor {
  constructor(
    /** Batch first; null where the size is only known at run time. */
    readonly shape: SymbolicShape,
    /** The layer application that produces it. */
    readonly node: LayerNode,
    /** Which output of that node it is. */
    readonly index: number,
  ) {}

  /** Number of dims, batch included. */
  get rank(): number {
    return this.shape.length;
  }

  /** `lstm_1[0][1]`-style reference: the producing layer and the output index. */
  get name(): string {
    return `${this.node.layer.name}:${this.index}`;
  }

  toString(): string {
    return `SymbolicTensor(${this.name}, shape=${formatSymbolicShape(this.shape)})`;
  }
}

/** Masks attached to eager tensors returned by layers (Keras's `_keras_mask`). */
const masks = new WeakMap<Tensor, Tensor>();

/**
 * The mask a layer attached to a tensor it returned on an eager call: `(batch, time)` of 0/1,
 * 1 where the step is real. Null when there is none.
 */
export function maskOf(tensor: Tensor): Tensor | null {
  return masks.get(tensor) ?? null;
}

/** Attaches (or, with null, leaves off) a mask for the next layer of an eager chain. */
export function attachMask(tensor: Tensor, mask: Tensor | null): void {
  if (mask) masks.set(tensor, mask);
}
