/**
 * Crash-safe training: SIGKILL `recurrent train` at random moments, then `--resume`: the final
 * weights are bit-identical to a run that was never interrupted. Damaged checkpoints are refused.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { FormatError, Generator } from '../src/index.js';
import { trainTask } from '../src/tasks/run.js';
import { tempDir } from './temp-dir.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const args = ['train', '--task', 'classify', '--max-train', '600', '--hidden', '12', '--epochs', '5', '--dropout', '0.2', '--layers', '2', '--patience', '10', '--seed', '4'];

/** Starts a run and SIGKILLs it after `delayMs`; resolves when it is gone. */
function killAfter(out: string, delayMs: number): Promise<void> {
  const child = spawn(process.execPath, [cli, ...args, '--out', out], { stdio: 'ignore' });
  setTimeout(() => child.kill('SIGKILL'), delayMs);
  return new Promise((resolve) => child.on('close', () => resolve()));
}

describe('crash-safe training', () => {
  test('SIGKILL at random moments, then --resume: bit-identical weights', async () => {
    const base = tempDir('recurrent-resume-');
    const reference = join(base, 'reference');
    const started = performance.now();
    const full = spawnSync(process.execPath, [cli, ...args, '--out', reference], { encoding: 'utf8' });
    assert.equal(full.status, 0, full.stderr);
    const runMs = performance.now() - started;
    const expected = readFileSync(join(reference, 'weights.safetensors'));
    const random = new Generator(Date.now() % 100000);
    let resumedRuns = 0;
    for (let trial = 0; trial < 3; trial++) {
      const out = join(base, `killed-${trial}`);
      // Kill somewhere in the second half of the run, often in the middle of writing a checkpoint.
      await killAfter(out, runMs * (0.45 + 0.5 * random.random()));
      if (!existsSync(join(out, 'checkpoint', 'latest.json'))) continue; // killed before the first checkpoint: nothing to resume
      resumedRuns++;
      const resumed = spawnSync(process.execPath, [cli, 'train', '--resume', out], { encoding: 'utf8' });
      assert.equal(resumed.status, 0, resumed.stderr);
      assert.ok(readFileSync(join(out, 'weights.safetensors')).equals(expected), `trial ${trial}: weights differ from the uninterrupted run`);
    }
    assert.ok(resumedRuns >= 1, 'at least one killed run had a checkpoint to resume from');
  });

  test('a damaged checkpoint is refused, naming the file', async () => {
    const out = join(tempDir('recurrent-resume-'), 'm');
    await trainTask({ task: 'forecast', epochs: 2, hiddenSize: 6, out });
    const pointer = JSON.parse(readFileSync(join(out, 'checkpoint', 'latest.json'), 'utf8')) as { dir: string };
    const weights = join(out, 'checkpoint', pointer.dir, 'weights.safetensors');
    const bytes = readFileSync(weights);
    bytes[bytes.length - 1]! ^= 0x40;
    writeFileSync(weights, bytes);
    await assert.rejects(trainTask({ out, resume: true, epochs: 3 }), (e: unknown) => e instanceof FormatError && e.file === weights && /checksum/.test(e.message));
  });

  test('--resume without a checkpoint says so', async () => {
    const out = join(tempDir('recurrent-resume-'), 'none');
    await assert.rejects(trainTask({ out, resume: true }), /no checkpoint in/);
  });
});
