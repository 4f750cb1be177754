/** `recurrent evaluate MODEL_DIR --data FILE [--json]`: a saved model's metrics on a file, beside the baseline's. */
import type { Command } from 'commander';
import { evaluateModel } from '../tasks/evaluate.js';
import { formatMetrics } from './metrics-table.js';

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description(
      "score a model directory written by `recurrent train` on a file of its task's format, with the task's metrics beside its baseline's",
    )
    .argument('<model>', 'a model directory')
    .requiredOption('--data <file>', 'the examples to score (read like the training file: same columns and tokens)')
    .option('--json', 'print one JSON line: {task, file, metrics, baseline, baselineName, reference, beatsBaseline}')
    .action((dir: string, opts: { data: string; json?: boolean }) => {
      const outcome = evaluateModel(dir, opts.data);
      const e = outcome.evaluation;
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify({ task: outcome.task, file: outcome.file, metrics: e.metrics, baseline: e.baseline, baselineName: e.baselineName, ...(e.reference && { reference: e.reference }), primary: e.primary.name, beatsBaseline: outcome.beatsBaseline })}\n`,
        );
        return;
      }
      process.stdout.write(`${formatMetrics(`${outcome.task} model on ${outcome.file}:`, e)}\n`);
    });
}
