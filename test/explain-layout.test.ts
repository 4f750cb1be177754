/**
 * `recurrent explain` writes every claim in the layout's own indexing. Each printed expression is
 * parsed and EVALUATED on the outputs of an independently built layer of the same configuration:
 * a claim printed in the wrong layout (output[:, -1] on a time-major tensor) evaluates to
 * something else, so its truth differs from what explain reported, or its shape does.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import '../src/index.js';
import { explainRecurrent, outputIndex, type Explanation } from '../src/explain/explain.js';
import type { CellFamily } from '../src/families.js';
import { createRecurrent, runRecurrent } from '../src/models/recurrent-layer.js';
import { Generator } from '../src/tensor/random.js';
import { randn } from '../src/tensor/creation.js';
import { noGrad } from '../src/tensor/autograd.js';
import type { Tensor } from '../src/tensor/tensor.js';

type Layout = 'batch-first' | 'time-major' | 'unbatched';

/** Applies numpy-style indices (`-1`, `:`, `a:b`, `b`, `t`, `lengths[b]-1`) to a tensor. */
function index(x: Tensor, indices: string[], env: { b?: number; t?: number; lengths?: number[] }): Tensor {
  let out = x;
  let dim = 0;
  for (const raw of indices) {
    const token = raw.trim();
    if (token === ':') {
      dim++;
      continue;
    }
    const range = /^(\d+):(\d+)$/.exec(token);
    if (range) {
      out = out.slice(dim, Number(range[1]), Number(range[2]));
      dim++;
      continue;
    }
    let i: number;
    if (token === 'b') i = env.b!;
    else if (token === 't') i = env.t!;
    else if (token === 'lengths[b]-1') i = env.lengths![env.b!]! - 1;
    else if (/^-?\d+$/.test(token)) i = Number(token);
    else throw new Error(`unknown index '${token}'`);
    out = out.select(dim, i);
  }
  return out;
}

const parseIndex = (expr: string, name: string) => {
  const m = new RegExp(`${name}\\[((?:[^\\[\\]]|\\[b\\])*)\\]`).exec(expr);
  assert.ok(m, `no ${name}[...] in '${expr}'`);
  return m[1]!.split(',');
};
const equal = (a: Tensor, b: Tensor) =>
  a.shape.join() === b.shape.join() && a.data.every((v, i) => Math.abs(v - b.data[i]!) <= 1e-6);

