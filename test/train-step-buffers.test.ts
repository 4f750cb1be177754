/**
 * The training step's large arrays (saved activations, dGX / dGH) are reused from one step to the
 * next (nn/recurrent/fused.ts). Reuse must never hand an array to a second user while the first
 * still needs it: several graphs alive at once give the gradients each gives alone, and a second
 * backward through a graph whose arrays were given back is refused, as PyTorch refuses it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GradientError, Generator, nn, randn, type Tensor } from '../src/index.js';

type Layer = InstanceType<typeof nn.LSTM> | InstanceType<typeof nn.GRU> | InstanceType<typeof nn.RNN>;

function make(kind: 'RNN' | 'LSTM' | 'GRU'): Layer {
  const options = { inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true, generator: new Generator(3) };
  return kind === 'RNN' ? new nn.RNN(options) : kind === 'LSTM' ? new nn.LSTM(options) : new nn.GRU(options);
}

const grads = (m: Layer) => m.parameters().map((p) => Float32Array.from(p.grad!.data));
const zero = (m: Layer) =>
  m.parameters().forEach((p) => {
    p.grad = null;
  });

describe('training-step arrays reused between steps', () => {
  for (const kind of ['RNN', 'LSTM', 'GRU'] as const) {
    test(`${kind}: graphs alive at the same time get the gradients each gets alone`, () => {
      const m = make(kind);
      const xa = randn([6, 2, 3], { generator: new Generator(4) });
      const xb = randn([6, 2, 3], { generator: new Generator(5) });
      const loss = (x: Tensor) => m.forward(x).output.pow(2).sum();
      loss(xa).backward();
      const alone = grads(m);
      zero(m);
      loss(xb).backward();
      const aloneB = grads(m);
      zero(m);
      // Both forwards first, then both backwards in the opposite order.
      const la = loss(xa);
      const lb = loss(xb);
      lb.backward();
      assert.deepEqual(grads(m), aloneB, `${kind}: graph B`);
      zero(m);
      la.backward();
      assert.deepEqual(grads(m), alone, `${kind}: graph A, backpropagated after B reused arrays`);
    });
  }

  test('a second backward through the same graph is refused with a GradientError', () => {
    const m = make('LSTM');
    const loss = m.forward(randn([4, 2, 3], { generator: new Generator(6) })).output.sum();
    loss.backward();
    assert.throws(
      () => loss.backward(),
      (e: unknown) => e instanceof GradientError && /lstm layer a second time/.test(e.message),
    );
  });
});
