/** The tensor layer: data, creation, ops and autograd. */
export { Tensor, type NestedArray } from './tensor.js';
export {
  tensor,
  zeros,
  ones,
  full,
  arange,
  randn,
  uniform,
  type TensorOptions,
  type RandomOptions,
} from './creation.js';
export { noGrad, isGradEnabled } from './autograd.js';
export { Generator, manualSeed, defaultGenerator } from './random.js';
export {
  add,
  sub,
  mul,
  div,
  neg,
  exp,
  log,
  sqrt,
  abs,
  pow,
  clamp,
  tanh,
  sigmoid,
  relu,
  maskedFill,
  where,
} from './ops/elementwise.js';
export { sum, mean, max, argmax } from './ops/reduce.js';
export { softmax, logSoftmax } from './ops/softmax.js';
export {
  reshape,
  permute,
  transpose,
  slice,
  select,
  unsqueeze,
  squeeze,
  expand,
  concat,
  stack,
  indexSelect,
  gather,
} from './ops/layout.js';
export { matmul } from './ops/matmul.js';
export { sizeOf, formatShape, type Shape } from './shape.js';
