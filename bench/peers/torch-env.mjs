/**
 * The environment PyTorch's processes get in the bench: the machine's OPENBLAS_CORETYPE /
 * OPENBLAS_L2_SIZE are removed (they are tuned for another CPU), so OpenBLAS picks its kernels by
 * itself. Where its autodetection does not know the CPU and falls back to a generic SSE kernel set
 * (OpenBLAS 0.3.21 reports "Prescott" on recent Xeons), PyTorch would be measured at a fraction
 * of what the CPU can do; the kernel set the CPU's flags support is then named explicitly, so that
 * the comparison is against PyTorch at its best, and the reports say so.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const OVERRIDES = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'];
/** OpenBLAS's generic x86-64 kernel sets (no AVX): what its autodetection falls back to. */
const GENERIC_CORES = new Set(['Prescott', 'Core2', 'Penryn', 'Dunnington', 'Nehalem', 'Atom', 'Katmai']);

/** The OpenBLAS core name a Python process gets with `env` ('' when it cannot be read). */
export function openblasCore(python, env) {
  const code = [
    'import ctypes',
    'import torch',
    "p=[l.split()[-1] for l in open('/proc/self/maps') if 'libopenblas' in l.split()[-1]]",
    'l=ctypes.CDLL(p[0]) if p else None',
    'if l: l.openblas_get_corename.restype=ctypes.c_char_p',
    "print(l.openblas_get_corename().decode() if l else '')",
  ].join('\n');
  const r = spawnSync(python, ['-c', code], { env, encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 ? r.stdout.trim() : '';
}

/** The best OpenBLAS kernel set for this CPU's flags (x86-64 Linux), or null. */
function coreForCpuFlags() {
  let flags;
  try {
    flags = new Set((readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '').trim().split(/\s+/));
  } catch {
    return null;
  }
  if (flags.has('avx512f') && flags.has('avx512bw') && flags.has('avx512vl')) {
    return flags.has('avx512_bf16') ? 'Cooperlake' : 'SkylakeX';
  }
  if (flags.has('avx2') && flags.has('fma')) return 'Haswell';
  return null;
}

/**
 * PyTorch's environment: `{ env, autodetected, chosen }`. `chosen` is the kernel set named
 * explicitly when autodetection fell back to a generic one (else null).
 */
/** `base` without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE. */
export function withoutOverrides(base = process.env) {
  const env = { ...base };
  for (const k of OVERRIDES) delete env[k];
  return env;
}

export function torchBlasEnv(python, base = process.env) {
  const env = withoutOverrides(base);
  const autodetected = openblasCore(python, env);
  const chosen = GENERIC_CORES.has(autodetected) ? coreForCpuFlags() : null;
  if (chosen) env.OPENBLAS_CORETYPE = chosen;
  return { env, autodetected, chosen };
}

/** One sentence for reports. */
export function describeTorchBlas({ autodetected, chosen }) {
  if (!autodetected) return 'OpenBLAS core not readable';
  if (!chosen) return `OpenBLAS autodetected ${autodetected} kernels; OPENBLAS_CORETYPE/L2_SIZE unset`;
  return `OpenBLAS's autodetection does not know this CPU and fell back to ${autodetected} (SSE3) kernels; the bench sets OPENBLAS_CORETYPE=${chosen}, the widest kernel set the CPU's flags support, so PyTorch runs at its best`;
}
