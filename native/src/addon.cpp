// N-API entry points of the native backend (node-addon-api, C++ exceptions off).
//
// Every call is synchronous and works in place on the Float32Arrays it is given (no copies).
// Arguments are checked here (types, and that every matrix fits in its array) so a wrong call
// throws a JS error instead of touching memory out of bounds.
//
// Kernels come from one of three tables (generic, AVX2+FMA, AVX-512) chosen at load time with
// __builtin_cpu_supports, overridable with RECURRENT_NATIVE_ISA or setIsa(). Large GEMMs are split
// across the persistent worker pool (pool.cpp) by rows or by column panels.
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "kernels.h"
#include "pool.h"
#include "steps.h"

namespace rn {
namespace {

const KernelTable* g_table = &kGenericTable;
double g_parallel_flops = 4.0e6;  // GEMMs below this many flops run on one thread

bool isa_supported(const std::string& name) {
  if (name == "generic") return true;
#if defined(RN_HAVE_X86_TABLES)
  __builtin_cpu_init();
  if (name == "avx2") return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (name == "avx512")
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("fma");
#endif
  return false;
}

const KernelTable* table_for(const std::string& name) {
#if defined(RN_HAVE_X86_TABLES)
  if (name == "avx512") return &kAvx512Table;
  if (name == "avx2") return &kAvx2Table;
#endif
  if (name == "generic") return &kGenericTable;
  return nullptr;
}

void choose_default_table() {
  const char* forced = std::getenv("RECURRENT_NATIVE_ISA");
  if (forced && *forced && isa_supported(forced) && table_for(forced)) {
    g_table = table_for(forced);
    return;
  }
  for (const char* name : {"avx512", "avx2", "generic"}) {
    if (isa_supported(name) && table_for(name)) {
      g_table = table_for(name);
      return;
    }
  }
}

// ------------------------------------------------------------ argument helpers

struct Args {
  const Napi::CallbackInfo& info;
  Napi::Env env;
  bool failed = false;
  explicit Args(const Napi::CallbackInfo& i) : info(i), env(i.Env()) {}