/** Whether the printed claim holds on these tensors. */
function evaluate(
  claim: string,
  output: Tensor,
  h: Tensor,
  lengths: number[] | null,
  batch: number,
  time: number,
  batched: boolean,
): boolean {
  const everyB = (f: (b: number) => boolean) =>
    batched ? Array.from({ length: batch }, (_, b) => f(b)).every(Boolean) : f(0);
  const padded = /^padded steps are exactly 0: (output\[.*\]) == 0 for t >= lengths\[b\]$/.exec(claim);
  if (padded) {
    const idx = parseIndex(padded[1]!, 'output');
    return everyB((b) =>
      Array.from({ length: time - lengths![b]! }, (_, k) =>
        index(output, idx, { b, t: lengths![b]! + k, lengths: lengths! }),
      ).every((v) => v.data.every((e) => e === 0)),
    );
  }
  const m = /^h\[(-?\d+)\][^=]*== (output\[.*?\])( \(|$| for every sequence b)/.exec(claim);
  assert.ok(m, `unparsed claim '${claim}'`);
  const row = Number(m[1]);
  const idx = parseIndex(m[2]!, 'output');
  if (m[3] === ' for every sequence b')
    return everyB((b) =>
      equal(index(h.select(0, row), batched ? ['b'] : [], { b }), index(output, idx, { b, lengths: lengths! })),
    );
  return equal(h.select(0, row), index(output, idx, {}));
}

function run(cell: CellFamily, layout: Layout, bidirectional: boolean, numLayers: number, lengths: number[] | null) {
  const [batch, time, features, hidden] = [3, 5, 2, 4];
  const input =
    layout === 'batch-first'
      ? [batch, time, features]
      : layout === 'time-major'
        ? [time, batch, features]
        : [time, features];
  const spec = {
    cell,
    inputSize: features,
    hiddenSize: hidden,
    numLayers,
    bidirectional,
    batchFirst: layout === 'batch-first',
    input,
    ...(lengths && { lengths }),
  };
  const e: Explanation = explainRecurrent(spec);
  // Our own layer and input, with other random numbers than explain's.
  const layer = createRecurrent(cell, {
    inputSize: features,
    hiddenSize: hidden,
    numLayers,
    bidirectional,
    batchFirst: layout === 'batch-first',
    generator: new Generator(11),
  });
  const { output, state } = noGrad(() =>
    runRecurrent(layer, randn(input, { generator: new Generator(12) }), lengths ? { lengths } : {}),
  );
  return { e, output, h: state.h, batch, time, batched: layout !== 'unbatched' };
}

describe("explain: claims in the layout's indexing", () => {
  const cases: [CellFamily, Layout, boolean, number, number[] | null][] = [];
  for (const layout of ['batch-first', 'time-major', 'unbatched'] as const) {
    for (const bidirectional of [false, true]) {
      for (const lengths of layout === 'unbatched' ? [null] : [null, [5, 3, 1], [5, 5, 5]])
        cases.push([bidirectional ? 'lstm' : 'gru', layout, bidirectional, bidirectional ? 2 : 1, lengths]);
    }
  }
  for (const [cell, layout, bidirectional, numLayers, lengths] of cases) {
    test(`${cell} ${layout}${bidirectional ? ' bidirectional' : ''}${lengths ? ` lengths ${lengths.join(',')}` : ''}: every printed claim evaluates to what explain reported`, () => {
      const { e, output, h, batch, time, batched } = run(cell, layout, bidirectional, numLayers, lengths);
      assert.ok(e.checks.length >= 2);
      for (const c of e.checks)
        assert.equal(
          evaluate(c.claim, output, h, lengths, batch, time, batched),
          c.holds,
          `${layout}: '${c.claim}' printed as ${c.holds ? 'holding' : 'not holding'}`,
        );
      const text = [...e.checks.flatMap((c) => [c.claim, c.reason ?? '']), ...e.outputs.flatMap((o) => o.meaning)].join(
        '\n',
      );
      if (!lengths) assert.doesNotMatch(text, /lengths/, 'a claim about lengths without lengths');
      // The trap itself, written as the user of this layout would index it.
      const trap = e.checks.find((c) => c.claim.startsWith('h[-1] == '))!;
      assert.equal(trap.claim, layout === 'batch-first' ? 'h[-1] == output[:, -1]' : 'h[-1] == output[-1]');
      assert.equal(trap.holds, !bidirectional && (!lengths || lengths.every((l) => l === time)));
      if (layout === 'time-major')
        assert.doesNotMatch(text, /output\[(:|b),/, 'batch-first indexing in a time-major explanation');
      if (layout === 'batch-first')
        assert.doesNotMatch(
          text,
          /output\[(-1|0|t|lengths\[b\]-1),/,
          'time-major indexing in a batch-first explanation',
        );
    });
  }

  test("outputIndex writes (b, t) in the layout's order and drops a trailing whole-batch index", () => {
    assert.equal(outputIndex('batch-first')('b', 'lengths[b]-1', '0:4'), 'output[b, lengths[b]-1, 0:4]');
    assert.equal(outputIndex('time-major')('b', 'lengths[b]-1', '0:4'), 'output[lengths[b]-1, b, 0:4]');
    assert.equal(outputIndex('time-major')(':', '-1'), 'output[-1]');
    assert.equal(outputIndex('time-major')(':', '0', '4:8'), 'output[0, :, 4:8]');
    assert.equal(outputIndex('batch-first')(':', '-1'), 'output[:, -1]');
    assert.equal(outputIndex('unbatched')(':', '-1', '0:4'), 'output[-1, 0:4]');
  });

  test('Keras view: the lengths claim appears only with lengths', () => {
    const spec = {
      cell: 'lstm' as const,
      inputSize: 3,
      hiddenSize: 4,
      input: [2, 5, 3],
      keras: { returnSequences: true, returnState: true },
    };
    assert.doesNotMatch(
      explainRecurrent(spec)
        .checks.map((c) => c.claim)
        .join('\n'),
      /lengths/,
    );
    assert.match(
      explainRecurrent({ ...spec, lengths: [5, 2] })
        .checks.map((c) => c.claim)
        .join('\n'),
      /output\[b, lengths\[b\]-1, 0:4\]/,
    );
  });
});
