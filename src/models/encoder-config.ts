/** Configuration shared by the ready architectures that read a sequence with an RNN. */
import { ShapeError, ValueError } from '../errors.js';
import type { Embedding } from '../nn/embedding.js';
import type { Tensor } from '../tensor/tensor.js';
import { CELL_FAMILIES, type CellFamily } from '../families.js';

export interface SequenceEncoderConfig {
  /** Token input: vocabulary size, id 0 is padding (0 for feature input). */
  vocabSize?: number;
  /** Token input: embedding size (default 32). */
  embeddingDim?: number;
  /** Feature input: features per step (used when vocabSize is 0). */
  inputSize?: number;
  /** Recurrent family (default 'lstm'). */
  cell?: CellFamily;
  /** Hidden size H (default 64). */
  hiddenSize?: number;
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Read the sequence in both directions (default false). */
  bidirectional?: boolean;
  /** Dropout between layers and before the head, in training only (default 0). */
  dropout?: number;
}

export function resolveEncoderConfig(where: string, c: SequenceEncoderConfig): Required<SequenceEncoderConfig> {
  const vocabSize = c.vocabSize ?? 0;
  const inputSize = c.inputSize ?? 0;
  if (vocabSize <= 0 && inputSize <= 0)
    throw new ValueError(where, 'give vocabSize (token input) or inputSize (feature input)');
  const cell = c.cell ?? 'lstm';
  if (!CELL_FAMILIES.includes(cell))
    throw new ValueError(where, `cell must be one of ${CELL_FAMILIES.join(', ')}, got ${String(cell)}`);
  return {
    vocabSize,
    embeddingDim: c.embeddingDim ?? 32,
    inputSize,
    cell,
    hiddenSize: c.hiddenSize ?? 64,
    numLayers: c.numLayers ?? 1,
    bidirectional: c.bidirectional ?? false,
    dropout: c.dropout ?? 0,
  };
}

/**
 * Token ids (batch, time) through the embedding, or features (batch, time, inputSize) checked.
 * With `timeMajor`, the result is (time, batch, E or inputSize): ids are transposed before the
 * embedding (a copy of batch x time ids, not of the embedded vectors).
 */
export function embedOrCheck(
  where: string,
  embedding: Embedding | null,
  inputSize: number,
  x: Tensor,
  timeMajor = false,
): Tensor {
  if (embedding) {
    if (x.rank !== 2)
      throw new ShapeError({ where, what: 'token input rank', expected: '2 (batch, time)', actual: x.rank });
    return embedding.forward(timeMajor ? x.transpose(0, 1) : x);
  }
  if (x.rank !== 3)
    throw new ShapeError({ where, what: 'input rank', expected: '3 (batch, time, features)', actual: x.rank });
  if (x.shape[2] !== inputSize)
    throw new ShapeError({ where, what: 'input dim 2 (features)', expected: inputSize, actual: x.shape[2]! });
  return timeMajor ? x.transpose(0, 1) : x;
}

/** The last layer's final state of every direction: h (numLayers*D, batch, H) -> (batch, D*H). */
export function finalStates(h: Tensor, numLayers: number, bidirectional: boolean): Tensor {
  const directions = bidirectional ? 2 : 1;
  const last = h.slice(0, (numLayers - 1) * directions, numLayers * directions); // (D, batch, H)
  const batch = h.shape[1]!;
  return last.permute([1, 0, 2]).reshape([batch, directions * h.shape[2]!]);
}