  void fail(const std::string& message) {
    if (!failed) Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
    failed = true;
  }
  long integer(size_t i, const char* what) {
    if (failed) return 0;
    double v;
    if (i >= info.Length() || napi_get_value_double(env, info[i], &v) != napi_ok || !(v >= 0) || v > 2147483647.0 ||
        v != (double)(long)v) {
      fail(std::string(what) + " must be a non-negative integer");
      return 0;
    }
    return (long)v;
  }
  bool boolean(size_t i) {
    if (failed || i >= info.Length()) return false;
    bool v = false;
    if (napi_get_value_bool(env, info[i], &v) != napi_ok) return false;
    return v;
  }
  // A Float32Array (or null when nullable): its data pointer and length in floats.
  float* floats(size_t i, const char* what, size_t* length, bool nullable = false) {
    *length = 0;
    if (failed) return nullptr;
    napi_valuetype type;
    if (i >= info.Length() || napi_typeof(env, info[i], &type) != napi_ok) {
      fail(std::string(what) + " is missing");
      return nullptr;
    }
    if (nullable && (type == napi_null || type == napi_undefined)) return nullptr;
    bool is_typed = false;
    napi_is_typedarray(env, info[i], &is_typed);
    napi_typedarray_type ttype;
    void* data = nullptr;
    size_t len = 0;
    if (!is_typed || napi_get_typedarray_info(env, info[i], &ttype, &len, &data, nullptr, nullptr) != napi_ok ||
        ttype != napi_float32_array) {
      fail(std::string(what) + " must be a Float32Array");
      return nullptr;
    }
    *length = len;
    return static_cast<float*>(data);
  }
  // Checks that a rows x cols matrix with row stride ld at offset fits in an array of `length`.
  void fits(const char* what, size_t length, long offset, long rows, long cols, long ld) {
    if (failed || rows == 0 || cols == 0) return;
    if (rows > 1 && ld < cols) {
      fail(std::string(what) + ": row stride is smaller than the row length");
      return;
    }
    const double end = (double)offset + (double)(rows - 1) * (double)ld + (double)cols;
    if (end > (double)length) fail(std::string(what) + " does not fit in its array (" + std::to_string((long long)end) +
                                   " > " + std::to_string(length) + " elements)");
  }
};

// ------------------------------------------------------------ GEMM

// A GEMM split into chunks of row tiles or of column panels, claimed dynamically by the pool.
struct ChunkedGemm {
  const GemmProblem* p;
  bool by_rows;
  int per_chunk;  // rows (a multiple of MR) or panels per chunk
  int units;      // rows or panels in all
};

void gemm_chunk(void* ctx, int chunk) {
  const ChunkedGemm& j = *static_cast<ChunkedGemm*>(ctx);
  const KernelTable* t = g_table;
  const int u0 = chunk * j.per_chunk, u1 = std::min(j.units, u0 + j.per_chunk);
  const int panels = (j.p->n + t->nr - 1) / t->nr;
  if (j.by_rows) {
    t->gemm_part(*j.p, u0, u1, 0, panels);
  } else {
    t->gemm_part(*j.p, 0, j.p->m, u0, u1);
  }
}

struct PackJob {
  int k, n;
  const float* b;
  long ldb;
  bool transB;
  float* dst;
};

// Packs one K-block of B (chunk = K-block index) into the full packed layout.
void pack_chunk(void* ctx, int chunk) {
  const PackJob& j = *static_cast<PackJob*>(ctx);
  const KernelTable* t = g_table;
  const int k0 = chunk * t->kc, kc = std::min(t->kc, j.k - k0);
  const long panels = (j.n + t->nr - 1) / t->nr;
  const float* src = j.transB ? j.b + k0 : j.b + (long)k0 * j.ldb;
  t->pack_b(kc, j.n, src, j.ldb, j.transB, j.dst + (long)k0 * panels * t->nr);
}

thread_local std::vector<float> t_shared_b;  // B packed once for a row-split GEMM (caller's thread)

void run_gemm(const GemmProblem& p) {
  const KernelTable* t = g_table;
  const int panels = (p.n + t->nr - 1) / t->nr;
  const int tiles = (p.m + t->mr - 1) / t->mr;
  const double flops = 2.0 * p.m * p.n * (double)std::max(p.k, 1);
  const int threads = pool_threads();
  if (threads <= 1 || flops < g_parallel_flops || std::max(panels, tiles) < 2 || p.k == 0) {
    t->gemm_part(p, 0, p.m, 0, panels);
    return;
  }
  // About four chunks per thread, so a thread that starts late or is interrupted just takes fewer.
  const int want = threads * 4;
  // Split by rows or by column panels, whichever streams fewer floats from outside the core's
  // caches: each row chunk reads all of B, each panel chunk all of A. (A 64-row step GEMM with
  // few panels, e.g. the backward's dh = dGH·W_hh, reads W_hh once per row chunk when split by
  // rows, eight times over.)
  const double a_floats = (double)p.m * p.k, b_floats = (double)p.k * panels * t->nr;
  const double row_chunks = std::min<double>(want, tiles), panel_chunks = std::min<double>(want, panels);
  const double by_rows_cost = row_chunks * b_floats + a_floats, by_panels_cost = panel_chunks * a_floats + b_floats;
  ChunkedGemm job{&p, by_rows_cost <= by_panels_cost, 0, 0};
  GemmProblem q = p;
  if (job.by_rows) {
    const int rows = (p.m + want - 1) / want;
    job.per_chunk = std::max(t->mr, std::min(128, (rows + t->mr - 1) / t->mr * t->mr));
    job.units = p.m;
    if (!p.packed) {
      // Every row chunk needs all of B: pack it once, K-blocks in parallel.
      const size_t floats = t->packed_floats(p.k, p.n);
      if (t_shared_b.size() < floats) t_shared_b.resize(floats);
      PackJob pj{p.k, p.n, p.b, p.ldb, p.transB, t_shared_b.data()};
      parallel_chunks((p.k + t->kc - 1) / t->kc, pack_chunk, &pj, false);
      q.packed = t_shared_b.data();
      job.p = &q;
    }
  } else {
    job.per_chunk = std::max(1, (panels + want - 1) / want);
    job.units = panels;
  }
  parallel_chunks((job.units + job.per_chunk - 1) / job.per_chunk, gemm_chunk, &job);
}

// gemm(m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc, beta, bias, biasOff)
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  Args A(info);
  const long m = A.integer(0, "m"), n = A.integer(1, "n"), k = A.integer(2, "k");
  size_t la, lb, lc, lbias;
  float* a = A.floats(3, "a", &la);
  const long aOff = A.integer(4, "aOffset"), lda = A.integer(5, "lda");
  const bool transA = A.boolean(6);
  float* b = A.floats(7, "b", &lb);
  const long bOff = A.integer(8, "bOffset"), ldb = A.integer(9, "ldb");
  const bool transB = A.boolean(10);
  float* c = A.floats(11, "c", &lc);
  const long cOff = A.integer(12, "cOffset"), ldc = A.integer(13, "ldc");
  const long beta = A.integer(14, "beta");
  float* bias = A.floats(15, "bias", &lbias, true);
  const long biasOff = A.integer(16, "biasOffset");
  if (A.failed) return info.Env().Undefined();
  if (beta > 1) A.fail("beta must be 0 or 1");
  A.fits("A", la, aOff, transA ? k : m, transA ? m : k, lda);
  A.fits("B", lb, bOff, transB ? n : k, transB ? k : n, ldb);
  A.fits("C", lc, cOff, m, n, ldc);
  if (bias) A.fits("bias", lbias, biasOff, 1, n, n);
  if (A.failed || m == 0 || n == 0) return info.Env().Undefined();
  GemmProblem p{(int)m, (int)n, (int)k, a + aOff, lda, transA, b + bOff, ldb, transB, nullptr,
                c + cOff, ldc, beta == 1, bias ? bias + biasOff : nullptr};
  run_gemm(p);
  return info.Env().Undefined();
}

// A packed matrix is an ArrayBuffer: a 64-byte header, then the panels at the next 64-byte
// aligned address (the backing store of an ArrayBuffer does not move).
struct PackedHeader {
  uint32_t magic;
  int32_t k, n;
  const KernelTable* table;
};
constexpr uint32_t kPackedMagic = 0x524e5042;  // "RNPB"

float* packed_data(void* base) {
  uintptr_t p = reinterpret_cast<uintptr_t>(base) + 64;
  p = (p + 63) & ~(uintptr_t)63;
  return reinterpret_cast<float*>(p);
}

// Argument i as a packed matrix made by packB for the kernels in use, with its data complete;
// null (and a thrown JS error naming `what`) otherwise.
const PackedHeader* packed_arg(Args& A, size_t i, const char* what) {
  if (A.failed) return nullptr;
  void* base = nullptr;
  size_t bytes = 0;
  bool is_ab = false;
  if (i < A.info.Length()) napi_is_arraybuffer(A.env, A.info[i], &is_ab);
  if (!is_ab || napi_get_arraybuffer_info(A.env, A.info[i], &base, &bytes) != napi_ok || bytes < 128 ||
      static_cast<PackedHeader*>(base)->magic != kPackedMagic) {
    A.fail(std::string(what) + " must be a matrix made by packB (and not released)");
    return nullptr;
  }
  const PackedHeader* h = static_cast<PackedHeader*>(base);
  if (h->table != g_table) {
    A.fail(std::string(what) + " was made for the " + h->table->name + " kernels, but " + g_table->name +
           " kernels are in use; pack it again");
    return nullptr;
  }
  if (bytes < 128 + g_table->packed_floats((int)h->k, (int)h->n) * sizeof(float)) {
    A.fail(std::string(what) + " is truncated");
    return nullptr;
  }
  return h;
}

// packB(k, n, b, bOff, ldb, transB) -> ArrayBuffer
Napi::Value PackB(const Napi::CallbackInfo& info) {
  Args A(info);
  const long k = A.integer(0, "k"), n = A.integer(1, "n");
  size_t lb;
  float* b = A.floats(2, "b", &lb);
  const long bOff = A.integer(3, "bOffset"), ldb = A.integer(4, "ldb");
  const bool transB = A.boolean(5);
  A.fits("B", lb, bOff, transB ? n : k, transB ? k : n, ldb);
  if (A.failed) return info.Env().Undefined();
  const KernelTable* t = g_table;
  const size_t floats = t->packed_floats((int)k, (int)n);
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(info.Env(), 128 + floats * sizeof(float));
  PackedHeader* h = static_cast<PackedHeader*>(buffer.Data());
  h->magic = kPackedMagic;
  h->k = (int32_t)k;
  h->n = (int32_t)n;
  h->table = t;
  if (k > 0 && n > 0) t->pack_b((int)k, (int)n, b + bOff, ldb, transB, packed_data(buffer.Data()));
  return buffer;
}

// gemmPacked(m, a, aOff, lda, transA, packed, c, cOff, ldc, beta, bias, biasOff)
Napi::Value GemmPacked(const Napi::CallbackInfo& info) {
  Args A(info);
  const long m = A.integer(0, "m");
  size_t la, lc, lbias;
  float* a = A.floats(1, "a", &la);
  const long aOff = A.integer(2, "aOffset"), lda = A.integer(3, "lda");
  const bool transA = A.boolean(4);
  const PackedHeader* h = packed_arg(A, 5, "packed");
  if (!h) return info.Env().Undefined();
  const long k = h->k, n = h->n;
  float* c = A.floats(6, "c", &lc);
  const long cOff = A.integer(7, "cOffset"), ldc = A.integer(8, "ldc");
  const long beta = A.integer(9, "beta");
  float* bias = A.floats(10, "bias", &lbias, true);
  const long biasOff = A.integer(11, "biasOffset");
  if (beta > 1) A.fail("beta must be 0 or 1");
  A.fits("A", la, aOff, transA ? k : m, transA ? m : k, lda);
  A.fits("C", lc, cOff, m, n, ldc);
  if (bias) A.fits("bias", lbias, biasOff, 1, n, n);
  if (A.failed || m == 0 || n == 0) return info.Env().Undefined();
  GemmProblem p{(int)m, (int)n, (int)k, a + aOff, lda, transA, nullptr, 0, false, packed_data(const_cast<PackedHeader*>(h)),
                c + cOff, ldc, beta == 1, bias ? bias + biasOff : nullptr};
  run_gemm(p);
  return info.Env().Undefined();
}

// releasePacked(buffer): frees a packed matrix now (detaches its ArrayBuffer) instead of at the
// next garbage collection; later use of it throws.
Napi::Value ReleasePacked(const Napi::CallbackInfo& info) {
  bool is_ab = false;
  if (info.Length() >= 1) napi_is_arraybuffer(info.Env(), info[0], &is_ab);
  if (!is_ab) {
    Napi::TypeError::New(info.Env(), "releasePacked expects a packed matrix").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  bool detached = false;
  napi_is_detached_arraybuffer(info.Env(), info[0], &detached);
  if (!detached) napi_detach_arraybuffer(info.Env(), info[0]);
  return info.Env().Undefined();
}

// ------------------------------------------------------------ cells

// cellForward(kind, rows, hidden, gx, gxOff, gh, hPrev, cPrev, hOut, cOut, cache, cacheOff)
Napi::Value CellForwardFn(const Napi::CallbackInfo& info) {
  Args A(info);
  const long kind = A.integer(0, "kind"), rows = A.integer(1, "rows"), H = A.integer(2, "hidden");
  if (!A.failed && kind >= CELL_KIND_COUNT) A.fail("kind must be 0.." + std::to_string(CELL_KIND_COUNT - 1));
  size_t lgx, lgh, lhp, lcp, lho, lco, lca;
  float* gx = A.floats(3, "gx", &lgx);
  const long gxOff = A.integer(4, "gxOffset");
  float* gh = A.floats(5, "gh", &lgh);
  float* hPrev = A.floats(6, "hPrev", &lhp);
  float* cPrev = A.floats(7, "cPrev", &lcp, true);
  float* hOut = A.floats(8, "hOut", &lho);
  float* cOut = A.floats(9, "cOut", &lco, true);
  float* cache = A.floats(10, "cache", &lca);
  const long cacheOff = A.integer(11, "cacheOffset");
  if (A.failed) return info.Env().Undefined();
  const long W = gates_of((int)kind) * H;
  A.fits("gx", lgx, gxOff, rows, W, W);
  A.fits("gh", lgh, 0, rows, W, W);
  A.fits("hOut", lho, 0, rows, H, H);
  A.fits("cache", lca, cacheOff, rows, cache_width_of((int)kind, (int)H), cache_width_of((int)kind, (int)H));
  if (kind == CELL_GRU) A.fits("hPrev", lhp, 0, rows, H, H);
  if (kind == CELL_LSTM) {
    if (!cPrev || !cOut) A.fail("LSTM needs cPrev and cOut");
    A.fits("cPrev", lcp, 0, rows, H, H);
    A.fits("cOut", lco, 0, rows, H, H);
  }
  if (A.failed || rows == 0 || H == 0) return info.Env().Undefined();
  CellForward a{(int)kind, (int)rows, (int)H, gx + gxOff, gh, hPrev, cPrev, hOut, cOut, cache + cacheOff};
  g_table->cell_forward(a);
  return info.Env().Undefined();
}

// ------------------------------------------------------------ a block of recurrent steps

// recurrentSteps(kind, rows, hidden, tStart, count, reverse, blockFirst, gx, packedHh, bHh, h, c,
//                output, lengths, gh, hRaw, cNew[, savedH, savedC, cacheAll[, x, inputSize, packedIh, bIh
//                [, time]]]])
//
// The mirror of the TypeScript inference block (inferenceBlock in src/nn/recurrent/fused.ts: its
// per-step cellStep + maskStepForward loop), which calls this where the backend has it; a change to
// one must be made to the other.
//
// Without the last three arguments, inference (nothing kept for backward);
// with them, the training forward (forwardSaved): before step t, h and c go to savedH/savedC at
// t·rows·hidden and the cell's cache to cacheAll at t·rows·cacheWidth (each (T, rows, ...)).
// With x (the layer's input, (T, rows, inputSize)), packedIh (W_ihᵀ packed, [inputSize, G·hidden])
// and bIh (or null), each step first computes its own gx = x_t·W_ihᵀ + b_ih into a one-step slot
// of the addon's (the same values as one projection GEMM over the block); the gx argument is then
// neither read nor written and may be empty (savedH.. may be null for inference).
// With time > 0, x is (rows, time, inputSize) and output (rows, time, hidden), batch-first (a
// model's batch_first input and output read and written in place; the same values); x and
// packedIh may then be null when gx is given. Without it (or 0), both are time-major.
// No LSTM projection. `count` time steps of one
// layer and direction in one call, t = tStart, tStart +- 1, ... For each: gh = h·W_hhᵀ + b_hh
// (packedHh: W_hhᵀ packed, [hidden, G·hidden]); the cell's pointwise step from
// gx[(t - blockFirst)·rows·G·hidden ...] and gh into hRaw/cNew; then every row still inside its
// sequence (t < lengths[row], or all rows when lengths is null) copies them into h, c and
// output[t]. The same kernels in the same order as the per-step calls from JS, so the results
// are bit-identical; what this saves is two calls into the addon per step and the JS between
// them, which dominate small batches, and the cell runs on every thread (steps.cpp splits a
// step by column blocks: each block's gate panels, then the cell on them).
Napi::Value RecurrentStepsFn(const Napi::CallbackInfo& info) {
  Args A(info);
  const long kind = A.integer(0, "kind"), B = A.integer(1, "rows"), H = A.integer(2, "hidden");
  const long tStart = A.integer(3, "tStart"), count = A.integer(4, "count");
  const bool reverse = A.boolean(5);
  const long blockFirst = A.integer(6, "blockFirst");
  if (!A.failed && kind >= CELL_KIND_COUNT) A.fail("kind must be 0.." + std::to_string(CELL_KIND_COUNT - 1));
  size_t lgx, lb, lh, lc, lout, lgh, lhr, lcn;
  float* gx = A.floats(7, "gx", &lgx);
  const PackedHeader* ph = packed_arg(A, 8, "packedHh");
  if (!ph) return info.Env().Undefined();
  const long G = gates_of((int)kind), W = G * H, CW = cache_width_of((int)kind, (int)H);
  if (ph->k != H || ph->n != W) {
    A.fail("packedHh must be W_hh transposed, [hidden, gates*hidden] = [" + std::to_string(H) + ", " +
           std::to_string(W) + "], but it is [" + std::to_string(ph->k) + ", " + std::to_string(ph->n) + "]");
  }
  float* bHh = A.floats(9, "bHh", &lb, true);
  float* h = A.floats(10, "h", &lh);
  float* c = A.floats(11, "c", &lc, true);
  float* output = A.floats(12, "output", &lout);
  // lengths: an Int32Array with one entry per row, or null.
  const int32_t* lengths = nullptr;
  if (!A.failed && info.Length() > 13 && !info[13].IsNull() && !info[13].IsUndefined()) {
    if (!info[13].IsTypedArray() || info[13].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
      A.fail("lengths must be an Int32Array or null");
    } else {
      Napi::Int32Array l = info[13].As<Napi::Int32Array>();
      if ((long)l.ElementLength() != B) A.fail("lengths must have one entry per row");
      lengths = l.Data();
    }
  }
  float* gh = A.floats(14, "gh", &lgh);
  float* hRaw = A.floats(15, "hRaw", &lhr);
  float* cNew = A.floats(16, "cNew", &lcn, true);
  if (A.failed) return info.Env().Undefined();
  const long tLast = reverse ? tStart - (count - 1) : tStart + (count - 1);
  const long tMin = std::min(tStart, tLast), tMax = std::max(tStart, tLast);
  if (count > 0 && tMin < blockFirst) A.fail("steps outside the gx block");
  const bool projecting = info.Length() > 20 && !info[20].IsNull() && !info[20].IsUndefined();
  if (count > 0 && !projecting) A.fits("gx", lgx, (tMax - blockFirst) * B * W, B, W, W);
  // Batch-first layouts over `time` steps (0: time-major); see StepsForward's strides.
  long time = 0;
  if (info.Length() > 24 && !info[24].IsNull() && !info[24].IsUndefined()) time = A.integer(24, "time");
  if (time > 0 && count > 0 && tMax >= time) A.fail("steps outside the time given");
  if (A.failed) return info.Env().Undefined();
  if (count > 0) {
    if (time > 0) A.fits("output", lout, tMax * H, B, H, time * H);
    else A.fits("output", lout, tMax * B * H, B, H, H);
  }
  if (bHh) A.fits("bHh", lb, 0, 1, W, W);
  A.fits("h", lh, 0, B, H, H);
  A.fits("gh", lgh, 0, B, W, W);
  A.fits("hRaw", lhr, 0, B, H, H);
  if (kind == CELL_LSTM) {
    if (!c || !cNew) A.fail("LSTM needs c and cNew");
    A.fits("c", lc, 0, B, H, H);
    A.fits("cNew", lcn, 0, B, H, H);
  }
  if (A.failed || B == 0 || H == 0) return info.Env().Undefined();
  const float* packed = packed_data(const_cast<PackedHeader*>(ph));
  StepsForward sf{(int)kind, (int)B, (int)H, tStart, count, reverse, blockFirst, gx, packed, bHh, h, c, output, lengths,
                  gh, hRaw, cNew, nullptr, nullptr, nullptr, g_parallel_flops};
  sf.outStep = time > 0 ? H : B * H;
  sf.outRow = time > 0 ? time * H : H;
  if (info.Length() > 17 && !info[17].IsNull() && !info[17].IsUndefined()) {
    size_t lsh, lsc, lcaAll;
    sf.savedH = A.floats(17, "savedH", &lsh);
    sf.savedC = A.floats(18, "savedC", &lsc, true);
    sf.cacheAll = A.floats(19, "cacheAll", &lcaAll);
    if (count > 0) {
      A.fits("savedH", lsh, tMax * B * H, B, H, H);
      A.fits("cacheAll", lcaAll, tMax * B * CW, B, CW, CW);
      if (kind == CELL_LSTM) {
        if (!sf.savedC) A.fail("LSTM needs savedC");
        A.fits("savedC", lsc, tMax * B * H, B, H, H);
      }
    }
    if (A.failed) return info.Env().Undefined();
  }
  if (projecting) {
    size_t lx, lbi;
    sf.x = A.floats(20, "x", &lx);
    const long I = A.integer(21, "inputSize");
    const PackedHeader* pi = packed_arg(A, 22, "packedIh");
    sf.bIh = A.floats(23, "bIh", &lbi, true);
    if (A.failed || !pi) return info.Env().Undefined();
    if (pi->k != I || pi->n != W) {
      A.fail("packedIh must be W_ih transposed, [inputSize, gates*hidden] = [" + std::to_string(I) + ", " +
             std::to_string(W) + "], but it is [" + std::to_string(pi->k) + ", " + std::to_string(pi->n) + "]");
    }
    sf.xStep = time > 0 ? I : B * I;
    sf.xRow = time > 0 ? time * I : I;
    if (count > 0) A.fits("x", lx, tMax * sf.xStep, B, I, sf.xRow);
    if (sf.bIh) A.fits("bIh", lbi, 0, 1, W, W);
    if (A.failed) return info.Env().Undefined();
    sf.inputSize = (int)I;
    sf.packedIh = packed_data(const_cast<PackedHeader*>(pi));
  }
  forward_steps(*g_table, run_gemm, sf);
  return info.Env().Undefined();
}

// recurrentBackward(kind, rows, hidden, T, reverse, lengths, packedHh, gOut, dhCarry, dcCarry,
//                   cacheAll, savedH, savedC, dgx, dgh, dhT, dc, dhDirect, dcPrev, dhPrev, dbIh, dbHh)
//
// The mirror of backwardThroughTime's per-step loop (src/nn/recurrent/fused.ts; a change to one
// must be made to the other), without an LSTM projection: for every step in the opposite order
// of the forward (`reverse` is the forward's direction), maskStepBackward, the cell's backward
// kernel into dgx/dgh at t, dh_prev = dgh_t·W_hh (packedHh: W_hh packed, [G·hidden, hidden]),
// maskCarryBackward. dhCarry/dcCarry come in as the gradients of the final state and leave as
// those of the initial state. dgh may be the same array as dgx (no direct h path: RNN, LSTM).
// dhT, dc, dhDirect, dcPrev, dhPrev: scratch of (rows, hidden) each. dbIh, dbHh (G·hidden, or
// null): bias gradients, to which every step adds the column sums of its rows of dgx (dgh), in
// the order the steps are processed.
Napi::Value RecurrentBackwardFn(const Napi::CallbackInfo& info) {
  Args A(info);
  const long kind = A.integer(0, "kind"), B = A.integer(1, "rows"), H = A.integer(2, "hidden");
  const long T = A.integer(3, "T");
  const bool reverse = A.boolean(4);
  if (!A.failed && kind >= CELL_KIND_COUNT) A.fail("kind must be 0.." + std::to_string(CELL_KIND_COUNT - 1));
  const int32_t* lengths = nullptr;
  if (!A.failed && info.Length() > 5 && !info[5].IsNull() && !info[5].IsUndefined()) {
    if (!info[5].IsTypedArray() || info[5].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
      A.fail("lengths must be an Int32Array or null");
    } else {
      Napi::Int32Array l = info[5].As<Napi::Int32Array>();
      if ((long)l.ElementLength() != B) A.fail("lengths must have one entry per row");
      lengths = l.Data();
    }
  }
  const PackedHeader* ph = packed_arg(A, 6, "packedHh");
  if (!ph) return info.Env().Undefined();
  const long W = gates_of((int)kind) * H, CW = cache_width_of((int)kind, (int)H);
  if (ph->k != W || ph->n != H) {
    A.fail("packedHh must be W_hh, [gates*hidden, hidden] = [" + std::to_string(W) + ", " + std::to_string(H) +
           "], but it is [" + std::to_string(ph->k) + ", " + std::to_string(ph->n) + "]");
  }
  const bool lstm = kind == CELL_LSTM;
  size_t lg, ldh, ldc, lca, lsh, lsc, ldgx, ldgh, l1, l2, l3, l4, l5;
  float* gOut = A.floats(7, "gOut", &lg);
  float* dhCarry = A.floats(8, "dhCarry", &ldh);
  float* dcCarry = A.floats(9, "dcCarry", &ldc, true);
  float* cacheAll = A.floats(10, "cacheAll", &lca);
  float* savedH = A.floats(11, "savedH", &lsh);
  float* savedC = A.floats(12, "savedC", &lsc, true);
  float* dgx = A.floats(13, "dgx", &ldgx);
  float* dgh = A.floats(14, "dgh", &ldgh);
  float* dhT = A.floats(15, "dhT", &l1);
  float* dc = A.floats(16, "dc", &l2, true);
  float* dhDirect = A.floats(17, "dhDirect", &l3);
  float* dcPrev = A.floats(18, "dcPrev", &l4, true);
  float* dhPrev = A.floats(19, "dhPrev", &l5);
  size_t ldbi, ldbh;
  float* dbIh = A.floats(20, "dbIh", &ldbi, true);
  float* dbHh = A.floats(21, "dbHh", &ldbh, true);
  if (A.failed) return info.Env().Undefined();
  if (dbIh) A.fits("dbIh", ldbi, 0, 1, W, W);
  if (dbHh) A.fits("dbHh", ldbh, 0, 1, W, W);
  A.fits("gOut", lg, 0, T * B, H, H);
  A.fits("cacheAll", lca, 0, T * B, CW, CW);
  A.fits("savedH", lsh, 0, T * B, H, H);
  A.fits("dgx", ldgx, 0, T * B, W, W);
  A.fits("dgh", ldgh, 0, T * B, W, W);
  for (auto [what, len] : {std::pair<const char*, size_t>{"dhCarry", ldh}, {"dhT", l1}, {"dhDirect", l3}, {"dhPrev", l5}})
    A.fits(what, len, 0, B, H, H);
  if (lstm) {
    if (!dcCarry || !savedC || !dc || !dcPrev) A.fail("LSTM needs dcCarry, savedC, dc and dcPrev");
    A.fits("savedC", lsc, 0, T * B, H, H);
    for (auto [what, len] : {std::pair<const char*, size_t>{"dcCarry", ldc}, {"dc", l2}, {"dcPrev", l4}})
      A.fits(what, len, 0, B, H, H);
  }
  if (A.failed || B == 0 || H == 0 || T == 0) return info.Env().Undefined();
  StepsBackward sb{(int)kind, (int)B, (int)H, T, reverse, lengths, packed_data(const_cast<PackedHeader*>(ph)), gOut,
                   dhCarry, lstm ? dcCarry : nullptr, cacheAll, savedH, lstm ? savedC : nullptr, dgx, dgh, dhT,
                   lstm ? dc : nullptr, dhDirect, lstm ? dcPrev : nullptr, dhPrev, dbIh, dbHh, nullptr};
  std::vector<float> sums(dbIh || dbHh ? W : 0);
  sb.sums = sums.data();
  backward_steps(*g_table, run_gemm, sb);
  return info.Env().Undefined();
}

// cellBackward(kind, rows, hidden, dh, dc, cache, cacheOff, hPrev, hPrevOff, cPrev, cPrevOff,
//              dgx, dgxOff, dgh, dghOff, dhPrev, dcPrev)
Napi::Value CellBackwardFn(const Napi::CallbackInfo& info) {
  Args A(info);
  const long kind = A.integer(0, "kind"), rows = A.integer(1, "rows"), H = A.integer(2, "hidden");
  if (!A.failed && kind >= CELL_KIND_COUNT) A.fail("kind must be 0.." + std::to_string(CELL_KIND_COUNT - 1));
  size_t ldh, ldc, lca, lhp, lcp, ldgx, ldgh, ldhp, ldcp;
  float* dh = A.floats(3, "dh", &ldh);
  float* dc = A.floats(4, "dc", &ldc, true);
  float* cache = A.floats(5, "cache", &lca);
  const long cacheOff = A.integer(6, "cacheOffset");
  float* hPrev = A.floats(7, "hPrev", &lhp);
  const long hPrevOff = A.integer(8, "hPrevOffset");
  float* cPrev = A.floats(9, "cPrev", &lcp, true);
  const long cPrevOff = A.integer(10, "cPrevOffset");
  float* dgx = A.floats(11, "dgx", &ldgx);
  const long dgxOff = A.integer(12, "dgxOffset");
  float* dgh = A.floats(13, "dgh", &ldgh);
  const long dghOff = A.integer(14, "dghOffset");
  float* dhPrev = A.floats(15, "dhPrev", &ldhp);
  float* dcPrev = A.floats(16, "dcPrev", &ldcp, true);
  if (A.failed) return info.Env().Undefined();
  const long W = gates_of((int)kind) * H;
  const long CW = cache_width_of((int)kind, (int)H);
  A.fits("dh", ldh, 0, rows, H, H);
  A.fits("cache", lca, cacheOff, rows, CW, CW);
  A.fits("dgx", ldgx, dgxOff, rows, W, W);
  A.fits("dgh", ldgh, dghOff, rows, W, W);
  A.fits("dhPrev", ldhp, 0, rows, H, H);
  if (kind == CELL_GRU) A.fits("hPrev", lhp, hPrevOff, rows, H, H);
  if (kind == CELL_LSTM) {
    if (!dc || !cPrev || !dcPrev) A.fail("LSTM needs dc, cPrev and dcPrev");
    A.fits("dc", ldc, 0, rows, H, H);
    A.fits("cPrev", lcp, cPrevOff, rows, H, H);
    A.fits("dcPrev", ldcp, 0, rows, H, H);
  }
  if (A.failed || rows == 0 || H == 0) return info.Env().Undefined();
  CellBackward a{(int)kind, (int)rows, (int)H, dh, dc, cache + cacheOff, hPrev + hPrevOff,
                 cPrev ? cPrev + cPrevOff : nullptr, dgx + dgxOff, dgh + dghOff, dhPrev, dcPrev};
  g_table->cell_backward(a);
  return info.Env().Undefined();
}

// ------------------------------------------------------------ column sums

struct ColumnSumsJob {
  const float* src;
  int rows, width, parts;
  float* out;
};

void column_sums_job(void* ctx, int part) {
  const ColumnSumsJob& j = *static_cast<ColumnSumsJob*>(ctx);
  // Split on 64-column boundaries so every part keeps whole vectors.
  const int blocks = (j.width + 63) / 64;
  const int j0 = std::min(j.width, blocks * part / j.parts * 64);
  const int j1 = std::min(j.width, blocks * (part + 1) / j.parts * 64);
  g_table->column_sums(j.src, j.rows, j.width, j0, j1, j.out);
}

// columnSums(src, rows, width, out)
Napi::Value ColumnSums(const Napi::CallbackInfo& info) {
  Args A(info);
  size_t ls, lo;
  float* src = A.floats(0, "src", &ls);
  const long rows = A.integer(1, "rows"), width = A.integer(2, "width");
  float* out = A.floats(3, "out", &lo);
  A.fits("src", ls, 0, rows, width, width);
  A.fits("out", lo, 0, 1, width, width);
  if (A.failed || width == 0) return info.Env().Undefined();
  ColumnSumsJob job{src, (int)rows, (int)width, pool_threads(), out};
  if (job.parts > 1 && (double)rows * width >= 1 << 18 && width >= 128 * job.parts) {
    parallel_chunks(job.parts, column_sums_job, &job, false);
  } else {
    g_table->column_sums(src, (int)rows, (int)width, 0, (int)width, out);
  }
  return info.Env().Undefined();
}

// ------------------------------------------------------------ Adam over all parameters

// The float32 Adam / AdamW update of every parameter in one call, bit-identical to the
// TypeScript reference (src/train/optimizers/adam.ts, adamKernel): the table's adam_update.

// A run of one parameter's elements, with that parameter's step size and sqrt(1 - beta2^t).
struct AdamPiece {
  double step_size, bc2_sqrt;
  long n;
  float *param, *grad, *m, *v, *vmax;
};
struct AdamJob {
  const AdamStepScalars* s;
  const std::vector<AdamPiece>* pieces;
};
constexpr size_t kAdamPiece = 1 << 15;  // 32K elements: 896 KiB of param, grad, m and v

void adam_piece(void* ctx, int i) {
  const AdamJob& j = *static_cast<AdamJob*>(ctx);
  const AdamPiece& q = (*j.pieces)[i];
  AdamStepScalars s = *j.s;
  s.step_size = q.step_size;
  s.bc2_sqrt = q.bc2_sqrt;
  g_table->adam_update(s, q.n, q.param, q.grad, q.m, q.v, q.vmax);
}

// adamStep(arrays, perParam, scalars, flags): arrays holds, per parameter, param, grad, m, v (and
// vmax with amsgrad), all Float32Arrays of one length; perParam (Float64Array) the parameter's
// step size and sqrt(1 - beta2^t); scalars (Float64Array) b1, b2, 1 - b1, 1 - b2, eps, weight
// decay, 1 - lr * weight decay; flags: 1 decoupled (AdamW), 2 weight decay as an L2 term,
// 4 amsgrad, 8 maximize.
Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto fail = [&](const std::string& message) {
    Napi::TypeError::New(env, "adamStep: " + message).ThrowAsJavaScriptException();
    return env.Undefined();
  };
  if (info.Length() < 4 || !info[0].IsArray() || !info[1].IsTypedArray() || !info[2].IsTypedArray() || !info[3].IsNumber())
    return fail("takes (arrays, perParam, scalars, flags)");
  const Napi::Array arrays = info[0].As<Napi::Array>();
  const Napi::TypedArray per_ta = info[1].As<Napi::TypedArray>();
  const Napi::TypedArray sc_ta = info[2].As<Napi::TypedArray>();
  if (per_ta.TypedArrayType() != napi_float64_array || sc_ta.TypedArrayType() != napi_float64_array || sc_ta.ElementLength() != 7)
    return fail("perParam and scalars must be Float64Arrays (scalars of 7 values)");
  const double* per = per_ta.As<Napi::Float64Array>().Data();
  const double* sc = sc_ta.As<Napi::Float64Array>().Data();
  const int flags = info[3].As<Napi::Number>().Int32Value();
  AdamStepScalars s{sc[0], sc[1], sc[2], sc[3], sc[4], sc[5], sc[6], (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0, (flags & 8) != 0, 0.0, 0.0};
  const size_t each = s.amsgrad ? 5 : 4;
  const size_t count = arrays.Length() / each;
  if (arrays.Length() != count * each || per_ta.ElementLength() != 2 * count) return fail("arrays and perParam do not describe the same parameters");
  // Every parameter's arrays first (N-API calls stay on this thread), then the updates in pieces
  // of at most kAdamPiece elements, shared with the pool when there are enough of them.
  std::vector<AdamPiece> pieces;
  for (size_t p = 0; p < count; p++) {
    size_t n = 0;
    float* ptr[5] = {nullptr, nullptr, nullptr, nullptr, nullptr};
    for (size_t k = 0; k < each; k++) {
      Napi::Value el = arrays.Get((uint32_t)(p * each + k));
      if (!el.IsTypedArray() || el.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) return fail("every array must be a Float32Array");
      Napi::Float32Array f = el.As<Napi::Float32Array>();
      if (k == 0) n = f.ElementLength();
      else if (f.ElementLength() != n) return fail("parameter " + std::to_string(p) + ": its arrays differ in length");
      ptr[k] = f.Data();
    }
    for (size_t i0 = 0; i0 < n; i0 += kAdamPiece) {
      const long len = (long)std::min(kAdamPiece, n - i0);
      pieces.push_back({per[2 * p], per[2 * p + 1], len, ptr[0] + i0, ptr[1] + i0, ptr[2] + i0, ptr[3] + i0,
                        s.amsgrad ? ptr[4] + i0 : nullptr});
    }
  }
  AdamJob job{&s, &pieces};
  if (pieces.size() >= 4) parallel_chunks((int)pieces.size(), adam_piece, &job, /*compute_bound=*/false);
  else
    for (size_t i = 0; i < pieces.size(); i++) adam_piece(&job, (int)i);
  return env.Undefined();
}

// ------------------------------------------------------------ element-wise loss gradient

// pointwiseLossBackward(kind, delta, x, y, g, g0, scale, gi): gi[i] = f'(x[i] - y[i]) · (g[i], or
// g0 when g is null) · scale, kind 0 mse (f' = 2d), 1 l1 (sign d, 0 at 0), 2 huber (d clamped
// to [-delta, delta]); every operation in double precision in the order of the TypeScript loop
// (pointwiseBackward in src/train/losses.ts), so the values are the same, bit for bit.
template <int KIND>
void loss_backward(long n, double delta, const float* x, const float* y, const float* g, double g0, double scale,
                   float* gi) {
  for (long i = 0; i < n; i++) {
    const double d = (double)x[i] - (double)y[i];
    double slope;
    if (KIND == 0) {
      slope = 2 * d;
    } else if (KIND == 1) {
      slope = d > 0 ? 1.0 : d < 0 ? -1.0 : d;
    } else {
      slope = d < -delta ? -delta : d > delta ? delta : d;
    }
    gi[i] = (float)(slope * (g ? (double)g[i] : g0) * scale);
  }
}

Napi::Value PointwiseLossBackward(const Napi::CallbackInfo& info) {
  Args A(info);
  const long lossKind = A.integer(0, "kind");
  double delta = 0, g0 = 0, scale = 0;
  if (!A.failed && (info.Length() < 8 || !info[1].IsNumber() || !info[5].IsNumber() || !info[6].IsNumber()))
    A.fail("delta, g0 and scale must be numbers");
  if (!A.failed) {
    delta = info[1].As<Napi::Number>().DoubleValue();
    g0 = info[5].As<Napi::Number>().DoubleValue();
    scale = info[6].As<Napi::Number>().DoubleValue();
  }
  if (!A.failed && lossKind > 2) A.fail("kind must be 0 (mse), 1 (l1) or 2 (huber)");
  size_t lx, ly, lg, lgi;
  const float* x = A.floats(2, "x", &lx);
  const float* y = A.floats(3, "y", &ly);
  const float* g = A.floats(4, "g", &lg, true);
  float* gi = A.floats(7, "gi", &lgi);
  if (!A.failed && (ly != lx || lgi != lx || (g && lg != lx))) A.fail("x, y, g and gi must have the same length");
  if (A.failed) return info.Env().Undefined();
  const long n = (long)lx;
  if (lossKind == 0) loss_backward<0>(n, delta, x, y, g, g0, scale, gi);
  else if (lossKind == 1) loss_backward<1>(n, delta, x, y, g, g0, scale, gi);
  else loss_backward<2>(n, delta, x, y, g, g0, scale, gi);
  return info.Env().Undefined();
}

// ------------------------------------------------------------ gradient sums

// addInto(target, source): target[i] += source[i] (float32 additions, as the TypeScript loop in
// src/tensor/autograd.ts; the compiler vectorizes the loop, which changes no rounding).
Napi::Value AddInto(const Napi::CallbackInfo& info) {
  Args A(info);
  size_t lt, ls;
  float* target = A.floats(0, "target", &lt);
  const float* source = A.floats(1, "source", &ls);
  if (!A.failed && lt != ls) A.fail("target and source must have the same length");
  if (A.failed) return info.Env().Undefined();
  float* __restrict t = target;
  const float* __restrict s = source;
  for (size_t i = 0; i < lt; ++i) t[i] += s[i];
  return info.Env().Undefined();
}

// ------------------------------------------------------------ additive attention scores

// additiveScores(batch, steps, source, H, q, k, v, scores): see additive_scores in kernels_impl.h;
// q [batch, steps, H], k [batch, source, H], v [H], scores [batch, steps, source].
Napi::Value AdditiveScores(const Napi::CallbackInfo& info) {
  Args A(info);
  const long batch = A.integer(0, "batch"), steps = A.integer(1, "steps"), source = A.integer(2, "source"),
             H = A.integer(3, "H");
  size_t lq, lk, lv, ls;
  const float* q = A.floats(4, "q", &lq);
  const float* k = A.floats(5, "k", &lk);
  const float* v = A.floats(6, "v", &lv);
  float* scores = A.floats(7, "scores", &ls);
  A.fits("q", lq, 0, batch * steps, H, H);
  A.fits("k", lk, 0, batch * source, H, H);
  A.fits("v", lv, 0, 1, H, H);
  A.fits("scores", ls, 0, batch * steps, source, source);
  if (A.failed || batch * steps * source * H == 0) return info.Env().Undefined();
  g_table->additive_scores((int)batch, (int)steps, (int)source, (int)H, q, k, v, scores);
  return info.Env().Undefined();
}

// additiveScoresBackward(batch, steps, source, H, g, q, k, v, dq, dk, dv): accumulates into dq, dk
// and dv (each may be null); see additive_scores_backward in kernels_impl.h.
Napi::Value AdditiveScoresBackward(const Napi::CallbackInfo& info) {
  Args A(info);
  const long batch = A.integer(0, "batch"), steps = A.integer(1, "steps"), source = A.integer(2, "source"),
             H = A.integer(3, "H");
  size_t lg, lq, lk, lv, ldq, ldk, ldv;
  const float* g = A.floats(4, "g", &lg);
  const float* q = A.floats(5, "q", &lq);
  const float* k = A.floats(6, "k", &lk);
  const float* v = A.floats(7, "v", &lv);
  float* dq = A.floats(8, "dq", &ldq, true);
  float* dk = A.floats(9, "dk", &ldk, true);
  float* dv = A.floats(10, "dv", &ldv, true);
  A.fits("g", lg, 0, batch * steps, source, source);
  A.fits("q", lq, 0, batch * steps, H, H);
  A.fits("k", lk, 0, batch * source, H, H);
  A.fits("v", lv, 0, 1, H, H);
  if (dq) A.fits("dq", ldq, 0, batch * steps, H, H);
  if (dk) A.fits("dk", ldk, 0, batch * source, H, H);
  if (dv) A.fits("dv", ldv, 0, 1, H, H);
  if (A.failed || batch * steps * source * H == 0) return info.Env().Undefined();
  g_table->additive_scores_backward((int)batch, (int)steps, (int)source, (int)H, g, q, k, v, dq, dk, dv);
  return info.Env().Undefined();
}

// ------------------------------------------------------------ input checks

// firstNonFinite(values) -> the index of the first NaN or infinity in a Float32Array, or -1.
// Blocks of 256 values are tested without branches (the exponent bits all ones), so the loop
// vectorizes; only a block with a hit is searched element by element.
Napi::Value FirstNonFinite(const Napi::CallbackInfo& info) {
  Args A(info);
  size_t n;
  const float* v = A.floats(0, "values", &n);
  if (A.failed) return info.Env().Undefined();
  const uint32_t* bits = reinterpret_cast<const uint32_t*>(v);
  constexpr uint32_t kExp = 0x7f800000u;
  for (size_t i0 = 0; i0 < n; i0 += 256) {
    const size_t i1 = std::min(n, i0 + 256);
    uint32_t hit = 0;
    for (size_t i = i0; i < i1; ++i) hit |= (bits[i] & kExp) == kExp;
    if (!hit) continue;
    for (size_t i = i0; i < i1; ++i)
      if ((bits[i] & kExp) == kExp) return Napi::Number::New(info.Env(), (double)i);
  }
  return Napi::Number::New(info.Env(), -1);
}

// ------------------------------------------------------------ configuration

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("isa", g_table->name);
  Napi::Array isas = Napi::Array::New(env);
  uint32_t i = 0;
  for (const char* name : {"avx512", "avx2", "generic"}) {
    if (isa_supported(name) && table_for(name)) isas.Set(i++, name);
  }
  o.Set("isas", isas);
  o.Set("threads", pool_threads());
  o.Set("spinMicros", pool_spin_us());
  o.Set("parallelFlops", g_parallel_flops);
  const PoolStats st = pool_stats();
  Napi::Object stats = Napi::Object::New(env);
  stats.Set("parallelJobs", st.parallel_jobs);
  stats.Set("backoffJobs", st.backoff_jobs);
  stats.Set("backoffs", st.backoffs);
  stats.Set("callerChunks", st.caller_chunks);
  stats.Set("workerChunks", st.worker_chunks);
  o.Set("pool", stats);
  o.Set("mr", g_table->mr);
  o.Set("nr", g_table->nr);
  o.Set("kc", g_table->kc);
  return o;
}

// setIsa(name) -> boolean: whether that kernel set is supported here (and now in use)
Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(info.Env(), "setIsa expects a name").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  const std::string name = info[0].As<Napi::String>();
  if (!isa_supported(name) || !table_for(name)) return Napi::Boolean::New(info.Env(), false);
  g_table = table_for(name);
  return Napi::Boolean::New(info.Env(), true);
}

