// The per-step loops of a recurrent layer (see steps.h).
#include "steps.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "pool.h"

namespace rn {
namespace {

inline bool active(const int32_t* lengths, long t, long b) { return !lengths || t < lengths[b]; }

// gx of step t: the block's (steps, B, W) array, or one (B, W) slot that every step reuses when
// the call projects each step itself (see forward_steps).
inline const float* gx_at(const StepsForward& a, long t) {
  return a.gx + (a.gxOneStep ? 0 : (t - a.blockFirst) * a.rows * (long)(gates_of(a.kind) * a.hidden));
}

// Scratch starting on a cache line, kept by the calling thread between calls.
struct AlignedScratch {
  float* data = nullptr;
  size_t floats = 0;
  float* get(size_t n) {
    if (n > floats) {
      std::free(data);
      data = static_cast<float*>(std::aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64));
      floats = data ? n : 0;
    }
    return data;
  }
  ~AlignedScratch() { std::free(data); }
};
thread_local AlignedScratch t_forward_scratch;

// Floats rounded up to whole cache lines, so the next array in the scratch starts on one.
inline size_t lines(size_t floats) { return (floats + 15) / 16 * 16; }

// ------------------------------------------------------------ forward

struct ForwardStep {
  const StepsForward* a;
  const KernelTable* k;
  GemmProblem gp;  // gh = h·W_hhᵀ + b_hh
  long t;
  const float* h;  // h before the step
  float* hn;       // h after it
  const float* gx;
  float* cache;  // this step's cache, or null
  int cols;      // hidden columns per chunk (a multiple of the panel width when split)
  bool split;    // each chunk computes its own gate panels; else gh was computed beforehand
};

// gx at step t = x_t·W_ihᵀ + b_ih for rows [r0, r1) and panels [q0, q1) (when the call projects);
// `aInPlace`: read x_t's rows where they are (see GemmProblem).
void project_step(const KernelTable& k, const StepsForward& a, long t, int r0, int r1, int q0, int q1,
                  bool aInPlace = false) {
  if (!a.x) return;
  const int B = a.rows, W = gates_of(a.kind) * a.hidden, I = a.inputSize;
  float* gx = const_cast<float*>(gx_at(a, t));
  GemmProblem p{B, W, I, a.x + t * a.xStep, a.xRow, false, nullptr, 0, false, a.packedIh, gx, W, false, a.bIh};
  p.aInPlace = aInPlace;
  k.gemm_part(p, r0, r1, q0, q1);
}

// Rows [r0, r1) x hidden columns [j0, j1) of one step, after their gate pre-activations are in
// gh: the states kept for backward (training), the cell, then the masked state update and output.
void finish_block(const ForwardStep& s, int r0, int r1, int j0, int j1) {
  const StepsForward& a = *s.a;
  const int H = a.hidden, B = a.rows, W = gates_of(a.kind) * H, CW = cache_width_of(a.kind, H);
  const bool lstm = a.kind == CELL_LSTM;
  const size_t bytes = sizeof(float) * (size_t)(j1 - j0);
  if (a.savedH) {
    for (int b = r0; b < r1; ++b) {
      std::memcpy(a.savedH + (s.t * B + b) * (long)H + j0, s.h + (long)b * H + j0, bytes);
      if (lstm) std::memcpy(a.savedC + (s.t * B + b) * (long)H + j0, a.c + (long)b * H + j0, bytes);
    }
  }
  // The cell keeps every row stride, so a row range is the same call on offset pointers.
  const long oH = (long)r0 * H, oW = (long)r0 * W;
  CellForward cf{a.kind,
                 r1 - r0,
                 H,
                 s.gx + oW,
                 a.gh + oW,
                 s.h + oH,
                 lstm ? a.c + oH : nullptr,
                 s.hn + oH,
                 lstm ? a.cNew + oH : nullptr,
                 s.cache ? s.cache + (long)r0 * CW : nullptr,
                 j0,
                 j1};
  s.k->cell_forward(cf);
  float* out = a.output + s.t * a.outStep + j0;
  for (int b = r0; b < r1; ++b) {
    const long o = (long)b * H + j0;
    if (!active(a.lengths, s.t, b)) {
      std::memcpy(s.hn + o, s.h + o, bytes);  // ended: keeps its state, output stays zero
      continue;
    }
    std::memcpy(out + b * a.outRow, s.hn + o, bytes);
    if (lstm) std::memcpy(a.c + o, a.cNew + o, bytes);
  }
}

// Columns [j0, j1) of one step: the G gate panels of those columns (when split), then the rest.
void forward_chunk(void* ctx, int chunk) {
  const ForwardStep& s = *static_cast<ForwardStep*>(ctx);
  const StepsForward& a = *s.a;
  const int B = a.rows, H = a.hidden, G = gates_of(a.kind), NR = s.k->nr;
  const int j0 = chunk * s.cols, j1 = std::min(H, j0 + s.cols);
  if (s.split) {
    for (int g = 0; g < G; ++g) {
      project_step(*s.k, a, s.t, 0, B, (g * H + j0) / NR, (g * H + j1) / NR);
      s.k->gemm_part(s.gp, 0, B, (g * H + j0) / NR, (g * H + j1) / NR);
    }
  }
  finish_block(s, 0, B, j0, j1);
}

struct RowSplit {
  const StepsForward* a;
  const KernelTable* k;
  int per;  // rows per chunk
};

// Rows [r0, r1) through every step of the call: their rows of the step's GEMM (all panels), the
// cell and the update. Rows are independent, so the thread that owns a row range needs nothing
// from the others and there is no barrier between steps. Each element of gh is the same sum in
// the same order as in the other paths (the microkernels compute every element alike whatever
// the row tile), so the results are bit-identical.
void forward_rows(void* ctx, int chunk) {
  const RowSplit& rs = *static_cast<RowSplit*>(ctx);
  const StepsForward& a = *rs.a;
  const KernelTable& k = *rs.k;
  const int B = a.rows, H = a.hidden, W = gates_of(a.kind) * H, CW = cache_width_of(a.kind, H);
  const int r0 = chunk * rs.per, r1 = std::min(B, r0 + rs.per);
  const int panels = (W + k.nr - 1) / k.nr;
  float* h = a.h;
  float* hn = a.hNext;
  for (long s = 0; s < a.count; ++s) {
    const long t = a.reverse ? a.tStart - s : a.tStart + s;
    ForwardStep st{&a, &k, GemmProblem{B, W, H, h, H, false, nullptr, 0, false, a.packed, a.gh, W, false, a.bHh}, t, h, hn,
                   gx_at(a, t), a.cacheAll ? a.cacheAll + t * B * (long)CW : nullptr, H,
                   false};
    // A thread's rows are few: both GEMMs read them in place.
    project_step(k, a, t, r0, r1, 0, panels, true);
    st.gp.aInPlace = true;
    k.gemm_part(st.gp, r0, r1, 0, panels);
    finish_block(st, r0, r1, 0, H);
    std::swap(h, hn);
  }
  if (h != a.h) std::memcpy(a.h + (long)r0 * H, h + (long)r0 * H, sizeof(float) * (size_t)(r1 - r0) * H);
}

// A thread's share of the step GEMM streams all of W_hh each step when split by rows: do that
// while W_hh stays in a core's L2 (2 MiB on the machines measured; leave room for gx and states).
constexpr double kRowSplitMaxWeightBytes = 1.5 * 1024 * 1024;

}  // namespace

