/**
 * `trainTask`'s learning-rate schedule (`schedule`, the CLI's --schedule): plateau by default, or a
 * cosine from `lr` to 0 at the last epoch; the checkpoint records which, so --resume continues it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ValueError } from '../src/index.js';
import { trainTask } from '../src/tasks/run.js';
import { tempDir } from './temp-dir.js';

/** A tiny classify run: 150 words, GRU 6, 3 epochs. */
const tiny = { task: 'classify', maxTrainExamples: 150, hiddenSize: 6, epochs: 3, batchSize: 50, lr: 0.01 } as const;

/** The scheduler state saved with the last epoch's checkpoint. */
function savedScheduler(out: string): Record<string, unknown> {
  const pointer = JSON.parse(readFileSync(join(out, 'checkpoint', 'latest.json'), 'utf8')) as { dir: string };
  const state = JSON.parse(readFileSync(join(out, 'checkpoint', pointer.dir, 'state.json'), 'utf8')) as {
    scheduler: Record<string, unknown>;
    options: Record<string, unknown>;
  };
  return { ...state.scheduler, schedule: state.options['schedule'] };
}

describe('train: learning-rate schedule', () => {
  test('cosine ends at lr 0 after the last epoch; plateau stays the default', async () => {
    const base = tempDir('recurrent-schedule-');
    const cosine = join(base, 'cosine');
    await trainTask({ ...tiny, schedule: 'cosine', out: cosine });
    const saved = savedScheduler(cosine);
    assert.equal(saved['type'], 'CosineAnnealingLR');
    assert.equal(saved['tMax'], 3);
    assert.equal(saved['lastEpoch'], 3);
    assert.equal(saved['lastLr'], 0);
    assert.equal(saved['schedule'], 'cosine');

    const plateau = join(base, 'plateau');
    await trainTask({ ...tiny, out: plateau });
    const other = savedScheduler(plateau);
    assert.notEqual(other['type'], 'CosineAnnealingLR');
    assert.equal(other['schedule'], undefined);
  });

  test('an unknown schedule is refused before training', async () => {
    await assert.rejects(
      trainTask({ ...tiny, schedule: 'linear' as 'cosine', out: join(tempDir('recurrent-schedule-'), 'x') }),
      (error: unknown) =>
        error instanceof ValueError && /--schedule must be one of plateau, cosine/.test(error.message),
    );
  });
});
