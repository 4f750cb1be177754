/**
 * Core layers: `input`, `dense`, `dropout`, `masking`.
 *
 *   input({ shape: [time, features] })   -> a symbolic (None, time, features)
 *   dense({ units })                     (..., inputDim) -> (..., units); kernel (inputDim, units), bias (units)
 *   dropout({ rate })                    any shape, unchanged; active only in training
 *   masking({ maskValue })               (batch, time, features) unchanged, except that steps whose
 *                                        features all equal maskValue become zeros; makes the mask
 *                                        (batch, time) that recurrent layers and pooling use
 */
import { ValueError } from '../errors.js';
import { dropout as dropoutOp } from '../nn/dropout.js';
import type { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { type Activation, activationName, resolveActivation } from './activations.js';
import type { Initializer } from './initializers.js';
import { type CallContext, Layer, type LayerOptions, type Mask, onlyTensor } from './layer.js';
import { type SymbolicShape } from './shape.js';
import { LayerNode, SymbolicTensor } from './symbolic.js';

export function positiveInteger(where: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ValueError(where, `${option} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

export function rate(where: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value < 1))
    throw new ValueError(where, `${option} must be a number in [0, 1), got ${String(value)}`);
  return value;
}

// ---------------------------------------------------------------------------------------------

export interface InputOptions {
  /** Shape of one sample, without the batch, e.g. `[10, 20]` for (time, features); null for a size known only at run time. */
  shape: SymbolicShape;
  /** A fixed batch size (needed by stateful recurrent layers); default: any. */
  batchSize?: number;
  /** Default `input_layer`, `input_layer_1`, ... */
  name?: string;
}

/** The layer behind `input()`: it passes data through after checking its shape. */
export class InputLayer extends Layer {
  /** Batch first: `(batchSize or None, ...shape)`. */
  readonly shape: SymbolicShape;

  constructor(options: InputOptions) {
    super({ name: options.name });
    if (!options || !Array.isArray(options.shape))
      throw new ValueError('input', 'needs { shape: [...] }, the shape of one sample without the batch');
    options.shape.forEach((d) => {
      if (d !== null && (!Number.isInteger(d) || d <= 0))
        throw new ValueError(this.name, `shape must hold positive integers or null, got [${options.shape.join(', ')}]`);
    });
    if (options.batchSize !== undefined) positiveInteger(this.name, 'batchSize', options.batchSize);
    this.shape = [options.batchSize ?? null, ...options.shape];
    this.inputSpec = {
      rank: this.shape.length,
      sizes: Object.fromEntries(this.shape.flatMap((d, i) => (d === null ? [] : [[i, d]]))),
    };
  }

  override call(x: Tensor | Tensor[]): Tensor {
    return onlyTensor(this.name, x);
  }

  override computeOutputShape(): SymbolicShape {
    return this.shape;
  }
}

/**
 * A symbolic input for the functional API: `input({ shape: [10, 20] })` stands for data of shape
 * `(batch, 10, 20)`. Apply layers to it, then make a model with `model({ inputs, outputs })`.
 */
export function input(options: InputOptions): SymbolicTensor {
  const layer = new InputLayer(options);
  const node = new LayerNode(layer, [], true, true);
  node.outputs.push(new SymbolicTensor(layer.shape, node, 0));
  layer.inboundNodes.push(node);
  return node.outputs[0]!;
}

// ---------------------------------------------------------------------------------------------

export interface DenseOptions extends LayerOptions {
  /** Output features. */
  units: number;
  /** Default 'linear' (none). */
  activation?: Activation;
  /** Add a bias (default true). */
  useBias?: boolean;
  /** Default 'glorotUniform'. */
  kernelInitializer?: Initializer;
  /** Default 'zeros'. */
  biasInitializer?: Initializer;
  /** Generator for the initial weights (default: the global one). */
  generator?: Generator;
}

/** `y = activation(x · kernel + bias)` on the last axis: (..., inputDim) -> (..., units). */
export class Dense extends Layer {
  readonly units: number;
  readonly activation: Activation;
  readonly useBias: boolean;
  private readonly activationFn: (x: Tensor) => Tensor;
  private readonly kernelInitializer: Initializer;
  private readonly biasInitializer: Initializer;
  kernel: Tensor | null = null;
  bias: Tensor | null = null;

  constructor(options: DenseOptions) {
    super(options);
    this.units = positiveInteger(this.name, 'units', options?.units);
    this.activation = options.activation ?? 'linear';
    this.activationFn = resolveActivation(this.name, 'activation', this.activation);
    this.useBias = options.useBias ?? true;
    this.kernelInitializer = options.kernelInitializer ?? 'glorotUniform';
    this.biasInitializer = options.biasInitializer ?? 'zeros';
    if (options.generator) this.generator = options.generator;
    this.supportsMasking = true;
  }

  override build(inputShape: SymbolicShape): void {
    const inputDim = inputShape[inputShape.length - 1];
    if (inputShape.length < 2 || inputDim === null || inputDim === undefined) {
      throw new ValueError(
        this.name,
        `needs an input of rank >= 2 with a known last dim (features), got shape (${inputShape.map((d) => d ?? 'None').join(', ')})`,
      );
    }
    this.kernel = this.addWeight('kernel', [inputDim, this.units], this.kernelInitializer);
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], this.biasInitializer);
    this.inputSpec = { minRank: 2, sizes: { [-1]: inputDim } };
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    const x = onlyTensor(this.name, inputs);
    const inputDim = this.kernel!.shape[0]!;
    let y = x.reshape([-1, inputDim]).matmul(this.kernel!);
    if (this.bias) y = y.add(this.bias);
    return this.activationFn(y.reshape([...x.shape.slice(0, -1), this.units]));
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return [...inputShape.slice(0, -1), this.units];
  }

  override describe(): string {
    return `${this.name} (Dense, units=${this.units}, activation=${activationName(this.activation)})`;
  }
}

/** A fully connected layer; see {@link Dense}. */
export const dense = (options: DenseOptions): Dense => new Dense(options);

// ---------------------------------------------------------------------------------------------

export interface DropoutOptions extends LayerOptions {
  /** Fraction of elements zeroed in training, in [0, 1); the rest are scaled by 1/(1-rate). */
  rate: number;
  /** Generator for the dropout masks (default: the global one). */
  generator?: Generator;
}

/** Dropout: in training, zeroes each element with probability `rate`; identity otherwise. */
export class Dropout extends Layer {
  readonly rate: number;

  constructor(options: DropoutOptions) {
    super(options);
    this.rate = rate(this.name, 'rate', options?.rate);
    if (options.generator) this.generator = options.generator;
    this.supportsMasking = true;
  }

  override call(inputs: Tensor | Tensor[], context: CallContext): Tensor {
    return dropoutOp(onlyTensor(this.name, inputs), this.rate, context.training, this.generator);
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return inputShape;
  }
}

export const dropout = (options: DropoutOptions): Dropout => new Dropout(options);

// ---------------------------------------------------------------------------------------------

export interface MaskingOptions extends LayerOptions {
  /** A step whose features all equal this value is masked (default 0). */
  maskValue?: number;
}

/** The `(batch, time)` mask of a `(batch, time, ...features)` tensor: 1 where some feature differs from `maskValue`. */
export function maskFromValues(x: Tensor, maskValue: number): Tensor {
  const [batch, time] = x.shape as [number, number];
  const features = x.size / (batch * time);
  const mask = new Float32Array(batch * time);
  for (let r = 0; r < batch * time; r++) {
    for (let f = 0; f < features; f++) {
      if (x.data[r * features + f] !== maskValue) {
        mask[r] = 1;
        break;
      }
    }
  }
  return new Tensor(mask, [batch, time]);
}

/**
 * Masks padded time steps: a step whose features all equal `maskValue` is skipped by the
 * recurrent layers that follow (they carry their state over it) and ignored by pooling.
 * Its output equals the input, with masked steps set to zero.
 */
export class Masking extends Layer {
  readonly maskValue: number;

  constructor(options: MaskingOptions = {}) {
    super(options);
    this.maskValue = options.maskValue ?? 0;
    if (typeof this.maskValue !== 'number' || Number.isNaN(this.maskValue))
      throw new ValueError(this.name, `maskValue must be a number, got ${String(this.maskValue)}`);
    this.supportsMasking = true;
    this.inputSpec = { minRank: 3, rankText: '>= 3 (batch, time, features)' };
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    const x = onlyTensor(this.name, inputs);
    const mask = maskFromValues(x, this.maskValue);
    return x.mul(mask.reshape([...mask.shape, ...x.shape.slice(2).map(() => 1)]));
  }

  /** Keras replaces any incoming mask with its own. */
  override computeMask(inputs: Tensor | Tensor[]): Mask {
    return maskFromValues(onlyTensor(this.name, inputs), this.maskValue);
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return inputShape;
  }
}

export const masking = (options: MaskingOptions = {}): Masking => new Masking(options);
