/**
 * Long runs: 10,000 training steps keep memory flat, and many concurrent async predict callers
 * get the same answers as one caller at a time.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Adam, clipGradNorm, crossEntropy, Generator, getBackend, models, randn, tensor } from '../../src/index.js';
import { loadPredictor } from '../../src/tasks/model-dir.js';
import { trainTask } from '../../src/tasks/run.js';
import { record } from './outcomes.js';
import { tempDir } from '../temp-dir.js';

const STEPS = Number(process.env['RELIABILITY_STEPS'] ?? 10000);
const MB = 1024 * 1024;

describe('long runs', { timeout: 900_000 }, () => {
  test(`${STEPS} training steps with flat memory`, () => {
    const g = new Generator(5);
    const model = new models.SequenceClassifier({ vocabSize: 30, embeddingDim: 8, numClasses: 4, hiddenSize: 16, cell: 'lstm', bidirectional: true }, g);
    const optimizer = new Adam(model.parameters(), { lr: 0.003 });
    const tokens = tensor(Array.from({ length: 8 * 12 }, (_, i) => 1 + ((i * 7) % 29)), [8, 12]);
    const targets = [0, 1, 2, 3, 0, 1, 2, 3];
    const lengths = [12, 11, 10, 9, 8, 7, 6, 5];
    const samples: { step: number; rss: number; heap: number }[] = [];
    const sample = (step: number) => {
      global.gc?.();
      const m = process.memoryUsage();
      samples.push({ step, rss: m.rss / MB, heap: m.heapUsed / MB });
    };
    for (let step = 1; step <= STEPS; step++) {
      optimizer.zeroGrad();
      const loss = crossEntropy(model.forward(tokens, lengths), targets);
      loss.backward();
      clipGradNorm(model.parameters(), 1);
      optimizer.step();
      if (step % Math.max(1, Math.floor(STEPS / 10)) === 0) sample(step);
    }
    // Flat means: the second half of the run adds (almost) nothing. The first half includes
    // warm-up (JIT, the allocator reaching its working set, the kernels' packed buffers).
    const half = samples[Math.floor(samples.length / 2) - 1]!;
    const last = samples[samples.length - 1]!;
    const growth = { fromStep: half.step, rssMB: last.rss - half.rss, heapMB: last.heap - half.heap, peakRssMB: Math.max(...samples.map((s) => s.rss)) };
    record('long runs', 'training steps', { steps: STEPS, backend: getBackend().name, samples, growth });
    assert.ok(growth.rssMB < 24, `RSS grew ${growth.rssMB.toFixed(1)} MB over the second half`);
    assert.ok(growth.heapMB < 4, `heap grew ${growth.heapMB.toFixed(1)} MB over the second half`);
    assert.ok(growth.peakRssMB < 400, `peak RSS ${growth.peakRssMB.toFixed(0)} MB`);
  });

  test('concurrent predict calls from 200 async callers', async () => {
    const out = join(tempDir('recurrent-concurrent-'), 'm');
    await trainTask({ task: 'classify', epochs: 1, maxTrainExamples: 400, hiddenSize: 8, out });
    const predictor = loadPredictor(out);
    const words = Array.from({ length: 200 }, (_, i) => ['hello', 'bonjour', 'hola', 'ciao', 'hallo', 'olá', 'cześć', 'dag'][i % 8]! + 'x'.repeat(i % 5));
    const sequential = words.map((w) => predictor.predict([w])[0]);
    const concurrent = await Promise.all(words.map(async (w, i) => {
      await new Promise((r) => setTimeout(r, i % 7));
      return predictor.predict([w])[0];
    }));
    assert.deepEqual(concurrent, sequential);
    const batched = predictor.predict(words);
    assert.deepEqual(batched, sequential);
    record('long runs', 'concurrent predict', { callers: words.length, identical: true });
    assert.ok(randn([1]).size === 1);
  });
});

describe('handles', { timeout: 300_000 }, () => {
  test('train, save, load and predict 30 times: no file descriptors or active handles left behind', async () => {
    const openFds = () => readdirSync('/proc/self/fd').length;
    const base = tempDir('recurrent-handles-');
    // One round first, so lazily opened things (the addon, caches) are counted in the baseline.
    const round = async (i: number) => {
      const out = join(base, `m${i % 3}`);
      await trainTask({ task: 'forecast', epochs: 1, hiddenSize: 4, out });
      loadPredictor(out).predict([Array.from({ length: 60 }, (_, k) => 300 + k * 0.1).join(' ')]);
    };
    await round(0);
    const fdsBefore = openFds();
    const handlesBefore = process.getActiveResourcesInfo().length;
    for (let i = 1; i <= 30; i++) await round(i);
    const fdsAfter = openFds();
    const handlesAfter = process.getActiveResourcesInfo().length;
    record('long runs', 'handles', { rounds: 30, fdsBefore, fdsAfter, handlesBefore, handlesAfter });
    assert.ok(fdsAfter <= fdsBefore, `file descriptors: ${fdsBefore} -> ${fdsAfter}`);
    assert.ok(handlesAfter <= handlesBefore, `active handles: ${handlesBefore} -> ${handlesAfter} (${process.getActiveResourcesInfo().join(', ')})`);
  });
});
