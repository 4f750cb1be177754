#!/usr/bin/env node
/**
 * Peer: brain.js (1.x) recurrent time-step networks: LSTMTimeStep, GRUTimeStep, RNNTimeStep,
 * one hidden layer of H units.
 *
 * What brain.js can and cannot express here (see bench/RESULTS.md):
 * - It has no batch dimension: every value is a column vector (n x 1) and a network runs one
 *   sequence at a time (matrix-vector products). Inference on B sequences is B runs, one after
 *   another; the computation is the same as a batched layer's (the sequences are independent).
 * - Its networks always end in a dense output layer, and `run` returns the last step's output
 *   only. Inference uses outputSize 1 (2·H extra FLOPs a step, negligible).
 * - Training (`trainPattern`) works on one sequence: the target of step t is the input of step
 *   t + 1 (so outputSize must equal inputSize: an extra H x I output layer), the error is
 *   back-propagated and weights are updated with its RMSprop-style rule (with clipping) after
 *   every sequence. There is no mini-batch: a training step on B > 1 sequences cannot be
 *   expressed (B updates of one sequence each are a different computation), so only B = 1 runs.
 */
import { createRequire } from 'node:module';
import { memory, randomArray, readSpec, runChild, timeRuns } from './common.mjs';

const spec = readSpec();
const require = createRequire(import.meta.url);

await runChild(async () => {
  const brain = require('brain.js');
  const version = require('brain.js/package.json').version;
  const baselineRssMiB = memory().rssMiB;
  const { cell, mode, B, T, I, H } = spec;
  const Net =
    cell === 'lstm'
      ? brain.recurrent.LSTMTimeStep
      : cell === 'gru'
        ? brain.recurrent.GRUTimeStep
        : brain.recurrent.RNNTimeStep;
  const data = randomArray(B * T * I, 3);
  // Sequence b, step t: the I values of x[t, b, :] (time-major, as the other peers).
  const sequences = Array.from({ length: B }, (_, b) =>
    Array.from({ length: T }, (_, t) => data.slice((t * B + b) * I, (t * B + b + 1) * I)),
  );

  let run;
  if (mode === 'forward') {
    const net = new Net({ inputSize: I, hiddenLayers: [H], outputSize: 1 });
    net.initialize();
    net.bindEquation();
    run = () => {
      for (let b = 0; b < B; b++) net.run(sequences[b]);
    };
  } else {
    if (B !== 1) throw new Error('brain.js has no mini-batch training (one sequence per weight update)');
    const net = new Net({ inputSize: I, hiddenLayers: [H], outputSize: I });
    const asArrays = sequences[0].map((step) => Array.from(step));
    net.train([asArrays], { iterations: 1 }); // sizes the network and selects its array trainer
    run = () => net.trainPattern(sequences[0]);
  }
  const { times, warmupRuns } = await timeRuns(run, spec);
  return { times, warmupRuns, baselineRssMiB, info: { version, threads: 1 } };
});
