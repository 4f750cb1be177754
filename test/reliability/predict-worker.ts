/**
 * A worker thread for the concurrent-predict test (long-run.reliability.ts): loads the saved model
 * directory it is given on the backend it is given and answers every word, one call per word.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setBackend } from '../../src/index.js';
import { loadPredictor } from '../../src/tasks/model-dir.js';

const { dir, words, backend } = workerData as { dir: string; words: string[]; backend: 'native' | 'wasm' | 'reference' };
setBackend(backend);
const predictor = loadPredictor(dir);
parentPort!.postMessage(words.map((w) => predictor.predict([w])[0]));
