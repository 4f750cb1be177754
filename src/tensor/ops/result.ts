/** Builds op results, recording a graph node only when some input requires grad. */
import { GradNode, needsGrad } from '../autograd.js';
import type { Shape } from '../shape.js';
import { Tensor } from '../tensor.js';

/**
 * A single-output op result. `backward(gradOutput)` returns the gradient of each input
 * (null where none is needed); it runs only if the graph was recorded.
 */
export function opResult(
  name: string,
  inputs: readonly Tensor[],
  data: Float32Array,
  shape: Shape,
  backward: (gradOutput: Float32Array) => (Float32Array | null)[],
): Tensor {
  if (!needsGrad(inputs)) return new Tensor(data, shape);
  const node = new GradNode(name, inputs, [data.length], (grads) => backward(grads[0]!));
  return new Tensor(data, shape, { gradNode: node, outputIndex: 0 });
}

/** A multi-output op result, one tensor per `(data, shape)`, sharing one graph node. */
export function multiOpResult(
  name: string,
  inputs: readonly Tensor[],
  outputs: readonly { data: Float32Array; shape: Shape }[],
  backward: (gradOutputs: Float32Array[]) => (Float32Array | null)[],
): Tensor[] {
  if (!needsGrad(inputs)) return outputs.map((o) => new Tensor(o.data, o.shape));
  const node = new GradNode(
    name,
    inputs,
    outputs.map((o) => o.data.length),
    backward,
  );
  return outputs.map((o, i) => new Tensor(o.data, o.shape, { gradNode: node, outputIndex: i }));
}

/** Gradient of an input that needs it, else null (saves work in backward rules). */
export function wants(t: Tensor): boolean {
  return t.requiresGrad;
}
