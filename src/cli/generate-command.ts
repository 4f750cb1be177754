/** `recurrent generate MODEL_DIR`: text from a language model, streamed to stdout token by token. */
import type { Command } from 'commander';
import { loadLanguageModel } from '../tasks/language-model-dir.js';
import { integer, number } from './parse.js';

interface GenerateFlags {
  prompt: string;
  length: number;
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description(
      'generate text with a model directory written by `recurrent train --task generate`; tokens are printed as they are drawn, and the same seed gives the same text',
    )
    .argument('<model>', 'a model directory of the generate task')
    .option('--prompt <text>', 'text to start from (unknown words are read as <unk>); default: a newline', '')
    .option('--length <n>', 'tokens to generate', integer('length', 0), 300)
    .option(
      '--temperature <t>',
      'softmax temperature: lower is more conservative, 0 is greedy',
      number('temperature', 0),
      0.8,
    )
    .option('--top-k <k>', 'draw only from the k most probable tokens (0 = all)', integer('top-k', 0), 0)
    .option(
      '--top-p <p>',
      'draw only from the most probable tokens whose mass reaches p (1 = all)',
      number('top-p', 1e-9, 1),
      1,
    )
    .option('--seed <n>', 'seed of the draws', integer('seed', 0), 0)
    .action(async (dir: string, flags: GenerateFlags) => {
      const { model } = loadLanguageModel(dir);
      process.stdout.write(flags.prompt);
      for await (const token of model.generate(flags.prompt, {
        length: flags.length,
        temperature: flags.temperature,
        topK: flags.topK,
        topP: flags.topP,
        seed: flags.seed,
      })) {
        process.stdout.write(token.text);
      }
      process.stdout.write('\n');
    });
}
