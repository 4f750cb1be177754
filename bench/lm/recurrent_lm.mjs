#!/usr/bin/env node
/**
 * The recurrent side of bench/lm/side-by-side.mjs: the same char-LSTM as torch_lm.py, trained
 * for the same wall-clock time with this library (models.LanguageModel, streamChunks,
 * CarriedState, Adam, clipGradNorm: what `recurrent train --task generate` runs), then scored on
 * the same held-out ids with scoreStream. Usage: recurrent_lm.mjs SPEC_JSON (see torch_lm.py).
 * Prints one line `LM_RESULT {json}`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const lib = ['dist', 'build/src'].map((d) => join(root, d)).find((d) => existsSync(join(d, 'index.js')));
if (!lib) throw new Error('build first: npm run build');
const { models, Generator, Adam, clipGradNorm, streamChunks, CarriedState, scoreStream, getBackend } = await import(
  pathToFileURL(join(lib, 'index.js')).href
);

const spec = JSON.parse(process.argv[2]);
const ids = (file) => Array.from(new Int32Array(readFileSync(file).buffer.slice(0)));
const train = ids(spec.trainFile);
const heldOut = ids(spec.heldOutFile);
const model = new models.LanguageModel(
  {
    vocabSize: spec.vocab,
    embeddingDim: spec.embedding,
    hiddenSize: spec.hidden,
    numLayers: spec.layers,
    cell: 'lstm',
  },
  new Generator(spec.seed),
);
const optimizer = new Adam(model.parameters(), { lr: spec.lr });
const parameters = model.parameters();
const chunks = streamChunks(train, spec.batch, spec.bptt);
const carried = new CarriedState();
let steps = 0;
let tokens = 0;
let epochs = 0;
let lastLoss = NaN;
const started = performance.now();
model.train();
outer: for (;;) {
  epochs++;
  for (const chunk of chunks) {
    optimizer.zeroGrad();
    const loss = carried.loss(model, chunk);
    lastLoss = loss.item();
    loss.backward();
    clipGradNorm(parameters, spec.clip);
    optimizer.step();
    steps++;
    tokens += chunk.targets.length;
    if ((performance.now() - started) / 1000 >= spec.seconds) break outer;
  }
}
const seconds = (performance.now() - started) / 1000;
const score = scoreStream(model, heldOut, { streams: spec.streams });
console.log(
  `LM_RESULT ${JSON.stringify({
    peer: `recurrent (${getBackend().name} backend)`,
    steps,
    epochs,
    tokens,
    seconds,
    tokensPerSecond: tokens / seconds,
    lastLoss,
    bitsPerChar: score.bitsPerToken,
    scored: score.count,
  })}`,
);
