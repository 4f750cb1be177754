/** The verdict line under the metrics table: beats, ties with, or does NOT beat the baseline. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatMetrics } from '../src/cli/metrics-table.js';
import type { Evaluation } from '../src/tasks/task.js';

const evaluation = (model: number, base: number, higherIsBetter = true): Evaluation => ({
  metrics: { accuracy: model },
  baseline: { accuracy: base },
  baselineName: 'naive Bayes',
  primary: { name: 'accuracy', higherIsBetter },
  plots: [],
});

test('the verdict says beats, ties with or does NOT beat, by the primary metric and its direction', () => {
  const verdict = (e: Evaluation) => formatMetrics('test metrics:', e).split('\n').at(-1)!;
  assert.match(verdict(evaluation(0.9, 0.8)), /^ {2}beats the naive Bayes baseline on accuracy \(higher is better\)$/);
  assert.match(verdict(evaluation(1, 1)), /^ {2}ties with the naive Bayes baseline/);
  assert.match(verdict(evaluation(0.7, 0.8)), /^ {2}does NOT beat the naive Bayes baseline/);
  assert.match(verdict(evaluation(0.7, 0.8, false)), /^ {2}beats .* \(lower is better\)$/);
  assert.match(formatMetrics('t', evaluation(0.9, 0.8)), /accuracy {2}\s+0\.9000 {2}\s+0\.8000/);
});
