/** lengthBucketedBatches: every row once, batches of similar lengths, the same batches for the same seed. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Generator } from '../src/index.js';
import { indexBatches, lengthBucketedBatches } from '../src/tasks/batching.js';

/** Mean over batches of (longest - shortest length in the batch). */
function spread(batches: number[][], lengths: number[]): number {
  const s = batches.map((b) => Math.max(...b.map((i) => lengths[i]!)) - Math.min(...b.map((i) => lengths[i]!)));
  return s.reduce((a, b) => a + b, 0) / s.length;
}

describe('lengthBucketedBatches', () => {
  const g = new Generator(11);
  const lengths = Array.from({ length: 10_000 }, () => 2 + Math.floor(g.random() * 20));

  test('every index exactly once, in batches of at most batchSize', () => {
    const batches = lengthBucketedBatches(lengths, 64, new Generator(1));
    const seen = batches.flat().sort((a, b) => a - b);
    assert.deepEqual(
      seen,
      Array.from({ length: lengths.length }, (_, i) => i),
    );
    assert.ok(batches.every((b) => b.length >= 1 && b.length <= 64));
    assert.equal(batches.length, Math.ceil(lengths.length / 64));
  });

  test('much less length spread in a batch than shuffled batches; batch order still shuffled', () => {
    const bucketed = lengthBucketedBatches(lengths, 64, new Generator(2));
    const random = indexBatches(lengths.length, 64, new Generator(2));
    assert.ok(
      spread(bucketed, lengths) < spread(random, lengths) / 4,
      `${spread(bucketed, lengths)} vs ${spread(random, lengths)}`,
    );
    // Not in length order: a window's batches come out sorted, so the order must have been shuffled
    // (about half the neighbouring pairs go down in a shuffled order, none within a sorted window).
    const means = bucketed.slice(0, 50).map((b) => b.reduce((a, i) => a + lengths[i]!, 0) / b.length);
    const descents = means.slice(1).filter((m, i) => m < means[i]!).length;
    assert.ok(descents > 10, `${descents} of 49 neighbouring batches go down in length`);
  });

  test('the same generator state gives the same batches, another seed others', () => {
    assert.deepEqual(
      lengthBucketedBatches(lengths, 32, new Generator(3)),
      lengthBucketedBatches(lengths, 32, new Generator(3)),
    );
    assert.notDeepEqual(
      lengthBucketedBatches(lengths, 32, new Generator(3)),
      lengthBucketedBatches(lengths, 32, new Generator(4)),
    );
  });
});
