/**
 * Fuzzed interop parsers: .npy (`parseNpy`, then `npyToTensor`) and ONNX (`parseOnnx`, and
 * `parseOnnx` followed by a run on valid inputs), 10,000+ generated inputs per parser and kind of
 * fault (random bytes, truncations, bit flips of valid files, forged headers), as in
 * fuzz-parsers.reliability.ts. The only acceptable outcomes are a successful parse (and run) or
 * one of our typed errors: never an uncaught crash, a protobufjs error, a hang (test timeout) or
 * a huge allocation (sizes are checked against the data first; a value computed at run time is
 * refused beyond MAX_VALUE_BYTES).
 *
 * The two ONNX rows share their seed: they see the same inputs, so "parsed and run" shows what
 * running adds to the parse.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { FormatError, tensor, ValueError } from '../../src/index.js';
import { type NpyArray, npyToTensor, parseNpy, serializeNpy } from '../../src/io/npy.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { type OnnxFeed, type OnnxModel, parseOnnx } from '../../src/onnx/index.js';
import { decodeModel, encodeModel } from '../../src/onnx/proto.js';
import { arrayFrom } from '../../src/onnx/values.js';
import { fixturePath } from '../helpers.js';
import { fuzz } from './outcomes.js';

const utf8 = new TextEncoder();

const concat = (parts: readonly (Uint8Array | readonly number[])[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

// ---------------------------------------------------------------------------------------------
// npy

/** An .npy file: magic, version, a header length field (forged or true), the header text, data. */
function npyFile(version: number, header: string, dataBytes: number, lengthField: number | null): Uint8Array {
  const text = new Uint8Array(Array.from(header, (ch) => ch.charCodeAt(0) & 0xff));
  const wide = version !== 1;
  const prefix = new Uint8Array(wide ? 12 : 10);
  prefix.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(prefix.buffer);
  const length = lengthField ?? text.length;
  if (wide) view.setUint32(8, length % 2 ** 32, true);
  else view.setUint16(8, length % 2 ** 16, true);
  const data = new Uint8Array(dataBytes);
  for (let i = 0; i < dataBytes; i++) data[i] = (i * 37) & 0xff;
  return concat([prefix, text, data]);
}

/** A plausible choice most of the time, a hostile one otherwise. */
const mostly = <T>(usual: fc.Arbitrary<T>, hostile: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 3, arbitrary: usual }, { weight: 1, arbitrary: hostile });

const npyDim = mostly(
  fc.nat(6).map(String),
  fc.oneof(
    fc.integer({ min: -10, max: 64 }).map(String),
    fc.constantFrom(
      '2147483648',
      '4294967296',
      '9007199254740993',
      '-1099511627776',
      '1099511627776',
      '100000000000000000000000',
      '1e300',
      '0x10',
      '3L',
      'True',
      "'3'",
      'None',
      '(2,)',
    ),
  ),
);

