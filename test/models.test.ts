/** The ready architectures: shapes, padding invariance, decoding, and gradients against finite differences. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Generator, models, nn, randn, tensor, type Tensor } from '../src/index.js';
import { assertClose } from './helpers.js';

const gen = () => new Generator(11);
const tokens = (rows: number[][]) => tensor(rows);

/** Checks a few entries of every parameter's gradient against central differences. */
function checkGradients(module: nn.Module, loss: () => Tensor, entries = 3): void {
  module.zeroGrad();
  loss().backward();
  for (const [name, p] of module.namedParameters()) {
    const grad = p.grad;
    assert.ok(grad, `${name} has a gradient`);
    for (let k = 0; k < Math.min(entries, p.size); k++) {
      const i = Math.floor(((k + 0.5) * p.size) / entries); // avoids row 0, the padding row of embeddings (no gradient by design)
      const saved = p.data[i]!;
      const eps = 1e-2;
      p.data[i] = saved + eps;
      const plus = loss().item();
      p.data[i] = saved - eps;
      const minus = loss().item();
      p.data[i] = saved;
      const numeric = (plus - minus) / (2 * eps);
      assert.ok(
        Math.abs(numeric - grad.data[i]!) <= 2e-3 + 3e-2 * Math.abs(numeric),
        `${name}[${i}]: autograd ${grad.data[i]}, numeric ${numeric}`,
      );
    }
  }
}

describe('SequenceClassifier', () => {
  for (const pooling of ['last', 'mean', 'max'] as const) {
    test(`${pooling} pooling: shape, and padded tokens change nothing`, () => {
      const m = new models.SequenceClassifier(
        { vocabSize: 10, numClasses: 4, hiddenSize: 6, embeddingDim: 5, bidirectional: true, numLayers: 2, pooling },
        gen(),
      ).eval();
      const lengths = [5, 2, 3];
      const a = m.forward(
        tokens([
          [1, 2, 3, 4, 5],
          [6, 7, 0, 0, 0],
          [8, 9, 1, 0, 0],
        ]),
        lengths,
      );
      const b = m.forward(
        tokens([
          [1, 2, 3, 4, 5],
          [6, 7, 9, 9, 9],
          [8, 9, 1, 3, 3],
        ]),
        lengths,
      );
      assert.deepEqual(a.shape, [3, 4]);
      assertClose(a, b, 'padding invariance');
    });
  }

  test('feature input and gradients', () => {
    const m = new models.SequenceClassifier(
      { inputSize: 3, numClasses: 3, hiddenSize: 4, cell: 'gru', pooling: 'mean' },
      gen(),
    ).eval();
    const x = randn([2, 4, 3], { generator: gen() });
    const w = randn([2, 3], { generator: gen() });
    checkGradients(m, () => m.forward(x, [4, 2]).mul(w).sum());
  });
});

describe('SequenceTagger', () => {
  test('one prediction per step; padding does not leak into valid steps', () => {
    const m = new models.SequenceTagger(
      { vocabSize: 12, numTags: 5, hiddenSize: 6, bidirectional: true },
      gen(),
    ).eval();
    const a = m.forward(
      tokens([
        [1, 2, 3],
        [4, 5, 0],
      ]),
      [3, 2],
    );
    const b = m.forward(
      tokens([
        [1, 2, 3],
        [4, 5, 7],
      ]),
      [3, 2],
    );
    assert.deepEqual(a.shape, [2, 3, 5]);
    assertClose(a.slice(0, 1, 2).slice(1, 0, 2), b.slice(0, 1, 2).slice(1, 0, 2), 'valid steps of row 1');
    const w = randn([2, 3, 5], { generator: gen() });
    checkGradients(
      m,
      () =>
        m
          .forward(
            tokens([
              [1, 2, 3],
              [4, 5, 0],
            ]),
            [3, 2],
          )
          .mul(w)
          .sum(),
      2,
    );
  });
});

