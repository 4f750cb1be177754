/** Atomic file writes (Node): write a temporary file beside the target, fsync, then rename over it. */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

let counter = 0;

/**
 * Writes `data` to `path` so that readers see either the old file or the whole new one, never a part.
 * `halfWritten` (for crash tests) runs when half of the bytes are in the temporary file.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string, halfWritten?: () => void): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${counter++}.tmp`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const fd = openSync(temporary, 'w');
  try {
    let written = 0;
    const half = halfWritten ? bytes.length >> 1 : bytes.length;
    while (written < half) written += writeSync(fd, bytes, written, half - written);
    halfWritten?.();
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temporary, path);
}
