/**
 * No memory growth: 10,000 rounds of the calls a recurrent layer makes (pack, per-step GEMM with
 * bias, cell forward/backward, release, a general GEMM, column sums) leave the wasm memory size
 * and its live allocations where they were after warm-up, and the process's resident memory
 * within a small bound (native: packed matrices are garbage-collected ArrayBuffers; the addon's
 * scratch buffers only grow to the largest problem seen).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Backend } from '../src/backend/backend.js';
import type { WasmBackend } from '../src/backend/wasm/index.js';
import { backendCases, randomArray, useBackend } from './backend-helpers.js';

function round(backend: Backend, i: number, data: Record<string, Float32Array>): void {
  const B = 8,
    H = 16,
    I = 12,
    GH = 4 * H;
  const packed = backend.packB({ k: H, n: GH, b: data['whh']!, ldb: H, transB: true });
  try {
    backend.gemmPacked({
      m: B,
      a: data['h']!,
      lda: H,
      b: packed,
      c: data['gh']!,
      ldc: GH,
      beta: 0,
      bias: data['bias']!,
    });
  } finally {
    packed.release();
  }
  backend.gemm({
    m: B,
    n: GH,
    k: I,
    a: data['x']!,
    lda: I,
    b: data['wih']!,
    ldb: I,
    transB: true,
    c: data['gx']!,
    ldc: GH,
    beta: 0,
  });
  backend.cellForward('lstm', {
    rows: B,
    hidden: H,
    gx: data['gx']!,
    gxOffset: 0,
    gh: data['gh']!,
    hPrev: data['h']!,
    cPrev: data['c']!,
    hOut: data['hOut']!,
    cOut: data['cOut']!,
    cache: data['cache']!,
    cacheOffset: 0,
  });
  backend.cellBackward('lstm', {
    rows: B,
    hidden: H,
    dh: data['h']!,
    dc: data['c']!,
    cache: data['cache']!,
    cacheOffset: 0,
    hPrev: data['h']!,
    hPrevOffset: 0,
    cPrev: data['c']!,
    cPrevOffset: 0,
    dgx: data['dgx']!,
    dgxOffset: 0,
    dgh: data['dgh']!,
    dghOffset: 0,
    dhPrev: data['hOut']!,
    dcPrev: data['cOut']!,
  });
  backend.gemm({
    m: GH,
    n: I,
    k: B,
    a: data['dgx']!,
    lda: GH,
    transA: true,
    b: data['x']!,
    ldb: I,
    c: data['dw']!,
    ldc: I,
    beta: (i & 1) as 0 | 1,
  });
  backend.columnSums(data['dgx']!, B, GH, data['db']!);
}

describe('no memory growth over 10,000 calls', () => {
  for (const bc of backendCases()) {
    test(bc.name, { skip: bc.skip }, (t) => {
      const backend = useBackend(bc);
      const B = 8,
        H = 16,
        I = 12,
        GH = 4 * H;
      const data: Record<string, Float32Array> = {
        whh: randomArray(GH * H, 1),
        wih: randomArray(GH * I, 2),
        bias: randomArray(GH, 3),
        h: randomArray(B * H, 4),
        c: randomArray(B * H, 5),
        x: randomArray(B * I, 6),
        gh: new Float32Array(B * GH),
        gx: new Float32Array(B * GH),
        hOut: new Float32Array(B * H),
        cOut: new Float32Array(B * H),
        cache: new Float32Array(B * 5 * H),
        dgx: new Float32Array(B * GH),
        dgh: new Float32Array(B * GH),
        dw: new Float32Array(GH * I),
        db: new Float32Array(GH),
      };
      const wasm = bc.name === 'wasm' ? (backend as WasmBackend) : null;
      for (let i = 0; i < 500; i++) round(backend, i, data);
      const wasmBytes = wasm?.memoryBytes;
      const wasmBlocks = wasm?.heap.liveBlocks;
      const rss = process.memoryUsage().rss;
      for (let i = 0; i < 10_000; i++) round(backend, i, data);
      const grown = process.memoryUsage().rss - rss;
      t.diagnostic(
        `rss change ${(grown / 2 ** 20).toFixed(1)} MiB${wasm ? `, wasm memory ${wasm.memoryBytes} bytes` : ''}`,
      );
      if (wasm) {
        assert.equal(wasm.memoryBytes, wasmBytes, 'wasm memory grew');
        assert.equal(wasm.heap.liveBlocks, wasmBlocks, 'wasm allocations leaked');
      }
      assert.ok(grown < 16 * 2 ** 20, `resident memory grew by ${(grown / 2 ** 20).toFixed(1)} MiB`);
      assert.ok(data['gh']!.every(Number.isFinite) && data['dw']!.every(Number.isFinite));
    });
  }
});
