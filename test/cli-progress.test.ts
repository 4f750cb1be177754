/**
 * Training progress when stderr is not a terminal: one line per epoch, and within a long epoch
 * a step line (step, mean loss, ETA) at most every `plainInterval` ms; nothing when silent.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createProgress } from '../src/cli/progress.js';
import type { EpochInfo, StepInfo } from '../src/train/loop.js';

const step = (s: number, stepsPerEpoch = 10): StepInfo => ({
  epoch: 1,
  step: s,
  stepsPerEpoch,
  loss: 0.5,
  meanLoss: 0.25,
  lr: 0.01,
});
const epoch: EpochInfo = {
  epoch: 1,
  trainLoss: 0.25,
  validation: 0.5,
  lr: 0.01,
  seconds: 9,
  improved: true,
  state: { epoch: 1, trainLoss: [0.25], validation: [0.5], best: 0.5, bestEpoch: 1, bestWeights: null },
};

describe('createProgress', () => {
  test('plain: step lines with the ETA every interval within an epoch, then the epoch line', () => {
    const lines: string[] = [];
    let clock = 0;
    const progress = createProgress('plain', { write: (l) => lines.push(l), now: () => clock, plainInterval: 2000 });
    progress.start(3, 10);
    for (let s = 1; s <= 10; s++) {
      progress.step(step(s));
      clock += 1000; // one second per step
    }
    progress.epoch(epoch);
    progress.stop();
    // Step 1 ends at t=0; step s ends at t=(s-1) s; a line once 2 s have passed since the last.
    assert.deepEqual(lines, [
      'epoch 1/3  step 3/10  loss 0.2500  ETA 7s',
      'epoch 1/3  step 5/10  loss 0.2500  ETA 5s',
      'epoch 1/3  step 7/10  loss 0.2500  ETA 3s',
      'epoch 1/3  step 9/10  loss 0.2500  ETA 1s',
      'epoch 1/3  train loss 0.2500  validation 0.5000 *  lr 0.0100  9.0s',
    ]);
  });

  test('plain: a short epoch gives only its epoch line', () => {
    const lines: string[] = [];
    const progress = createProgress('plain', { write: (l) => lines.push(l), now: () => 0 });
    progress.start(1, 10);
    for (let s = 1; s <= 10; s++) progress.step(step(s));
    progress.epoch(epoch);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^epoch 1\/1  train loss/);
  });

  test('silent writes nothing', () => {
    const lines: string[] = [];
    const progress = createProgress('silent', { write: (l) => lines.push(l) });
    progress.start(1, 2);
    progress.step(step(1, 2));
    progress.epoch(epoch);
    progress.stop();
    assert.deepEqual(lines, []);
  });
});
