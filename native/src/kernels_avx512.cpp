// AVX-512 kernels (compiled with -mavx512f -mavx512vl -mavx512bw -mavx512dq -mfma): 8 x 32 register
// tile (16 zmm accumulators).
#define RN_NS avx512
#define RN_VB 64
#define RN_MR 8
#define RN_NV 2
#define RN_KC 256
#define RN_MC 128
#define RN_TABLE kAvx512Table
#define RN_TABLE_NAME "avx512"
#include "kernels_impl.h"
