/**
 * Training checkpoints that survive a crash at any moment.
 *
 *   OUT/checkpoint/epoch-0003/   weights.safetensors, best.safetensors?, state.json
 *   OUT/checkpoint/latest.json   { epoch, dir, files: { name: sha256 } }   <- written last, atomically
 * A checkpoint counts only once latest.json names it, and every file is verified against its
 * SHA-256 before use, so a partly written checkpoint is never read as valid. Older epoch
 * directories are removed after the pointer moves. `state.json` holds everything else a
 * bit-identical resume needs: optimizer, scheduler and early-stopping state, the generators'
 * states, the loss history and the best validation so far.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { parseSafetensors, serializeSafetensors } from '../io/safetensors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { FitState } from '../train/loop.js';

export interface CheckpointState {
  /** Options the run was started with: a resume must use the same. */
  options: Record<string, unknown>;
  optimizer: unknown;
  scheduler: unknown;
  earlyStopping: unknown;
  /** Generator states by role ('model', 'shuffle'). */
  generators: Record<string, number[]>;
  fit: Omit<FitState, 'bestWeights' | 'best'> & { best: number | string };
  /** A budgeted run: the seconds spent and where its batch stream stands. */
  budget?: unknown;
}

export interface Checkpoint {
  weights: Record<string, Tensor>;
  bestWeights: Record<string, Tensor> | null;
  state: CheckpointState;
}

/**
 * Test-only: with RECURRENT_TEST_STALL=EPOCH:POINT in the environment, the writer announces
 * `stalled at EPOCH:POINT` on stderr when it reaches that point of that epoch's checkpoint and
 * then blocks, so that a crash test can SIGKILL it at an exact place. Points, in order:
 * `during-weights.safetensors` (half of it in its temporary file), `after-weights.safetensors`,
 * `after-state.json` (files written, pointer not yet moved), `during-pointer`, `after-pointer`
 * (latest.json moved, older epochs not yet removed), `done`.
 */
function stallPoint(epoch: number, point: string): void {
  if (process.env['RECURRENT_TEST_STALL'] !== `${epoch}:${point}`) return;
  writeSync(2, `stalled at ${epoch}:${point}\n`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');
const pointer = (root: string) => join(root, 'latest.json');

export function writeCheckpoint(root: string, epoch: number, checkpoint: Checkpoint): void {
  const name = `epoch-${String(epoch).padStart(4, '0')}`;
  const dir = join(root, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files: Record<string, Uint8Array | string> = {
    'weights.safetensors': serializeSafetensors(checkpoint.weights),
    'state.json': JSON.stringify(checkpoint.state),
  };
  if (checkpoint.bestWeights) files['best.safetensors'] = serializeSafetensors(checkpoint.bestWeights);
  const sums: Record<string, string> = {};
  for (const [file, bytes] of Object.entries(files)) {
    writeFileAtomic(join(dir, file), bytes, () => stallPoint(epoch, `during-${file}`));
    sums[file] = sha256(bytes);
    stallPoint(epoch, `after-${file}`);
  }
  writeFileAtomic(pointer(root), `${JSON.stringify({ epoch, dir: name, files: sums }, null, 2)}\n`, () =>
    stallPoint(epoch, 'during-pointer'),
  );
  stallPoint(epoch, 'after-pointer');
  for (const entry of readdirSync(root)) {
    if (entry.startsWith('epoch-') && entry !== name) rmSync(join(root, entry), { recursive: true, force: true });
  }
  stallPoint(epoch, 'done');
}

/** Reads and verifies the latest checkpoint under `root`; null when there is none yet. */
export function readCheckpoint(root: string): Checkpoint | null {
  const path = pointer(root);
  if (!existsSync(path)) return null;
  let latest: { epoch: number; dir: string; files: Record<string, string> };
  try {
    latest = JSON.parse(readFileSync(path, 'utf8')) as typeof latest;
  } catch (error) {
    throw new FormatError(path, `is not valid JSON (${(error as Error).message})`);
  }
  if (
    typeof latest?.dir !== 'string' ||
    !/^epoch-\d{4,}$/.test(latest.dir) ||
    typeof latest.files !== 'object' ||
    latest.files === null
  ) {
    throw new FormatError(path, 'does not name a checkpoint directory and its checksums');
  }
  const read = (file: string): Uint8Array => {
    const full = join(root, latest.dir, file);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(full);
    } catch {
      throw new FormatError(full, 'is missing: the checkpoint is incomplete');
    }
    if (sha256(bytes) !== latest.files[file])
      throw new FormatError(full, 'does not match its checksum in latest.json: the checkpoint is damaged');
    return bytes;
  };
  const weights = parseSafetensors(read('weights.safetensors'), join(root, latest.dir, 'weights.safetensors')).tensors;
  const bestWeights = 'best.safetensors' in latest.files ? parseSafetensors(read('best.safetensors')).tensors : null;
  const state = JSON.parse(new TextDecoder().decode(read('state.json'))) as CheckpointState;
  return { weights, bestWeights, state };
}
