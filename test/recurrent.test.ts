/** Semantics of the recurrent layers beyond the fixtures: lengths, packing, cells, dropout, init, speed. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  Generator,
  lastValidStep,
  manualSeed,
  nn,
  packPaddedSequence,
  PackedSequence,
  padPackedSequence,
  randn,
  type Tensor,
  tensor,
} from '../src/index.js';
import { assertClose } from './helpers.js';

const gen = () => new Generator(7);

describe('variable lengths', () => {
  for (const kind of ['RNN', 'LSTM', 'GRU'] as const) {
    test(`${kind}: each sequence with lengths equals that sequence run alone, truncated`, () => {
      const options = {
        inputSize: 3,
        hiddenSize: 4,
        numLayers: 2,
        bidirectional: true,
        batchFirst: true,
        generator: gen(),
      };
      const m = kind === 'RNN' ? new nn.RNN(options) : kind === 'LSTM' ? new nn.LSTM(options) : new nn.GRU(options);
      const lengths = [3, 6, 1, 4];
      const x = randn([4, 6, 3], { generator: gen() });
      const all = m.forward(x, { lengths });
      lengths.forEach((len, b) => {
        const alone = m.forward(x.slice(0, b, b + 1).slice(1, 0, len));
        assertClose(all.output.slice(0, b, b + 1).slice(1, 0, len), alone.output, `output of row ${b}`);
        assertClose(
          all.output.slice(0, b, b + 1).slice(1, len),
          new Array<number>((6 - len) * 8).fill(0),
          `padding of row ${b}`,
        );
        assertClose(all.h.slice(1, b, b + 1), alone.h, `h of row ${b}`);
      });
    });
  }

  test('lengths in any order: permuting the batch permutes every result', () => {
    const m = new nn.LSTM({ inputSize: 2, hiddenSize: 3, bidirectional: true, generator: gen() });
    const x = randn([5, 3, 2], { generator: gen() }); // (time, batch, features)
    const order = [2, 0, 1];
    const a = m.forward(x, { lengths: [2, 5, 4] });
    const b = m.forward(x.indexSelect(1, order), { lengths: order.map((i) => [2, 5, 4][i]!) });
    assertClose(b.output, a.output.indexSelect(1, order), 'output');
    assertClose(b.h, a.h.indexSelect(1, order), 'h');
    assertClose(b.c, a.c.indexSelect(1, order), 'c');
  });

  test('gradients flow only through valid steps', () => {
    const m = new nn.GRU({ inputSize: 2, hiddenSize: 3, bidirectional: true, batchFirst: true, generator: gen() });
    const x = randn([2, 5, 2], { generator: gen(), requiresGrad: true });
    const { output, h } = m.forward(x, { lengths: [5, 2] });
    output.sum().add(h.sum()).backward();
    const g = x.grad!;
    for (let t = 2; t < 5; t++) assert.deepEqual([...g.select(0, 1).select(0, t).data], [0, 0], `step ${t} of row 1`);
    assert.ok(
      g
        .select(0, 1)
        .select(0, 1)
        .data.some((v) => v !== 0),
    );
  });

  test('final states: forward half at the last valid step, reverse half at step 0', () => {
    const m = new nn.RNN({ inputSize: 2, hiddenSize: 3, bidirectional: true, batchFirst: true, generator: gen() });
    const lengths = [4, 2, 3];
    const { output, h } = m.forward(randn([3, 4, 2], { generator: gen() }), { lengths });
    assertClose(lastValidStep(output, lengths).slice(1, 0, 3), h.select(0, 0), 'forward direction');
    assertClose(output.select(1, 0).slice(1, 3, 6), h.select(0, 1), 'reverse direction');
  });

  test('lastValidStep equals h[-1] for one direction, and output[:, -1] does not with padding', () => {
    const m = new nn.LSTM({ inputSize: 2, hiddenSize: 3, numLayers: 2, batchFirst: true, generator: gen() });
    const lengths = [4, 1];
    const { output, h } = m.forward(randn([2, 4, 2], { generator: gen() }), { lengths });
    assertClose(lastValidStep(output, lengths), h.select(0, -1), 'last valid step');
    assert.deepEqual([...output.select(1, -1).select(0, 1).data], [0, 0, 0]);
  });

  test('time-major lastValidStep', () => {
    const out = tensor([1, 2, 3, 4, 5, 6], [3, 2, 1]); // (time 3, batch 2, features 1)
    assert.deepEqual([...lastValidStep(out, [2, 3], { batchFirst: false }).data], [3, 6]);
  });
});

describe('packed sequences', () => {
  test('pack/pad round trip and PyTorch layout', () => {
    const x = tensor([1, 2, 0, 3, 4, 5, 6, 0, 0], [3, 3, 1]); // batch-first, lengths 2, 3, 1
    const packed = packPaddedSequence(x, [2, 3, 1], { batchFirst: true });
    assert.deepEqual([...packed.data.data], [3, 1, 6, 4, 2, 5]);
    assert.deepEqual([...packed.batchSizes], [3, 2, 1]);
    assert.deepEqual([...packed.sortedIndices], [1, 0, 2]);
    assert.deepEqual([...packed.unsortedIndices], [1, 0, 2]);
    const { output, lengths } = padPackedSequence(packed, { batchFirst: true });
    assert.deepEqual([...lengths], [2, 3, 1]);
    assert.deepEqual([...output.data], [...x.data]);
  });

  test('a PackedSequence through a layer equals lengths', () => {
    const m = new nn.GRU({ inputSize: 2, hiddenSize: 3, numLayers: 2, bidirectional: true, generator: gen() });
    const x = randn([4, 3, 2], { generator: gen() });
    const lengths = [3, 4, 1];
    const viaLengths = m.forward(x, { lengths });
    const viaPacked = m.forward(packPaddedSequence(x, lengths));
    assert.ok(viaPacked.output instanceof PackedSequence);
    assertClose(padPackedSequence(viaPacked.output, { totalLength: 4 }).output, viaLengths.output, 'output');
    assertClose(viaPacked.h, viaLengths.h, 'h');
  });
});

describe('layers, cells and modes', () => {
  test('the API later work builds on', () => {
    const lstm = new nn.LSTM({ inputSize: 10, hiddenSize: 20, numLayers: 2, bidirectional: true, batchFirst: true });
    const x = randn([4, 7, 10], { requiresGrad: true });
    const { output, h, c } = lstm.forward(x, { lengths: [7, 3, 5, 1] });
    assert.deepEqual(output.shape, [4, 7, 40]);
    assert.deepEqual(h.shape, [4, 4, 20]);
    assert.deepEqual(c.shape, [4, 4, 20]);
    output
      .mul(randn([4, 7, 40]))
      .sum()
      .backward();
    assert.deepEqual(x.grad!.shape, [4, 7, 10]);
    for (const [name, p] of lstm.namedParameters()) assert.deepEqual(p.grad!.shape, p.shape, name);
  });

  test('unbatched input equals a batch of one', () => {
    const m = new nn.LSTM({ inputSize: 3, hiddenSize: 4, projSize: 2, bidirectional: true, generator: gen() });
    const x = randn([5, 3], { generator: gen() });
    const single = m.forward(x);
    const batched = m.forward(x.unsqueeze(1));
    assert.deepEqual(single.output.shape, [5, 4]);
    assert.deepEqual(single.h.shape, [2, 2]);
    assert.deepEqual(single.c.shape, [2, 4]);
    assertClose(single.output, batched.output.squeeze(1), 'output');
    assertClose(single.h, batched.h.squeeze(1), 'h');
    assertClose(single.c, batched.c.squeeze(1), 'c');
    // (PyTorch's values for unbatched h and c: rnn-parity.v1.json's *_unbatched cases.)
  });

  test('cells equal a one-step layer with the same weights', () => {
    for (const kind of ['RNN', 'LSTM', 'GRU'] as const) {
      const options = { inputSize: 3, hiddenSize: 4, generator: gen() };
      const cell =
        kind === 'RNN' ? new nn.RNNCell(options) : kind === 'LSTM' ? new nn.LSTMCell(options) : new nn.GRUCell(options);
      const layer = kind === 'RNN' ? new nn.RNN(options) : kind === 'LSTM' ? new nn.LSTM(options) : new nn.GRU(options);
      layer.loadStateDict(Object.fromEntries(cell.namedParameters().map(([k, v]) => [`${k}_l0`, v])));
      const x = randn([2, 3], { generator: gen() });
      const h = randn([2, 4], { generator: gen() });
      const c = randn([2, 4], { generator: gen() });
      const expected = layer.forward(x.unsqueeze(0), {
        h: h.unsqueeze(0),
        ...(kind === 'LSTM' && { c: c.unsqueeze(0) }),
      });
      const got = cell instanceof nn.LSTMCell ? cell.forward(x, { h, c }) : { h: (cell as nn.GRUCell).forward(x, h) };
      assertClose(got.h, expected.h.squeeze(0), `${kind}Cell h`);
      if (kind === 'LSTM')
        assertClose((got as { c: Tensor }).c, (expected as { c?: Tensor }).c!.squeeze(0), 'LSTMCell c');
      // (PyTorch's values for every cell, batched and unbatched: rnn-extra.test.ts.)
      assert.deepEqual(
        (cell instanceof nn.LSTMCell ? cell.forward(x.select(0, 0)).h : (cell as nn.GRUCell).forward(x.select(0, 0)))
          .shape,
        [4],
      );
    }
  });

  test('dropout between layers acts in training only', () => {
    const m = new nn.GRU({ inputSize: 3, hiddenSize: 8, numLayers: 2, dropout: 0.5, generator: gen() });
    const x = randn([4, 2, 3], { generator: gen() });
    const train1 = m.train().forward(x).output;
    const train2 = m.forward(x).output;
    const eval1 = m.eval().forward(x).output;
    const eval2 = m.forward(x).output;
    assert.notDeepEqual([...train1.data], [...eval1.data]);
    assert.notDeepEqual([...train1.data], [...train2.data]);
    assert.deepEqual([...eval1.data], [...eval2.data]);
  });

  test('same seed gives the same model; another seed another', () => {
    const make = (seed: number) => {
      manualSeed(seed);
      return new nn.LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2 }).stateDict();
    };
    const a = make(42);
    const b = make(42);
    const c = make(43);
    for (const k of Object.keys(a)) assert.deepEqual(a[k]!.data, b[k]!.data, k);
    assert.notDeepEqual(a['weight_ih_l0']!.data, c['weight_ih_l0']!.data);
  });

  test('initialisation follows PyTorch: U(-1/sqrt(H), 1/sqrt(H)) for every parameter', () => {
    const H = 64;
    const m = new nn.LSTM({ inputSize: 32, hiddenSize: H, projSize: 16, generator: gen() });
    const bound = 1 / Math.sqrt(H);
    for (const [name, p] of m.namedParameters()) {
      const values = [...p.data];
      assert.ok(
        values.every((v) => Math.abs(v) <= bound),
        `${name} within the bound`,
      );
      const mean = values.reduce((s, v) => s + v, 0) / values.length;
      const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
      assert.ok(Math.abs(mean) < bound * 0.2, `${name} mean ${mean}`);
      if (values.length > 500)
        assert.ok(Math.abs(variance / ((bound * bound) / 3) - 1) < 0.15, `${name} variance ${variance}`);
    }
  });

  test('reference path speed: LSTM batch 32, 50 steps, input 64, hidden 128, forward+backward within a few seconds', () => {
    const m = new nn.LSTM({ inputSize: 64, hiddenSize: 128, batchFirst: true, generator: gen() });
    const x = randn([32, 50, 64], { generator: gen(), requiresGrad: true });
    const start = performance.now();
    const { output }: { output: Tensor } = m.forward(x);
    output.sum().backward();
    const seconds = (performance.now() - start) / 1000;
    assert.ok(seconds < 5, `took ${seconds.toFixed(2)} s`);
  });
});
