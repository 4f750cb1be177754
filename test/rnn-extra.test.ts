/**
 * PyTorch parity beyond rnn-parity.v1.json (fixtures/rnn-extra.v1.json, written by
 * scripts/fixtures/gen_rnn_extra.py): a 2-layer bidirectional LSTM with projection and lengths;
 * every case with lengths of both fixtures again through a PackedSequence input (gradients
 * through the packing); the cells, batched and unbatched: h, the LSTM cell's c, and every gradient.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nn, type Tensor } from '../src/index.js';
import { type ArrayFixture, assertClose, fromFixture, readFixture } from './helpers.js';
import { checkRnnFixtureCase, rnnFixture, type RnnFixtureCase } from './rnn-fixture.js';

interface CellCase {
  name: string;
  module: 'RNNCell' | 'LSTMCell' | 'GRUCell';
  options: { inputSize: number; hiddenSize: number; bias: boolean; nonlinearity?: 'tanh' | 'relu' };
  params: Record<string, ArrayFixture>;
  input: ArrayFixture;
  h0: ArrayFixture | null;
  c0: ArrayFixture | null;
  h: ArrayFixture;
  c: ArrayFixture | null;
  hWeight: ArrayFixture;
  cWeight: ArrayFixture | null;
  grads: {
    input: ArrayFixture;
    h0: ArrayFixture | null;
    c0: ArrayFixture | null;
    params: Record<string, ArrayFixture>;
  };
}

const extra = readFixture<{ version: number; cases: RnnFixtureCase[]; cells: CellCase[] }>('rnn-extra.v1.json');

function checkCell(c: CellCase): void {
  const cell =
    c.module === 'RNNCell'
      ? new nn.RNNCell(c.options)
      : c.module === 'LSTMCell'
        ? new nn.LSTMCell(c.options)
        : new nn.GRUCell(c.options);
  assert.deepEqual(
    cell.namedParameters().map(([n]) => n),
    Object.keys(c.params),
  );
  cell.loadStateDict(Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, fromFixture(v)])));
  const x = fromFixture(c.input, true);
  const h0 = c.h0 ? fromFixture(c.h0, true) : undefined;
  const c0 = c.c0 ? fromFixture(c.c0, true) : undefined;
  let h: Tensor;
  let cOut: Tensor | null = null;
  if (cell instanceof nn.LSTMCell) {
    const r = cell.forward(x, h0 && c0 ? { h: h0, c: c0 } : undefined);
    h = r.h;
    cOut = r.c;
  } else {
    h = (cell as nn.GRUCell).forward(x, h0);
  }
  assertClose(h, c.h, 'h');
  assert.deepEqual(h.shape, c.h.shape, 'h shape');
  if (c.c) {
    assertClose(cOut!, c.c, 'c');
    assert.deepEqual(cOut!.shape, c.c.shape, 'c shape');
  }
  let loss = h.mul(fromFixture(c.hWeight)).sum();
  if (c.cWeight) loss = loss.add(cOut!.mul(fromFixture(c.cWeight)).sum());
  loss.backward();
  assertClose(x.grad!, c.grads.input, 'grad input');
  if (c.grads.h0) assertClose(h0!.grad!, c.grads.h0, 'grad h0');
  if (c.grads.c0) assertClose(c0!.grad!, c.grads.c0, 'grad c0');
  for (const [name, p] of cell.namedParameters()) assertClose(p.grad!, c.grads.params[name]!, `grad ${name}`);
}

describe('PyTorch parity (rnn-extra.v1.json)', () => {
  test('fixture is version 1: a 2-layer bidirectional LSTM with projection and lengths; every cell batched and unbatched', () => {
    assert.equal(extra.version, 1);
    assert.ok(
      extra.cases.some(
        (c) =>
          c.module === 'LSTM' &&
          c.options.numLayers === 2 &&
          c.options.bidirectional &&
          c.options.projSize > 0 &&
          c.lengths,
      ),
    );
    for (const kind of ['RNNCell', 'LSTMCell', 'GRUCell']) {
      assert.ok(
        extra.cells.some((c) => c.module === kind && c.input.shape.length === 1),
        `${kind} unbatched`,
      );
      assert.ok(
        extra.cells.some((c) => c.module === kind && c.input.shape.length === 2),
        `${kind} batched`,
      );
    }
  });

  for (const c of extra.cases) test(`${c.name} (lengths)`, () => checkRnnFixtureCase(c));
  const withLengths = [...extra.cases, ...rnnFixture().cases].filter((c) => c.lengths);
  for (const c of withLengths)
    test(`${c.name}: PackedSequence input, gradients through the packing`, () =>
      checkRnnFixtureCase(c, { packed: true }));
  for (const c of extra.cells) test(`cell ${c.name}`, () => checkCell(c));
});
