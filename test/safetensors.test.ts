/** safetensors: round trip, header validation before allocation, atomic writes. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  FormatError,
  loadSafetensors,
  nn,
  parseSafetensors,
  randn,
  saveSafetensors,
  serializeSafetensors,
  tensor,
} from '../src/index.js';
import { tempDir } from './temp-dir.js';

function withHeader(header: unknown, dataBytes: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

describe('safetensors', () => {
  test('a module state dict round trips through a file, with metadata', () => {
    const dir = tempDir('recurrent-st-');
    const lstm = new nn.LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true });
    const path = join(dir, 'model.safetensors');
    saveSafetensors(lstm.stateDict(), path, { format: 'pt' });
    const restored = new nn.LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true });
    restored.loadStateDict(loadSafetensors(path));
    const x = randn([5, 2, 3]);
    assert.deepEqual(restored.forward(x).output.data, lstm.forward(x).output.data);
    assert.deepEqual(parseSafetensors(readFileSync(path)).metadata, { format: 'pt' });
    assert.deepEqual(readdirSync(dir), ['model.safetensors'], 'no temporary file left');
    // The data section starts 8-byte aligned.
    const headerLength = Number(new DataView(readFileSync(path).buffer).getBigUint64(0, true));
    assert.equal((8 + headerLength) % 8, 0);
  });

  test('F64, I64 and F16 entries are read as float32', () => {
    const bytes = withHeader(
      {
        a: { dtype: 'F64', shape: [2], data_offsets: [0, 16] },
        b: { dtype: 'I64', shape: [1], data_offsets: [16, 24] },
        c: { dtype: 'F16', shape: [1], data_offsets: [24, 26] },
      },
      26,
    );
    const start = bytes.length - 26;
    const view = new DataView(bytes.buffer);
    view.setFloat64(start, 1.5, true);
    view.setFloat64(start + 8, -2, true);
    view.setBigInt64(start + 16, 7n, true);
    view.setUint16(start + 24, 0x3c00, true); // 1.0 in half precision
    const { tensors } = parseSafetensors(bytes);
    assert.deepEqual([...tensors['a']!.data], [1.5, -2]);
    assert.deepEqual([...tensors['b']!.data], [7]);
    assert.deepEqual([...tensors['c']!.data], [1]);
  });

  const bad: [string, Uint8Array, RegExp][] = [
    ['too short', new Uint8Array(3), /too short/],
    [
      'huge header length',
      (() => {
        const b = new Uint8Array(16);
        new DataView(b.buffer).setBigUint64(0, 1n << 60n, true);
        return b;
      })(),
      /header length .* exceeds the file/,
    ],
    [
      'not JSON',
      (() => {
        const b = new Uint8Array(12);
        new DataView(b.buffer).setBigUint64(0, 4n, true);
        b.set([123, 123, 123, 0], 8);
        return b;
      })(),
      /not valid UTF-8 JSON/,
    ],
    [
      'unknown dtype',
      withHeader({ a: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, 8),
      /unsupported dtype "C64"/,
    ],
    [
      'negative shape',
      withHeader({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4),
      /shape must be a list of non-negative integers/,
    ],
    [
      'offsets beyond the data',
      withHeader({ a: { dtype: 'F32', shape: [1000000000], data_offsets: [0, 4000000000] } }, 4),
      /fall outside/,
    ],
    [
      'size mismatch',
      withHeader({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 4),
      /4 bytes for shape \[2\] of F32, expected 8/,
    ],
    [
      'overlap',
      withHeader(
        {
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
        },
        8,
      ),
      /overlapping or gapped/,
    ],
    ['trailing bytes', withHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 8), /tensors cover 4/],
  ];
  for (const [name, bytes, pattern] of bad) {
    test(`rejects: ${name}`, () => {
      assert.throws(
        () => parseSafetensors(bytes, 'w.safetensors'),
        (e: unknown) => e instanceof FormatError && e.file === 'w.safetensors' && pattern.test(e.message),
      );
    });
  }

  test('serialize writes exact float32 values', () => {
    const t = tensor([0.1, -3, 1e-8], [3]);
    assert.deepEqual(parseSafetensors(serializeSafetensors({ t })).tensors['t']!.data, t.data);
  });
});