const forgedNpy = fc
  .record({
    version: mostly(fc.constantFrom(1, 2, 3), fc.constantFrom(0, 4, 255)),
    descr: mostly(
      fc.constantFrom("'<f4'", "'<f8'", "'<i4'", "'<i8'"),
      fc.oneof(
        fc.constantFrom(
          "'>f4'",
          "'>i8'",
          "'|b1'",
          "'<f2'",
          "'|O'",
          "'<c8'",
          "'<U3'",
          "'|u1'",
          "[('a', '<f4')]",
          '5',
          'None',
          '{}',
          "'<f4",
          "'\\'<f4'",
        ),
        fc.string({ maxLength: 6 }).map((s) => `'${s}'`),
      ),
    ),
    fortran: mostly(fc.constant('False'), fc.constantFrom('True', '0', '1', 'None', "'no'")),
    shape: fc.array(npyDim, { maxLength: 5 }),
    brackets: mostly<readonly string[]>(fc.constant(['(', ')']), fc.constantFrom(['[', ']'], ['(', ''], ['{', '}'])),
    extra: mostly(
      fc.constant(''),
      fc.constantFrom(
        "'__proto__': {'descr': '<f4', 'fortran_order': False, 'shape': ()}, ",
        "'constructor': 1, ",
        "'descr': '<i8', ",
        '1: 2, ',
        "'x': ((((((((((((((((((((((((((((()))))))))))))))))))))))))))), ",
      ),
    ),
    drop: mostly(fc.constant(null), fc.constantFrom('descr', 'fortran_order', 'shape')),
    nesting: fc.oneof(
      { weight: 9, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.constantFrom(31, 64, 5000, 200_000) },
    ),
    lengthField: mostly(
      fc.constant(null),
      fc.oneof(fc.nat(300), fc.constantFrom(2 ** 16 - 1, 2 ** 20, 2 ** 20 + 1, 2 ** 31, 2 ** 32 - 1)),
    ),
    dataBytes: mostly<'exact' | number>(
      fc.constant('exact' as const),
      fc.oneof(fc.nat(256), fc.constantFrom(24, 48, 4096)),
    ),
    newline: fc.boolean(),
  })
  .map((f) => {
    const dims =
      f.shape.length === 1 && f.brackets[0] === '('
        ? `(${f.shape[0]},)`
        : `${f.brackets[0]}${f.shape.join(', ')}${f.brackets[1]}`;
    const shape = f.nesting ? `${'('.repeat(f.nesting)}${dims}${')'.repeat(f.nesting)}` : dims;
    const entries = [
      ['descr', f.descr],
      ['fortran_order', f.fortran],
      ['shape', shape],
    ]
      .filter(([k]) => k !== f.drop)
      .map(([k, v]) => `'${k}': ${v}, `);
    const header = `{${f.extra}${entries.join('')}}${f.newline ? '\n' : ''}`;
    // 'exact': as many bytes as the shape needs when it is small (so that some forged headers parse).
    const item = /[fi]8/.test(f.descr) ? 8 : 4;
    const count = f.shape.reduce((n, d) => n * Number(d), 1);
    const exact = Number.isSafeInteger(count) && count >= 0 && count * item <= 4096 ? count * item : 0;
    return npyFile(f.version, header, f.dataBytes === 'exact' ? exact : f.dataBytes, f.lengthField);
  });

// ---------------------------------------------------------------------------------------------
// ONNX: a small protobuf writer, so that lengths and counts can be forged

