// Generated from the cell-family table (src/families.ts) by scripts/kinds-codegen.mjs. Do not edit.

export const KIND_RNN_TANH: i32 = 0;
export const KIND_RNN_RELU: i32 = 1;
export const KIND_LSTM: i32 = 2;
export const KIND_GRU: i32 = 3;

/** Gate blocks G of a kind (weights are (G*H, ·)). */
@inline export function gatesOf(kind: i32): i32 {
  return kind == 0 ? 1 : kind == 1 ? 1 : kind == 2 ? 4 : 3;
}

/** Floats cached per row and step for backward, in units of H. */
@inline export function cacheBlocksOf(kind: i32): i32 {
  return kind == 0 ? 1 : kind == 1 ? 1 : kind == 2 ? 5 : 4;
}
