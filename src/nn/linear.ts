/**
 * Linear: `y = x · Wᵀ + b`, applied to the last dim.
 *   input  (..., inFeatures)
 *   output (..., outFeatures)
 *   weight (outFeatures, inFeatures), bias (outFeatures)
 * Init as PyTorch: U(-1/√inFeatures, 1/√inFeatures) for weight and bias.
 */
import { ShapeError, ValueError } from '../errors.js';
import type { Generator } from '../tensor/random.js';
import type { Shape } from '../tensor/shape.js';
import type { FeatureInput, WithLastDim } from '../tensor/shape-types.js';
import { matmulTransposed } from '../tensor/ops/matmul.js';
import type { Tensor } from '../tensor/tensor.js';
import { uniformParameter } from './init.js';
import { Module } from './module.js';

export interface LinearOptions {
  /** Size of each input's last dim. */
  inFeatures: number;
  /** Size of each output's last dim. */
  outFeatures: number;
  /** Add a learned bias (default true). */
  bias?: boolean;
  /** Generator for the initial weights (default: the global one). */
  generator?: Generator;
}

/**
 * `In` and `Out` are inFeatures and outFeatures as types (literals when the options are literals),
 * so `x: Tensor<[4, 20, In]>` gives `Tensor<[4, 20, Out]>` (see docs/typed-shapes.md).
 */
export class Linear<In extends number = number, Out extends number = number> extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(options: LinearOptions & { inFeatures: In; outFeatures: Out }) {
    super();
    const { inFeatures, outFeatures } = options;
    for (const [name, v] of [
      ['inFeatures', inFeatures],
      ['outFeatures', outFeatures],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0)
        throw new ValueError('Linear', `${name} must be a positive integer, got ${v}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = this.registerParameter(
      'weight',
      uniformParameter([outFeatures, inFeatures], bound, options.generator),
    );
    this.bias =
      options.bias === false
        ? null
        : this.registerParameter('bias', uniformParameter([outFeatures], bound, options.generator));
  }

  override describe(): string {
    return `Linear(inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures})`;
  }

  /** x (..., inFeatures) -> (..., outFeatures) */
  forward<S extends Shape>(x: FeatureInput<S, In>): Tensor<WithLastDim<S, Out>>;
  forward(x: Tensor): Tensor {
    const last = x.shape[x.shape.length - 1];
    if (x.rank === 0 || last !== this.inFeatures) {
      throw new ShapeError({
        where: this.describe(),
        what: `input dim ${x.rank - 1} (features)`,
        expected: this.inFeatures,
        actual: last ?? 'a scalar',
      });
    }
    const y = matmulTransposed(x, this.weight);
    return this.bias ? y.add(this.bias) : y;
  }
}
