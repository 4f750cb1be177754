/**
 * Global pooling over time: (batch, time, features) -> (batch, features).
 *
 * Both use the mask of the input when there is one (from `masking` or `embedding({ maskZero })`):
 *   globalAveragePooling1D: sum over real steps / number of real steps (Keras's masked mean;
 *                           a row with no real step gives NaN, as in Keras)
 *   globalMaxPooling1D:     maximum over real steps only (a row with no real step gives -Infinity).
 *                           Keras's GlobalMaxPooling1D ignores the mask; padded steps (zeros
 *                           after `masking`) would otherwise win over negative features.
 */
import { where } from '../tensor/ops/elementwise.js';
import type { Tensor } from '../tensor/tensor.js';
import { type CallContext, firstMask, Layer, type LayerOptions, type Mask, onlyTensor } from './layer.js';
import type { SymbolicShape } from './shape.js';

abstract class GlobalPooling1D extends Layer {
  constructor(options: LayerOptions = {}) {
    super(options);
    this.inputSpec = { rank: 3, rankText: '3 (batch, time, features)' };
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return [inputShape[0]!, inputShape[2]!];
  }

  /** The pooled output consumes the mask. */
  override computeMask(): Mask {
    return null;
  }

  override call(inputs: Tensor | Tensor[], context: CallContext): Tensor {
    const x = onlyTensor(this.name, inputs);
    const mask = firstMask(context.mask);
    return this.pool(x, mask ? mask.unsqueeze(2) : null);
  }

  /** x (batch, time, features), mask (batch, time, 1) or null -> (batch, features) */
  protected abstract pool(x: Tensor, mask: Tensor | null): Tensor;
}

export class GlobalAveragePooling1D extends GlobalPooling1D {
  protected pool(x: Tensor, mask: Tensor | null): Tensor {
    if (!mask) return x.mean(1);
    return x.mul(mask).sum(1).div(mask.sum(1));
  }
}

export class GlobalMaxPooling1D extends GlobalPooling1D {
  protected pool(x: Tensor, mask: Tensor | null): Tensor {
    return (mask ? where(mask, x, -Infinity) : x).max(1);
  }
}

export const globalAveragePooling1D = (options: LayerOptions = {}): GlobalAveragePooling1D =>
  new GlobalAveragePooling1D(options);
export const globalMaxPooling1D = (options: LayerOptions = {}): GlobalMaxPooling1D => new GlobalMaxPooling1D(options);
