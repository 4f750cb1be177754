/**
 * The training loop's divergence guard: a step whose loss is finite but whose gradient is not
 * (sqrt at 0 has an infinite derivative) must stop training before the broken weights reach
 * the end-of-epoch callback, where checkpoints are written.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Adam, fit, nn, type Tensor, tensor, TrainingError } from '../src/index.js';

describe('fit: divergence', () => {
  test('a finite loss with an infinite gradient stops at that step; no checkpoint holds the broken weights', async () => {
    const model = new nn.Linear({ inFeatures: 2, outFeatures: 1 });
    const x = tensor([1, 2, 3, 4], [2, 2]);
    const checkpoints: { epoch: number; weights: Record<string, Tensor> }[] = [];
    let epoch = 1;
    await assert.rejects(
      fit({
        model,
        optimizer: new Adam(model.parameters(), { lr: 0.01 }),
        batches: (e) => {
          epoch = e;
          return [0, 1, 2];
        },
        loss: (i) => {
          const fitLoss = model.forward(x).pow(2).mean();
          // In the LAST step of epoch 2: + sqrt(w - w) = + 0, whose gradient is infinite.
          if (epoch === 2 && i === 2) return fitLoss.add(model.weight.sub(model.weight.detach()).sum().sqrt());
          return fitLoss;
        },
        epochs: 5,
        onEpoch: (info) => checkpoints.push({ epoch: info.epoch, weights: model.stateDict() }),
      }),
      (e: unknown) =>
        e instanceof TrainingError &&
        /epoch 2, step 3 made weight NaN or infinite/.test(e.message) &&
        /diverged/.test(e.message),
    );
    assert.deepEqual(
      checkpoints.map((c) => c.epoch),
      [1],
      'only epoch 1 was checkpointed',
    );
    for (const [name, t] of Object.entries(checkpoints[0]!.weights)) assert.ok(t.data.every(Number.isFinite), name);
  });

  test('finite updates train normally', async () => {
    const model = new nn.Linear({ inFeatures: 2, outFeatures: 1 });
    const x = tensor([1, 2, 3, 4], [2, 2]);
    const result = await fit({
      model,
      optimizer: new Adam(model.parameters(), { lr: 0.05 }),
      batches: () => [0, 1],
      loss: () => model.forward(x).pow(2).mean(),
      epochs: 3,
    });
    assert.equal(result.epochsRun, 3);
    assert.ok(result.trainLoss[2]! < result.trainLoss[0]!, JSON.stringify(result.trainLoss));
  });
});
