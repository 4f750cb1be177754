#!/usr/bin/env node
/**
 * Time-to-quality, this library's side (bench/ttq.mjs runs it; the PyTorch side is
 * bench/ttq_torch.py, the same model and loop): reads the split JSON that bench/ttq.mjs wrote,
 * builds SequenceClassifier (Embedding(V, E, pad 0) -> GRU/LSTM(E, H) -> the final state of each
 * sequence's valid steps -> Linear(H, classes)), trains it with Adam and cross-entropy on shuffled
 * mini-batches until the wall-clock budget is spent (checked after every step), then scores the
 * test split. Spec fields: splitFile, backend (default native).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readSpec, runChild } from './common.mjs';

const spec = readSpec();
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const lib = ['dist', 'build/src'].map((d) => join(root, d)).find((d) => existsSync(join(d, 'index.js')));
const load = (path) => import(pathToFileURL(join(lib, path)).href);

await runChild(async () => {
  if (!lib) throw new Error('build first (npm run build)');
  const r = await load('index.js');
  const { SequenceClassifier } = await load('models/classifier.js');
  const { Adam } = await load('train/optimizers/adam.js');
  const { crossEntropy } = await load('train/losses.js');
  const { indexBatches, padIds } = await load('tasks/batching.js');
  const backend = r.setBackend(spec.backend ?? 'native');
  const split = JSON.parse(readFileSync(spec.splitFile, 'utf8'));
  const hp = split.hyper;
  const generator = new r.Generator(split.seed);
  const model = new SequenceClassifier(
    {
      vocabSize: split.vocabSize,
      embeddingDim: hp.embeddingDim,
      numClasses: split.labels.length,
      cell: hp.cell,
      hiddenSize: hp.hiddenSize,
      numLayers: 1,
      bidirectional: false,
      dropout: 0,
      pooling: 'last',
    },
    generator,
  );
  const optimizer = new Adam(model.parameters(), { lr: hp.lr });
  const { ids: trainIds, labels: trainLabels } = split.train;
  let steps = 0;
  let epochs = 0;
  const start = performance.now();
  const budgetMs = split.seconds * 1000;
  for (let done = false; !done; ) {
    const batches = indexBatches(trainIds.length, hp.batchSize, generator);
    for (const idx of batches) {
      const { ids, lengths } = padIds(idx.map((i) => trainIds[i]));
      optimizer.zeroGrad();
      const loss = crossEntropy(
        model.forward(ids, lengths),
        idx.map((i) => trainLabels[i]),
      );
      loss.backward();
      optimizer.step();
      steps++;
      if (performance.now() - start >= budgetMs) {
        done = true;
        break;
      }
    }
    if (!done) epochs++;
  }
  const trainSeconds = (performance.now() - start) / 1000;
  let correct = 0;
  const { ids: testIds, labels: testLabels } = split.test;
  r.noGrad(() => {
    for (let i = 0; i < testIds.length; i += 256) {
      const { ids, lengths } = padIds(testIds.slice(i, i + 256));
      const predicted = model.forward(ids, lengths).argmax(1);
      predicted.forEach((p, b) => {
        if (p === testLabels[i + b]) correct++;
      });
    }
  });
  return {
    steps,
    epochs,
    trainSeconds,
    accuracy: correct / testIds.length,
    info: { backend: backend.name },
  };
});
