/** Truncated BPTT: chunks carry the state forward, gradients stop at chunk boundaries, training converges. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Adam, detachState, Generator, models, mseLoss, tensor, timeChunks, truncatedBptt } from '../src/index.js';

describe('truncated BPTT', () => {
  test('chunks cover the series; a detached state sends no gradient back', () => {
    const x = tensor(Array.from({ length: 10 }, (_, i) => i), [1, 10, 1]);
    assert.deepEqual(timeChunks(x, 4).map((c) => c.shape[1]), [4, 4, 2]);
    const m = new models.Forecaster({ horizon: 1, hiddenSize: 3 }, new Generator(1));
    const first = m.forwardSequence(x.slice(1, 0, 5));
    const cut = detachState(first.state);
    assert.equal(cut.h.requiresGrad, false);
    const second = m.forwardSequence(x.slice(1, 5), cut);
    second.predictions.sum().backward();
    assert.ok(m.rnn.parameters().every((p) => p.grad !== null));
  });

  test('a forecaster learns a long sine wave in chunks of 20 steps', () => {
    const steps = 400;
    const wave = Array.from({ length: steps + 1 }, (_, t) => Math.sin((2 * Math.PI * t) / 25));
    const inputs = tensor(wave.slice(0, steps), [1, steps, 1]);
    const targets = tensor(wave.slice(1), [1, steps, 1]);
    const m = new models.Forecaster({ horizon: 1, hiddenSize: 12 }, new Generator(2));
    const optimizer = new Adam(m.parameters(), { lr: 0.02 });
    const run = () => truncatedBptt(inputs, targets, 20, (chunk, state) => {
      const { predictions, state: next } = m.forwardSequence(chunk.inputs, state);
      return { loss: mseLoss(predictions, chunk.targets), state: next };
    }, optimizer);
    const firstLoss = run();
    let loss = firstLoss;
    for (let epoch = 0; epoch < 15; epoch++) loss = run();
    assert.ok(loss < firstLoss / 10, `loss ${firstLoss} -> ${loss}`);
  });
});
