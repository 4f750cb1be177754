/** .npy files on disk (Node). Writes are atomic. */
import { readFileSync } from 'node:fs';
import { FormatError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';
import { type NpyArray, type NpyInput, parseNpy, serializeNpy } from './npy.js';

/** Reads a .npy file: float32 / int32 / int64 arrays (float64 is read as float32). */
export function loadNpy(path: string): NpyArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new FormatError(
      path,
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  return parseNpy(bytes, path);
}

/** Writes a Tensor (float32) or a typed int32/int64/float32 array as a .npy file NumPy reads. */
export function saveNpy(path: string, array: NpyInput): void {
  writeFileAtomic(path, serializeNpy(array));
}
