/**
 * The wasm backend's cache of packed small weights (WasmBackend.packB): a source with the same
 * bits reuses its packing, any changed bit (an in-place optimizer update, -0 for 0) packs again,
 * matrices still in use are never evicted, and a released matrix cannot be used. Every product
 * is checked against the same product with the cache switched off.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { WasmBackend } from '../src/backend/wasm/index.js';
import { backendCases, randomArray, useBackend } from './backend-helpers.js';

const wasm = backendCases().find((c) => c.name === 'wasm')!;

/** C = A·op(B) for A [m, k] with B `[k, n]` (or `[n, k]` when transB), through packB. */
function product(
  backend: WasmBackend,
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  transB: boolean,
) {
  const packed = backend.packB({ k, n, b, ldb: transB ? k : n, transB });
  const c = new Float32Array(m * n);
  backend.gemmPacked({ m, a, lda: k, b: packed, c, ldc: n, beta: 0 });
  packed.release();
  return c;
}

function uncached(backend: WasmBackend, ...args: Parameters<typeof product> extends [unknown, ...infer R] ? R : never) {
  backend.packCache = false;
  try {
    return product(backend, ...args);
  } finally {
    backend.packCache = true;
  }
}

describe('wasm pack cache', () => {
  test('the same bits reuse the packing; a changed element or -0 for 0 packs again', { skip: wasm.skip }, () => {
    const backend = useBackend(wasm) as WasmBackend;
    for (const transB of [false, true]) {
      const [m, k, n] = [5, 19, 13];
      const a = randomArray(m * k, 1);
      const b = randomArray(k * n, 2 + (transB ? 1 : 0));
      b[7] = 0;
      const want = uncached(backend, a, b, m, k, n, transB);
      product(backend, a, b, m, k, n, transB);
      const hits = backend.packCacheHits;
      assert.deepEqual(product(backend, a, b, m, k, n, transB), want);
      assert.equal(backend.packCacheHits, hits + 1, 'the second packing of the same bits is a hit');
      b[3] = b[3]! + 0.5;
      assert.deepEqual(product(backend, a, b, m, k, n, transB), uncached(backend, a, b, m, k, n, transB));
      assert.equal(backend.packCacheHits, hits + 1, 'a changed element is packed again');
      b[7] = -0;
      const c = product(backend, a, b, m, k, n, transB);
      assert.equal(backend.packCacheHits, hits + 1, '-0 is another bit pattern than 0');
      assert.deepEqual(c, uncached(backend, a, b, m, k, n, transB));
    }
  });

  test('matrices in use are not evicted; released ones cannot be used', { skip: wasm.skip }, () => {
    const backend = useBackend(wasm) as WasmBackend;
    const [m, k, n] = [3, 8, 16];
    const a = randomArray(m * k, 5);
    // More live matrices than the cache has entries, each then used after the others were packed.
    const sources = Array.from({ length: 12 }, (_, i) => randomArray(k * n, 100 + i));
    const held = sources.map((b) => backend.packB({ k, n, b, ldb: n }));
    for (let i = 0; i < sources.length; i++) {
      const c = new Float32Array(m * n);
      backend.gemmPacked({ m, a, lda: k, b: held[i]!, c, ldc: n, beta: 0 });
      assert.deepEqual(c, uncached(backend, a, sources[i]!, m, k, n, false), `matrix ${i}`);
    }
    for (const p of held) p.release();
    const again = backend.packB({ k, n, b: sources[0]!, ldb: n });
    again.release();
    assert.throws(
      () => backend.gemmPacked({ m, a, lda: k, b: again, c: new Float32Array(m * n), ldc: n, beta: 0 }),
      /released/,
    );
  });
});
