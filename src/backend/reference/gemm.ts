/**
 * Reference GEMM in plain TypeScript: `C = beta*C + op(A)·op(B) (+ bias)`, row-major.
 * Loop orders keep the innermost loop contiguous in memory for each transpose case.
 * The bias is added after the product, one rounding per element.
 */
import type { GemmArgs, GemmPackedArgs, PackArgs, PackedMatrix } from '../backend.js';

export function referenceGemm(args: GemmArgs): void {
  referenceGemmProduct(args);
  const bias = args.bias;
  if (bias) {
    const { m, n, c, ldc } = args;
    const cOff = args.cOffset ?? 0;
    const bOff = args.biasOffset ?? 0;
    for (let i = 0; i < m; i++) {
      const at = cOff + i * ldc;
      for (let j = 0; j < n; j++) c[at + j]! += bias[bOff + j]!;
    }
  }
}

/** The reference "packed" matrix is the source itself (so results are the same as `gemm`'s). */
interface ReferencePacked extends PackedMatrix {
  readonly source: PackArgs;
}

export function referencePackB(args: PackArgs): PackedMatrix {
  const packed: ReferencePacked = { k: args.k, n: args.n, source: { ...args }, release() {} };
  return packed;
}

export function referenceGemmPacked(args: GemmPackedArgs): void {
  const source = (args.b as ReferencePacked).source;
  if (!source) throw new TypeError('gemmPacked: the matrix was not packed by the reference backend');
  referenceGemm({
    m: args.m,
    n: source.n,
    k: source.k,
    a: args.a,
    aOffset: args.aOffset ?? 0,
    lda: args.lda,
    transA: args.transA ?? false,
    b: source.b,
    bOffset: source.bOffset ?? 0,
    ldb: source.ldb,
    transB: source.transB ?? false,
    c: args.c,
    cOffset: args.cOffset ?? 0,
    ldc: args.ldc,
    beta: args.beta,
    bias: args.bias ?? null,
    biasOffset: args.biasOffset ?? 0,
  });
}

/** `out[j] = Σ_r src[r*width + j]`, summed in row order in float32 (as the driver always did). */
export function referenceColumnSums(src: Float32Array, rows: number, width: number, out: Float32Array): void {
  out.fill(0, 0, width);
  for (let r = 0; r < rows; r++) {
    const at = r * width;
    for (let j = 0; j < width; j++) out[j]! += src[at + j]!;
  }
}

function referenceGemmProduct(args: GemmArgs): void {
  const { m, n, k, a, lda, b, ldb, c, ldc } = args;
  const aOff = args.aOffset ?? 0;
  const bOff = args.bOffset ?? 0;
  const cOff = args.cOffset ?? 0;
  if (args.beta === 0) {
    for (let i = 0; i < m; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + n);
  }
  if (k === 0) return;
  const transA = args.transA ?? false;
  const transB = args.transB ?? false;
  if (!transA && !transB) {
    // C[i,:] += A[i,p] * B[p,:]
    for (let i = 0; i < m; i++) {
      const ci = cOff + i * ldc;
      for (let p = 0; p < k; p++) {
        const av = a[aOff + i * lda + p]!;
        if (av === 0) continue;
        const bp = bOff + p * ldb;
        for (let j = 0; j < n; j++) c[ci + j]! += av * b[bp + j]!;
      }
    }
  } else if (!transA && transB) {
    // C[i,j] += dot(A[i,:], B[j,:]); four columns at a time to reuse A's row.
    for (let i = 0; i < m; i++) {
      const ai = aOff + i * lda;
      const ci = cOff + i * ldc;
      let j = 0;
      for (; j + 3 < n; j += 4) {
        const b0 = bOff + j * ldb;
        const b1 = b0 + ldb;
        const b2 = b1 + ldb;
        const b3 = b2 + ldb;
        let s0 = 0,
          s1 = 0,
          s2 = 0,
          s3 = 0;
        for (let p = 0; p < k; p++) {
          const av = a[ai + p]!;
          s0 += av * b[b0 + p]!;
          s1 += av * b[b1 + p]!;
          s2 += av * b[b2 + p]!;
          s3 += av * b[b3 + p]!;
        }
        c[ci + j]! += s0;
        c[ci + j + 1]! += s1;
        c[ci + j + 2]! += s2;
        c[ci + j + 3]! += s3;
      }
      for (; j < n; j++) {
        const bj = bOff + j * ldb;
        let s = 0;
        for (let p = 0; p < k; p++) s += a[ai + p]! * b[bj + p]!;
        c[ci + j]! += s;
      }
    }
  } else if (transA && !transB) {
    // C[i,:] += A[p,i] * B[p,:]
    for (let p = 0; p < k; p++) {
      const ap = aOff + p * lda;
      const bp = bOff + p * ldb;
      for (let i = 0; i < m; i++) {
        const av = a[ap + i]!;
        if (av === 0) continue;
        const ci = cOff + i * ldc;
        for (let j = 0; j < n; j++) c[ci + j]! += av * b[bp + j]!;
      }
    }
  } else {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[aOff + p * lda + i]! * b[bOff + j * ldb + p]!;
        c[cOff + i * ldc + j]! += s;
      }
    }
  }
}
