/**
 * Debian's Python with PyTorch (`apt-get install python3-torch`), for the tests where PyTorch
 * itself must read what we wrote. Where it is missing the test is skipped with the reason,
 * except in CI (CI set, or RECURRENT_REQUIRE_TORCH=1, which .ci/run exports): there it fails.
 */
import { spawnSync } from 'node:child_process';

/** The interpreter: Debian's, not a version manager's one first on PATH (override: RECURRENT_PYTHON). */
export const python = process.env['RECURRENT_PYTHON'] ?? '/usr/bin/python3';

export const torchRequired = process.env['RECURRENT_REQUIRE_TORCH'] === '1' || Boolean(process.env['CI']);

/** Undefined when `python` imports torch and numpy, else why not. */
export function torchMissing(): string | undefined {
  const r = spawnSync(python, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  if (r.error) return `${python} cannot run (${r.error.message})`;
  if (r.status !== 0)
    return `${python} cannot import torch and numpy (apt-get install python3-torch): ${r.stderr.trim().split('\n').pop()}`;
  return undefined;
}
