// The kernels, written once over GCC/Clang vector extensions and compiled once per ISA.
// Before including, a TU defines:
//   RN_NS     namespace of this copy            RN_VB  vector width in bytes (16, 32, 64)
//   RN_MR     rows of the register tile          RN_NV  vectors per tile row (tile is MR x NV*VW)
//   RN_KC     K-block length                     RN_MC  rows of A packed per block
//   RN_TABLE  name of the exported KernelTable   RN_TABLE_NAME  its string name
//
// GEMM (GotoBLAS-style): for each K-block, B is packed into panels of NR columns ([kc][NR], zero
// padded) and A into row tiles ([kc][MR]); a register-blocked microkernel accumulates an
// MR x NR tile of C over the K-block. Prepacked B matrices hold every K-block:
//   offset of (K-block starting at k0, panel q) = k0 * panels * NR + q * kc * NR.
//
// Pointwise cell kernels use a polynomial exp (Cephes expf coefficients, |rel err| < 2 ulp)
// for sigmoid and tanh, vectorized over the hidden dimension.
#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace rn {
namespace RN_NS {

constexpr int VW = RN_VB / 4;
constexpr int MR = RN_MR;
constexpr int NV = RN_NV;
constexpr int NR = NV * VW;
constexpr int KC = RN_KC;
constexpr int MC = RN_MC;
constexpr int NC_PANELS = 4096 / NR;  // column block for unpacked B (bounds the packing buffer)

typedef float vf __attribute__((vector_size(RN_VB)));
typedef int32_t vi __attribute__((vector_size(RN_VB)));

static inline vf loadu(const float* p) {
  vf v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
static inline void storeu(float* p, vf v) { std::memcpy(p, &v, sizeof v); }
static inline vf splat(float s) {
#if RN_VB == 64 && defined(__AVX512F__)
  return (vf)_mm512_set1_ps(s);
#elif RN_VB == 32 && defined(__AVX__)
  return (vf)_mm256_set1_ps(s);
#elif RN_VB == 16 && defined(__SSE__)
  return (vf)_mm_set1_ps(s);
#else
  vf v;
#pragma GCC unroll 16
  for (int i = 0; i < VW; ++i) v[i] = s;
  return v;
#endif
}
// First `n` lanes from p, the rest zero.
static inline vf load_n(const float* p, int n) {
  float t[VW] = {};
  for (int i = 0; i < n; ++i) t[i] = p[i];
  return loadu(t);
}
static inline void store_n(float* p, vf v, int n) {
  float t[VW];
  storeu(t, v);
  for (int i = 0; i < n; ++i) p[i] = t[i];
}

// ---------------------------------------------------------------- GEMM

static size_t packed_floats(int k, int n) { return (size_t)k * (size_t)((n + NR - 1) / NR) * NR; }

// One K-block of op(B): rows [0, kc) from `b` (already at the block's first row and column),
// columns [0, ncols), as panels of NR columns each [kc][NR].
static void pack_b_block(int kc, int ncols, const float* b, long ldb, bool transB, float* dst) {
  for (int j0 = 0; j0 < ncols; j0 += NR) {
    const int w = std::min(NR, ncols - j0);
    if (!transB) {
      for (int p = 0; p < kc; ++p) {
        const float* src = b + (long)p * ldb + j0;
        float* d = dst + (long)p * NR;
        if (w == NR) {
          for (int v = 0; v < NV; ++v) storeu(d + v * VW, loadu(src + v * VW));
        } else {
          int j = 0;
          for (; j < w; ++j) d[j] = src[j];
          for (; j < NR; ++j) d[j] = 0.f;
        }
      }
    } else {
      for (int jj = 0; jj < w; ++jj) {
        const float* src = b + (long)(j0 + jj) * ldb;
        for (int p = 0; p < kc; ++p) dst[(long)p * NR + jj] = src[p];
      }
      for (int jj = w; jj < NR; ++jj)
        for (int p = 0; p < kc; ++p) dst[(long)p * NR + jj] = 0.f;
    }
    dst += (long)kc * NR;
  }
}

static void pack_b(int k, int n, const float* b, long ldb, bool transB, float* dst) {
  const long panels = (n + NR - 1) / NR;
  for (int k0 = 0; k0 < k; k0 += KC) {
    const int kc = std::min(KC, k - k0);
    const float* src = transB ? b + k0 : b + (long)k0 * ldb;
    pack_b_block(kc, n, src, ldb, transB, dst + (long)k0 * panels * NR);
  }
}

// Rows [0, rows) x K-block [0, kc) of op(A) (a already at the first row and k), as tiles of MR
// rows, each [kc][r] with r = min(MR, rows left).
static void pack_a(int rows, int kc, const float* a, long lda, bool transA, float* dst) {
  for (int i0 = 0; i0 < rows; i0 += MR) {
    const int r = std::min(MR, rows - i0);
    if (!transA) {
      for (int rr = 0; rr < r; ++rr) {
        const float* src = a + (long)(i0 + rr) * lda;
        for (int p = 0; p < kc; ++p) dst[p * r + rr] = src[p];
      }
    } else {
      for (int p = 0; p < kc; ++p) {
        const float* src = a + (long)p * lda + i0;
        for (int rr = 0; rr < r; ++rr) dst[p * r + rr] = src[rr];
      }
    }
    dst += (long)r * kc;
  }
}

// C tile (R rows, ncols <= NR columns) = [C +] A-tile · B-panel [+ bias]. A element (r, p) is at
// ap[r * ars + p * aps]: packed tiles have ars = 1, aps = R; plain A has (lda, 1) or (1, lda).
template <int R>
static inline void micro(int kc, const float* __restrict ap, long ars, long aps, const float* __restrict bp,
                         float* __restrict c, long ldc, int ncols, bool accumulate, const float* __restrict bias) {
  vf acc[R][NV];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) acc[r][v] = vf{};
  for (int p = 0; p < kc; ++p) {
    vf bv[NV];
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) bv[v] = loadu(bp + v * VW);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const vf av = splat(ap[r * ars]);
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) acc[r][v] += av * bv[v];
    }
    ap += aps;
    bp += NR;
  }
  if (ncols == NR) {
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      float* cr = c + (long)r * ldc;
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) {
        vf x = acc[r][v];
        if (bias) x += loadu(bias + v * VW);
        if (accumulate) x += loadu(cr + v * VW);
        storeu(cr + v * VW, x);
      }
    }
  } else {
    for (int r = 0; r < R; ++r) {
      float t[NR];
      for (int v = 0; v < NV; ++v) storeu(t + v * VW, acc[r][v]);
      float* cr = c + (long)r * ldc;
      for (int j = 0; j < ncols; ++j) {
        float x = t[j];
        if (bias) x += bias[j];
        if (accumulate) x += cr[j];
        cr[j] = x;
      }
    }
  }
}

