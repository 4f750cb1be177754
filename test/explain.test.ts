/** `recurrent explain` and explainRecurrent: answers come from running the layer. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { explainRecurrent, type Explanation } from '../src/explain/explain.js';
import { manualSeed, randn, ShapeError, ValueError } from '../src/index.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const check = (e: Explanation, claim: RegExp) => e.checks.find((c) => claim.test(c.claim));

describe('explain', () => {
  test('one direction, no padding: h[-1] == output[:, -1] holds', () => {
    const e = explainRecurrent({ cell: 'gru', inputSize: 3, hiddenSize: 4, input: [2, 5, 3], batchFirst: true });
    assert.equal(check(e, /^h\[-1\] == output/)!.holds, true);
    assert.deepEqual(
      e.outputs.map((o) => [o.name, o.shape]),
      [
        ['output', [2, 5, 4]],
        ['h', [1, 2, 4]],
      ],
    );
    assert.equal(e.totalParameters, 3 * 4 * 3 + 3 * 4 * 4 + 2 * 12);
  });

  test('bidirectional with lengths: the trap does not hold, and the reasons are given', () => {
    const e = explainRecurrent({
      cell: 'lstm',
      inputSize: 10,
      hiddenSize: 20,
      numLayers: 2,
      bidirectional: true,
      batchFirst: true,
      projSize: 5,
      input: [4, 20, 10],
      lengths: [20, 13, 7, 1],
    });
    const trap = check(e, /^h\[-1\] == output/)!;
    assert.equal(trap.holds, false);
    assert.match(trap.reason!, /reverse direction/);
    assert.match(trap.reason!, /sequences 1, 2, 3 are shorter/);
    assert.equal(check(e, /layer 1, forward/)!.holds, true);
    assert.equal(check(e, /layer 1, reverse/)!.holds, true);
    assert.deepEqual(
      e.outputs.map((o) => o.shape),
      [
        [4, 20, 10],
        [4, 4, 5],
        [4, 4, 20],
      ],
    );
  });

  test('Keras view runs the Keras layer: returnSequences false gives (batch, units); returnState adds the states', () => {
    const e = explainRecurrent({
      cell: 'lstm',
      inputSize: 8,
      hiddenSize: 32,
      input: [4, 6, 8],
      keras: { returnSequences: false, returnState: true },
    });
    assert.deepEqual(
      e.outputs.map((o) => [o.name, o.shape]),
      [
        ['output', [4, 32]],
        ['state_h', [4, 32]],
        ['state_c', [4, 32]],
      ],
    );
    assert.equal(check(e, /^output == state_h/)!.holds, true);
    assert.deepEqual(
      e.parameters.map((p) => [p.name, p.shape]),
      [
        ['kernel', [8, 128]],
        ['recurrent_kernel', [32, 128]],
        ['bias', [128]],
      ],
    );
  });

  test('Keras view with a mask: masked steps repeat the last valid step, so output[:, -1] is the final state', () => {
    const e = explainRecurrent({
      cell: 'gru',
      inputSize: 3,
      hiddenSize: 4,
      bidirectional: true,
      input: [3, 5, 3],
      lengths: [5, 3, 1],
      keras: { returnSequences: true, returnState: true },
    });
    assert.deepEqual(
      e.outputs.map((o) => o.name),
      ['output', 'forward_h', 'backward_h'],
    );
    assert.equal(check(e, /^forward_h == output\[:, -1/)!.holds, true);
    assert.equal(check(e, /^backward_h == output\[:, 0/)!.holds, true);
    assert.equal(check(e, /^masked steps of output repeat/)!.holds, true);
  });

  test('the Keras view uses its own generator: same weights every run, the global generator untouched', () => {
    const spec = {
      cell: 'lstm' as const,
      inputSize: 3,
      hiddenSize: 4,
      input: [2, 5, 3],
      lengths: [5, 2],
      keras: { returnSequences: true, returnState: true },
    };
    manualSeed(7);
    const expected = randn([3]).data;
    manualSeed(7);
    explainRecurrent(spec);
    assert.deepEqual(randn([3]).data, expected, 'explain drew from the global generator');
    assert.deepEqual(explainRecurrent(spec), explainRecurrent(spec));
  });

  test('wrong specs fail clearly', () => {
    assert.throws(
      () => explainRecurrent({ cell: 'gru', inputSize: 3, hiddenSize: 4, projSize: 2, input: [2, 5, 3] }),
      (e: unknown) => e instanceof ValueError && /--proj \(projSize\) exists only for LSTM/.test(e.message),
    );
    assert.throws(() => explainRecurrent({ cell: 'rnn', inputSize: 3, hiddenSize: 4, input: [2, 5, 4] }), ShapeError);
    assert.throws(
      () => explainRecurrent({ cell: 'rnn', inputSize: 3, hiddenSize: 4, input: [5, 2, 3], lengths: [5, 9] }),
      /lengths\[1\] is 9/,
    );
  });

  test('CLI: text and --json', () => {
    const text = spawnSync(
      process.execPath,
      [cli, 'explain', '--cell', 'gru', '--hidden', '4', '--input', '3x5x2', '--batch-first', '--bidirectional'],
      { encoding: 'utf8' },
    );
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /output\s+\[3, 5, 8\]\s+\(batch=3, time=5, directions\*hidden=8\)/);
    const json = spawnSync(
      process.execPath,
      [cli, 'explain', '--units', '32', '--return-sequences', '--return-state', '--input', '4x20x10', '--json'],
      { encoding: 'utf8' },
    );
    assert.equal(json.status, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as Explanation;
    assert.deepEqual(
      parsed.outputs.map((o) => o.shape),
      [
        [4, 20, 32],
        [4, 32],
        [4, 32],
      ],
    );
    const bad = spawnSync(
      process.execPath,
      [cli, 'explain', '--cell', 'gru', '--hidden', '4', '--proj', '2', '--input', '3x5x2'],
      { encoding: 'utf8' },
    );
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /error: explain: --proj \(projSize\) exists only for LSTM/);
    const mixed = spawnSync(
      process.execPath,
      [cli, 'explain', '--cell', 'gru', '--units', '8', '--hidden', '3', '--input', '2x3x4'],
      { encoding: 'utf8' },
    );
    assert.equal(mixed.status, 1, mixed.stdout);
    assert.match(mixed.stderr, /error: explain: give --hidden \(PyTorch style\) or --units \(Keras style\), not both/);
  });
});
