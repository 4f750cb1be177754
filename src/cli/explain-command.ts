/** `recurrent explain`: every output of a recurrent layer with named dims and its time-step mapping. */
import type { Command } from 'commander';
import { formatExplanation, explainRecurrent } from '../explain/explain.js';
import { CELL_FAMILIES, type CellFamily } from '../families.js';
import { ValueError } from '../errors.js';
import { choice, integer } from './parse.js';

function dims(flag: string, value: string): number[] {
  const parts = value.split(/[x,×]/).map((s) => Number(s.trim()));
  if (parts.length === 0 || parts.some((d) => !Number.isInteger(d) || d < 0))
    throw new ValueError('explain', `${flag} must look like 4x20x10, got '${value}'`);
  return parts;
}

export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description(
      'show every output of a recurrent layer with named dimensions and how it maps to time steps (runs the real layer)',
    )
    .option('--cell <cell>', 'lstm | gru | rnn', choice('cell', CELL_FAMILIES), 'lstm')
    .option('--input-size <n>', 'features per step (PyTorch input_size)', integer('input-size', 1))
    .option('--hidden <n>', 'hidden size (PyTorch hidden_size)', integer('hidden', 1))
    .option('--units <n>', 'Keras units (same as --hidden; implies the Keras view, batch first)', integer('units', 1))
    .option('--layers <n>', 'stacked layers', integer('layers', 1), 1)
    .option('--bidirectional', 'both directions')
    .option('--batch-first', 'input (batch, time, features)')
    .option('--proj <n>', 'LSTM projection size', integer('proj', 1))
    .option('--return-sequences', 'Keras: return every step')
    .option('--return-state', 'Keras: also return the final states')
    .requiredOption('--input <shape>', 'input shape, e.g. 4x20x10 (2-D for one unbatched sequence)')
    .option('--lengths <list>', 'valid steps per sequence, e.g. 20,13,7,1')
    .option('--json', 'print the explanation as JSON')
    .action((opts: Record<string, unknown>) => {
      const input = dims('--input', opts['input'] as string);
      const keras =
        opts['units'] !== undefined || opts['returnSequences'] !== undefined || opts['returnState'] !== undefined;
      if (opts['units'] !== undefined && opts['hidden'] !== undefined) {
        throw new ValueError('explain', 'give --hidden (PyTorch style) or --units (Keras style), not both');
      }
      const hidden = (opts['units'] ?? opts['hidden']) as number | undefined;
      if (hidden === undefined)
        throw new ValueError('explain', 'give --hidden (PyTorch style) or --units (Keras style)');
      const inputSize = (opts['inputSize'] as number | undefined) ?? input[input.length - 1]!;
      const explanation = explainRecurrent({
        cell: opts['cell'] as CellFamily,
        inputSize,
        hiddenSize: hidden,
        numLayers: opts['layers'] as number,
        bidirectional: Boolean(opts['bidirectional']),
        batchFirst: Boolean(opts['batchFirst']) || keras,
        ...(opts['proj'] !== undefined && { projSize: opts['proj'] as number }),
        input,
        ...(opts['lengths'] !== undefined && { lengths: dims('--lengths', opts['lengths'] as string) }),
        keras: keras
          ? { returnSequences: Boolean(opts['returnSequences']), returnState: Boolean(opts['returnState']) }
          : null,
      });
      process.stdout.write(opts['json'] ? `${JSON.stringify(explanation)}\n` : `${formatExplanation(explanation)}\n`);
    });
}
