/** Parameter initialisation, following PyTorch's distributions from a seeded generator. */
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { type Shape, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/** Uniform(-bound, bound), the distribution PyTorch uses for Linear and recurrent weights. */
export function uniformParameter(shape: Shape, bound: number, generator: Generator = defaultGenerator): Tensor {
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = generator.uniform(-bound, bound);
  return new Tensor(data, shape, { requiresGrad: true });
}

/** Standard normal, PyTorch's default for Embedding. */
export function normalParameter(shape: Shape, generator: Generator = defaultGenerator): Tensor {
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = generator.normal();
  return new Tensor(data, shape, { requiresGrad: true });
}
