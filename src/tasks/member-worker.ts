/**
 * The worker thread of one member of an ensemble trained in parallel (parallel-members.ts): it
 * selects the run's backend, trains the member with `trainMember`, posts its progress, and at the
 * end its best weights (their buffers moved, not copied).
 */
import { parentPort, workerData } from 'node:worker_threads';
// Every backend registered, as in the main thread's entry (cli/main.ts).
import '../backend/reference/index.js';
import '../backend/wasm/index.js';
import '../backend/native/index.js';
import { type BackendName, setBackend } from '../backend/backend.js';
import type { MemberMessage, MemberWorkerData } from './parallel-members.js';
import { trainMember } from './run.js';

const data = workerData as MemberWorkerData;
const post = (message: MemberMessage, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(message, transfer);
setBackend(data.backend as BackendName);
const stop = new Int32Array(data.stop);
const { weights, result } = await trainMember(data.options, {
  ...(data.steps && { onStep: (info) => post({ kind: 'step', info }) }),
  onEpoch: ({ state: _state, ...info }) => post({ kind: 'epoch', info }),
  stopRequested: () => Atomics.load(stop, 0) === 1,
});
const plain = Object.fromEntries(
  Object.entries(weights).map(([name, t]) => [name, { data: t.data as Float32Array, shape: [...t.shape] }]),
);
post(
  { kind: 'done', weights: plain, result },
  Object.values(plain).map((w) => w.data.buffer as ArrayBuffer),
);