namespace {

void forward_steps_in(const KernelTable& k, GemmRunner gemm, const StepsForward& a) {
  const int B = a.rows, H = a.hidden, G = gates_of(a.kind), W = G * H, NR = k.nr;
  const int CW = cache_width_of(a.kind, H);
  const int threads = pool_threads();
  const double flops = 2.0 * B * W * (double)H;
  // Split by column blocks when the gates fall on panel boundaries and the step is worth it.
  const bool split = threads > 1 && H % NR == 0 && flops >= a.parallelFlops;
  // Enough rows for every thread to fill register tiles, and a whole call worth starting the
  // pool for (one job for all steps): each thread takes a row range through every step.
  const int per = (B + threads - 1) / std::max(threads, 1);
  if (threads > 1 && per >= k.mr && flops * (double)a.count >= a.parallelFlops &&
      sizeof(float) * (double)H * W <= kRowSplitMaxWeightBytes) {
    RowSplit rs{&a, &k, per};
    parallel_chunks((B + per - 1) / per, forward_rows, &rs);
    return;
  }
  const int panels = H / NR;
  int chunks = 1, cols = H;
  if (split) {
    chunks = std::min(panels, 4 * threads);
    cols = (panels + chunks - 1) / chunks * NR;
    chunks = (H + cols - 1) / cols;
  }
  float* h = a.h;
  float* hn = a.hNext;
  for (long s = 0; s < a.count; ++s) {
    const long t = a.reverse ? a.tStart - s : a.tStart + s;
    ForwardStep st{&a, &k, GemmProblem{B, W, H, h, H, false, nullptr, 0, false, a.packed, a.gh, W, false, a.bHh}, t, h, hn,
                   gx_at(a, t), a.cacheAll ? a.cacheAll + t * B * (long)CW : nullptr, cols,
                   split && chunks > 1};
    if (st.split) {
      parallel_chunks(chunks, forward_chunk, &st);
    } else {
      if (a.x) {
        gemm(GemmProblem{B, W, a.inputSize, a.x + t * a.xStep, a.xRow, false, nullptr, 0, false,
                         a.packedIh, const_cast<float*>(st.gx), W, false, a.bIh});
      }
      gemm(st.gp);
      forward_chunk(&st, 0);
    }
    std::swap(h, hn);
  }
  if (h != a.h) std::memcpy(a.h, h, sizeof(float) * (size_t)B * H);
}

}  // namespace

