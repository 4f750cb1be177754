/**
 * --budget: the learning rate fitted to the clock, rounds over a resumable batch stream, and a
 * budgeted run that is killed and resumed with the time already spent counted.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import '../src/index.js';
import { Generator } from '../src/tensor/random.js';
import { BatchStream, Budget, budgetLr, roundSeconds } from '../src/train/budget.js';
import { trainTask } from '../src/tasks/run.js';
import { tempDir } from './temp-dir.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

describe('budget schedule', () => {
  test('linear warm-up to the peak, cosine down to the final rate at the deadline', () => {
    const o = { peak: 0.01, final: 0.0002, warmup: 0.1 };
    assert.ok(Math.abs(budgetLr(0.05, o) - 0.005) < 1e-12);
    assert.ok(Math.abs(budgetLr(0.1, o) - 0.01) < 1e-12);
    assert.ok(Math.abs(budgetLr(0.55, o) - (0.0002 + 0.0098 / 2)) < 1e-12);
    assert.ok(Math.abs(budgetLr(1, o) - 0.0002) < 1e-12);
    assert.equal(budgetLr(2, o), budgetLr(1, o));
    let previous = Infinity;
    for (let t = 0.1; t <= 1; t += 0.05) {
      const lr = budgetLr(t, o);
      assert.ok(lr <= previous + 1e-15, `not decreasing at ${t}`);
      previous = lr;
    }
    assert.throws(() => budgetLr(0.5, { peak: 1, warmup: 1 }), /warmup is 1/);
  });

  test('Budget counts the time spent before a restart; rounds are a twentieth of it within [2, 90] s', () => {
    let now = 1000;
    const budget = new Budget(2, 30, () => now);
    assert.equal(budget.seconds, 120);
    assert.equal(budget.elapsed(), 30);
    now += 60_000;
    assert.equal(budget.elapsed(), 90);
    assert.equal(budget.left(), 30);
    assert.equal(budget.fraction(), 0.75);
    assert.equal(budget.expired(), false);
    now += 30_000;
    assert.equal(budget.expired(), true);
    assert.equal(budget.left(), 0);
    assert.throws(() => new Budget(0), /--budget/);
    assert.equal(roundSeconds(60), 3);
    assert.equal(roundSeconds(10), 2);
    assert.equal(roundSeconds(3600), 90);
  });

  test('BatchStream: rounds go through shuffled passes; a stream restored from its state continues identically', () => {
    const makeStream = (g: Generator, state?: ReturnType<BatchStream<number>['state']>) =>
      new BatchStream(
        () => g.shuffle(Array.from({ length: 5 }, (_, i) => i)),
        () => g.getState(),
        (s) => g.setState(s),
        state,
      );
    const g1 = new Generator(7);
    const s1 = makeStream(g1);
    const trained: number[] = [];
    const take = (s: BatchStream<number>, n: number, into: number[]) => {
      const batch = s.next();
      into.push(...batch.slice(0, n));
      s.consumed(Math.min(n, batch.length));
    };
    take(s1, 3, trained);
    const saved = s1.state();
    for (const n of [4, 5, 2]) take(s1, n, trained);
    // Each pass is a permutation of 0..4.
    assert.deepEqual([...trained.slice(0, 3), ...trained.slice(3, 5)].sort(), [0, 1, 2, 3, 4]);
    // Restored in a fresh generator (whatever its state): the same continuation.
    const g2 = new Generator(999);
    const s2 = makeStream(g2, JSON.parse(JSON.stringify(saved)));
    const resumed = trained.slice(0, 3);
    for (const n of [4, 5, 2]) take(s2, n, resumed);
    assert.deepEqual(resumed, trained);
  });
});

/** 300 labelled words of two made-up languages, with a header. */
function wordsFile(dir: string): string {
  const g = new Generator(3);
  const rows = ['text,label'];
  for (let i = 0; i < 300; i++) {
    const a = i % 2 === 0;
    const letters = a ? 'aeiou' : 'kxzqw';
    rows.push(
      `${Array.from({ length: 3 + Math.floor(g.random() * 4) }, () => letters[Math.floor(g.random() * 5)]).join('')}${i},${a ? 'vowel' : 'consonant'}`,
    );
  }
  const path = join(dir, 'words.csv');
  writeFileSync(path, `${rows.join('\n')}\n`);
  return path;
}

