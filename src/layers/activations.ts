/**
 * Activations by Keras name, built from differentiable tensor ops. Any `(x: Tensor) => Tensor`
 * may be passed instead of a name.
 *
 *   linear x · tanh · sigmoid 1/(1+e^-x) · relu max(x, 0) · softmax (last axis)
 *   hardSigmoid clip(0.2x + 0.5, 0, 1)   (TF.js's and Keras 2's; Keras 3 uses relu6(x + 3)/6)
 *   softplus log(1 + e^x) · softsign x/(1 + |x|) · elu (α = 1) · selu · swish x·sigmoid(x)
 */
import { ValueError } from '../errors.js';
import { where } from '../tensor/ops/elementwise.js';
import { Tensor } from '../tensor/tensor.js';

export type ActivationName =
  | 'linear'
  | 'tanh'
  | 'sigmoid'
  | 'hardSigmoid'
  | 'relu'
  | 'softmax'
  | 'softplus'
  | 'softsign'
  | 'elu'
  | 'selu'
  | 'swish';
/** A Keras activation name or a function of a tensor. */
export type Activation = ActivationName | ((x: Tensor) => Tensor);

const positive = (x: Tensor): Tensor =>
  new Tensor(
    x.data.map((v) => (v > 0 ? 1 : 0)),
    x.shape,
  );
// exp of min(x, 0): finite everywhere, so the unused branch never makes a NaN gradient.
const elu = (x: Tensor): Tensor => where(positive(x), x, x.clamp(undefined, 0).exp().sub(1));

const table: Record<ActivationName, (x: Tensor) => Tensor> = {
  linear: (x) => x,
  tanh: (x) => x.tanh(),
  sigmoid: (x) => x.sigmoid(),
  hardSigmoid: (x) => x.mul(0.2).add(0.5).clamp(0, 1),
  relu: (x) => x.relu(),
  softmax: (x) => x.softmax(-1),
  // relu(x) + log(1 + e^-|x|): no overflow for large |x|.
  softplus: (x) => x.relu().add(x.abs().neg().exp().add(1).log()),
  softsign: (x) => x.div(x.abs().add(1)),
  elu,
  selu: (x) =>
    where(positive(x), x, x.clamp(undefined, 0).exp().sub(1).mul(1.6732632423543772)).mul(1.0507009873554805),
  swish: (x) => x.mul(x.sigmoid()),
};

/** The function of an activation; throws a ValueError naming the layer for an unknown name. */
export function resolveActivation(where: string, option: string, activation: Activation): (x: Tensor) => Tensor {
  if (typeof activation === 'function') return activation;
  const f = table[activation];
  if (!f)
    throw new ValueError(
      where,
      `${option} '${String(activation)}' is unknown; use one of ${Object.keys(table).join(', ')} or a function`,
    );
  return f;
}

/** The name to show for an activation (functions show their own name or 'custom'). */
export function activationName(activation: Activation): string {
  return typeof activation === 'function' ? activation.name || 'custom' : activation;
}
