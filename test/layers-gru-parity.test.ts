/**
 * Keras's GRU with resetAfter: true (Keras 3's default), which TF.js lacks, against PyTorch's
 * GRU with the gate blocks mapped (test/fixtures/keras-gru-parity.v1.json, written by
 * scripts/fixtures/gen_keras_gru_parity.py, which also checks the mapping against Keras's
 * equations written out). Every case runs on the fused kernel and on the per-step path:
 * outputs, final state, and the gradients of every weight, the input and the initial state.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Tensor, tensor } from '../src/index.js';
import * as L from '../src/layers/index.js';
import { type ArrayFixture, assertClose, fromFixture, readFixture } from './helpers.js';

interface GruCase {
  name: string;
  units: number;
  goBackwards: boolean;
  useBias: boolean;
  x: ArrayFixture;
  mask: ArrayFixture | null;
  h0: ArrayFixture | null;
  kernel: ArrayFixture;
  recurrentKernel: ArrayFixture;
  bias: ArrayFixture | null;
  sequence: ArrayFixture;
  h: ArrayFixture;
  sequenceWeight: ArrayFixture;
  hWeight: ArrayFixture;
  grad: Record<'kernel' | 'recurrentKernel' | 'x', ArrayFixture> & { bias?: ArrayFixture; h0?: ArrayFixture };
}

const fixture = readFixture<{ version: number; cases: GruCase[] }>('keras-gru-parity.v1.json');

describe('gru resetAfter: true matches PyTorch with mapped weights', () => {
  test('the fixture is version 1 with every case', () => {
    assert.equal(fixture.version, 1);
    assert.equal(fixture.cases.length, 7);
  });

  for (const c of fixture.cases) {
    for (const implementation of ['fused', 'loop'] as const) {
      test(`${c.name} [${implementation}]`, () => {
        const layer = L.gru({
          units: c.units,
          goBackwards: c.goBackwards,
          useBias: c.useBias,
          returnSequences: true,
          returnState: true,
          implementation,
        });
        const x = fromFixture(c.x, true);
        const h0 = c.h0 ? fromFixture(c.h0, true) : null;
        const mask = c.mask ? fromFixture(c.mask) : null;
        // Build, then load the fixture's Keras-layout weights.
        layer.apply(x, { mask, ...(h0 ? { initialState: [h0] } : {}) });
        layer.setWeights([
          fromFixture(c.kernel),
          fromFixture(c.recurrentKernel),
          ...(c.bias ? [fromFixture(c.bias)] : []),
        ]);
        assert.deepEqual(
          layer.weightNames(),
          c.useBias ? ['kernel', 'recurrent_kernel', 'bias'] : ['kernel', 'recurrent_kernel'],
        );
        const [sequence, h] = layer.apply(x, { mask, ...(h0 ? { initialState: [h0] } : {}) }) as Tensor[];
        assert.equal(layer.lastPath, implementation);
        assertClose(sequence!, c.sequence, 'sequence');
        assertClose(h!, c.h, 'h');

        sequence!
          .mul(fromFixture(c.sequenceWeight))
          .sum()
          .add(h!.mul(fromFixture(c.hWeight)).sum())
          .backward();
        const [kernel, recurrentKernel, bias] = layer.parameters();
        assertClose(kernel!.grad!, c.grad.kernel, 'dkernel');
        assertClose(recurrentKernel!.grad!, c.grad.recurrentKernel, 'drecurrent_kernel');
        if (c.grad.bias) assertClose(bias!.grad!, c.grad.bias, 'dbias');
        assertClose(x.grad!, c.grad.x, 'dx');
        if (c.grad.h0) assertClose(h0!.grad!, c.grad.h0, 'dh0');
      });
    }
  }

  test("the bias has Keras's (2, 3*units) layout and returnSequences false gives the final state", () => {
    const c = fixture.cases[2]!;
    const layer = L.gru({ units: c.units });
    const x = fromFixture(c.x);
    const mask = fromFixture(c.mask!);
    layer.apply(x);
    assert.deepEqual(
      layer.getWeights().map((w) => [...w.shape]),
      [
        [4, 9],
        [3, 9],
        [2, 9],
      ],
    );
    layer.setWeights([fromFixture(c.kernel), fromFixture(c.recurrentKernel), fromFixture(c.bias!)]);
    assertClose(layer.apply(x, { mask }), c.h, 'last output = h');
  });

  test('resetAfter false gives a different function (the fixture would catch a wrong default)', () => {
    const c = fixture.cases[0]!;
    const layer = L.gru({ units: c.units, resetAfter: false, returnSequences: true });
    const x = fromFixture(c.x);
    layer.apply(x);
    const bias = fromFixture(c.bias!);
    layer.setWeights([fromFixture(c.kernel), fromFixture(c.recurrentKernel), tensor(bias.data.slice(0, 9), [9])]);
    const out = layer.apply(x);
    const far = out.data.some((v, i) => Math.abs(v - c.sequence.data[i]!) > 1e-3);
    assert.ok(far, 'resetAfter false should not reproduce the resetAfter true fixture');
  });
});
