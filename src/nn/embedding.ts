/**
 * Embedding: a lookup table of vectors.
 *   indices (...) integers in [0, numEmbeddings)
 *   output  (..., embeddingDim)
 *   weight  (numEmbeddings, embeddingDim), init N(0, 1) as PyTorch
 * With `paddingIdx`, that row starts at zero and never receives gradient.
 */
import { ValueError } from '../errors.js';
import { opResult } from '../tensor/ops/result.js';
import type { Generator } from '../tensor/random.js';
import type { Shape } from '../tensor/shape.js';
import type { AppendDim, IsAny } from '../tensor/shape-types.js';
import { Tensor } from '../tensor/tensor.js';
import { normalParameter } from './init.js';
import { Module } from './module.js';

export interface EmbeddingOptions {
  /** Vocabulary size: rows of the table. */
  numEmbeddings: number;
  /** Length of each vector. */
  embeddingDim: number;
  /** A row that stays zero and gets no gradient (negative counts from the end). */
  paddingIdx?: number;
  generator?: Generator;
}

/**
 * The output shape of `forward` for indices of type `I`: `(..., Dim)` for a Tensor, `(length, Dim)`
 * for an array (`number` for the length of an array of unknown length).
 */
export type EmbeddingShape<I, Dim extends number> =
  IsAny<I> extends true
    ? Shape
    : I extends Tensor<infer S>
      ? AppendDim<S, Dim>
      : I extends readonly number[]
        ? [I['length'], Dim]
        : never;

/** `Dim` is embeddingDim as a type (a literal when the option is a literal); see docs/typed-shapes.md. */
export class Embedding<Dim extends number = number> extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  readonly weight: Tensor;

  constructor(options: EmbeddingOptions & { embeddingDim: Dim }) {
    super();
    const { numEmbeddings, embeddingDim } = options;
    if (!Number.isInteger(numEmbeddings) || numEmbeddings <= 0)
      throw new ValueError('Embedding', `numEmbeddings must be a positive integer, got ${numEmbeddings}`);
    if (!Number.isInteger(embeddingDim) || embeddingDim <= 0)
      throw new ValueError('Embedding', `embeddingDim must be a positive integer, got ${embeddingDim}`);
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    let padding: number | null = options.paddingIdx ?? null;
    if (padding !== null) {
      if (padding < 0) padding += numEmbeddings;
      if (!Number.isInteger(padding) || padding < 0 || padding >= numEmbeddings) {
        throw new ValueError(
          'Embedding',
          `paddingIdx ${options.paddingIdx} is out of range for ${numEmbeddings} embeddings`,
        );
      }
    }
    this.paddingIdx = padding;
    this.weight = this.registerParameter('weight', normalParameter([numEmbeddings, embeddingDim], options.generator));
    if (padding !== null) this.weight.data.fill(0, padding * embeddingDim, (padding + 1) * embeddingDim);
  }

  override describe(): string {
    return `Embedding(numEmbeddings=${this.numEmbeddings}, embeddingDim=${this.embeddingDim})`;
  }

  /** indices (...) -> (..., embeddingDim). Indices may be a Tensor of integers or an array. */
  forward<const I extends Tensor | readonly number[]>(indices: I): Tensor<EmbeddingShape<I, Dim>>;
  forward(indices: Tensor | readonly number[]): Tensor {
    const idx = indices instanceof Tensor ? indices : new Tensor(Float32Array.from(indices), [indices.length]);
    const dim = this.embeddingDim;
    const w = this.weight;
    const out = new Float32Array(idx.size * dim);
    for (let k = 0; k < idx.size; k++) {
      const row = idx.data[k]!;
      if (!Number.isInteger(row) || row < 0 || row >= this.numEmbeddings) {
        throw new ValueError(
          this.describe(),
          `index ${row} at flat position ${k} is out of range [0, ${this.numEmbeddings})`,
        );
      }
      out.set(w.data.subarray(row * dim, (row + 1) * dim), k * dim);
    }
    return opResult('embedding', [w], out, [...idx.shape, dim], (g) => {
      const gw = new Float32Array(w.size);
      for (let k = 0; k < idx.size; k++) {
        const row = idx.data[k]!;
        if (row === this.paddingIdx) continue;
        for (let j = 0; j < dim; j++) gw[row * dim + j]! += g[k * dim + j]!;
      }
      return [gw];
    });
  }
}
