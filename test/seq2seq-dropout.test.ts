/**
 * Seq2Seq dropout: in training it drops the source embeddings (batch, S, E), the target
 * embeddings (batch, T, E) and the features before the output layer (batch, T, H), in the
 * one-call teacher-forced path and in the step-by-step path; in evaluation it changes nothing
 * (the logits equal those of a dropout-0 model with the same weights).
 */
import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import { Generator, models, noGrad, Tensor } from '../src/index.js';
import { assertClose } from './helpers.js';

const config = {
  sourceVocabSize: 9,
  targetVocabSize: 7,
  embeddingDim: 6,
  hiddenSize: 5,
  cell: 'lstm' as const,
  attention: 'luong' as const,
  dropout: 0.5,
};
const B = 3;
const S = 4;
const T = 5;

function ids(g: Generator, rows: number, cols: number, vocab: number): Tensor {
  return new Tensor(
    Float32Array.from({ length: rows * cols }, () => 4 + Math.floor(g.random() * (vocab - 4))),
    [rows, cols],
  );
}

/** Runs `fn` and returns, for each call of the model's dropout layer, its input's shape and how many of its outputs are zero. */
function recordDropout(model: models.Seq2Seq, fn: () => void): { shape: number[]; zeros: number; size: number }[] {
  const spy = mock.method(model.dropoutLayer, 'forward');
  try {
    fn();
    return spy.mock.calls.map(({ arguments: [x], result }) => ({
      shape: [...x!.shape],
      zeros: result!.data.filter((v) => v === 0).length,
      size: result!.data.length,
    }));
  } finally {
    spy.mock.restore();
  }
}

describe('Seq2Seq dropout', () => {
  const g = new Generator(3);
  const source = ids(g, B, S, config.sourceVocabSize);
  const target = ids(g, B, T, config.targetVocabSize);
  const lengths = [4, 2, 3];

  test('training, teacher forced: the source and target embeddings and the head features are dropped', () => {
    const model = new models.Seq2Seq(config, new Generator(1)).train();
    const seen = recordDropout(model, () => model.forward(source, lengths, target));
    assert.deepEqual(
      seen.map((s) => s.shape),
      [
        [B, S, config.embeddingDim],
        [B, T, config.embeddingDim],
        [B, T, config.hiddenSize],
      ],
    );
    const embedded = seen[0]!;
    // p = 0.5 over 72 values: the share of zeros lies well inside (0.2, 0.8) unless dropout is off.
    assert.ok(embedded.zeros > 0.2 * embedded.size && embedded.zeros < 0.8 * embedded.size, `${embedded.zeros} zeros`);
  });

  test('training, step by step (teacher forcing < 1): every step drops its target embedding', () => {
    const model = new models.Seq2Seq(config, new Generator(1)).train();
    const seen = recordDropout(model, () =>
      model.forward(source, lengths, target, { teacherForcingRatio: 0.5, generator: new Generator(2) }),
    );
    const embeddings = seen.filter((s) => s.shape.join() === [B, 1, config.embeddingDim].join());
    assert.equal(embeddings.length, T);
  });

  test('evaluation: no dropout, the logits equal a dropout-0 model with the same weights', () => {
    const model = new models.Seq2Seq(config, new Generator(1)).eval();
    const plain = new models.Seq2Seq({ ...config, dropout: 0 }, new Generator(9)).eval();
    plain.loadStateDict(model.stateDict());
    noGrad(() => {
      const a = model.forward(source, lengths, target);
      const b = plain.forward(source, lengths, target);
      assertClose(a, b, 'eval logits', 0, 0);
      const trained = new models.Seq2Seq(config, new Generator(1)).train().forward(source, lengths, target);
      assert.notDeepEqual(Array.from(trained.data), Array.from(a.data));
    });
  });
});
