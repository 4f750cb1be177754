/** `recurrent import --format pytorch DIR --out MODEL_DIR`: a folder from `export --format pytorch` (trained or not) as a model directory. */
import type { Command } from 'commander';
import { importPytorch } from '../tasks/pytorch/export.js';
import { choice } from './parse.js';

export function registerImport(program: Command, write: (text: string) => void = (t) => process.stdout.write(t)): void {
  program
    .command('import')
    .description(
      'read a folder written by `recurrent export --format pytorch` (and its train.py) into a model directory for predict, serve and export',
    )
    .argument('<dir>', 'the folder with config.json and weights.safetensors')
    .requiredOption('--format <format>', 'input format: pytorch', choice('format', ['pytorch'] as const))
    .requiredOption('--out <model-dir>', 'the model directory to write')
    .option('--json', 'print one JSON line describing the result')
    .action((dir: string, opts: { format: 'pytorch'; out: string; json?: boolean }) => {
      const result = importPytorch(dir, opts.out);
      write(opts.json ? `${JSON.stringify(result)}\n` : `wrote model directory ${result.dir} (task ${result.task})\n`);
    });
}