// One row of C against NP full panels at once: NP*NV independent accumulators instead of NV, so
// a one-row GEMM (batch 1) is not bound by the latency of one chain of FMAs. Each element sums the
// same products in the same order as micro<1>, so the values are the same.
template <int NP>
static inline void micro_row(int kc, const float* __restrict ap, long aps, const float* __restrict bp, long bstride,
                             float* __restrict c, bool accumulate, const float* __restrict bias) {
  vf acc[NP][NV];
#pragma GCC unroll 8
  for (int q = 0; q < NP; ++q)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) acc[q][v] = vf{};
  for (int p = 0; p < kc; ++p) {
    const vf av = splat(ap[p * aps]);
#pragma GCC unroll 8
    for (int q = 0; q < NP; ++q)
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) acc[q][v] += av * loadu(bp + q * bstride + (long)p * NR + v * VW);
  }
#pragma GCC unroll 8
  for (int q = 0; q < NP; ++q)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) {
      float* cq = c + q * NR + v * VW;
      vf x = acc[q][v];
      if (bias) x += loadu(bias + q * NR + v * VW);
      if (accumulate) x += loadu(cq);
      storeu(cq, x);
    }
}

typedef void (*MicroFn)(int, const float*, long, long, const float*, float*, long, int, bool, const float*);
// micro<R> for R = 1..8, index R-1 (only R <= MR is used).
static const MicroFn kMicro[8] = {&micro<1>, &micro<2>, &micro<3>, &micro<4>,
                                  &micro<5>, &micro<6>, &micro<7>, &micro<8>};

struct Buffers {
  std::vector<float> a, b;
};
static thread_local Buffers tls;

static float* grow(std::vector<float>& v, size_t n) {
  if (v.size() < n) v.resize(n);
  return v.data();
}

