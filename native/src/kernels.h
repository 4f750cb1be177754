// Kernel table shared by the ISA-specific translation units (generic, AVX2+FMA, AVX-512).
// Each TU compiles kernels_impl.h with its own vector width and register tile and exports one
// KernelTable; addon.cpp picks one at run time with __builtin_cpu_supports.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kinds.generated.h"  // CellCode, gates_of, cache_width_of (from src/families.ts)

namespace rn {

// C = beta*C + op(A)·op(B) (+ bias), row-major. B is either `packed` (made by pack_b of the same
// table, all K-blocks and panels) or the plain `b` with `ldb`/`transB`.
struct GemmProblem {
  int m, n, k;
  const float* a;
  long lda;
  bool transA;
  const float* b;
  long ldb;
  bool transB;
  const float* packed;
  float* c;
  long ldc;
  bool accumulate;    // beta == 1
  const float* bias;  // length n or null
  // Read A where it is even across many panels (a plain A only): for the few rows of a thread's
  // share of a step GEMM, which stay in L1 from one panel to the next, packing costs more than it
  // saves (4-8 % of a recurrent forward, bench/RESULTS.md). The values are the same either way.
  bool aInPlace = false;
};

struct CellForward {
  int kind, rows, hidden;
  const float* gx;  // [rows, G*H]
  const float* gh;  // [rows, G*H]
  const float* hPrev;
  const float* cPrev;
  float* hOut;
  float* cOut;
  float* cache;  // null: not kept (inference)
  // Columns [col0, col1) of the hidden dimension only (col1 < 0: to H); rows keep their strides.
  int col0 = 0, col1 = -1;
};

struct CellBackward {
  int kind, rows, hidden;
  const float* dh;
  const float* dc;
  const float* cache;
  const float* hPrev;
  const float* cPrev;
  float* dgx;
  float* dgh;
  float* dhPrev;
  float* dcPrev;
  // Rows [row0, row1) only (row1 < 0: to rows).
  int row0 = 0, row1 = -1;
};

// One Adam / AdamW update of n parameters (see adam_update in kernels_impl.h): the scalars of the
// step, in double as the TypeScript reference (src/train/optimizers/adam.ts, adamKernel) has them.
struct AdamStepScalars {
  double b1, b2, omb1, omb2, eps, wd, decay;
  bool decoupled, weight_decay, amsgrad, maximize;
  double step_size, bc2_sqrt;  // per parameter
};

struct KernelTable {
  const char* name;
  int* pack_a_min_panels;  // tunable
  int mr, nr, kc;
  // Floats needed by a packed [k, n] matrix.
  size_t (*packed_floats)(int k, int n);
  // Packs op(B) ([k, n]; stored [n, k] when transB) into dst.
  void (*pack_b)(int k, int n, const float* b, long ldb, bool transB, float* dst);
  // Rows [i0, i1) and panels [q0, q1) of C (panels are `nr` columns wide).
  void (*gemm_part)(const GemmProblem& p, int i0, int i1, int q0, int q1);
  void (*cell_forward)(const CellForward& a);
  void (*cell_backward)(const CellBackward& a);
  // out[j] = sum over rows of src[r*width + j] for j in [j0, j1)
  void (*column_sums)(const float* src, int rows, int width, int j0, int j1, float* out);
  // param, m, v (and vmax with amsgrad) updated in place from grad, elements [0, n)
  void (*adam_update)(const AdamStepScalars& s, long n, float* param, const float* grad, float* m, float* v,
                      float* vmax);
  // Additive attention scores and their backward (kernels_impl.h)
  void (*additive_scores)(int batch, int steps, int source, int H, const float* q, const float* k, const float* v,
                          float* scores);
  void (*additive_scores_backward)(int batch, int steps, int source, int H, const float* g, const float* q,
                                   const float* k, const float* v, float* dq, float* dk, float* dv);
};

extern const KernelTable kGenericTable;
#if defined(RN_HAVE_X86_TABLES)
extern const KernelTable kAvx2Table;
extern const KernelTable kAvx512Table;
#endif

}  // namespace rn
