/**
 * A recurrent module's calls without a graph keep its packed weights (WeightPacking `checked`):
 * packed once across calls, packed again as soon as a weight changes in place (an optimizer step,
 * a write to `.data`, loadStateDict), so the outputs always follow the weights; calls that build a
 * graph never use the kept copy.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WeightPacking } from '../src/nn/recurrent/packing.js';
import { Adam, Generator, mseLoss, nn, noGrad, randn, type Tensor } from '../src/index.js';
import { backendCases, useBackend } from './backend-helpers.js';

const gen = () => new Generator(21);

/** The packs made by every WeightPacking while `fn` runs (`uses`: how often one was asked). */
function countPacks(fn: () => void, count: 'packs' | 'uses' = 'packs'): number {
  const own = WeightPacking.prototype.get;
  let packs = 0;
  let uses = 0;
  WeightPacking.prototype.get = function (this: WeightPacking, ...args: Parameters<typeof own>) {
    const before = this.packCount;
    const p = own.apply(this, args);
    packs += this.packCount - before;
    uses++;
    return p;
  };
  try {
    fn();
  } finally {
    WeightPacking.prototype.get = own;
  }
  return count === 'packs' ? packs : uses;
}

describe('packed weights kept across calls without a graph', () => {
  test('checked packings exist in Node.js', () => {
    assert.equal(WeightPacking.canCheck, true);
  });
  for (const bc of backendCases()) {
    test(`${bc.name}: packed once, packed again after a weight changes, outputs follow the weights`, {
      skip: bc.skip,
    }, () => {
      useBackend(bc);
      const lstm = new nn.LSTM({ inputSize: 5, hiddenSize: 7, numLayers: 2, bidirectional: true, generator: gen() });
      const fresh = () => {
        const twin = new nn.LSTM({ inputSize: 5, hiddenSize: 7, numLayers: 2, bidirectional: true, generator: gen() });
        twin.loadStateDict(lstm.stateDict());
        return twin;
      };
      const x = randn([4, 3, 5], { generator: new Generator(3) });
      const out = (m: nn.LSTM) => noGrad(() => m.forward(x).output.data.slice());
      // W_hh of 2 layers x 2 directions, and W_ih too where the backend packs it at this size
      const first = countPacks(() => out(lstm));
      assert.ok(first === 4 || first === 8, `first call: ${first} packs`);
      let again: Float32Array | undefined;
      assert.equal(
        countPacks(() => {
          again = out(lstm);
        }),
        0,
        'the second call reuses every packed weight',
      );
      assert.deepEqual(again, out(fresh()));

      // A write in place to one weight: that matrix alone is packed again, and the output changes.
      const w = lstm.namedParameters().find(([n]) => n === 'weight_hh_l1_reverse')![1] as Tensor;
      w.data[0] = w.data[0]! + 0.5;
      let changed: Float32Array | undefined;
      assert.equal(
        countPacks(() => {
          changed = out(lstm);
        }),
        1,
      );
      assert.notDeepEqual(changed, again);
      assert.deepEqual(changed, out(fresh()));

      // An optimizer step changes every weight; the next call without a graph follows it.
      const opt = new Adam(lstm.parameters(), { lr: 0.1 });
      const y = lstm.forward(x).output;
      mseLoss(y, randn(y.shape, { generator: new Generator(4) })).backward();
      opt.step();
      assert.deepEqual(out(lstm), out(fresh()));
    });
  }
  test('cells keep theirs too, and a graph-building call does not use it', () => {
    const cell = new nn.GRUCell({ inputSize: 4, hiddenSize: 6, generator: gen() });
    const x = randn([2, 4], { generator: new Generator(5) });
    const first = countPacks(() => noGrad(() => cell.forward(x)));
    assert.ok(first >= 1, `first call: ${first} packs`);
    assert.equal(
      countPacks(() => noGrad(() => cell.forward(x))),
      0,
    );
    cell.weight_ih.data.fill(0);
    const h = noGrad(() => cell.forward(x)).data.slice();
    const twin = new nn.GRUCell({ inputSize: 4, hiddenSize: 6, generator: gen() });
    twin.loadStateDict(cell.stateDict());
    assert.deepEqual(h, noGrad(() => twin.forward(x)).data);
    assert.equal(
      countPacks(() => cell.forward(x), 'uses'),
      0,
      'a call that records a graph packs for itself, not through the kept packing',
    );
  });
});
