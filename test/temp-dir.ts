/**
 * Temporary directories for tests. Each is made in the OS temp dir and removed by an `after`
 * hook when the importing test file's tests have finished, so that tests leave nothing behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

const made: string[] = [];

after(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A new empty directory `<prefix>XXXXXX` in the OS temp dir, removed after this file's tests. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** The directories made so far and not yet removed (for the test of this helper). */
export function pendingTempDirs(): readonly string[] {
  return made;
}