describe('Seq2Seq', () => {
  for (const attention of ['none', 'luong', 'bahdanau'] as const) {
    for (const cell of ['gru', 'lstm'] as const) {
      test(`${cell} with ${attention} attention: shapes, teacher forcing, decoding, gradients`, () => {
        const m = new models.Seq2Seq(
          {
            sourceVocabSize: 9,
            targetVocabSize: 7,
            embeddingDim: 4,
            hiddenSize: 5,
            cell,
            attention,
            bidirectionalEncoder: attention === 'luong',
            numLayers: attention === 'bahdanau' ? 2 : 1,
          },
          gen(),
        ).eval();
        const source = tokens([
          [4, 5, 6, 7],
          [8, 4, 0, 0],
        ]);
        const targetIn = tokens([
          [2, 4, 5],
          [2, 6, 0],
        ]);
        const full = m.forward(source, [4, 2], targetIn);
        assert.deepEqual(full.shape, [2, 3, 7]);
        // The one-call teacher-forced path equals the step-by-step path with ratio 1.
        const stepwise = m.forward(source, [4, 2], targetIn, { teacherForcingRatio: 0.999999, generator: gen() });
        assert.deepEqual(stepwise.shape, [2, 3, 7]);
        assertClose(stepwise, full, 'step-by-step teacher forcing');
        // Values of free running, greedy and beam decoding against PyTorch: seq2seq-parity.test.ts.
        const free = m.forward(source, [4, 2], targetIn, { teacherForcingRatio: 0 });
        assert.deepEqual(free.shape, [2, 3, 7]);
        const greedy = m.decode(source, [4, 2], { maxLength: 6 });
        assert.equal(greedy.length, 2);
        assert.ok(greedy.every((seq) => seq.length <= 6 && !seq.includes(3)));
        const beam = m.decode(source, [4, 2], { maxLength: 6, beamWidth: 3 });
        assert.ok(beam.every((seq) => seq.length <= 6));
        const w = randn([2, 3, 7], { generator: gen() });
        checkGradients(m, () => m.forward(source, [4, 2], targetIn).mul(w).sum(), 2);
      });
    }
  }

  test('stepwise decoding equals the one-call teacher-forced logits', () => {
    const m = new models.Seq2Seq(
      { sourceVocabSize: 9, targetVocabSize: 7, hiddenSize: 5, attention: 'luong' },
      gen(),
    ).eval();
    const source = tokens([
      [4, 5, 6],
      [8, 4, 0],
    ]);
    const targetIn = tokens([
      [2, 4, 5],
      [2, 6, 1],
    ]);
    const full = m.forward(source, [3, 2], targetIn);
    let state = m.encode(source, [3, 2]);
    for (let t = 0; t < 3; t++) {
      const step = m.step([targetIn.data[t]!, targetIn.data[3 + t]!], state);
      state = step.state;
      assertClose(step.logits, full.select(1, t), `step ${t}`);
    }
  });

  test('padding in the source gets zero attention', () => {
    const m = new models.Seq2Seq(
      { sourceVocabSize: 9, targetVocabSize: 7, hiddenSize: 5, attention: 'bahdanau' },
      gen(),
    ).eval();
    const state = m.encode(
      tokens([
        [4, 5, 6],
        [8, 4, 0],
      ]),
      [3, 2],
    );
    const { attention } = m.step([2, 2], state);
    assert.equal(attention!.data[5], 0);
    assert.ok(Math.abs(attention!.data[3]! + attention!.data[4]! - 1) < 1e-6);
  });
});

describe('Forecaster', () => {
  test('autoregressive: each step feeds the prediction back through the RNN', () => {
    const m = new models.Forecaster({ horizon: 4, hiddenSize: 6 }, gen()).eval();
    const window = randn([3, 8, 1], { generator: gen() });
    const forecast = m.forward(window);
    assert.deepEqual(forecast.shape, [3, 4, 1]);
    // Step k+1 is the one-step forecast of the window extended by the first k predictions:
    // the prediction went back into the RNN as its next input, with the state carried on.
    for (const k of [1, 2, 3]) {
      const rows = [0, 1, 2].flatMap((b) => [
        ...window.data.slice(b * 8, (b + 1) * 8),
        ...forecast.data.slice(b * 4, b * 4 + k),
      ]);
      const next = m.forward(tensor(rows, [3, 8 + k, 1]), 1);
      assertClose(next, forecast.slice(1, k, k + 1), `step ${k + 1}`);
    }
    assertClose(m.forward(window, 2), forecast.slice(1, 0, 2), 'a shorter horizon is a prefix');
    const w = randn([3, 4, 1], { generator: gen() });
    checkGradients(m, () => m.forward(window).mul(w).sum());
  });

  test('direct: all steps from the last state', () => {
    const m = new models.Forecaster(
      { horizon: 5, mode: 'direct', cell: 'gru', inputSize: 2, hiddenSize: 4 },
      gen(),
    ).eval();
    const window = randn([2, 6, 2], { generator: gen() });
    assert.deepEqual(m.forward(window).shape, [2, 5, 2]);
    assert.throws(() => m.forward(window, 3), /predicts exactly 5 steps, asked for 3/);
    const w = randn([2, 5, 2], { generator: gen() });
    checkGradients(m, () => m.forward(window).mul(w).sum());
    assert.throws(() => m.forward(randn([2, 6, 3])), /window dim 2 \(features\) is 3, expected 2/);
  });

  test('forwardSequence carries state across chunks exactly like one long run', () => {
    const m = new models.Forecaster({ horizon: 1, hiddenSize: 4 }, gen()).eval();
    const series = randn([2, 10, 1], { generator: gen() });
    const whole = m.forwardSequence(series).predictions;
    const first = m.forwardSequence(series.slice(1, 0, 6));
    const second = m.forwardSequence(series.slice(1, 6), { h: first.state.h.detach(), c: first.state.c!.detach() });
    assertClose(second.predictions, whole.slice(1, 6), 'chunked');
  });
});
