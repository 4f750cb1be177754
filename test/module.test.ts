/** Module mechanics and the small modules: names, state dicts, modes, Linear, Embedding, Dropout. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Generator, nn, randn, tensor, type Tensor } from '../src/index.js';
import { assertClose } from './helpers.js';

class Tagger extends nn.Module {
  readonly embed = this.registerModule(
    'embed',
    new nn.Embedding({ numEmbeddings: 6, embeddingDim: 3, paddingIdx: 0, generator: new Generator(1) }),
  );
  readonly rnn = this.registerModule(
    'rnn',
    new nn.GRU({ inputSize: 3, hiddenSize: 4, batchFirst: true, generator: new Generator(2) }),
  );
  readonly head = this.registerModule(
    'head',
    new nn.Linear({ inFeatures: 4, outFeatures: 2, generator: new Generator(3) }),
  );
  readonly drop = this.registerModule('drop', new nn.Dropout({ p: 0.5, generator: new Generator(4) }));
  forward(tokens: Tensor): Tensor {
    return this.head.forward(this.drop.forward(this.rnn.forward(this.embed.forward(tokens)).output));
  }
}

describe('Module', () => {
  test('dotted PyTorch-style names in registration order', () => {
    assert.deepEqual(
      new Tagger().namedParameters().map(([n]) => n),
      [
        'embed.weight',
        'rnn.weight_ih_l0',
        'rnn.weight_hh_l0',
        'rnn.bias_ih_l0',
        'rnn.bias_hh_l0',
        'head.weight',
        'head.bias',
      ],
    );
    assert.equal(new Tagger().parameterCount(), 18 + 36 + 48 + 12 + 12 + 8 + 2);
  });

  test('stateDict is a copy; loadStateDict copies into the parameters', () => {
    const a = new Tagger();
    const b = new Tagger();
    b.head.weight.data.fill(9);
    const saved = b.stateDict();
    b.head.weight.data.fill(1);
    assert.equal(saved['head.weight']!.data[0], 9);
    a.loadStateDict(saved);
    assert.equal(a.head.weight.data[0], 9);
    const tokens = tensor([
      [1, 2, 3],
      [4, 5, 0],
    ]);
    a.eval();
    b.loadStateDict(saved);
    b.eval();
    assertClose(a.forward(tokens), b.forward(tokens), 'same weights, same outputs');
  });

  test('train()/eval() reach every child; zeroGrad clears gradients', () => {
    const m = new Tagger().eval();
    assert.ok(m.namedModules().every(([, child]) => !child.training));
    m.train();
    assert.ok(m.drop.training && m.rnn.training);
    m.eval();
    m.forward(tensor([[1, 2]]))
      .sum()
      .backward();
    assert.ok(m.parameters().every((p) => p.grad !== null));
    m.zeroGrad();
    assert.ok(m.parameters().every((p) => p.grad === null));
  });
});

describe('Linear, Embedding, Dropout', () => {
  test('Linear computes x·Wᵀ + b on the last dim of any rank', () => {
    const lin = new nn.Linear({ inFeatures: 2, outFeatures: 3 });
    lin.loadStateDict({ weight: tensor([1, 2, 3, 4, 5, 6], [3, 2]), bias: tensor([0.5, -1, 0], [3]) });
    const y = lin.forward(tensor([1, 1, 2, 0, 0, 1, 1, 0], [2, 2, 2]));
    assert.deepEqual(y.shape, [2, 2, 3]);
    assert.deepEqual([...y.data], [3.5, 6, 11, 2.5, 5, 10, 2.5, 3, 6, 1.5, 2, 5]);
  });

  test('Embedding: padding row starts at zero and gets no gradient; repeated indices accumulate', () => {
    const emb = new nn.Embedding({ numEmbeddings: 4, embeddingDim: 2, paddingIdx: 0 });
    assert.deepEqual([...emb.weight.data.subarray(0, 2)], [0, 0]);
    const out = emb.forward(
      tensor([
        [2, 0],
        [2, 3],
      ]),
    );
    assert.deepEqual(out.shape, [2, 2, 2]);
    out.sum().backward();
    assert.deepEqual([...emb.weight.grad!.data], [0, 0, 0, 0, 2, 2, 1, 1]);
  });

  test('Dropout zeroes about p of the elements and rescales the rest, only in training', () => {
    const drop = new nn.Dropout({ p: 0.25, generator: new Generator(5) });
    const x = randn([10000]);
    const y = drop.forward(x);
    const zeros = [...y.data].filter((v) => v === 0).length;
    assert.ok(Math.abs(zeros / 10000 - 0.25) < 0.02, `${zeros} zeros`);
    const kept = [...y.data].findIndex((v) => v !== 0);
    assert.ok(Math.abs(y.data[kept]! - x.data[kept]! / 0.75) < 1e-6);
    assert.equal(drop.eval().forward(x), x);
  });
});
