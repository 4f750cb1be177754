/**
 * `recurrent evaluate MODEL_DIR --data FILE`: the metrics of a saved model on a held-out file,
 * computed by its task's `evaluateFile` (found in the task registry).
 */
import type { Command } from 'commander';
import { ValueError } from '../errors.js';
import { loadModelDirectory } from '../tasks/model-dir.js';

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description('score a model directory on a held-out file (generate: bits per character or perplexity, reading the file as one stream with carried state)')
    .argument('<model>', 'a model directory written by `recurrent train`')
    .requiredOption('--data <file>', 'the held-out file, in the format the task trains on')
    .option('--json', 'print one JSON line with the metrics')
    .action((dir: string, opts: { data: string; json?: boolean }) => {
      const { config, task, model } = loadModelDirectory(dir);
      if (!task.evaluateFile) throw new ValueError('recurrent evaluate', `task ${config.task} has no file evaluation yet`);
      const { metrics, summary } = task.evaluateFile(model, config, opts.data);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ task: config.task, data: opts.data, metrics })}\n`);
        return;
      }
      const width = Math.max(...Object.keys(metrics).map((k) => k.length));
      const lines = [summary, ...Object.entries(metrics).map(([name, value]) => `  ${name.padEnd(width)}  ${Number.isInteger(value) ? value : value.toFixed(4)}`)];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