/** Varint of a non-negative (or two's-complement 64-bit) integer. */
function varint(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

const key = (field: number, wire: number) => varint((field << 3) | wire);
const int = (field: number, value: number | bigint) => concat([key(field, 0), varint(value)]);
/** A length prefix forged from the true length (or undefined for the true one). */
type Forge = ((length: number) => number | bigint) | undefined;
/** A length-delimited field; `forge` replaces its length prefix. */
const bytesField = (field: number, content: Uint8Array, forge?: Forge) =>
  concat([key(field, 2), varint(forge ? forge(content.length) : content.length), content]);
const str = (field: number, s: string) => bytesField(field, utf8.encode(s));
const message = (field: number, parts: Uint8Array[], forge?: Forge) => bytesField(field, concat(parts), forge);
const packed = (field: number, values: readonly (number | bigint)[], forge?: Forge) =>
  bytesField(field, concat(values.map((v) => varint(v))), forge);

type ForgedTarget = 'none' | 'graph' | 'node' | 'initializer' | 'raw_data' | 'dims' | 'int64_data' | 'input';

interface ForgedTensor {
  dataType: number;
  dims: (number | bigint)[];
  /** 'raw' / 'typed': the data matches the dims, in raw_data or in the typed field; the others do not. */
  data: 'raw' | 'typed' | 'raw short' | 'raw long' | 'typed short' | 'none';
  values: (number | bigint)[];
}

interface ForgedModel {
  opset: number | bigint;
  nodes: number;
  ops: string[];
  order: 'file' | 'reversed' | 'cycle' | 'self loop' | 'missing input' | 'produced twice' | 'missing output';
  inputType: number;
  inputDims: (number | bigint | string)[];
  tensor: ForgedTensor;
  attribute: { name: string; value: number | bigint } | null;
  target: ForgedTarget;
  declared: number | bigint;
}

const ONNX_OPS = [
  'Relu',
  'Identity',
  'Add',
  'Reshape',
  'ConstantOfShape',
  'Expand',
  'Range',
  'Tile',
  'LSTM',
  'GRU',
  'Gather',
  'Concat',
  'Slice',
  'Transpose',
  'Squeeze',
  'Unsqueeze',
  'TopK',
  'ScatterElements',
  'Softmax',
  'MatMul',
  'Cast',
  'Shape',
  'Einsum',
];
const hugeDim = fc.constantFrom<number | bigint>(2 ** 31, 2 ** 32, 2 ** 40, 2 ** 53, 2n ** 63n - 1n, -1, -(2 ** 40));
const dim = fc.oneof({ weight: 8, arbitrary: fc.nat(6) }, { weight: 1, arbitrary: hugeDim });

const forgedOnnxModel: fc.Arbitrary<ForgedModel> = fc.record({
  opset: fc.oneof(
    { weight: 8, arbitrary: fc.constant<number | bigint>(14) },
    { weight: 1, arbitrary: fc.constantFrom<number | bigint>(11, 7, 6, 0, 2 ** 31, -1n) },
  ),
  nodes: fc.oneof(
    { weight: 30, arbitrary: fc.integer({ min: 1, max: 6 }) },
    { weight: 1, arbitrary: fc.constantFrom(0, 3000) },
  ),
  ops: fc.array(fc.constantFrom(...ONNX_OPS), { minLength: 1, maxLength: 4 }),
  order: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('file', 'reversed') },
    {
      weight: 1,
      arbitrary: fc.constantFrom('cycle', 'self loop', 'missing input', 'produced twice', 'missing output'),
    },
  ),
  inputType: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(1, 7) },
    { weight: 1, arbitrary: fc.constantFrom(6, 11, 9, 8, 16, 0, 99) },
  ),
  inputDims: fc.array(fc.oneof(dim, fc.constantFrom('N', '')), { maxLength: 4 }),
  tensor: fc.record({
    dataType: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(1, 7) },
      { weight: 1, arbitrary: fc.constantFrom(6, 11, 9, 10, 8, 16, 0, 99) },
    ),
    dims: fc.array(dim, { maxLength: 3 }),
    data: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('raw', 'typed') },
      { weight: 1, arbitrary: fc.constantFrom('raw short', 'raw long', 'typed short', 'none') },
    ),
    values: fc.array(fc.oneof(fc.integer({ min: -3, max: 8 }), hugeDim), { minLength: 1, maxLength: 6 }),
  }),
  attribute: fc.option(
    fc.record({
      name: fc.constantFrom('axis', 'hidden_size', 'to', 'perm', 'k', 'value', 'direction', 'layout'),
      value: fc.oneof(fc.integer({ min: -3, max: 8 }), hugeDim),
    }),
  ),
  target: fc.oneof(
    { weight: 6, arbitrary: fc.constant<ForgedTarget>('none') },
    {
      weight: 2,
      arbitrary: fc.constantFrom<ForgedTarget>(
        'graph',
        'node',
        'initializer',
        'raw_data',
        'dims',
        'int64_data',
        'input',
      ),
    },
  ),
  declared: fc.constantFrom<number | bigint>(1, 2 ** 20, 2 ** 31, 2 ** 32 - 1, 2 ** 53, 2n ** 64n - 1n),
});

const ITEM_BYTES: Record<number, number> = { 1: 4, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 16: 2 };