void forward_steps(const KernelTable& k, GemmRunner gemm, const StepsForward& a) {
  // The arrays a JavaScript caller passes start wherever its allocator put them (16-byte
  // alignment), so most 64-byte vector loads and stores of the GEMM tiles and the cell would
  // straddle two cache lines, and the rows of two threads could share a line. The state, the
  // scratch and the biases move to cache-line-aligned memory for the call (10 % of an LSTM
  // forward on AVX-512, bench/RESULTS.md); the values computed are the same.
  const int B = a.rows, H = a.hidden, W = gates_of(a.kind) * H;
  const bool lstm = a.kind == CELL_LSTM;
  const size_t bw = lines((size_t)B * W), bh = lines((size_t)B * H), w = lines(W);
  float* p = t_forward_scratch.get(bw * (a.x ? 2 : 1) + bh * (lstm ? 4 : 2) + 2 * w);
  if (!p || B == 0 || H == 0) {
    forward_steps_in(k, gemm, a);
    return;
  }
  StepsForward s = a;
  auto take = [&](size_t n) {
    float* q = p;
    p += n;
    return q;
  };
  s.gh = take(bw);
  if (a.x) {
    s.gx = take(bw);
    s.gxOneStep = true;  // each step's projection is read by the cell of that step only
  }
  s.h = take(bh);
  s.hNext = take(bh);
  std::memcpy(s.h, a.h, sizeof(float) * (size_t)B * H);
  if (lstm) {
    s.c = take(bh);
    s.cNew = take(bh);
    std::memcpy(s.c, a.c, sizeof(float) * (size_t)B * H);
  }
  if (a.bHh) s.bHh = static_cast<float*>(std::memcpy(take(w), a.bHh, sizeof(float) * W));
  if (a.bIh) s.bIh = static_cast<float*>(std::memcpy(take(w), a.bIh, sizeof(float) * W));
  forward_steps_in(k, gemm, s);
  std::memcpy(a.h, s.h, sizeof(float) * (size_t)B * H);
  if (lstm) std::memcpy(a.c, s.c, sizeof(float) * (size_t)B * H);
}

// ------------------------------------------------------------ backward

