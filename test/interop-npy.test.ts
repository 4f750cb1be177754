/** npy: files written by NumPy, round trips, refused dtypes and layouts, header validation before allocation. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FormatError, tensor, ValueError } from '../src/index.js';
import { loadNpy, saveNpy } from '../src/io/npy-file.js';
import { npyToTensor, parseNpy, serializeNpy } from '../src/io/npy.js';
import { fixturePath, readFixture } from './helpers.js';
import { tempDir } from './temp-dir.js';

interface NpyManifest {
  versions: { numpy: string };
  npy: {
    good: Record<string, { file: string; dtype: string; shape: number[]; values: number[] }>;
    bad: Record<string, { file: string; error: string }>;
  };
}

const manifest = readFixture<NpyManifest>('interop/manifest.json');
const interop = (file: string) => fixturePath(`interop/${file}`);

/** An npy file from its header dict text and data bytes (for malformed cases). */
function npyBytes(dict: string, data: Uint8Array = new Uint8Array(0), version = 1): Uint8Array {
  const header = `${dict}\n`;
  const prefix = version === 1 ? 10 : 12;
  const out = new Uint8Array(prefix + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i);
  out.set(data, prefix + header.length);
  return out;
}

describe('npy', () => {
  test(`files written by NumPy ${manifest.versions.numpy} are read with their dtype, shape and values`, () => {
    const good = Object.entries(manifest.npy.good);
    assert.ok(good.length >= 8);
    for (const [name, f] of good) {
      const a = loadNpy(interop(f.file));
      assert.deepEqual(a.shape, f.shape, `${name}: shape`);
      const expectedDtype = f.dtype === 'int64' ? 'int64' : f.dtype === 'int32' ? 'int32' : 'float32';
      assert.equal(a.dtype, expectedDtype, `${name}: dtype`);
      const values = Array.from(a.data as ArrayLike<number | bigint>, Number);
      if (expectedDtype === 'float32') assert.deepEqual(values, f.values.map(Math.fround), name);
      else assert.deepEqual(values, f.values, name);
    }
    const f64 = loadNpy(interop(manifest.npy.good['f64_2d']!.file));
    assert.equal(f64.dtype === 'float32' && f64.sourceDtype, 'float64', 'float64 is read as float32 and says so');
    const v2 = readFileSync(interop(manifest.npy.good['f32_v2']!.file));
    assert.equal(v2[6], 2, 'the fixture has a 2.0 header');
  });

  test('int64 values keep their exact value (BigInt64Array), int32 an Int32Array', () => {
    const a = loadNpy(interop(manifest.npy.good['i64_1d']!.file));
    assert.ok(a.dtype === 'int64' && a.data instanceof BigInt64Array);
    assert.equal(a.data[3], 2n ** 40n);
    assert.equal(a.data[4], -(2n ** 53n) + 1n);
    const b = loadNpy(interop(manifest.npy.good['i32_2d']!.file));
    assert.ok(b.dtype === 'int32' && b.data instanceof Int32Array);
    assert.deepEqual(npyToTensor(b).toArray(), [
      [-3, -2, -1],
      [0, 1, 2],
    ]);
  });

  for (const [name, f] of Object.entries(manifest.npy.bad)) {
    test(`refuses NumPy's ${name} file, naming the file and what it found`, () => {
      const file = interop(f.file);
      assert.throws(
        () => loadNpy(file),
        (e: unknown) => e instanceof FormatError && e.file === file && e.message.includes(f.error),
        `expected a FormatError mentioning '${f.error}'`,
      );
    });
  }

  test('round trips float32, int32 and int64 of several shapes, byte-identical to a NumPy-style header', () => {
    const cases = [
      { dtype: 'float32' as const, shape: [2, 3], data: Float32Array.from([0.1, -2, 3e-8, 4, Infinity, -0]) },
      { dtype: 'float32' as const, shape: [], data: Float32Array.of(7.25) },
      { dtype: 'float32' as const, shape: [0, 4], data: new Float32Array(0) },
      { dtype: 'int32' as const, shape: [4], data: Int32Array.from([-(2 ** 31), 0, 5, 2 ** 31 - 1]) },
      { dtype: 'int64' as const, shape: [1, 2, 1], data: BigInt64Array.from([-(2n ** 63n), 2n ** 62n]) },
    ];
    for (const c of cases) {
      const bytes = serializeNpy(c);
      const headerLength = new DataView(bytes.buffer).getUint16(8, true);
      assert.equal((10 + headerLength) % 64, 0, 'data starts 64-byte aligned');
      const back = parseNpy(bytes);
      assert.equal(back.dtype, c.dtype);
      assert.deepEqual(back.shape, c.shape);
      assert.deepEqual(
        Array.from(back.data as ArrayLike<number | bigint>),
        Array.from(c.data as ArrayLike<number | bigint>),
      );
    }
    const header = new TextDecoder().decode(
      serializeNpy({ dtype: 'int32', shape: [3], data: new Int32Array(3) }).subarray(10, 10 + 60),
    );
    assert.match(header, /^\{'descr': '<i4', 'fortran_order': False, 'shape': \(3,\), \}/);
    // The fixture NumPy wrote and our serialization of the same array are the same bytes.
    const numpyFile = readFileSync(interop(manifest.npy.good['f32_2d']!.file));
    const ours = serializeNpy(npyToTensor(parseNpy(numpyFile)));
    assert.deepEqual(Buffer.from(ours), numpyFile);
  });

  test('a header longer than 65535 bytes is written as version 2.0', () => {
    const shape = new Array<number>(30000).fill(1);
    const bytes = serializeNpy({ dtype: 'float32', shape, data: Float32Array.of(3) });
    assert.equal(bytes[6], 2);
    const back = parseNpy(bytes);
    assert.equal(back.shape.length, 30000);
    assert.deepEqual([...(back.data as Float32Array)], [3]);
  });

  test('a Tensor saves as float32; saveNpy writes atomically and loadNpy reads it back', () => {
    const dir = tempDir('recurrent-npy-');
    const t = tensor([
      [1, 2.5],
      [-3, 0],
    ]);
    saveNpy(join(dir, 'a.npy'), t);
    const back = loadNpy(join(dir, 'a.npy'));
    assert.deepEqual(npyToTensor(back).toArray(), t.toArray());
    assert.deepEqual(readdirSync(dir), ['a.npy']);
    assert.throws(
      () => loadNpy(join(dir, 'missing.npy')),
      (e: unknown) => e instanceof FormatError && /cannot be read \(ENOENT\)/.test(e.message),
    );
  });

  const f4 = (n: number) => new Uint8Array(4 * n);
  const bad: [string, Uint8Array, RegExp][] = [
    ['not npy', new TextEncoder().encode('hello world, not an npy file'), /magic string/],
    ['too short', new Uint8Array(5), /too short/],
    [
      'version 4.0',
      (() => {
        const b = npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", f4(1));
        b[6] = 4;
        return b;
      })(),
      /version 4\.0 is not supported/,
    ],
    [
      'header length beyond the file',
      (() => {
        const b = npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", f4(1));
        new DataView(b.buffer).setUint16(8, 60000, true);
        return b;
      })(),
      /header length 60000 exceeds the file/,
    ],
    [
      'huge shape, tiny file (checked before allocating)',
      npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100000), }", f4(2)),
      /data is truncated: shape \(100000, 100000, 100000\) of <f4 needs 4000000000000000 bytes, the file holds 8/,
    ],
    [
      'truncated data',
      npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (2, 2), }", f4(2)),
      /data is truncated.*needs 32 bytes, the file holds 8/,
    ],
    ['trailing bytes', npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", f4(2)), /trailing bytes/],
    ['missing key', npyBytes("{'descr': '<f4', 'shape': (1,), }", f4(1)), /no 'fortran_order' key/],
    [
      'negative dim',
      npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", f4(1)),
      /non-negative integers/,
    ],
    ['not a dict', npyBytes("['descr']", f4(1)), /must be a dict/],
    ['garbage header', npyBytes("{'descr': <f4}", f4(1)), /npy header/],
    [
      'complex',
      npyBytes("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", f4(2)),
      /dtype '<c8' \(64-bit complex\) is not supported/,
    ],
  ];
  for (const [name, bytes, pattern] of bad) {
    test(`rejects: ${name}`, () => {
      assert.throws(
        () => parseNpy(bytes, 'x.npy'),
        (e: unknown) => e instanceof FormatError && e.file === 'x.npy' && pattern.test(e.message),
        `expected ${pattern}`,
      );
    });
  }

  test('serializeNpy refuses a shape that does not match the data, and unknown dtypes', () => {
    assert.throws(() => serializeNpy({ dtype: 'float32', shape: [3], data: new Float32Array(2) }), ValueError);
    assert.throws(
      () => serializeNpy({ dtype: 'int32', shape: [2], data: new Float32Array(2) } as never),
      /needs its data as a Int32Array/,
    );
    assert.throws(() => npyToTensor({ dtype: 'int64', shape: [1], data: BigInt64Array.of(2n ** 60n) }), /too large/);
  });
});
