/**
 * Reverse-mode automatic differentiation.
 *
 * Every differentiable op creates one {@link GradNode} that remembers its inputs and a
 * closure computing the gradients of its inputs from the gradients of its outputs. A node may
 * have several outputs (the fused recurrent layer returns output, h and c), so gradients are
 * collected per node and output index. `backward()` visits nodes in reverse topological order.
 *
 * Gradient rule contract: `backward(outputGrads)` gets one array per output (zeros for an
 * output nothing depended on) and returns one array per input (or null when that input needs
 * none). It may return an array it received; the engine never writes into arrays it does not own.
 */
import { getBackend } from '../backend/backend.js';
import { GradientError } from '../errors.js';
import type { Tensor } from './tensor.js';

export type BackwardFn = (outputGrads: Float32Array[]) => (Float32Array | null)[];

export class GradNode {
  constructor(
    /** The op's name, shown in errors and debugging. */
    readonly name: string,
    readonly inputs: readonly Tensor[],
    /** Element count of each output, to make zero gradients for unused outputs. */
    readonly outputSizes: readonly number[],
    readonly backward: BackwardFn,
  ) {}
}

let gradEnabled = true;

/** Whether ops currently record the graph (false inside {@link noGrad}). */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording the graph: results never require grad. Like `torch.no_grad()`. */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/** Whether an op on these inputs must record a node. */
export function needsGrad(inputs: readonly Tensor[]): boolean {
  return gradEnabled && inputs.some((t) => t.requiresGrad);
}

/** Below this many elements the loop here beats crossing into a backend's kernel. */
const KERNEL_ADD_MIN = 4096;

/**
 * target += source. Gradients of weights used at every decoder step, and of the encoder outputs
 * that attention reads at every step, are summed here once per step: with a backend's `addInto`
 * (native: vectorized), large sums cost a fraction of this loop's time, with the same float32
 * additions.
 */
function addInto(target: Float32Array, source: Float32Array): void {
  if (target.length >= KERNEL_ADD_MIN) {
    const backend = getBackend();
    if (backend.addInto) {
      backend.addInto(target, source);
      return;
    }
  }
  for (let i = 0; i < target.length; i++) target[i]! += source[i]!;
}

/** Sorts the nodes reachable from `root` so that every node comes after the nodes it feeds. */
function topologicalOrder(root: GradNode): GradNode[] {
  const order: GradNode[] = [];
  const visited = new Set<GradNode>();
  // Iterative DFS: recurrent graphs can be thousands of nodes deep.
  const stack: { node: GradNode; next: number }[] = [{ node: root, next: 0 }];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const inputs = top.node.inputs;
    if (top.next < inputs.length) {
      const child = inputs[top.next++]!.gradNode;
      if (child && !visited.has(child)) {
        visited.add(child);
        stack.push({ node: child, next: 0 });
      }
    } else {
      order.push(top.node);
      stack.pop();
    }
  }
  return order; // inputs first, root last
}

/** Accumulates `grad` into the leaf's `.grad`, owning a copy. */
function accumulateLeaf(leaf: Tensor, grad: Float32Array, makeGrad: (data: Float32Array) => Tensor): void {
  if (leaf.grad === null) leaf.grad = makeGrad(Float32Array.from(grad));
  else addInto(leaf.grad.data, grad);
}

/**
 * Backpropagates from `root` with seed gradient `seed` (same size as root), accumulating into
 * the `.grad` of every leaf that requires grad.
 */
export function runBackward(
  root: Tensor,
  seed: Float32Array,
  makeGrad: (data: Float32Array, shape: readonly number[]) => Tensor,
): void {
  if (!root.requiresGrad) {
    throw new GradientError('backward(): this tensor does not require grad; create inputs with { requiresGrad: true }');
  }
  const rootNode = root.gradNode;
  if (!rootNode) {
    accumulateLeaf(root, seed, (d) => makeGrad(d, root.shape));
    return;
  }
  const pending = new Map<GradNode, (Float32Array | null)[]>();
  // Arrays the engine allocated itself, so it may add into them in place.
  const owned = new Set<Float32Array>();
  const slots = (node: GradNode) => {
    let s = pending.get(node);
    if (!s) {
      s = new Array<Float32Array | null>(node.outputSizes.length).fill(null);
      pending.set(node, s);
    }
    return s;
  };
  slots(rootNode)[root.outputIndex] = seed;

  const order = topologicalOrder(rootNode);
  for (let k = order.length - 1; k >= 0; k--) {
    const node = order[k]!;
    const grads = pending.get(node);
    if (!grads) continue;
    pending.delete(node);
    const full = grads.map((g, i) => g ?? new Float32Array(node.outputSizes[i]!));
    const inputGrads = node.backward(full);
    node.inputs.forEach((input, i) => {
      const g = inputGrads[i];
      if (!g || !input.requiresGrad) return;
      const parent = input.gradNode;
      if (!parent) {
        accumulateLeaf(input, g, (d) => makeGrad(d, input.shape));
        return;
      }
      const s = slots(parent);
      const existing = s[input.outputIndex];
      if (!existing) {
        s[input.outputIndex] = g;
      } else if (owned.has(existing)) {
        addInto(existing, g);
      } else {
        const sum = Float32Array.from(existing);
        addInto(sum, g);
        owned.add(sum);
        s[input.outputIndex] = sum;
      }
    });
  }
}
