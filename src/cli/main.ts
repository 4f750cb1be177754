#!/usr/bin/env node
/**
 * The `recurrent` command. Every subcommand is a thin shell over library functions. Installed, it
 * starts from bin.ts, which runs `train` under node --single-threaded-gc.
 */
import { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import '../backend/reference/index.js';
import '../backend/wasm/index.js';
import '../backend/native/index.js';
import { getBackend } from '../backend/backend.js';
import { RecurrentError } from '../errors.js';
import { registerEvaluate } from './evaluate-command.js';
import { registerExplain } from './explain-command.js';
import { registerExport } from './export-command.js';
import { registerGenerate } from './generate-command.js';
import { registerImport } from './import-command.js';
import { registerPredict } from './predict-command.js';
import { registerServe } from './serve-command.js';
import { registerTrain } from './train-command.js';

/** The package's version: package.json is 2 levels up from dist/cli/ and 3 from build/src/cli/. */
function packageVersion(): string {
  for (const candidate of ['../../package.json', '../../../package.json']) {
    const url = new URL(candidate, import.meta.url);
    if (!existsSync(url)) continue;
    const pkg = JSON.parse(readFileSync(url, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'recurrent' && pkg.version) return pkg.version;
  }
  return 'unknown';
}

// Baseline machine code (Sparkplug) at a function's first call: a command runs most code a few
// times only (`predict MODEL.onnx --repeat 10`), and interpreted, the JavaScript around the kernels
// took longer than the kernels at batch 1. Changes no result, only which tier runs first. Set here,
// by the program, because a library must not change its host process's flags.
setFlagsFromString('--always-sparkplug');

const program = new Command('recurrent')
  .description('recurrent neural networks (RNN, LSTM, GRU): train, predict, and see the shapes')
  .version(`${packageVersion()} (backend: ${getBackend().name})`, '-V, --version');
registerTrain(program);
registerPredict(program);
registerEvaluate(program);
registerExport(program);
registerImport(program);
registerExplain(program);
registerGenerate(program);
registerServe(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof RecurrentError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
});
