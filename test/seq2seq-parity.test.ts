/**
 * Seq2Seq against an independent PyTorch computation (fixtures/seq2seq-parity.v1.json, written by
 * scripts/fixtures/gen_seq2seq_parity.py from the model's specification): Luong and Bahdanau
 * attention and none, GRU and LSTM, bidirectional encoders and 2 layers, source lengths. Compared:
 * the teacher-forced logits (one-call and step-by-step paths), the free-running logits (teacher
 * forcing ratio 0), greedy decoding and beam search (width 3).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { models, noGrad, tensor } from '../src/index.js';
import { type ArrayFixture, assertClose, fromFixture, readFixture } from './helpers.js';

interface Seq2SeqCase {
  name: string;
  config: models.Seq2SeqConfig;
  params: Record<string, ArrayFixture>;
  source: number[][];
  sourceLengths: number[];
  targetInput: number[][];
  teacherForced: ArrayFixture;
  freeRunning: ArrayFixture;
  maxLength: number;
  greedy: number[][];
  beamWidth: number;
  lengthPenalty: number;
  beam: number[][];
}

const fixture = readFixture<{ version: number; torch: string; cases: Seq2SeqCase[] }>('seq2seq-parity.v1.json');
const ids = (rows: number[][]) => tensor(rows.flat(), [rows.length, rows[0]!.length]);

function load(c: Seq2SeqCase): models.Seq2Seq {
  const m = new models.Seq2Seq(c.config);
  assert.deepEqual(
    Object.keys(m.stateDict()).sort(),
    Object.keys(c.params).sort(),
    'the same parameters as the PyTorch model',
  );
  m.loadStateDict(Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, fromFixture(v)])));
  return m.eval();
}

describe(`Seq2Seq vs PyTorch ${fixture.torch} (seq2seq-parity.v1.json)`, () => {
  test('the fixture covers Luong, Bahdanau and no attention, GRU and LSTM; beam search differs from greedy somewhere', () => {
    assert.equal(fixture.version, 1);
    for (const attention of ['luong', 'bahdanau', 'none'])
      for (const cell of ['gru', 'lstm'])
        assert.ok(
          fixture.cases.some((c) => c.config.attention === attention && c.config.cell === cell),
          `${cell} ${attention}`,
        );
    assert.ok(
      fixture.cases.some((c) => JSON.stringify(c.beam) !== JSON.stringify(c.greedy)),
      'a case where beam search finds another answer',
    );
  });

  for (const c of fixture.cases) {
    test(`${c.name}: teacher-forced and free-running logits, greedy and beam decoding`, () => {
      const m = load(c);
      const source = ids(c.source);
      const target = ids(c.targetInput);
      noGrad(() => {
        assertClose(m.forward(source, c.sourceLengths, target), c.teacherForced, 'teacher forcing (ratio 1)');
        assertClose(
          m.forward(source, c.sourceLengths, target, { teacherForcingRatio: 0.999999 }),
          c.teacherForced,
          'teacher forcing, step by step',
        );
        assertClose(
          m.forward(source, c.sourceLengths, target, { teacherForcingRatio: 0 }),
          c.freeRunning,
          'free running (ratio 0)',
        );
      });
      assert.deepEqual(m.decode(source, c.sourceLengths, { maxLength: c.maxLength }), c.greedy, 'greedy decoding');
      assert.deepEqual(
        m.decode(source, c.sourceLengths, {
          maxLength: c.maxLength,
          beamWidth: c.beamWidth,
          lengthPenalty: c.lengthPenalty,
        }),
        c.beam,
        'beam search',
      );
    });
  }
});
