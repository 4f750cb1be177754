/**
 * Stream batching for language models: chunks of parallel streams against a hand-worked case,
 * random windows, and the state carried (detached) across chunks, checked against the RNN
 * recurrence h_t = tanh(w_ih·e(x_t) + w_hh·h_{t-1}) computed by hand for a one-unit model.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Generator, models, Tensor, ValueError } from '../src/index.js';
import { CarriedState, randomWindows, streamChunks } from '../src/train/streams.js';

const rows = (t: Tensor): number[][] => {
  const [n, m] = t.shape as [number, number];
  return Array.from({ length: n }, (_, b) => Array.from(t.data.subarray(b * m, (b + 1) * m)));
};

describe('streamChunks', () => {
  test('ids 0..12, batch 2, bptt 3: streams 0..5 and 6..11, chunks of 3 then 2 steps', () => {
    const ids = Array.from({ length: 13 }, (_, i) => i);
    const chunks = streamChunks(ids, 2, 3);
    assert.equal(chunks.length, 2);
    assert.deepEqual(rows(chunks[0]!.inputs), [
      [0, 1, 2],
      [6, 7, 8],
    ]);
    assert.deepEqual(Array.from(chunks[0]!.targets), [1, 2, 3, 7, 8, 9]);
    assert.deepEqual(rows(chunks[1]!.inputs), [
      [3, 4],
      [9, 10],
    ]);
    assert.deepEqual(Array.from(chunks[1]!.targets), [4, 5, 10, 11]);
    assert.deepEqual(
      chunks.map((c) => c.carry),
      [false, true],
    );
  });

  test('every target is the next id of its stream, and each stream is read once in order', () => {
    const g = new Generator(3);
    const ids = Array.from({ length: 101 }, () => Math.floor(g.random() * 7));
    const [N, T] = [4, 6];
    const L = Math.floor(ids.length / N);
    const seen: number[][] = Array.from({ length: N }, () => []);
    for (const chunk of streamChunks(ids, N, T)) {
      const t = chunk.inputs.shape[1]!;
      assert.ok(t <= T);
      for (let b = 0; b < N; b++) {
        for (let s = 0; s < t; s++) {
          const position = b * L + seen[b]!.length;
          assert.equal(chunk.inputs.data[b * t + s], ids[position]);
          assert.equal(chunk.targets[b * t + s], ids[position + 1]);
          seen[b]!.push(position);
        }
      }
    }
    for (let b = 0; b < N; b++) assert.equal(seen[b]!.length, L - 1, `stream ${b} reads L - 1 inputs`);
  });

  test('too little text or bad sizes are ValueErrors', () => {
    assert.throws(() => streamChunks([1, 2, 3], 2, 4), ValueError);
    assert.throws(() => streamChunks([1, 2, 3, 4], 0, 4), ValueError);
    assert.throws(() => streamChunks([1, 2, 3, 4], 1, 1.5), ValueError);
  });
});

describe('randomWindows', () => {
  test('windows of bptt + 1 consecutive ids, never carrying state, seeded', () => {
    const ids = Array.from({ length: 50 }, (_, i) => (i * 7) % 50);
    const batches = randomWindows(ids, 3, 5, 4, new Generator(1));
    assert.equal(batches.length, 4);
    const starts = new Set<number>();
    for (const batch of batches) {
      assert.equal(batch.carry, false);
      assert.deepEqual([...batch.inputs.shape], [3, 5]);
      for (let b = 0; b < 3; b++) {
        const start = ids.indexOf(batch.inputs.data[b * 5]!);
        starts.add(start);
        for (let s = 0; s < 5; s++) {
          assert.equal(batch.inputs.data[b * 5 + s], ids[start + s]);
          assert.equal(batch.targets[b * 5 + s], ids[start + s + 1]);
        }
      }
    }
    assert.ok(starts.size > 3, 'different starts');
    const again = randomWindows(ids, 3, 5, 4, new Generator(1));
    assert.deepEqual(
      again.map((b) => Array.from(b.inputs.data)),
      batches.map((b) => Array.from(b.inputs.data)),
    );
    assert.throws(() => randomWindows([1, 2, 3], 1, 3, 1, new Generator(0)), ValueError);
  });
});

describe('state carried across chunks', () => {
  // One unit, no bias: h_t = tanh(w_ih · e[x_t] + w_hh · h_{t-1}), e the 1-D embedding.
  const e = [0.5, -0.3, 0.8];
  const [wih, whh] = [1.2, 0.7];
  function tinyModel(): models.LanguageModel {
    const lm = new models.LanguageModel(
      { vocabSize: 3, embeddingDim: 1, hiddenSize: 1, cell: 'rnn' },
      new Generator(0),
    );
    const dict = lm.stateDict();
    dict['embedding.weight'] = new Tensor(Float32Array.from(e), [3, 1]);
    dict['rnn.weight_ih_l0'] = new Tensor(Float32Array.of(wih), [1, 1]);
    dict['rnn.weight_hh_l0'] = new Tensor(Float32Array.of(whh), [1, 1]);
    dict['rnn.bias_ih_l0'] = new Tensor(Float32Array.of(0), [1]);
    dict['rnn.bias_hh_l0'] = new Tensor(Float32Array.of(0), [1]);
    lm.loadStateDict(dict);
    return lm;
  }
  const byHand = (inputs: number[], h0 = 0) => inputs.reduce((h, x) => Math.tanh(wih * e[x]! + whh * h), h0);

  test('the state after each chunk is the recurrence over the whole stream so far; chunk 0 starts from zeros', () => {
    const lm = tinyModel();
    const ids = [0, 1, 2, 2, 1, 0, 0, 2, 1, 1, 0, 2, 2, 0, 1];
    const [N, T] = [2, 3];
    const L = Math.floor(ids.length / N); // 7
    const carried = new CarriedState();
    const chunks = streamChunks(ids, N, T);
    let read = 0;
    for (const chunk of chunks) {
      const loss = carried.loss(lm, chunk);
      loss.backward();
      read += chunk.inputs.shape[1]!;
      for (let b = 0; b < N; b++) {
        const expected = byHand(ids.slice(b * L, b * L + read));
        assert.ok(
          Math.abs(carried.state!.h.data[b]! - expected) < 1e-6,
          `stream ${b} after ${read} steps: ${carried.state!.h.data[b]} vs ${expected}`,
        );
      }
      assert.equal(carried.state!.h.requiresGrad, false, 'the kept state is detached');
    }
    // A new epoch: chunk 0 does not carry, so the state restarts from zeros.
    carried.loss(lm, chunks[0]!);
    for (let b = 0; b < N; b++)
      assert.ok(Math.abs(carried.state!.h.data[b]! - byHand(ids.slice(b * L, b * L + T))) < 1e-6);
  });

  test('gradients stop at the chunk boundary: chunk 2 alone gives the same weight gradient as chunk 2 from a constant state', () => {
    const ids = [0, 1, 2, 2, 1, 0, 0, 2, 1, 1, 0, 2];
    const chunks = streamChunks(ids, 1, 4);
    const a = tinyModel();
    const carried = new CarriedState();
    carried.loss(a, chunks[0]!);
    const start = carried.state!;
    a.zeroGrad();
    carried.loss(a, chunks[1]!).backward();
    const b = tinyModel();
    const fromConstant = new CarriedState();
    fromConstant.state = { h: new Tensor(Float32Array.from(start.h.data), [1, 1, 1]), c: null };
    b.zeroGrad();
    fromConstant.loss(b, chunks[1]!).backward();
    const ga = a.rnn.namedParameters().map(([, p]) => Array.from(p.grad!.data));
    const gb = b.rnn.namedParameters().map(([, p]) => Array.from(p.grad!.data));
    assert.deepEqual(ga, gb);
  });
});
