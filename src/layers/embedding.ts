/**
 * Embedding: integer ids to vectors.
 *   input  (batch, time) integers in [0, inputDim)      ->  output (batch, time, outputDim)
 *   weight `embeddings` (inputDim, outputDim), init U(-0.05, 0.05) as Keras
 * With `maskZero`, id 0 is padding: the layer makes the mask (batch, time) = (id != 0) that the
 * recurrent layers and pooling after it use, so `inputDim` must count the padding id (vocabulary
 * size + 1).
 */
import { ValueError } from '../errors.js';
import type { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { positiveInteger } from './core.js';
import type { Initializer } from './initializers.js';
import { Layer, type LayerOptions, type Mask, onlyTensor } from './layer.js';
import type { SymbolicShape } from './shape.js';

export interface EmbeddingOptions extends LayerOptions {
  /** Number of ids (vocabulary size, plus 1 for the padding id 0 with `maskZero`). */
  inputDim: number;
  /** Length of each vector. */
  outputDim: number;
  /** Treat id 0 as padding and mask it (default false). */
  maskZero?: boolean;
  /** Default 'uniform' (U(-0.05, 0.05)). */
  embeddingsInitializer?: Initializer;
  generator?: Generator;
}

export class Embedding extends Layer {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly maskZero: boolean;
  private readonly initializer: Initializer;
  embeddings: Tensor | null = null;

  constructor(options: EmbeddingOptions) {
    super(options);
    this.inputDim = positiveInteger(this.name, 'inputDim', options?.inputDim);
    this.outputDim = positiveInteger(this.name, 'outputDim', options.outputDim);
    this.maskZero = options.maskZero ?? false;
    this.initializer = options.embeddingsInitializer ?? 'uniform';
    if (options.generator) this.generator = options.generator;
  }

  override build(): void {
    this.embeddings = this.addWeight('embeddings', [this.inputDim, this.outputDim], this.initializer);
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    const ids = onlyTensor(this.name, inputs);
    for (let k = 0; k < ids.size; k++) {
      const id = ids.data[k]!;
      if (!Number.isInteger(id) || id < 0 || id >= this.inputDim) {
        throw new ValueError(
          this.name,
          `id ${id} at flat position ${k} is out of range [0, ${this.inputDim}); inputDim must exceed the largest id${this.maskZero ? ' (count the padding id 0)' : ''}`,
        );
      }
    }
    return this.embeddings!.indexSelect(0, ids.data).reshape([...ids.shape, this.outputDim]);
  }

  override computeMask(inputs: Tensor | Tensor[]): Mask {
    if (!this.maskZero) return null;
    const ids = onlyTensor(this.name, inputs);
    return new Tensor(
      ids.data.map((v) => (v !== 0 ? 1 : 0)),
      ids.shape,
    );
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return [...inputShape, this.outputDim];
  }
}

export const embedding = (options: EmbeddingOptions): Embedding => new Embedding(options);