/** The tensor 'w': values from `t.values` (cycled), as raw little-endian bytes or in the typed field. */
function forgedTensor(t: ForgedTensor, forge: (target: ForgedTarget) => Forge): Uint8Array {
  const size = t.dims.reduce<number>((n, d) => n * Number(d), 1);
  const count = Number.isSafeInteger(size) && size >= 0 && size <= 1024 ? size : 2;
  const n = t.data.endsWith('short') ? Math.max(0, count - 1) : t.data === 'raw long' ? count + 1 : count;
  const item = ITEM_BYTES[t.dataType] ?? 4;
  const values = Array.from({ length: n }, (_, i) => t.values[i % t.values.length]!);
  const parts = [packed(1, t.dims, forge('dims')), int(2, t.dataType), str(8, 'w')];
  if (t.data.startsWith('raw')) {
    const raw = new Uint8Array(n * item);
    const view = new DataView(raw.buffer);
    values.forEach((v, i) => {
      if (item === 8 && t.dataType === 7) view.setBigInt64(8 * i, BigInt.asIntN(64, BigInt(v)), true);
      else if (item === 8) view.setFloat64(8 * i, Number(v), true);
      else if (item === 4 && t.dataType === 1) view.setFloat32(4 * i, Number(v), true);
      else if (item === 4) view.setInt32(4 * i, Number(BigInt.asIntN(32, BigInt(v))), true);
      else raw[i * item] = Number(BigInt.asUintN(8, BigInt(v)));
    });
    parts.push(bytesField(9, raw, forge('raw_data')));
  } else if (t.data !== 'none') {
    if (t.dataType === 1) {
      const floats = new Uint8Array(4 * n);
      values.forEach((v, i) => new DataView(floats.buffer).setFloat32(4 * i, Number(v), true));
      parts.push(bytesField(4, floats));
    } else if (t.dataType === 11) {
      const doubles = new Uint8Array(8 * n);
      values.forEach((v, i) => new DataView(doubles.buffer).setFloat64(8 * i, Number(v), true));
      parts.push(bytesField(10, doubles));
    } else {
      // int64_data (7) for int64, int32_data (5) for the other integer types.
      parts.push(packed(t.dataType === 7 ? 7 : 5, values, forge('int64_data')));
    }
  }
  return concat(parts);
}

function encodeForged(f: ForgedModel): Uint8Array {
  // One length prefix may be forged: one byte too long, or huge.
  const forge = (target: ForgedTarget): Forge =>
    f.target === target ? (length) => (f.declared === 1 ? length + 1 : f.declared) : undefined;
  // A chain of nodes x -> v0 -> v1 -> ..., each also reading 'w', in a forged order.
  const n = f.nodes;
  const nodeBytes: Uint8Array[] = [];
  for (let k = 0; k < n; k++) {
    const op = f.ops[k % f.ops.length]!;
    let first = k === 0 ? 'x' : `v${k - 1}`;
    if (k === 0 && f.order === 'cycle') first = `v${n - 1}`;
    if (k === 0 && f.order === 'self loop') first = 'v0';
    if (k === n - 1 && f.order === 'missing input') first = 'nowhere';
    const output = f.order === 'produced twice' && k === n - 1 && n > 1 ? 'v0' : `v${k}`;
    const a = f.attribute;
    const attribute =
      a && k === 0
        ? [
            message(
              5,
              a.name === 'perm'
                ? [str(1, 'perm'), int(20, 7), packed(8, [a.value, 0])]
                : a.name === 'direction'
                  ? [str(1, 'direction'), int(20, 3), str(4, String(a.value))]
                  : [str(1, a.name), int(20, 2), int(3, a.value)],
            ),
          ]
        : [];
    nodeBytes.push(
      message(
        1,
        [str(1, first), str(1, 'w'), str(2, output), str(3, `n${k}`), str(4, op), ...attribute],
        forge('node'),
      ),
    );
  }
  if (f.order === 'reversed') nodeBytes.reverse();
  const inputDims = f.inputDims.map((d) => message(1, [typeof d === 'string' ? str(2, d) : int(1, d)]));
  const inputType = message(2, [message(1, [int(1, f.inputType), message(2, inputDims)])]);
  const last = f.order === 'missing output' ? 'never made' : n > 0 ? `v${n - 1}` : 'x';
  const graph = concat([
    ...nodeBytes,
    str(2, 'forged'),
    message(5, [forgedTensor(f.tensor, forge)], forge('initializer')),
    message(11, [str(1, 'x'), inputType], forge('input')),
    message(12, [str(1, last)]),
  ]);
  return concat([
    int(1, 8),
    message(8, [str(1, ''), int(2, f.opset)]),
    str(2, 'fuzz'),
    bytesField(7, graph, forge('graph')),
  ]);
}

/**
 * Inputs for a parsed model: the valid model's own inputs where the names match, otherwise ones
 * made from the declared dims (symbolic or unknown dims are 2; too large ones are left out, so
 * that the run fails with a typed "missing input" error instead of allocating).
 */
