/**
 * A worker thread for the concurrent-predict test (long-run.reliability.ts): loads the saved model
 * directory it is given on the backend it is given and answers every word, one call per word,
 * then all of them in one batched call, 20 times.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setBackend } from '../../src/index.js';
import { loadPredictor } from '../../src/tasks/model-dir.js';

const { dir, words, backend } = workerData as {
  dir: string;
  words: string[];
  backend: 'native' | 'wasm' | 'reference';
};
setBackend(backend);
const predictor = loadPredictor(dir);
// One call per word, then the whole list in one batched call, several times (larger GEMMs).
const single = words.map((w) => predictor.predict([w])[0]);
const batched = Array.from({ length: 20 }, () => predictor.predict(words));
parentPort!.postMessage({ single, batched });
