/** The PyTorch RNN parity fixture (rnn-parity.v1.json): its case type and the check of one case. */
import assert from 'node:assert/strict';
import { nn, packPaddedSequence, PackedSequence, padPackedSequence, type Tensor } from '../src/index.js';
import { type ArrayFixture, assertClose, fromFixture, readFixture } from './helpers.js';

export interface RnnFixtureCase {
  name: string;
  module: 'RNN' | 'LSTM' | 'GRU';
  options: {
    inputSize: number;
    hiddenSize: number;
    numLayers: number;
    bias: boolean;
    batchFirst: boolean;
    dropout: number;
    bidirectional: boolean;
    nonlinearity: 'tanh' | 'relu';
    projSize: number;
  };
  input: ArrayFixture;
  lengths: number[] | null;
  h0: ArrayFixture | null;
  c0: ArrayFixture | null;
  params: Record<string, ArrayFixture>;
  output: ArrayFixture;
  h: ArrayFixture;
  c: ArrayFixture | null;
  outputWeight: ArrayFixture;
  hWeight: ArrayFixture;
  cWeight: ArrayFixture | null;
  grads: {
    input: ArrayFixture;
    h0: ArrayFixture | null;
    c0: ArrayFixture | null;
    params: Record<string, ArrayFixture>;
  };
}

export const rnnFixture = (): { version: number; cases: RnnFixtureCase[] } => readFixture('rnn-parity.v1.json');

function build(c: RnnFixtureCase): nn.RNN | nn.LSTM | nn.GRU {
  const o = c.options;
  const common = {
    inputSize: o.inputSize,
    hiddenSize: o.hiddenSize,
    numLayers: o.numLayers,
    bias: o.bias,
    batchFirst: o.batchFirst,
    dropout: o.dropout,
    bidirectional: o.bidirectional,
  };
  if (c.module === 'RNN') return new nn.RNN({ ...common, nonlinearity: o.nonlinearity });
  if (c.module === 'LSTM') return new nn.LSTM({ ...common, projSize: o.projSize });
  return new nn.GRU(common);
}

/**
 * Builds the case's module with PyTorch's weights, runs it, and compares the outputs, final
 * states and the gradients of input, h0, c0 and every parameter with PyTorch's. With `packed`,
 * a case with lengths runs on packPaddedSequence(input) instead (PyTorch's own route), and its
 * PackedSequence output is padded back: the gradients then flow through the packing.
 */
export function checkRnnFixtureCase(c: RnnFixtureCase, { packed = false }: { packed?: boolean } = {}): void {
  const module = build(c).eval();
  // Same parameter names and order as PyTorch.
  assert.deepEqual(
    module.namedParameters().map(([n]) => n),
    Object.keys(c.params),
  );
  module.loadStateDict(Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, fromFixture(v)])));
  const x = fromFixture(c.input, true);
  const h0 = c.h0 ? fromFixture(c.h0, true) : undefined;
  const c0 = c.c0 ? fromFixture(c.c0, true) : undefined;
  type Result = { output: Tensor; h: Tensor; c?: Tensor };
  let result: Result;
  if (packed) {
    assert.ok(c.lengths, `${c.name}: packed needs lengths`);
    const batchFirst = c.options.batchFirst;
    const input = packPaddedSequence(x, c.lengths, { batchFirst });
    const r = module.forward(input, { ...(h0 && { h: h0 }), ...(c0 && { c: c0 }) }) as unknown as {
      output: PackedSequence;
      h: Tensor;
      c?: Tensor;
    };
    assert.ok(r.output instanceof PackedSequence, 'a PackedSequence in, a PackedSequence out');
    result = {
      ...r,
      output: padPackedSequence(r.output, { batchFirst, totalLength: c.input.shape[batchFirst ? 1 : 0]! }).output,
    };
  } else {
    result = module.forward(x, {
      ...(h0 && { h: h0 }),
      ...(c0 && { c: c0 }),
      ...(c.lengths && { lengths: c.lengths }),
    }) as Result;
  }

  assertClose(result.output, c.output, 'output');
  assertClose(result.h, c.h, 'h');
  if (c.c) assertClose(result.c!, c.c, 'c');

  let loss = result.output
    .mul(fromFixture(c.outputWeight))
    .sum()
    .add(result.h.mul(fromFixture(c.hWeight)).sum());
  if (c.cWeight) loss = loss.add(result.c!.mul(fromFixture(c.cWeight)).sum());
  loss.backward();

  assertClose(x.grad!, c.grads.input, 'grad input');
  if (c.grads.h0) assertClose(h0!.grad!, c.grads.h0, 'grad h0');
  if (c.grads.c0) assertClose(c0!.grad!, c.grads.c0, 'grad c0');
  for (const [name, p] of module.namedParameters()) assertClose(p.grad!, c.grads.params[name]!, `grad ${name}`);
}
