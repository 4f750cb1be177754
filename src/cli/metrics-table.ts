/** The metrics table that `recurrent train` and `recurrent evaluate` print: model, baseline, reference, and the verdict. */
import { beatsBaseline, type Evaluation } from '../tasks/task.js';

export function formatMetrics(title: string, evaluation: Evaluation): string {
  const names = Object.keys(evaluation.metrics);
  const width = Math.max(...names.map((k) => k.length), 6);
  const columns = [evaluation.baselineName, ...(evaluation.reference ? [evaluation.reference.name] : [])];
  const lines = [
    title,
    `  ${'metric'.padEnd(width)}  ${'model'.padStart(9)}  ${columns.map((c) => c.padStart(Math.max(9, c.length))).join('  ')}`,
  ];
  for (const name of names) {
    const cells = [evaluation.baseline[name], ...(evaluation.reference ? [evaluation.reference.metrics[name]] : [])];
    lines.push(
      `  ${name.padEnd(width)}  ${evaluation.metrics[name]!.toFixed(4).padStart(9)}  ${cells.map((v, k) => (v ?? Number.NaN).toFixed(4).padStart(Math.max(9, columns[k]!.length))).join('  ')}`,
    );
  }
  const { name, higherIsBetter } = evaluation.primary;
  const tied = evaluation.metrics[name] === evaluation.baseline[name];
  lines.push(
    `  ${beatsBaseline(evaluation) ? 'beats' : tied ? 'ties with' : 'does NOT beat'} the ${evaluation.baselineName} baseline on ${name} (${higherIsBetter ? 'higher' : 'lower'} is better)`,
  );
  return lines.join('\n');
}
