/**
 * Runs the seed ports (`npm start`) and prints what each logs, under a heading per seed.
 * Each example can also run alone: `node build/examples/seed000-output-scenarios.js`.
 */
import { run as seed000 } from './seed000-output-scenarios.js';
import { run as seed001 } from './seed001-elman-output-vs-hidden.js';
import { run as seed002 } from './seed002-keras-shapes.js';
import { run as seed003 } from './seed003-lstm-shapes.js';
import { run as seed004 } from './seed004-elman-linear-head.js';

const examples: [string, (log: (line: string) => void) => void][] = [
  ['seed 000: how time steps map to output shapes (many-to-one, many-to-many, GRU seq2seq)', seed000],
  ['seed 001: Elman RNN output (every step) vs hidden state (final step), with and without lengths', seed001],
  ['seed 002: Keras-style layers: returnSequences, returnState, timeDistributed, a custom layer, summary()', seed002],
  ['seed 003: LSTM classifier, seq2seq with teacher forcing, autoregressive forecaster', seed003],
  ['seed 004: Elman RNN with a Linear head on every step, reshaped for cross-entropy', seed004],
];

for (const [i, [title, run]] of examples.entries()) {
  if (i > 0) console.log('');
  console.log(`=== ${title} ===`);
  run((line) => console.log(line));
}
