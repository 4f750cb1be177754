#!/usr/bin/env node
/**
 * The machine's GEMM ceiling as this library's kernels reach it: C[m,n] = A[m,k]·B[k,n] in
 * float32 with B prepacked (as the recurrent weights are), on the native or wasm backend.
 * Extra spec fields: backend, threads (native and wasm), m, k, n.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { randomArray, readSpec, runChild, timeRuns } from './common.mjs';

const spec = readSpec();
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const lib = ['dist', 'build/src'].map((d) => join(root, d)).find((d) => existsSync(join(d, 'index.js')));

await runChild(async () => {
  if (!lib) throw new Error('build first (npm run build)');
  // The wasm backend reads its thread count when it is created.
  if ((spec.backend ?? 'native') === 'wasm' && spec.threads) process.env.RECURRENT_WASM_THREADS = String(spec.threads);
  const r = await import(pathToFileURL(join(lib, 'index.js')).href);
  const backend = r.setBackend(spec.backend);
  const info = { backend: spec.backend, threads: 1 };
  if (spec.backend === 'native') {
    if (spec.threads) backend.addon.configure({ threads: spec.threads });
    info.threads = backend.addon.info().threads;
    info.isa = backend.addon.info().isa;
  } else if (spec.backend === 'wasm') {
    info.variant = backend.info?.variant;
    info.threads = backend.startThreads();
  }
  const { m, k, n } = spec;
  const a = randomArray(m * k, 1);
  const b = randomArray(k * n, 2);
  const c = new Float32Array(m * n);
  const packed = backend.packB({ k, n, b, ldb: n });
  const { times, warmupRuns } = await timeRuns(
    () => backend.gemmPacked({ m, a, lda: k, b: packed, c, ldc: n, beta: 0 }),
    spec,
  );
  packed.release();
  return { times, warmupRuns, flops: 2 * m * n * k, info };
});
