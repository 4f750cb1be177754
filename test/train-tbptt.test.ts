/** Truncated BPTT: chunks carry the state forward, gradients stop at chunk boundaries, training converges. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Adam, detachState, Generator, models, mseLoss, tensor, timeChunks, truncatedBptt } from '../src/index.js';

describe('truncated BPTT', () => {
  test('chunks cover the series; a detached state sends no gradient back: gradients equal a run from a constant state', () => {
    const x = tensor(
      Array.from({ length: 10 }, (_, i) => Math.sin(i)),
      [1, 10, 1],
    );
    assert.deepEqual(
      timeChunks(x, 4).map((c) => c.shape[1]),
      [4, 4, 2],
    );
    const m = new models.Forecaster({ horizon: 1, hiddenSize: 3, cell: 'lstm' }, new Generator(1));
    const gradients = () => m.parameters().map((p) => Float32Array.from(p.grad!.data));
    // Second chunk from the detached state of the first.
    const first = m.forwardSequence(x.slice(1, 0, 5));
    const cut = detachState(first.state);
    assert.equal(cut.h.requiresGrad, false);
    m.forwardSequence(x.slice(1, 5), cut).predictions.sum().backward();
    const detached = gradients();
    // The same chunk from a constant state with the same values (no history at all).
    m.zeroGrad();
    const constant = {
      h: tensor(Array.from(first.state.h.data), [...first.state.h.shape]),
      c: tensor(Array.from(first.state.c!.data), [...first.state.c!.shape]),
    };
    m.forwardSequence(x.slice(1, 5), constant).predictions.sum().backward();
    const fromConstant = gradients();
    for (const [i, g] of detached.entries()) assert.deepEqual(g, fromConstant[i], `parameter ${i}`);
    // Without the cut, the gradient flows into the first chunk: other values, so the check above can fail.
    m.zeroGrad();
    m.forwardSequence(x.slice(1, 5), m.forwardSequence(x.slice(1, 0, 5)).state)
      .predictions.sum()
      .backward();
    assert.ok(
      gradients().some((g, i) => g.some((v, k) => v !== fromConstant[i]![k])),
      'the attached state gives other gradients',
    );
  });

  test('a forecaster learns a long sine wave in chunks of 20 steps', () => {
    const steps = 400;
    const wave = Array.from({ length: steps + 1 }, (_, t) => Math.sin((2 * Math.PI * t) / 25));
    const inputs = tensor(wave.slice(0, steps), [1, steps, 1]);
    const targets = tensor(wave.slice(1), [1, steps, 1]);
    const m = new models.Forecaster({ horizon: 1, hiddenSize: 12 }, new Generator(2));
    const optimizer = new Adam(m.parameters(), { lr: 0.02 });
    const run = () =>
      truncatedBptt(
        inputs,
        targets,
        20,
        (chunk, state) => {
          const { predictions, state: next } = m.forwardSequence(chunk.inputs, state);
          return { loss: mseLoss(predictions, chunk.targets), state: next };
        },
        optimizer,
      );
    const firstLoss = run();
    let loss = firstLoss;
    for (let epoch = 0; epoch < 15; epoch++) loss = run();
    assert.ok(loss < firstLoss / 10, `loss ${firstLoss} -> ${loss}`);
  });
});
