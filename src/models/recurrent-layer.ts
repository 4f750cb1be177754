/** Picking a recurrent layer by name, with one call shape for all three families. */
import { ValueError } from '../errors.js';
import { CELL_FAMILIES, type CellFamily } from '../families.js';

import type { RecurrentForwardOptions } from '../nn/recurrent/base.js';
import { GRU } from '../nn/recurrent/gru.js';
import { LSTM } from '../nn/recurrent/lstm.js';
import type { RecurrentOptions } from '../nn/recurrent/options.js';
import { RNN } from '../nn/recurrent/rnn.js';
import type { Tensor } from '../tensor/tensor.js';

export type RecurrentLayer = RNN | LSTM | GRU;

/** The recurrent state carried between calls: h, and c for LSTM. */
export interface RecurrentState {
  /** (numLayers*D, batch, H) */
  h: Tensor;
  /** (numLayers*D, batch, H), LSTM only */
  c: Tensor | null;
}

/** The nn module of each family (a new row of the table must add its class here: the type says so). */
const MODULES: Record<CellFamily, new (options: RecurrentOptions) => RecurrentLayer> = {
  rnn: RNN,
  lstm: LSTM,
  gru: GRU,
};

export function createRecurrent(cell: CellFamily, options: RecurrentOptions): RecurrentLayer {
  if (typeof cell !== 'string' || !Object.hasOwn(MODULES, cell))
    throw new ValueError('createRecurrent', `cell must be one of ${CELL_FAMILIES.join(', ')}, got ${String(cell)}`);
  return new MODULES[cell](options);
}

/** Runs any of the three with the same call: x (batch, time, features) when batchFirst. */
export function runRecurrent(
  layer: RecurrentLayer,
  x: Tensor,
  options: RecurrentForwardOptions & { state?: RecurrentState | null } = {},
): { output: Tensor; state: RecurrentState } {
  const { state, ...rest } = options;
  const forwardOptions: RecurrentForwardOptions = { ...rest };
  if (state) {
    forwardOptions.h = state.h;
    if (state.c) forwardOptions.c = state.c;
  }
  const result = (layer as LSTM).forward(x, forwardOptions) as { output: Tensor; h: Tensor; c?: Tensor };
  return { output: result.output, state: { h: result.h, c: result.c ?? null } };
}