describe('budgeted training', () => {
  test('trainTask with a budget stops near the deadline, keeps the best round and saves the time spent', async () => {
    const dir = tempDir('recurrent-budget-');
    const data = wordsFile(dir);
    const out = join(dir, 'run');
    const lrs: number[] = [];
    const outcome = await trainTask(
      { task: 'classify', data, budget: 0.06, hiddenSize: 8, out },
      { onStep: (s) => lrs.push(s.lr) },
    );
    assert.ok(outcome.seconds >= 3.6 && outcome.seconds < 20, `took ${outcome.seconds} s for a 3.6 s budget`);
    assert.ok(outcome.epochsRun >= 1);
    // Warm-up then decay: the rate rises to its peak and ends far below it.
    const peak = Math.max(...lrs);
    assert.ok(lrs[0]! < peak && lrs[lrs.length - 1]! < peak / 5, `lr ${lrs[0]} .. ${peak} .. ${lrs[lrs.length - 1]}`);
    const state = JSON.parse(
      readFileSync(
        join(
          out,
          'checkpoint',
          JSON.parse(readFileSync(join(out, 'checkpoint', 'latest.json'), 'utf8')).dir,
          'state.json',
        ),
        'utf8',
      ),
    );
    // The last round may end just before the deadline (then its validation passes it).
    assert.ok(state.budget.spent >= 3 && state.budget.spent <= outcome.seconds, `spent ${state.budget.spent}`);
    assert.equal(state.options.budget, 0.06);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    assert.equal(config.run.budget, 0.06);
  });

  test('a budgeted CLI run killed mid-way resumes with the time left and finishes', async () => {
    const dir = tempDir('recurrent-budget-kill-');
    const data = wordsFile(dir);
    const out = join(dir, 'run');
    const args = ['train', '--task', 'classify', '--data', data, '--budget', '0.15', '--hidden', '8', '--out', out];
    const child = spawn(process.execPath, [cli, ...args], { stdio: 'ignore' });
    // Kill once a checkpoint exists (rounds are 2 s here), before the 9 s budget is spent.
    const started = performance.now();
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (existsSync(join(out, 'checkpoint', 'latest.json')) || performance.now() - started > 30_000) {
          clearInterval(poll);
          child.kill('SIGKILL');
          resolve();
        }
      }, 100);
    });
    await new Promise((resolve) => child.on('close', resolve));
    assert.ok(!existsSync(join(out, 'metrics.json')), 'the run finished before it could be killed');
    const latest = JSON.parse(readFileSync(join(out, 'checkpoint', 'latest.json'), 'utf8'));
    const spentBefore = JSON.parse(readFileSync(join(out, 'checkpoint', latest.dir, 'state.json'), 'utf8')).budget
      .spent as number;
    assert.ok(spentBefore > 0 && spentBefore < 9);
    const t0 = performance.now();
    const resumed = spawnSync(process.execPath, [cli, 'train', '--resume', out, '--json'], { encoding: 'utf8' });
    assert.equal(resumed.status, 0, resumed.stderr);
    const seconds = (performance.now() - t0) / 1000;
    // The resumed run only uses what was left of the budget (plus start-up and the final evaluation).
    assert.ok(seconds < 9 - spentBefore + 6, `resumed run took ${seconds} s with ${9 - spentBefore} s left`);
    const result = JSON.parse(resumed.stdout.trim().split('\n').pop()!);
    assert.equal(result.task, 'classify');
    assert.ok(result.metrics.accuracy > 0.6, `accuracy ${result.metrics.accuracy}`);
  });
});