namespace {

struct BackwardStep {
  const StepsBackward* a;
  const KernelTable* k;
  long t;       // this step
  long tAfter;  // the step processed just before (t + 1 forward in time), or -1: carry from it first
  int rowsPerChunk;
};

// dh_carry, dc_carry of active rows from the previous backward step's dh_prev (+ the direct path)
// and dc_prev; rows that had ended at that step pass theirs through.
void carry_rows(const StepsBackward& a, long t, int r0, int r1) {
  const int H = a.hidden;
  const bool direct = a.dgh != a.dgx;
  for (int b = r0; b < r1; ++b) {
    if (!active(a.lengths, t, b)) continue;
    const long o = (long)b * H;
    if (direct) {
      for (int j = 0; j < H; ++j) a.dhCarry[o + j] = a.dhPrev[o + j] + a.dhDirect[o + j];
    } else {
      for (int j = 0; j < H; ++j) a.dhCarry[o + j] = a.dhPrev[o + j] + 0.f;
    }
    if (a.dcCarry) std::memcpy(a.dcCarry + o, a.dcPrev + o, sizeof(float) * H);
  }
}

void backward_chunk(void* ctx, int chunk) {
  const BackwardStep& s = *static_cast<BackwardStep*>(ctx);
  const StepsBackward& a = *s.a;
  const int B = a.rows, H = a.hidden, W = gates_of(a.kind) * H, CW = cache_width_of(a.kind, H);
  const int r0 = chunk * s.rowsPerChunk, r1 = std::min(B, r0 + s.rowsPerChunk);
  if (s.tAfter >= 0) carry_rows(a, s.tAfter, r0, r1);
  const float* g = a.gOut + s.t * B * (long)H;
  for (int b = r0; b < r1; ++b) {
    const long o = (long)b * H;
    if (active(a.lengths, s.t, b)) {
      for (int j = 0; j < H; ++j) a.dhT[o + j] = a.dhCarry[o + j] + g[o + j];
      if (a.dc) std::memcpy(a.dc + o, a.dcCarry + o, sizeof(float) * H);
    } else {
      std::memset(a.dhT + o, 0, sizeof(float) * H);
      if (a.dc) std::memset(a.dc + o, 0, sizeof(float) * H);
    }
  }
  const long BT = s.t * B;
  CellBackward cb{a.kind, B, H, a.dhT, a.dc, a.cacheAll + BT * CW, a.savedH + BT * H, a.savedC ? a.savedC + BT * H : nullptr,
                  a.dgx + BT * W, a.dgh + BT * W, a.dhDirect, a.dcPrev, r0, r1};
  s.k->cell_backward(cb);
}

}  // namespace

void backward_steps(const KernelTable& k, GemmRunner gemm, const StepsBackward& a) {
  const int B = a.rows, H = a.hidden, W = gates_of(a.kind) * H;
  const int threads = pool_threads();
  // Rows are independent in the pointwise part: split them when there is enough of it.
  int per = B;
  if (threads > 1 && (long)B * W >= 8192 && B >= 2) per = std::max(1, (B + 4 * threads - 1) / (4 * threads));
  const int chunks = (B + per - 1) / per;
  long tAfter = -1;
  for (long s = a.T - 1; s >= 0; --s) {
    const long t = a.reverse ? a.T - 1 - s : s;
    BackwardStep st{&a, &k, t, tAfter, per};
    if (chunks > 1) {
      parallel_chunks(chunks, backward_chunk, &st, false);
    } else {
      backward_chunk(&st, 0);
    }
    // dh_prev = dGH_t · W_hh
    gemm(GemmProblem{B, H, W, a.dgh + t * B * (long)W, W, false, nullptr, 0, false, a.packedHh, a.dhPrev, H, false, nullptr});
    // Bias gradients: this step's column sums, added in step order (db += Σ_rows dg_t).
    for (auto [db, dg] : {std::pair<float*, const float*>{a.dbIh, a.dgx}, {a.dbHh, a.dgh}}) {
      if (!db) continue;
      k.column_sums(dg + t * B * (long)W, B, W, 0, W, a.sums);
      for (int j = 0; j < W; ++j) db[j] = db[j] + a.sums[j];
    }
    tAfter = t;
  }
  if (tAfter >= 0) carry_rows(a, tAfter, 0, B);
}

}  // namespace rn
