// The time-step loops of one recurrent layer and direction, forward and backward, each in one
// call (the mirrors of inferenceBlock / forwardSaved and backwardThroughTime's per-step loop in
// src/nn/recurrent/fused.ts; a change to one must be made to the other). No LSTM projection.
//
// Shapes (row-major, time-major; B rows, H hidden, G gate blocks, W = G·H, CW = cache floats per
// row): gx (steps of the block, B, W), h and c (B, H), output (T, B, H) (or (B, T, H), and x
// (B, T, I), with the batch-first strides of StepsForward), saved h/c (T, B, H),
// cache (T, B, CW), dgx and dgh (T, B, W), gOut (T, B, H).
#pragma once
#include <cstdint>

#include "kernels.h"

namespace rn {

typedef void (*GemmRunner)(const GemmProblem&);

struct StepsForward {
  int kind, rows, hidden;
  long tStart, count;
  bool reverse;
  long blockFirst;      // time of gx's first step
  const float* gx;      // the block's input projections
  const float* packed;  // W_hhᵀ packed, [H, W]
  const float* bHh;     // [W] or null
  float* h;             // (B, H) in/out
  float* c;             // (B, H) in/out, LSTM
  float* output;        // (T, B, H); rows that ended stay as they are (zeros)
  const int32_t* lengths;
  float* gh;            // (B, W) scratch
  float* hNext;         // (B, H) scratch: the next h (the two alternate)
  float* cNew;          // (B, H) scratch, LSTM
  // Training (all null for inference): before step t, h and c go to savedH/savedC + t·B·H, and
  // the cell's cache to cacheAll + t·B·CW.
  float* savedH;
  float* savedC;
  float* cacheAll;
  double parallelFlops;  // split by rows: the whole call's step GEMMs; by columns: one step's (below: one thread)
  // Optional (x null: gx holds the projections already): the input projection done here, step by
  // step and by the thread that runs the step's rows, so gx is written and read while in that
  // core's cache: gx at t = x_t·W_ihᵀ + b_ih, x (T, B, I), packedIh W_ihᵀ packed [I, W], bIh [W]
  // or null; forward_steps then gives gx a one-step slot of its own (gxOneStep).
  const float* x = nullptr;
  int inputSize = 0;
  const float* packedIh = nullptr;
  const float* bIh = nullptr;
  // Where step t, row b starts in x and output: x + t·xStep + b·xRow, output + t·outStep + b·outRow.
  // Time-major: xStep = B·I, xRow = I, outStep = B·H, outRow = H. Batch-first over `time` steps
  // (x (B, time, I), output (B, time, H)): xStep = I, xRow = time·I, outStep = H, outRow = time·H.
  // The values computed are the same; only where they are read and written changes.
  long xStep = 0, xRow = 0, outStep = 0, outRow = 0;
  // Set by forward_steps itself: gx is one (B, W) slot that every step reuses.
  bool gxOneStep = false;
};

// `count` steps t = tStart, tStart ± 1, ...: gh = h·W_hhᵀ + b_hh, the cell, then rows with
// t < lengths[row] (all rows when lengths is null) take the new state and write output[t]. With a
// register tile of rows per thread and W_hh small enough to stay in each core's L2, the pool's
// threads each take a row range through every step (one job, no barrier between steps); otherwise
// each step's GEMM and cell are split by column blocks of the hidden dimension (the G gate panels
// of a block, then the cell on them), so the pointwise work runs on every thread.
void forward_steps(const KernelTable& t, GemmRunner gemm, const StepsForward& a);

struct StepsBackward {
  int kind, rows, hidden;
  long T;
  bool reverse;  // the forward's direction; backward walks the other way
  const int32_t* lengths;
  const float* packedHh;  // W_hh packed, [W, H]
  const float* gOut;      // (T, B, H)
  float* dhCarry;         // (B, H) in/out: the gradient of the final h, then of h0
  float* dcCarry;         // (B, H) in/out, LSTM
  const float* cacheAll;
  const float* savedH;
  const float* savedC;
  float* dgx;  // (T, B, W)
  float* dgh;  // (T, B, W); the same array as dgx for families without a direct h path
  // Scratch, (B, H) each: dh into the step, dc into it, the direct path's dh, dc_prev, dh_prev.
  float* dhT;
  float* dc;
  float* dhDirect;
  float* dcPrev;
  float* dhPrev;
  // Bias gradients, (W) each or null: per step, the column sums of dgx_t (dgh_t) over its rows
  // are added in, so the step's rows are summed while they are in cache.
  float* dbIh;
  float* dbHh;
  float* sums;  // (W) scratch, when either is given
};

// Per step in reverse: the masked dh/dc into the step, the cell's backward (dgx, dgh at t),
// dh_prev = dgh_t·W_hh, the bias sums, and the masked carry to the previous step.
void backward_steps(const KernelTable& t, GemmRunner gemm, const StepsBackward& a);

}  // namespace rn