// A is packed into tiles when a block of it is reused across at least this many B panels;
// below that the microkernel reads A in place (packing would cost more than it saves).
int g_pack_a_min_panels = 8;

static void gemm_part(const GemmProblem& P, int i0, int i1, int q0, int q1) {
  const int n = P.n, k = P.k;
  const long panels = (n + NR - 1) / NR;
  if (i0 >= i1 || q0 >= q1) return;
  if (k == 0) {
    const int j0 = q0 * NR, j1 = std::min(n, q1 * NR);
    for (int i = i0; i < i1; ++i) {
      float* cr = P.c + (long)i * P.ldc;
      for (int j = j0; j < j1; ++j) {
        float x = P.accumulate ? cr[j] : 0.f;
        if (P.bias) x += P.bias[j];
        cr[j] = x;
      }
    }
    return;
  }
  // A transposed is read down columns (one cache line per k): always pack it.
  const bool packA = P.transA || (!P.aInPlace && q1 - q0 >= g_pack_a_min_panels);
  float* abuf = packA ? grow(tls.a, (size_t)MC * KC) : nullptr;
  for (int qc0 = q0; qc0 < q1; qc0 += (P.packed ? q1 - q0 : NC_PANELS)) {
    const int qc1 = P.packed ? q1 : std::min(q1, qc0 + NC_PANELS);
    const int jc0 = qc0 * NR, jc1 = std::min(n, qc1 * NR);
    for (int k0 = 0; k0 < k; k0 += KC) {
      const int kc = std::min(KC, k - k0);
      const float* bblk;
      if (P.packed) {
        bblk = P.packed + (long)k0 * panels * NR + (long)qc0 * kc * NR;
      } else {
        float* bbuf = grow(tls.b, (size_t)KC * (qc1 - qc0) * NR);
        const float* src = P.transB ? P.b + (long)jc0 * P.ldb + k0 : P.b + (long)k0 * P.ldb + jc0;
        pack_b_block(kc, jc1 - jc0, src, P.ldb, P.transB, bbuf);
        bblk = bbuf;
      }
      const bool acc = k0 > 0 || P.accumulate;
      const float* bias = k0 == 0 ? P.bias : nullptr;
      for (int ib = i0; ib < i1; ib += MC) {
        const int mc = std::min(MC, i1 - ib);
        const float* asrc = P.transA ? P.a + (long)k0 * P.lda + ib : P.a + (long)ib * P.lda + k0;
        if (packA) pack_a(mc, kc, asrc, P.lda, P.transA, abuf);
        int q = qc0;
        if (mc == 1) {
          const float* a1 = packA ? abuf : asrc;
          const long aps = packA ? 1 : P.transA ? P.lda : 1;
          for (; q + 4 <= qc1 && (q + 4) * NR <= n; q += 4) {
            micro_row<4>(kc, a1, aps, bblk + (long)(q - qc0) * kc * NR, (long)kc * NR, P.c + (long)ib * P.ldc + q * NR,
                         acc, bias ? bias + q * NR : nullptr);
          }
        }
        for (; q < qc1; ++q) {
          const float* bp = bblk + (long)(q - qc0) * kc * NR;
          const int jc = q * NR;
          const int ncols = std::min(NR, n - jc);
          float* crow = P.c + (long)ib * P.ldc + jc;
          const float* bj = bias ? bias + jc : nullptr;
          for (int ir = 0; ir < mc; ir += MR) {
            const int r = std::min(MR, mc - ir);
            if (packA) {
              kMicro[r - 1](kc, abuf + (long)ir * kc, 1, r, bp, crow + (long)ir * P.ldc, P.ldc, ncols, acc, bj);
            } else if (P.transA) {
              kMicro[r - 1](kc, asrc + ir, 1, P.lda, bp, crow + (long)ir * P.ldc, P.ldc, ncols, acc, bj);
            } else {
              kMicro[r - 1](kc, asrc + (long)ir * P.lda, P.lda, 1, bp, crow + (long)ir * P.ldc, P.ldc, ncols, acc, bj);
            }
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------- pointwise math

// a < b ? a : b (and a > b ? a : b): the x86 min/max instructions have exactly this meaning, NaN
// included, in one instruction where the vector extensions' select takes a compare and a blend.
static inline vf vmin(vf a, vf b) {
#if RN_VB == 64 && defined(__AVX512F__)
  return (vf)_mm512_min_ps((__m512)a, (__m512)b);
#elif RN_VB == 32 && defined(__AVX__)
  return (vf)_mm256_min_ps((__m256)a, (__m256)b);
#else
  return a < b ? a : b;
#endif
}
static inline vf vmax(vf a, vf b) {
#if RN_VB == 64 && defined(__AVX512F__)
  return (vf)_mm512_max_ps((__m512)a, (__m512)b);
#elif RN_VB == 32 && defined(__AVX__)
  return (vf)_mm256_max_ps((__m256)a, (__m256)b);
#else
  return a > b ? a : b;
#endif
}

// exp(x) for x clamped to [-87, 88]: x = n ln2 + r, |r| <= ln2/2, exp(r) by a degree-7 polynomial.
static inline vf vexp(vf x) {
  x = vmin(vmax(x, splat(-87.f)), splat(88.f));
  const vf t = x * splat(1.44269504088896341f);
#if RN_VB == 64 && defined(__AVX512F__)
  const vf n = (vf)_mm512_roundscale_ps((__m512)t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
#else
  const vf magic = splat(12582912.f);  // 1.5 * 2^23: adding and subtracting rounds to an integer
  const vf n = (t + magic) - magic;
#endif
  vf r = x - n * splat(0.693359375f);
  r = r - n * splat(-2.12194440e-4f);
  vf p = splat(1.9875691500e-4f);
  p = p * r + splat(1.3981999507e-3f);
  p = p * r + splat(8.3334519073e-3f);
  p = p * r + splat(4.1665795894e-2f);
  p = p * r + splat(1.6666665459e-1f);
  p = p * r + splat(5.0000001201e-1f);
  p = p * (r * r) + r + splat(1.f);
#if RN_VB == 64 && defined(__AVX512F__)
  // p * 2^n in one instruction; exact as the product with 2^n built from its exponent bits below.
  return (vf)_mm512_scalef_ps((__m512)p, (__m512)n);
#endif
  vi e = __builtin_convertvector(n, vi) + 127;
  e = e << 23;
  return p * (vf)e;
}
// 1/d: the hardware estimate refined by one Newton step where there is one (rcp14: 2^-14, after
// the step about 1 ulp; a division costs 10-20 cycles per vector, five times per LSTM element).
static inline vf vrecip(vf d) {
#if RN_VB == 64 && defined(__AVX512F__)
  const vf r = (vf)_mm512_maskz_rcp14_ps((__mmask16)0xffff, (__m512)d);
  return r * (splat(2.f) - d * r);
#elif RN_VB == 32 && defined(__AVX__)
  const vf r = (vf)_mm256_rcp_ps((__m256)d);
  return r * (splat(2.f) - d * r);
#else
  return splat(1.f) / d;
#endif
}
static inline vf vsigmoid(vf x) { return vrecip(splat(1.f) + vexp(-x)); }
static inline vf vtanh(vf x) { return splat(1.f) - splat(2.f) * vrecip(vexp(x + x) + splat(1.f)); }

// Loop over [J0, H) in vectors; the last partial vector goes through load_n/store_n.
#define RN_LOOP_H(H, ...) RN_LOOP_RANGE(0, H, __VA_ARGS__)
#define RN_LOOP_RANGE(J0, H, ...)                                                        \
  do {                                                                                   \
    int j_ = (J0);                                                                       \
    for (; j_ + VW <= (H); j_ += VW) {                                                   \
      const int j = j_;                                                                  \
      auto LD = [&](const float* p) { return loadu(p + j); };                            \
      auto ST = [&](float* p, vf v) { storeu(p + j, v); };                               \
      __VA_ARGS__                                                                        \
    }                                                                                    \
    if (j_ < (H)) {                                                                      \
      const int j = j_;                                                                  \
      const int cnt = (H) - j_;                                                          \
      auto LD = [&](const float* p) { return load_n(p + j, cnt); };                      \
      auto ST = [&](float* p, vf v) { store_n(p + j, v, cnt); };                         \
      __VA_ARGS__                                                                        \
    }                                                                                    \
  } while (0)

// KEEP: write the cache backward reads (training); inference skips those stores.
template <bool KEEP>
static void cell_forward_cols(const CellForward& A) {
  const int H = A.hidden;
  const int G = gates_of(A.kind);
  const int W = G * H;
  const int CW = cache_width_of(A.kind, H);
  const int J0 = A.col0, J1 = A.col1 < 0 ? H : A.col1;
  for (int b = 0; b < A.rows; ++b) {
    const float* gx = A.gx + (long)b * W;
    const float* gh = A.gh + (long)b * W;
    float* cache = KEEP ? A.cache + (long)b * CW : nullptr;
    float* hOut = A.hOut + (long)b * H;
    if (A.kind == CELL_RNN_TANH) {
      RN_LOOP_RANGE(J0, J1, {
        const vf h = vtanh(LD(gx) + LD(gh));
        ST(hOut, h);
        if (KEEP) ST(cache, h);
      });
    } else if (A.kind == CELL_RNN_RELU) {
      RN_LOOP_RANGE(J0, J1, {
        const vf pre = LD(gx) + LD(gh);
        const vf h = pre > vf{} ? pre : vf{};
        ST(hOut, h);
        if (KEEP) ST(cache, h);
      });
    } else if (A.kind == CELL_LSTM) {
      const float* cPrev = A.cPrev + (long)b * H;
      float* cOut = A.cOut + (long)b * H;
      RN_LOOP_RANGE(J0, J1, {
        const vf i = vsigmoid(LD(gx) + LD(gh));
        const vf f = vsigmoid(LD(gx + H) + LD(gh + H));
        const vf g = vtanh(LD(gx + 2 * H) + LD(gh + 2 * H));
        const vf o = vsigmoid(LD(gx + 3 * H) + LD(gh + 3 * H));
        const vf c = f * LD(cPrev) + i * g;
        const vf tc = vtanh(c);
        ST(cOut, c);
        ST(hOut, o * tc);
        if (KEEP) {
          ST(cache, i);
          ST(cache + H, f);
          ST(cache + 2 * H, g);
          ST(cache + 3 * H, o);
          ST(cache + 4 * H, tc);
        }
      });
    } else {
      const float* hPrev = A.hPrev + (long)b * H;
      RN_LOOP_RANGE(J0, J1, {
        const vf r = vsigmoid(LD(gx) + LD(gh));
        const vf z = vsigmoid(LD(gx + H) + LD(gh + H));
        const vf ghn = LD(gh + 2 * H);
        const vf n = vtanh(LD(gx + 2 * H) + r * ghn);
        ST(hOut, (splat(1.f) - z) * n + z * LD(hPrev));
        if (KEEP) {
          ST(cache, r);
          ST(cache + H, z);
          ST(cache + 2 * H, n);
          ST(cache + 3 * H, ghn);
        }
      });
    }
  }
}

static void cell_forward(const CellForward& A) {
  if (A.cache) {
    cell_forward_cols<true>(A);
  } else {
    cell_forward_cols<false>(A);
  }
}

static void cell_backward(const CellBackward& A) {
  const int H = A.hidden;
  const int G = gates_of(A.kind);
  const int W = G * H;
  const int CW = cache_width_of(A.kind, H);
  const vf one = splat(1.f);
  const int R1 = A.row1 < 0 ? A.rows : A.row1;
  for (int b = A.row0; b < R1; ++b) {
    const float* cache = A.cache + (long)b * CW;
    const float* dh = A.dh + (long)b * H;
    float* dgx = A.dgx + (long)b * W;
    float* dgh = A.dgh + (long)b * W;
    float* dhPrev = A.dhPrev + (long)b * H;
    if (A.kind == CELL_RNN_TANH || A.kind == CELL_RNN_RELU) {
      const bool relu = A.kind == CELL_RNN_RELU;
      RN_LOOP_H(H, {
        const vf h = LD(cache);
        const vf d = relu ? (h > vf{} ? LD(dh) : vf{}) : LD(dh) * (one - h * h);
        ST(dgx, d);
        ST(dgh, d);
        ST(dhPrev, vf{});
      });
    } else if (A.kind == CELL_LSTM) {
      const float* dc = A.dc + (long)b * H;
      const float* cPrev = A.cPrev + (long)b * H;
      float* dcPrev = A.dcPrev + (long)b * H;
      RN_LOOP_H(H, {
        const vf i = LD(cache), f = LD(cache + H), g = LD(cache + 2 * H), o = LD(cache + 3 * H);
        const vf tc = LD(cache + 4 * H);
        const vf dhj = LD(dh);
        const vf dct = LD(dc) + dhj * o * (one - tc * tc);
        const vf di = dct * g * i * (one - i);
        const vf df = dct * LD(cPrev) * f * (one - f);
        const vf dg = dct * i * (one - g * g);
        const vf dO = dhj * tc * o * (one - o);
        ST(dgx, di);
        ST(dgh, di);
        ST(dgx + H, df);
        ST(dgh + H, df);
        ST(dgx + 2 * H, dg);
        ST(dgh + 2 * H, dg);
        ST(dgx + 3 * H, dO);
        ST(dgh + 3 * H, dO);
        ST(dcPrev, dct * f);
        ST(dhPrev, vf{});
      });
    } else {
      const float* hPrev = A.hPrev + (long)b * H;
      RN_LOOP_H(H, {
        const vf r = LD(cache), z = LD(cache + H), n = LD(cache + 2 * H), ghn = LD(cache + 3 * H);
        const vf dhj = LD(dh);
        const vf dn = dhj * (one - z) * (one - n * n);
        const vf dz = dhj * (LD(hPrev) - n) * z * (one - z);
        const vf dr = dn * ghn * r * (one - r);
        ST(dgx, dr);
        ST(dgh, dr);
        ST(dgx + H, dz);
        ST(dgh + H, dz);
        ST(dgx + 2 * H, dn);
        ST(dgh + 2 * H, dn * r);
        ST(dhPrev, dhj * z);
      });
    }
  }
}

static void column_sums(const float* src, int rows, int width, int j0, int j1, float* out) {
  // Blocks of 4 vectors of columns kept in registers while walking down the rows.
  int j = j0;
  for (; j + 4 * VW <= j1; j += 4 * VW) {
    vf s0 = vf{}, s1 = vf{}, s2 = vf{}, s3 = vf{};
    for (int r = 0; r < rows; ++r) {
      const float* p = src + (long)r * width + j;
      s0 += loadu(p);
      s1 += loadu(p + VW);
      s2 += loadu(p + 2 * VW);
      s3 += loadu(p + 3 * VW);
    }
    storeu(out + j, s0);
    storeu(out + j + VW, s1);
    storeu(out + j + 2 * VW, s2);
    storeu(out + j + 3 * VW, s3);
  }
  for (; j < j1; ++j) {
    float s = 0.f;
    for (int r = 0; r < rows; ++r) s += src[(long)r * width + j];
    out[j] = s;
  }
}

// Additive attention scores (src/tensor/ops/additive-scores.ts, whose loops are the reference):
// q [batch, steps, H], k [batch, source, H], v [H] -> scores[b, t, s] = sum_h v[h] * tanh(q[b,t,h] + k[b,s,h]).
static void additive_scores(int batch, int steps, int source, int H, const float* q, const float* k, const float* v,
                            float* scores) {
  for (int b = 0; b < batch; ++b)
    for (int t = 0; t < steps; ++t) {
      const float* qRow = q + ((long)b * steps + t) * H;
      for (int s = 0; s < source; ++s) {
        const float* kRow = k + ((long)b * source + s) * H;
        const long pair = ((long)b * steps + t) * source + s;
        vf acc = vf{};
        RN_LOOP_H(H, { acc += LD(v) * vtanh(LD(qRow) + LD(kRow)); });  // lanes past H load as 0
        float sum = 0.f;
        for (int i = 0; i < VW; ++i) sum += acc[i];
        scores[pair] = sum;
      }
    }
}

// Its backward, accumulating into dq, dk, dv (each may be null): with a = tanh(q + k) computed
// again and d = g * v * (1 - a^2), dq[b,t,:] += sum_s d, dk[b,s,:] += sum_t d,
// dv += sum_{b,t,s} g * a. Pairs with g = 0 (masked padding) are skipped.
static void additive_scores_backward(int batch, int steps, int source, int H, const float* g, const float* q,
                                     const float* k, const float* v, float* dq, float* dk, float* dv) {
  for (int b = 0; b < batch; ++b)
    for (int t = 0; t < steps; ++t)
      for (int s = 0; s < source; ++s) {
        const long pair = ((long)b * steps + t) * source + s;
        const float gs = g[pair];
        if (gs == 0.f) continue;
        const vf gv = splat(gs);
        const float* qRow = q + ((long)b * steps + t) * H;
        const float* kRow = k + ((long)b * source + s) * H;
        float* dqRow = dq ? dq + ((long)b * steps + t) * H : nullptr;
        float* dkRow = dk ? dk + ((long)b * source + s) * H : nullptr;
        RN_LOOP_H(H, {
          const vf a = vtanh(LD(qRow) + LD(kRow));
          const vf d = gv * LD(v) * (splat(1.f) - a * a);
          if (dqRow) ST(dqRow, LD(dqRow) + d);
          if (dkRow) ST(dkRow, LD(dkRow) + d);
          if (dv) ST(dv, LD(dv) + gv * a);
        });
      }
}

// Adam / AdamW, bit-identical to the TypeScript reference (adamKernel): every operation in double
// with the same roundings to float, in the same order. Contracting a*b + c into one FMA would
// change the roundings, so this function is compiled with fp-contract off (the file's default is
// fast); built without errno (binding.gyp), sqrt is one instruction and the loop vectorizes (IEEE double sqrt, division
// and conversions round the same in every lane as in scalar code). One loop per combination of the
// options, so no branch stays inside it.
template <bool kDecoupled, bool kWeightDecay, bool kAmsgrad, bool kMaximize>
__attribute__((optimize("fp-contract=off"))) static void adam_loop(
    const AdamStepScalars& s, long n, float* __restrict param, const float* __restrict grad, float* __restrict m,
    float* __restrict v, float* __restrict vmax) {
  const double b1 = s.b1, b2 = s.b2, omb1 = s.omb1, omb2 = s.omb2, eps = s.eps, wd = s.wd, decay = s.decay;
  const double step_size = s.step_size, bc2_sqrt = s.bc2_sqrt;
  for (long i = 0; i < n; i++) {
    double g = kMaximize ? -(double)grad[i] : (double)grad[i];
    double p = (double)param[i];
    if (kDecoupled) p = (double)(float)(p * decay);
    if (kWeightDecay) g = (double)(float)(g + wd * p);
    const float mf = (float)((double)(float)((double)m[i] * b1) + omb1 * g);
    const float vf = (float)((double)(float)((double)v[i] * b2) + (omb2 * g) * g);
    m[i] = mf;
    v[i] = vf;
    double second = (double)vf;
    if (kAmsgrad) {
      const float top = vmax[i] >= vf ? vmax[i] : vf;  // NaN in vmax is replaced, as in the reference
      vmax[i] = top;
      second = (double)top;
    }
    const double denom = (double)(float)((double)(float)((double)(float)__builtin_sqrt(second) / bc2_sqrt) + eps);
    param[i] = (float)(p - (step_size * (double)mf) / denom);
  }
}

static void adam_update(const AdamStepScalars& s, long n, float* param, const float* grad, float* m, float* v,
                        float* vmax) {
  // Weight decay as an L2 term applies only without decoupling (Adam), decoupled only to AdamW.
  const bool l2 = !s.decoupled && s.weight_decay;
#define RN_ADAM(D, W, A, X) adam_loop<D, W, A, X>(s, n, param, grad, m, v, vmax)
  if (s.decoupled) {
    if (s.amsgrad) s.maximize ? RN_ADAM(true, false, true, true) : RN_ADAM(true, false, true, false);
    else s.maximize ? RN_ADAM(true, false, false, true) : RN_ADAM(true, false, false, false);
  } else if (l2) {
    if (s.amsgrad) s.maximize ? RN_ADAM(false, true, true, true) : RN_ADAM(false, true, true, false);
    else s.maximize ? RN_ADAM(false, true, false, true) : RN_ADAM(false, true, false, false);
  } else {
    if (s.amsgrad) s.maximize ? RN_ADAM(false, false, true, true) : RN_ADAM(false, false, true, false);
    else s.maximize ? RN_ADAM(false, false, false, true) : RN_ADAM(false, false, false, false);
  }
#undef RN_ADAM
}

}  // namespace RN_NS

extern const KernelTable RN_TABLE;
const KernelTable RN_TABLE = {
    RN_TABLE_NAME, &RN_NS::g_pack_a_min_panels, RN_NS::MR, RN_NS::NR, RN_NS::KC, &RN_NS::packed_floats, &RN_NS::pack_b,
    &RN_NS::gemm_part, &RN_NS::cell_forward, &RN_NS::cell_backward, &RN_NS::column_sums,
    &RN_NS::adam_update, &RN_NS::additive_scores, &RN_NS::additive_scores_backward,
};

}  // namespace rn
