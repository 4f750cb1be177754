// Generated from the cell-family table (src/families.ts) by scripts/kinds-codegen.mjs. Do not edit.
#pragma once

namespace rn {

enum CellCode { CELL_RNN_TANH = 0, CELL_RNN_RELU = 1, CELL_LSTM = 2, CELL_GRU = 3 };
constexpr int CELL_KIND_COUNT = 4;

// Gate blocks G of a kind (weights are (G*H, ·)).
inline int gates_of(int kind) {
  switch (kind) {
    case 0: return 1;
    case 1: return 1;
    case 2: return 4;
    case 3: return 3;
    default: return 0;
  }
}

// Floats cached per row and step for backward.
inline int cache_width_of(int kind, int h) {
  switch (kind) {
    case 0: return 1 * h;
    case 1: return 1 * h;
    case 2: return 5 * h;
    case 3: return 4 * h;
    default: return 0;
  }
}

}  // namespace rn
