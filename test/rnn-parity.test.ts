/**
 * PyTorch parity: every case in fixtures/rnn-parity.v1.json (written by
 * scripts/fixtures/gen_rnn_parity.py from torch) must give the same outputs, final states and
 * gradients of input, h0, c0 and every parameter, within 1e-5 absolute + 1e-4 relative.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkRnnFixtureCase, rnnFixture } from './rnn-fixture.js';

const fixture = rnnFixture();

describe('PyTorch parity (rnn-parity.v1.json)', () => {
  test('fixture is version 1 with at least 40 cases', () => {
    assert.equal(fixture.version, 1);
    assert.ok(fixture.cases.length >= 40, `only ${fixture.cases.length} cases`);
  });

  for (const c of fixture.cases) test(c.name, () => checkRnnFixtureCase(c));
});
