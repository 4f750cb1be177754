// AVX2 + FMA kernels (compiled with -mavx2 -mfma): 6 x 16 register tile (12 ymm accumulators).
#define RN_NS avx2
#define RN_VB 32
#define RN_MR 6
#define RN_NV 2
#define RN_KC 256
#define RN_MC 120
#define RN_TABLE kAvx2Table
#define RN_TABLE_NAME "avx2"
#include "kernels_impl.h"
