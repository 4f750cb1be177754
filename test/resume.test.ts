/**
 * Crash-safe training: SIGKILL `recurrent train` at exact points (inside and after a checkpoint
 * file's write, inside and after the pointer's, between epochs), then `--resume`: every trial's final weights are
 * bit-identical to a run that was never interrupted. Damaged checkpoints are refused.
 * The kill points come from the checkpoint writer's test-only hook (RECURRENT_TEST_STALL).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { FormatError } from '../src/index.js';
import { trainTask } from '../src/tasks/run.js';
import { tempDir } from './temp-dir.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const args = [
  'train',
  '--task',
  'classify',
  '--max-train',
  '400',
  '--hidden',
  '10',
  '--epochs',
  '4',
  '--batch-size',
  '50',
  '--dropout',
  '0.2',
  '--layers',
  '2',
  '--patience',
  '10',
  '--seed',
  '4',
];

/**
 * Starts a run that stalls at `point` ('EPOCH:POINT', see src/tasks/checkpoint.ts), SIGKILLs it
 * there, and resolves with how it ended. Rejects if the run ends without reaching the point.
 */
function killAt(out: string, point: string): Promise<{ signal: NodeJS.Signals | null; reached: boolean }> {
  const child = spawn(process.execPath, [cli, ...args, '--out', out], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, RECURRENT_TEST_STALL: point },
  });
  let stderr = '';
  let reached = false;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d;
    if (!reached && stderr.includes(`stalled at ${point}\n`)) {
      reached = true;
      child.kill('SIGKILL');
    }
  });
  return new Promise((resolve) => child.on('close', (_code, signal) => resolve({ signal, reached })));
}

const pointer = (out: string) =>
  JSON.parse(readFileSync(join(out, 'checkpoint', 'latest.json'), 'utf8')) as { epoch: number; dir: string };

describe('crash-safe training', () => {
  test('SIGKILL at each named point of a checkpoint write, then --resume: every trial bit-identical', async () => {
    const base = tempDir('recurrent-resume-');
    const reference = join(base, 'reference');
    const full = spawnSync(process.execPath, [cli, ...args, '--out', reference], { encoding: 'utf8' });
    assert.equal(full.status, 0, full.stderr);
    const expected = readFileSync(join(reference, 'weights.safetensors'));
    // [kill point, the epoch latest.json must name after the kill]
    const trials: [string, number][] = [
      ['2:during-weights.safetensors', 1], // inside a file's write: half of it in its temporary file
      ['2:after-weights.safetensors', 1], // mid-checkpoint: one file of epoch 2 written, its pointer not
      ['2:after-state.json', 1], // every file of epoch 2 written, the pointer not yet moved
      ['3:during-pointer', 2], // inside latest.json's write: the old pointer still in place
      ['3:after-pointer', 3], // the pointer moved, the old epoch directory not yet removed
      ['3:done', 3], // between epochs: killed while training epoch 4
    ];
    for (const [point, epoch] of trials) {
      const out = join(base, point.replace(/[:.]/g, '-'));
      const killed = await killAt(out, point);
      assert.ok(killed.reached, `${point}: the run reached the kill point`);
      assert.equal(killed.signal, 'SIGKILL', `${point}: the run was killed`);
      assert.ok(
        !existsSync(join(out, 'weights.safetensors')),
        `${point}: the killed run was unfinished (no final model)`,
      );
      assert.equal(pointer(out).epoch, epoch, `${point}: latest.json names the last complete checkpoint`);
      if (point.includes(':during-'))
        assert.ok(
          readdirSync(join(out, 'checkpoint'), { recursive: true }).some((f) => String(f).endsWith('.tmp')),
          `${point}: a half-written temporary file was left`,
        );
      if (point.endsWith('after-pointer'))
        assert.ok(
          readdirSync(join(out, 'checkpoint')).includes(`epoch-${String(epoch - 1).padStart(4, '0')}`),
          'the old epoch is still there',
        );
      const resumed = spawnSync(process.execPath, [cli, 'train', '--resume', out], { encoding: 'utf8' });
      assert.equal(resumed.status, 0, `${point}: ${resumed.stderr}`);
      assert.ok(
        readFileSync(join(out, 'weights.safetensors')).equals(expected),
        `${point}: weights differ from the uninterrupted run`,
      );
    }
  });

  test('a damaged checkpoint is refused, naming the file', async () => {
    const out = join(tempDir('recurrent-resume-'), 'm');
    await trainTask({ task: 'forecast', epochs: 2, hiddenSize: 6, out });
    const pointer = JSON.parse(readFileSync(join(out, 'checkpoint', 'latest.json'), 'utf8')) as { dir: string };
    const weights = join(out, 'checkpoint', pointer.dir, 'weights.safetensors');
    const bytes = readFileSync(weights);
    bytes[bytes.length - 1]! ^= 0x40;
    writeFileSync(weights, bytes);
    await assert.rejects(
      trainTask({ out, resume: true, epochs: 3 }),
      (e: unknown) => e instanceof FormatError && e.file === weights && /checksum/.test(e.message),
    );
  });

  test('--resume without a checkpoint says so', async () => {
    const out = join(tempDir('recurrent-resume-'), 'none');
    await assert.rejects(trainTask({ out, resume: true }), /no checkpoint in/);
  });
});
