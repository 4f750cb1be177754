// Portable kernels: 16-byte vectors (SSE2 on x86-64, NEON on arm64), 4 x 8 register tile.
#define RN_NS generic
#define RN_VB 16
#define RN_MR 4
#define RN_NV 2
#define RN_KC 256
#define RN_MC 128
#define RN_TABLE kGenericTable
#define RN_TABLE_NAME "generic"
#include "kernels_impl.h"
