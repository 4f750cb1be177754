/**
 * Seq2seq files with repeated sources (a word's alternate pronunciations): the split keeps the
 * rows of a source in one part; scoring counts a source right if it matches any of its
 * references, its token errors against the nearest one; `evaluate` scores such a file per source;
 * --alternates first trains on the first row of each source only.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Generator, trainTask } from '../src/index.js';
import { ValueError } from '../src/errors.js';
import { splitDataset } from '../src/data/split.js';
import { evaluateModel } from '../src/tasks/evaluate.js';
import { editDistance, multiReferenceErrors, tokenErrorRate } from '../src/tasks/metrics.js';
import { loadPredictor } from '../src/tasks/model-dir.js';
import { cutGrouped, loadExamples } from '../src/tasks/own-data.js';
import { groupBySource, seq2seqMetrics } from '../src/tasks/seq2seq.js';
import { tempDir } from './temp-dir.js';

const dir = tempDir('recurrent-seq2seq-references-');

describe('multiReferenceErrors', () => {
  test('right if any reference matches; token errors against the nearest reference and its length', () => {
    const hyp = [['a', 'b', 'c'], ['q'], ['r', 'i', 'd']];
    const refs = [
      [
        ['a', 'b', 'c', 'd', 'e'], // distance 2
        ['a', 'x', 'c'], // distance 1: the nearest, length 3
      ],
      [['q']],
      [
        ['r', 'e', 'd'],
        ['r', 'i', 'd'], // the second pronunciation matches
      ],
    ];
    const r = multiReferenceErrors(hyp, refs);
    assert.equal(r.sequenceErrorRate, 1 / 3);
    assert.equal(r.tokenErrorRate, (1 + 0 + 0) / (3 + 1 + 3));
    // Scored against the first reference only, the third word would be wrong.
    const first = multiReferenceErrors(
      hyp,
      refs.map((rs) => [rs[0]!]),
    );
    assert.equal(first.sequenceErrorRate, 2 / 3);
  });

  test('with one reference each: the single-reference sequence and token error rates', () => {
    const g = new Generator(3);
    const seq = () => Array.from({ length: 1 + Math.floor(g.random() * 6) }, () => 'abc'[Math.floor(g.random() * 3)]!);
    const hyp = Array.from({ length: 40 }, seq);
    const ref = Array.from({ length: 40 }, seq);
    const r = multiReferenceErrors(
      hyp,
      ref.map((x) => [x]),
    );
    assert.equal(r.tokenErrorRate, tokenErrorRate(hyp, ref));
    assert.equal(r.sequenceErrorRate, hyp.filter((h, i) => editDistance(h, ref[i]!) > 0).length / 40);
  });

  test('an item without references is an error naming it', () => {
    assert.throws(
      () => multiReferenceErrors([['a'], ['b']], [[['a']], []]),
      (e: unknown) => e instanceof ValueError && /item 1/.test(e.message),
    );
  });

  test('seq2seqMetrics: exact match = 1 - WER, PER = token error rate, over all references', () => {
    const m = seq2seqMetrics(
      [['k', 'ae', 't']],
      [
        [
          ['k', 'aa', 't'],
          ['k', 'ae', 't'],
        ],
      ],
      true,
    );
    assert.deepEqual(m, {
      exactMatch: 1,
      tokenErrorRate: 0,
      sequenceErrorRate: 0,
      phonemeErrorRate: 0,
      wordErrorRate: 0,
    });
  });
});

describe('the split keeps the rows of one source together', () => {
  test('cutGrouped: no key in two parts, shares counted in keys, every row kept', () => {
    const rows: { key: string; n: number }[] = [];
    for (let k = 0; k < 300; k++) for (let j = 0; j <= k % 3; j++) rows.push({ key: `w${k}`, n: j });
    const parts = cutGrouped(rows, (r) => r.key, { train: 0.8, validation: 0.1, test: 0.1 }, new Generator(1));
    const keys = (p: typeof rows) => new Set(p.map((r) => r.key));
    const [tr, va, te] = [keys(parts.train), keys(parts.validation), keys(parts.test)];
    for (const k of va) assert.ok(!tr.has(k) && !te.has(k), `${k} in two parts`);
    for (const k of te) assert.ok(!tr.has(k), `${k} in train and test`);
    assert.equal(va.size, 30);
    assert.equal(te.size, 30);
    assert.equal(parts.train.length + parts.validation.length + parts.test.length, rows.length);
    // A source's rows stay in file order (the first pronunciation first).
    for (const p of [parts.train, parts.validation, parts.test])
      for (const k of keys(p)) {
        const ns = p.filter((r) => r.key === k).map((r) => r.n);
        assert.deepEqual(
          ns,
          [...ns].sort((a, b) => a - b),
        );
      }
  });

  test('cutGrouped without repeated keys is the plain seeded split', () => {
    const rows = Array.from({ length: 50 }, (_, i) => `r${i}`);
    const grouped = cutGrouped(rows, (r) => r, { train: 0.8, validation: 0.1, test: 0.1 }, new Generator(4));
    const plain = splitDataset(rows, { validation: 5, test: 5, generator: new Generator(4) });
    assert.deepEqual(grouped, plain);
  });

  test('a seq2seq file with repeated sources: no source in two parts', () => {
    const file = join(dir, 'repeated.tsv');
    const lines = ['source\ttarget'];
    for (let k = 0; k < 200; k++) {
      lines.push(`w${k}\tA B`);
      if (k % 2 === 0) lines.push(`w${k}\tA C`);
    }
    writeFileSync(file, `${lines.join('\n')}\n`);
    const loaded = loadExamples(
      'seq2seq',
      { data: file, options: {} },
      new Generator(0),
      () => [],
      undefined,
      (e) => e.source,
    );
    const where = new Map<string, string>();
    for (const part of ['train', 'validation', 'test'] as const)
      for (const e of loaded.splits[part]) {
        assert.notEqual(where.get(e.source) ?? part, undefined);
        assert.equal(where.get(e.source) ?? part, part, `${e.source} in ${where.get(e.source)} and ${part}`);
        where.set(e.source, part);
      }
    assert.equal(where.size, 200);
    assert.equal(groupBySource(loaded.splits.test).length, 20);
  });
});

/** Rows `word<TAB>letters as phonemes`, each word with an alternate row changing its last token. */
function lettersFile(name: string, words: readonly string[], alternates: boolean): string {
  const lines = ['source\ttarget'];
  for (const w of words) {
    const target = [...w].map((c) => c.toUpperCase());
    lines.push(`${w}\t${target.join(' ')}`);
    if (alternates) lines.push(`${w}\t${[...target.slice(0, -1), 'Z'].join(' ')}`);
  }
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe('evaluate on a file with repeated sources', () => {
  const g = new Generator(7);
  const word = () =>
    Array.from({ length: 2 + Math.floor(g.random() * 3) }, () => 'abcdef'[Math.floor(g.random() * 6)]!).join('');
  const words = [...new Set(Array.from({ length: 400 }, word))];
  const data = lettersFile('train.tsv', words, true);
  const out = join(dir, 'model');

  test('scores each source once, right if it matches any of its rows; --alternates first is saved', async () => {
    let summary = '';
    await trainTask(
      {
        task: 'seq2seq',
        data,
        epochs: 2,
        hiddenSize: 16,
        out,
        taskOptions: { beamWidth: 1, alternates: 'first', lengthBuckets: true },
      },
      { onStart: (info) => (summary = info.summary) },
    );
    // Trained on the first row of each source only.
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    assert.equal(config.run.taskOptions.alternates, 'first');
    assert.equal(config.run.taskOptions.lengthBuckets, true);
    assert.match(summary, new RegExp(`^${Math.round(words.length * 0.8)} train /`));
    const held = words.slice(0, 40);
    const single = lettersFile('single.tsv', held, false);
    const predicted = loadPredictor(out)
      .predict(held)
      .map((p) => p.split(' ').filter((t) => t !== ''));
    // Each word's reference, plus the model's own output as an alternate row: every word is right.
    const path = join(dir, 'with-own.tsv');
    writeFileSync(
      path,
      `source\ttarget\n${held.map((w, i) => `${w}\t${[...w].map((c) => c.toUpperCase()).join(' ')}\n${w}\t${predicted[i]!.join(' ') || 'Q'}`).join('\n')}\n`,
    );
    const base = evaluateModel(out, single).evaluation;
    const withOwn = evaluateModel(out, path).evaluation;
    assert.ok(
      predicted.every((p) => p.length > 0),
      'the model outputs something for each word',
    );
    assert.equal(withOwn.metrics['wordErrorRate'], 0);
    assert.equal(withOwn.metrics['phonemeErrorRate'], 0);
    assert.ok(base.metrics['wordErrorRate']! > 0, 'two epochs do not learn every word: the test could fail');
    assert.ok(withOwn.metrics['exactMatch']! >= base.metrics['exactMatch']!);
    // One row of the sample table per source, not per file row.
    const table = withOwn.plots[0] as { rows: string[][]; title: string };
    assert.equal(new Set(table.rows.map((r) => r[0])).size, table.rows.length);
    assert.match(table.title, /of 40 test sources/);
    // The same figures as scoring the predictions by hand against the grouped references.
    const refs = groupBySource(
      held.flatMap((w, i) => [
        { source: w, target: [...w].map((c) => c.toUpperCase()) },
        { source: w, target: predicted[i]!.length > 0 ? predicted[i]! : ['Q'] },
      ]),
    ).map((e) => e.references);
    assert.deepEqual(withOwn.metrics, seq2seqMetrics(predicted, refs, true));
  });
});
