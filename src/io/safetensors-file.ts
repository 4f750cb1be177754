/** safetensors files on disk (Node). Writes are atomic. */
import { readFileSync } from 'node:fs';
import { FormatError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { writeFileAtomic } from './atomic.js';
import { parseSafetensors, serializeSafetensors } from './safetensors.js';

/** Reads a .safetensors file into a state dict: `module.loadStateDict(loadSafetensors(path))`. */
export function loadSafetensors(path: string): Record<string, Tensor> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new FormatError(
      path,
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  return parseSafetensors(bytes, path).tensors;
}

/** Writes a state dict as F32 safetensors that PyTorch's `safetensors.torch.load_file` reads. */
export function saveSafetensors(
  tensors: Record<string, Tensor>,
  path: string,
  metadata: Record<string, string> = {},
): void {
  writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}