// configure({ threads?, spinMicros?, parallelFlops? })
Napi::Value Configure(const Napi::CallbackInfo& info) {
  if (info.Length() >= 1 && info[0].IsObject()) {
    Napi::Object o = info[0].As<Napi::Object>();
    if (o.Has("threads") && o.Get("threads").IsNumber()) set_pool_threads(o.Get("threads").As<Napi::Number>().Int32Value());
    if (o.Has("spinMicros") && o.Get("spinMicros").IsNumber())
      set_pool_spin_us(o.Get("spinMicros").As<Napi::Number>().Int32Value());
    if (o.Has("packAMinPanels") && o.Get("packAMinPanels").IsNumber())
      *g_table->pack_a_min_panels = o.Get("packAMinPanels").As<Napi::Number>().Int32Value();
    if (o.Has("parallelFlops") && o.Get("parallelFlops").IsNumber())
      g_parallel_flops = o.Get("parallelFlops").As<Napi::Number>().DoubleValue();
  }
  return Info(info);
}

// A training step allocates tens of MB of tensors and frees them by the next step. glibc serves
// blocks above its mmap threshold with fresh pages (each faults on first touch, and calloc's are
// zeroed by the kernel) and trims freed heap memory back to the system, so every step paid the
// page faults again. Raised thresholds keep the blocks in the heap for the next step. Skipped when
// the user set glibc's own MALLOC_* variables, or RECURRENT_MALLOC=default.
void keep_freed_memory() {
#if defined(__GLIBC__)
  const char* mode = std::getenv("RECURRENT_MALLOC");
  if (mode && std::strcmp(mode, "default") == 0) return;
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") || std::getenv("MALLOC_TRIM_THRESHOLD_") || std::getenv("MALLOC_TOP_PAD_"))
    return;
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  choose_default_table();
  keep_freed_memory();
  exports.Set("gemm", Napi::Function::New(env, Gemm, "gemm"));
  exports.Set("packB", Napi::Function::New(env, PackB, "packB"));
  exports.Set("gemmPacked", Napi::Function::New(env, GemmPacked, "gemmPacked"));
  exports.Set("releasePacked", Napi::Function::New(env, ReleasePacked, "releasePacked"));
  exports.Set("cellForward", Napi::Function::New(env, CellForwardFn, "cellForward"));
  exports.Set("cellBackward", Napi::Function::New(env, CellBackwardFn, "cellBackward"));
  exports.Set("recurrentSteps", Napi::Function::New(env, RecurrentStepsFn, "recurrentSteps"));
  exports.Set("recurrentBackward", Napi::Function::New(env, RecurrentBackwardFn, "recurrentBackward"));
  exports.Set("columnSums", Napi::Function::New(env, ColumnSums, "columnSums"));
  exports.Set("adamStep", Napi::Function::New(env, AdamStep, "adamStep"));
  exports.Set("firstNonFinite", Napi::Function::New(env, FirstNonFinite, "firstNonFinite"));
  exports.Set("addInto", Napi::Function::New(env, AddInto, "addInto"));
  exports.Set("additiveScores", Napi::Function::New(env, AdditiveScores, "additiveScores"));
  exports.Set("additiveScoresBackward", Napi::Function::New(env, AdditiveScoresBackward, "additiveScoresBackward"));
  exports.Set("pointwiseLossBackward", Napi::Function::New(env, PointwiseLossBackward, "pointwiseLossBackward"));
  exports.Set("info", Napi::Function::New(env, Info, "info"));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa, "setIsa"));
  exports.Set("configure", Napi::Function::New(env, Configure, "configure"));
  return exports;
}

}  // namespace
}  // namespace rn

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return rn::Init(env, exports); }
NODE_API_MODULE(recurrent_native, InitModule)
