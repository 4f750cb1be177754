/** Options shared by RNN, LSTM and GRU, their validation, and PyTorch's parameter names. */
import { ValueError } from '../../errors.js';
import type { Generator } from '../../tensor/random.js';

export interface RecurrentOptions {
  /** Features per time step of the input (H_in). */
  inputSize: number;
  /** Features of the hidden state (H). */
  hiddenSize: number;
  /** Stacked layers; layer k > 0 reads layer k-1's output (default 1). */
  numLayers?: number;
  /** Use b_ih and b_hh (default true). */
  bias?: boolean;
  /** Input and output are `(batch, time, features)` instead of `(time, batch, features)` (default false). h and c are never batch-first. */
  batchFirst?: boolean;
  /** Dropout probability on each layer's output except the last, in training mode only (default 0). */
  dropout?: number;
  /** Add a reverse-time direction to every layer (default false). */
  bidirectional?: boolean;
  /** Generator for the initial weights and for dropout (default: the global one). */
  generator?: Generator;
}

/** Fully resolved options. */
export interface ResolvedRecurrentOptions {
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bias: boolean;
  batchFirst: boolean;
  dropout: number;
  bidirectional: boolean;
  /** LSTM projection size, 0 when none. */
  projSize: number;
}

function positiveInteger(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ValueError(where, `${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

export function resolveOptions(where: string, options: RecurrentOptions, projSize = 0): ResolvedRecurrentOptions {
  if (options === null || typeof options !== 'object')
    throw new ValueError(where, 'options must be an object such as { inputSize: 10, hiddenSize: 20 }');
  const inputSize = positiveInteger(where, 'inputSize', options.inputSize);
  const hiddenSize = positiveInteger(where, 'hiddenSize', options.hiddenSize);
  const numLayers = positiveInteger(where, 'numLayers', options.numLayers ?? 1);
  const dropout = options.dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout <= 1)) {
    throw new ValueError(where, `dropout must be a number in [0, 1], got ${String(dropout)}`);
  }
  if (!Number.isInteger(projSize) || projSize < 0)
    throw new ValueError(where, `projSize must be a non-negative integer, got ${projSize}`);
  if (projSize >= hiddenSize)
    throw new ValueError(where, `projSize (${projSize}) must be smaller than hiddenSize (${hiddenSize})`);
  return {
    inputSize,
    hiddenSize,
    numLayers,
    bias: options.bias ?? true,
    batchFirst: options.batchFirst ?? false,
    dropout,
    bidirectional: options.bidirectional ?? false,
    projSize,
  };
}

/** PyTorch's parameter name, e.g. `weight_hh_l1_reverse`. */
export function parameterName(
  kind: 'weight_ih' | 'weight_hh' | 'bias_ih' | 'bias_hh' | 'weight_hr',
  layer: number,
  direction: number,
): string {
  return `${kind}_l${layer}${direction === 1 ? '_reverse' : ''}`;
}