function feedsFor(model: OnnxModel, valid: Record<string, NpyArray>): Record<string, OnnxFeed> {
  const feeds: Record<string, OnnxFeed> = {};
  for (const info of model.inputs) {
    const own = valid[info.name];
    if (own) {
      feeds[info.name] = own;
      continue;
    }
    const shape = (info.dims ?? [2]).map((d) => (typeof d === 'number' ? d : 2));
    const size = shape.reduce((a, b) => a * b, 1);
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0 && d <= 64) || size > 4096) continue;
    feeds[info.name] =
      info.type === 'float32' || info.type === 'float64' || info.type === null
        ? { dtype: 'float32', shape, data: new Float32Array(size).fill(0.5) }
        : { dtype: 'int32', shape, data: new Int32Array(size).fill(1) };
  }
  return feeds;
}

describe('fuzzed interop parsers', { timeout: 600_000 }, () => {
  test('npy', () => {
    const valid = new Uint8Array(readFileSync(fixturePath('interop/npy/f32_3d.npy')));
    const parse = (bytes: Uint8Array) => npyToTensor(parseNpy(bytes, 'fuzz.npy'));
    parse(valid);
    fuzz('npy', valid, parse, forgedNpy, 40, {
      // A forged header can be well formed and ask for what npy cannot give (e.g. a dtype we refuse).
      errors: { 'forged headers': ['FormatError', 'ValueError'], other: ['FormatError'] },
      roundTrip: (parsed) => {
        const t = parsed as ReturnType<typeof npyToTensor>;
        const again = npyToTensor(parseNpy(serializeNpy(t), 'again.npy'));
        assert.deepEqual(again.shape, t.shape);
        assert.ok(
          Buffer.from(again.data.buffer, again.data.byteOffset, again.data.byteLength).equals(
            Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
          ),
          'the same bits',
        );
      },
    });
  });

  test('ONNX', () => {
    const torchDir = 'interop/torch/packed_lstm_classifier_lengths';
    const valid = new Uint8Array(readFileSync(fixturePath(`${torchDir}.onnx`)));
    const inputs: Record<string, NpyArray> = {
      tokens: parseNpy(readFileSync(fixturePath(`${torchDir}.in.tokens.npy`))),
      lengths: parseNpy(readFileSync(fixturePath(`${torchDir}.in.lengths.npy`))),
    };
    const forged = forgedOnnxModel.map(encodeForged);
    const parseAndRun = (bytes: Uint8Array) => {
      const model = parseOnnx(bytes, 'fuzz.onnx');
      const feeds = feedsFor(model, inputs);
      model.run(feeds); // float32 Tensors
      model.runArrays(feeds); // typed arrays, int64 as BigInt64Array
    };
    // The valid model parses and runs.
    const probs = parseOnnx(valid, 'fuzz.onnx').run(inputs)['probs']!;
    assert.ok(probs.size > 0);
    // What parses must survive a write and a read: the decoded protobuf, encoded again, decodes to
    // the same message and parses to a model with the same inputs, outputs, opset and metadata.
    const parseKeepingBytes = (bytes: Uint8Array) => ({ bytes, model: parseOnnx(bytes, 'fuzz.onnx') });
    const roundTrip = (parsed: unknown) => {
      const { bytes, model } = parsed as { bytes: Uint8Array; model: OnnxModel };
      const message = decodeModel(bytes, 'fuzz.onnx');
      const again = encodeModel(message);
      // Written again after a read, the message gives the same bytes: nothing read was lost or altered.
      assert.deepStrictEqual(
        encodeModel(decodeModel(again, 'again.onnx')),
        again,
        'the message survives encode and decode',
      );
      const reparsed = parseOnnx(again, 'again.onnx');
      assert.deepStrictEqual(
        [reparsed.inputs, reparsed.outputs, reparsed.opset, reparsed.producer, reparsed.metadata],
        [model.inputs, model.outputs, model.opset, model.producer, model.metadata],
      );
    };
    fuzz('ONNX', valid, parseKeepingBytes, forged, 41, { errors: { other: ['FormatError'] }, roundTrip });
    // Running a graph that parsed checks its values: wrong shapes and values of inputs and attributes.
    fuzz('ONNX (parsed and run)', valid, parseAndRun, forged, 41, {
      errors: {
        'random bytes': ['FormatError'],
        truncations: ['FormatError'],
        other: ['FormatError', 'ValueError', 'ShapeError'],
      },
    });
  });

  test('the failures fuzzing found, one example each', () => {
    // npy: brackets nested 200,000 deep once overflowed the stack.
    const deep = npyFile(
      2,
      `{'descr': '<f4', 'fortran_order': False, 'shape': ${'('.repeat(200_000)}${')'.repeat(200_000)}, }`,
      0,
      null,
    );
    assert.throws(
      () => parseNpy(deep, 'deep.npy'),
      (e: unknown) =>
        e instanceof FormatError && e.file === 'deep.npy' && /nests more than 32 levels deep/.test(e.message),
    );
    // ONNX: an initializer of dims [2^31, 2^31] was allocated before its 4 bytes were checked.
    const base: Omit<ForgedModel, 'tensor'> = {
      opset: 14,
      nodes: 1,
      ops: ['Relu'],
      order: 'file',
      inputType: 1,
      inputDims: [2],
      attribute: null,
      target: 'none',
      declared: 1,
    };
    const small: ForgedTensor = { dataType: 1, dims: [1], data: 'raw', values: [1] };
    const huge = encodeForged({ ...base, tensor: { ...small, dims: [2 ** 31, 2 ** 31] } });
    assert.throws(
      () => parseOnnx(huge, 'huge.onnx'),
      (e: unknown) =>
        e instanceof FormatError &&
        e.file === 'huge.onnx' &&
        /initializer 'w': raw_data holds 8 bytes, shape \[2147483648, 2147483648\]/.test(e.message),
    );
    // ONNX: a length prefix of 2^64 - 1 is a FormatError naming the file, not a protobufjs error.
    const long = encodeForged({ ...base, tensor: small, target: 'graph', declared: 2n ** 64n - 1n });
    assert.throws(
      () => parseOnnx(long, 'long.onnx'),
      (e: unknown) =>
        e instanceof FormatError && e.file === 'long.onnx' && /is not a valid ONNX protobuf/.test(e.message),
    );
    // ONNX: a cycle is named.
    const cycle = encodeForged({ ...base, nodes: 3, order: 'cycle', tensor: small });
    assert.throws(
      () => parseOnnx(cycle, 'cycle.onnx'),
      (e: unknown) => e instanceof FormatError && /the graph has a cycle through node 'n\d' \(Relu\)/.test(e.message),
    );
    // ONNX: an Expand to [2^26 + 1, 3, 7] (5.6 GB) once ran out of memory; now it names the node.
    const b = new GraphBuilder();
    b.input('x', 'float32', [1, 3, 7]);
    const shape = b.constant('shape', arrayFrom('int64', [3], [2 ** 26 + 1, 3, 7]));
    b.output('y', b.op('Expand', ['x', shape], 'expand'), 'float32', null);
    const model = parseOnnx(b.encode({ graphName: 'g', opset: 14 }), 'expand.onnx');
    const x = tensor(new Array(21).fill(1), [1, 3, 7]);
    assert.throws(
      () => model.run({ x }),
      (e: unknown) =>
        e instanceof ValueError &&
        /node 'expand.*' \(Expand\).*float32 value of shape \[67108865, 3, 7\] \(1409286165 elements, 5\.25 GiB\) exceeds the runtime's limit of 1 GiB/.test(
          e.message,
        ),
    );
  });

  test('ONNX: a 30,000-node chain listed backwards is ordered in linear time', () => {
    // The node order once took quadratic time: 40 s for this graph (now about 0.1 s).
    const bytes = encodeForged({
      opset: 14,
      nodes: 30_000,
      ops: ['Relu'],
      order: 'reversed',
      inputType: 1,
      inputDims: [2],
      tensor: { dataType: 1, dims: [1], data: 'raw', values: [1] },
      attribute: null,
      target: 'none',
      declared: 1,
    });
    const start = performance.now();
    const model = parseOnnx(bytes, 'chain.onnx');
    const out = model.run({ x: tensor([-1, 2], [2]) });
    const seconds = (performance.now() - start) / 1000;
    assert.deepEqual([...out['v29999']!.data], [0, 2]);
    assert.ok(seconds < 5, `took ${seconds.toFixed(1)} s`);
  });
});
