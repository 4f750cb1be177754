#!/usr/bin/env node
/** The `recurrent` command. Every subcommand is a thin shell over library functions. */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import '../backend/reference/index.js';
import { getBackend } from '../backend/backend.js';
import { RecurrentError } from '../errors.js';
import { registerPredict } from './predict-command.js';
import { registerTrain } from './train-command.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('recurrent')
  .description('recurrent neural networks (RNN, LSTM, GRU): train, predict, and see the shapes')
  .version(`${pkg.version} (backend: ${getBackend().name})`, '-V, --version');
registerTrain(program);
registerPredict(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof RecurrentError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
});
