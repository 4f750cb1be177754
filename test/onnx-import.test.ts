/**
 * ONNX import and execution: models exported by PyTorch reproduce PyTorch's outputs; hand-built
 * RNN / LSTM / GRU graphs covering every attribute agree with onnxruntime-node (and layout = 1,
 * which ONNX Runtime refuses on CPU, agrees with its layout-0 twin); the other operators agree
 * with onnxruntime-node; malformed models and bad feeds fail with clear errors.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import ort from 'onnxruntime-node';
import { FormatError, Generator, randn, ShapeError, Tensor, ValueError } from '../src/index.js';
import { loadNpy } from '../src/io/npy-file.js';
import type { NpyArray } from '../src/io/npy.js';
import { type AttrValue, GraphBuilder } from '../src/onnx/builder.js';
import { loadOnnx, parseOnnx, supportedOperators } from '../src/onnx/index.js';
import { useGeneralRecurrentPath } from '../src/onnx/ops/recurrent.js';
import { arrayFrom, type ElemType, int64s, makeArray } from '../src/onnx/values.js';
import { assertClose, fixturePath, readFixture } from './helpers.js';

interface TorchCase {
  file: string;
  opset: number;
  operators: string[];
  inputs: Record<string, string>;
  outputs: Record<string, string>;
}

interface GraphCase {
  file: string;
  op: string;
  attributes: Record<string, unknown>;
  inputs: Record<string, string>;
  twin?: string;
  transposeInputs?: Record<string, number[]>;
  transposeOutputs?: Record<string, number[]>;
}

const manifest = readFixture<{
  torch: Record<string, TorchCase>;
  graphs: Record<string, GraphCase>;
  unsupported: { file: string; op: string; node: string };
}>('interop/manifest.json');
const interop = (file: string) => fixturePath(`interop/${file}`);

const toOrt = (a: NpyArray): ort.Tensor => new ort.Tensor(a.dtype, a.data, a.shape);
const fromOrt = (t: ort.Tensor): Tensor => new Tensor(Float32Array.from(t.data as Float32Array), t.dims as number[]);

function transposeNpy(a: NpyArray, perm: number[]): NpyArray {
  const shape = perm.map((p) => a.shape[p]!);
  const strides = a.shape.map((_, i) => a.shape.slice(i + 1).reduce((x, y) => x * y, 1));
  const out = new Float32Array(a.data.length);
  const outStrides = shape.map((_, i) => shape.slice(i + 1).reduce((x, y) => x * y, 1));
  for (let flat = 0; flat < out.length; flat++) {
    let rest = flat;
    let at = 0;
    for (let d = 0; d < shape.length; d++) {
      const c = Math.floor(rest / outStrides[d]!);
      rest -= c * outStrides[d]!;
      at += c * strides[perm[d]!]!;
    }
    out[flat] = Number(a.data[at]);
  }
  return { dtype: 'float32', shape, data: out };
}

describe('ONNX import: models exported by PyTorch', () => {
  for (const [name, c] of Object.entries(manifest.torch)) {
    test(`${name} (opset ${c.opset}: ${c.operators.join(', ')})`, () => {
      const model = loadOnnx(interop(c.file));
      const feeds = Object.fromEntries(Object.entries(c.inputs).map(([k, f]) => [k, loadNpy(interop(f))]));
      const out = model.run(feeds);
      for (const [k, f] of Object.entries(c.outputs)) {
        const expected = loadNpy(interop(f));
        assertClose(out[k]!, new Tensor(expected.data as Float32Array, expected.shape), `${name} ${k}`);
      }
    });
  }

  test('every operator of the PyTorch exports is supported', () => {
    const supported = new Set(supportedOperators());
    const used = new Set(Object.values(manifest.torch).flatMap((c) => c.operators));
    assert.deepEqual(
      [...used].filter((op) => !supported.has(op)),
      [],
    );
    for (const op of [
      'RNN',
      'LSTM',
      'GRU',
      'Gemm',
      'MatMul',
      'Add',
      'Sub',
      'Mul',
      'Div',
      'Tanh',
      'Sigmoid',
      'Relu',
      'Softmax',
      'LogSoftmax',
      'Transpose',
      'Reshape',
      'Squeeze',
      'Unsqueeze',
      'Concat',
      'Slice',
      'Gather',
      'Shape',
      'Constant',
      'ConstantOfShape',
      'Expand',
      'Identity',
      'Cast',
      'Range',
      'Where',
      'Equal',
    ]) {
      assert.ok(supported.has(op), op);
    }
  });

  test('the general reference path agrees with the fused kernels on every fixture', () => {
    const all = [...Object.values(manifest.torch), ...Object.values(manifest.graphs)];
    for (const c of all) {
      const model = loadOnnx(interop(c.file));
      const feeds = Object.fromEntries(Object.entries(c.inputs).map(([k, f]) => [k, loadNpy(interop(f))]));
      const fused = model.run(feeds);
      useGeneralRecurrentPath(true);
      let general: Record<string, Tensor>;
      try {
        general = model.run(feeds);
      } finally {
        useGeneralRecurrentPath(false);
      }
      for (const [k, v] of Object.entries(fused)) assertClose(general[k]!, v, `${c.file} ${k} (general vs fused)`);
    }
  });

  test('dynamic axes: the exported classifier runs on another batch and length', () => {
    const c = manifest.torch['classifier_embedding_lstm_linear']!;
    const model = loadOnnx(interop(c.file));
    const tokens: NpyArray = {
      dtype: 'int64',
      shape: [2, 9],
      data: BigInt64Array.from({ length: 18 }, (_, i) => BigInt(1 + (i % 11))),
    };
    const { log_probs: out } = model.run({ tokens });
    assert.deepEqual(out!.shape, [2, 4]);
    for (let b = 0; b < 2; b++)
      assert.ok(Math.abs(out!.data.slice(b * 4, b * 4 + 4).reduce((s, v) => s + Math.exp(v), 0) - 1) < 1e-5);
  });
});

describe('ONNX import: RNN / LSTM / GRU attributes against onnxruntime-node', () => {
  const sessions = new Map<string, Promise<ort.InferenceSession>>();
  const session = (file: string) => {
    // Log level 4 (fatal only): the layout-1 sessions are refused on purpose.
    if (!sessions.has(file)) sessions.set(file, ort.InferenceSession.create(interop(file), { logSeverityLevel: 4 }));
    return sessions.get(file)!;
  };
  for (const [name, c] of Object.entries(manifest.graphs)) {
    const attrs = Object.entries(c.attributes)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(' ');
    test(`${name}: ${c.op} ${attrs}`, async () => {
      const feeds = Object.fromEntries(Object.entries(c.inputs).map(([k, f]) => [k, loadNpy(interop(f))]));
      const ours = loadOnnx(interop(c.file)).run(feeds);
      if (!c.twin) {
        const reference = await (await session(c.file)).run(
          Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toOrt(v)])),
        );
        assert.deepEqual(Object.keys(ours).sort(), Object.keys(reference).sort());
        for (const [k, v] of Object.entries(reference)) assertClose(ours[k]!, fromOrt(v), `${name} ${k}`);
        return;
      }
      // layout = 1: ONNX Runtime's CPU kernels refuse it; compare with the layout-0 twin run on transposed inputs.
      await assert.rejects(
        async () =>
          (await session(c.file)).run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toOrt(v)]))),
        /layout|Layout|batchwise/i,
        'ONNX Runtime still refuses layout=1 on CPU',
      );
      const twin = manifest.graphs[c.twin]!;
      const twinFeeds = Object.fromEntries(
        Object.entries(feeds).map(([k, v]) => [k, c.transposeInputs![k] ? transposeNpy(v, c.transposeInputs![k]!) : v]),
      );
      for (const [k, v] of Object.entries(twinFeeds)) {
        const stored = loadNpy(interop(twin.inputs[k]!));
        assert.deepEqual(
          Array.from(stored.data as ArrayLike<number>),
          Array.from(v.data as ArrayLike<number>),
          `${k}: the twin's data is the transposed data`,
        );
      }
      const reference = await (await session(twin.file)).run(
        Object.fromEntries(Object.entries(twinFeeds).map(([k, v]) => [k, toOrt(v)])),
      );
      for (const [k, v] of Object.entries(reference)) {
        const t = fromOrt(v);
        const back = transposeNpy({ dtype: 'float32', shape: [...t.shape], data: t.data }, c.transposeOutputs![k]!);
        assertClose(ours[k]!, new Tensor(back.data as Float32Array, back.shape), `${name} ${k} (vs layout-0 twin)`);
      }
    });
  }
});

/** A one-node (or few-node) graph on float inputs, run in onnxruntime-node and in ours. */
interface OpCase {
  label: string;
  inputs: Record<string, { type?: ElemType; shape: number[]; values?: number[] }>;
  build: (b: GraphBuilder) => { value: string; type: ElemType }[];
  opset?: number;
}

const g = new Generator(5);
const values = (shape: number[]) => Array.from(randn(shape, { generator: g }).data);

function op(
  b: GraphBuilder,
  name: string,
  inputs: string[],
  attrs: Record<string, AttrValue> = {},
  count = 1,
): string[] {
  return b.node(name, inputs, name.toLowerCase(), attrs, count);
}

const opCases: OpCase[] = [
  {
    label: 'Add/Sub/Mul/Div with broadcasting',
    inputs: { a: { shape: [2, 3, 4] }, b: { shape: [3, 1] } },
    build: (b) =>
      ['Add', 'Sub', 'Mul', 'Div'].map((o) => ({ value: op(b, o, ['a', 'b'])[0]!, type: 'float32' as const })),
  },
  {
    label: 'Pow, Max, Min, Sum, Mean',
    inputs: { a: { shape: [2, 3], values: [0.5, 1, 1.5, 2, 2.5, 3] }, b: { shape: [3] } },
    build: (b) =>
      ['Pow', 'Max', 'Min', 'Sum', 'Mean'].map((o) => ({ value: op(b, o, ['a', 'b'])[0]!, type: 'float32' as const })),
  },
  {
    label: 'unary activations',
    inputs: { x: { shape: [3, 4] } },
    build: (b) =>
      ['Tanh', 'Sigmoid', 'Relu', 'Neg', 'Abs', 'Exp', 'Softplus', 'Softsign', 'Erf', 'Floor', 'Ceil', 'Sign'].map(
        (o) => ({ value: op(b, o, ['x'])[0]!, type: 'float32' as const }),
      ),
  },
  {
    label: 'parameterised activations',
    inputs: { x: { shape: [3, 4] } },
    build: (b) =>
      [
        op(b, 'Elu', ['x'], { alpha: { f: 0.7 } })[0]!,
        op(b, 'LeakyRelu', ['x'], { alpha: { f: 0.2 } })[0]!,
        op(b, 'HardSigmoid', ['x'])[0]!,
        op(b, 'Selu', ['x'])[0]!,
        op(b, 'ThresholdedRelu', ['x'], { alpha: { f: 0.3 } })[0]!,
      ].map((value) => ({ value, type: 'float32' as const })),
  },
  {
    label: 'Softmax and LogSoftmax on several axes (opset 13)',
    inputs: { x: { shape: [2, 3, 4] } },
    build: (b) =>
      [0, 1, -1]
        .flatMap((axis) => [
          op(b, 'Softmax', ['x'], { axis: { i: axis } })[0]!,
          op(b, 'LogSoftmax', ['x'], { axis: { i: axis } })[0]!,
        ])
        .map((value) => ({ value, type: 'float32' as const })),
  },
  {
    label: 'Softmax opset 11 (flattened at axis)',
    opset: 11,
    inputs: { x: { shape: [2, 3, 4] } },
    build: (b) => [{ value: op(b, 'Softmax', ['x'], { axis: { i: 1 } })[0]!, type: 'float32' as const }],
  },
  {
    label: 'MatMul with batch broadcasting and vectors',
    inputs: { a: { shape: [2, 1, 3, 4] }, b: { shape: [3, 4, 5] }, v: { shape: [4] } },
    build: (b) =>
      [op(b, 'MatMul', ['a', 'b'])[0]!, op(b, 'MatMul', ['v', 'b'])[0]!, op(b, 'MatMul', ['a', 'v'])[0]!].map(
        (value) => ({ value, type: 'float32' as const }),
      ),
  },
  {
    label: 'Gemm with transA, transB, alpha, beta and a broadcast C',
    inputs: { a: { shape: [4, 3] }, b: { shape: [5, 4] }, c: { shape: [5] } },
    build: (b) => [
      {
        value: op(b, 'Gemm', ['a', 'b', 'c'], {
          transA: { i: 1 },
          transB: { i: 1 },
          alpha: { f: 0.5 },
          beta: { f: 2 },
        })[0]!,
        type: 'float32' as const,
      },
    ],
  },
  {
    label: 'Reduce* with axes input and attribute, keepdims',
    inputs: { x: { shape: [2, 3, 4] } },
    build: (b) =>
      [
        op(b, 'ReduceSum', ['x', b.constant('ax', int64s([1, -1]))], { keepdims: { i: 0 } })[0]!,
        op(b, 'ReduceSum', ['x'])[0]!,
        op(b, 'ReduceMean', ['x'], { axes: { ints: [0] } })[0]!,
        op(b, 'ReduceMax', ['x'], { axes: { ints: [2] }, keepdims: { i: 0 } })[0]!,
        op(b, 'ReduceMin', ['x'], { axes: { ints: [1] } })[0]!,
        op(b, 'ReduceProd', ['x'], { axes: { ints: [2] } })[0]!,
        op(b, 'ReduceL2', ['x'], { axes: { ints: [2] } })[0]!,
        op(b, 'ReduceLogSumExp', ['x'], { axes: { ints: [0, 2] } })[0]!,
      ].map((value) => ({ value, type: 'float32' as const })),
  },
  {
    label: 'ArgMax, ArgMin, TopK (largest and smallest)',
    inputs: { x: { shape: [3, 5] } },
    build: (b) => {
      const [v1, i1] = op(b, 'TopK', ['x', b.constant('k', int64s([2]))], { axis: { i: 1 } }, 2);
      const [v2, i2] = op(b, 'TopK', ['x', b.constant('k', int64s([2]))], { axis: { i: 0 }, largest: { i: 0 } }, 2);
      return [
        { value: op(b, 'ArgMax', ['x'], { axis: { i: 1 } })[0]!, type: 'int64' as const },
        { value: op(b, 'ArgMin', ['x'], { axis: { i: 0 }, keepdims: { i: 0 } })[0]!, type: 'int64' as const },
        { value: v1!, type: 'float32' as const },
        { value: i1!, type: 'int64' as const },
        { value: v2!, type: 'float32' as const },
        { value: i2!, type: 'int64' as const },
      ];
    },
  },
  {
    label: 'Slice with negative starts, steps and axes',
    inputs: { x: { shape: [4, 5, 3] } },
    build: (b) =>
      [
        op(b, 'Slice', [
          'x',
          b.constant('s', int64s([-1, 1])),
          b.constant('e', int64s([-100, 4])),
          b.constant('a', int64s([1, 0])),
          b.constant('st', int64s([-2, 2])),
        ])[0]!,
        op(b, 'Slice', ['x', b.constant('s', int64s([1])), b.constant('e', int64s([9223372036854775807]))])[0]!,
      ].map((value) => ({ value, type: 'float32' as const })),
  },
  {
    label: 'Transpose, Reshape (0 and -1), Flatten, Squeeze, Unsqueeze',
    inputs: { x: { shape: [2, 1, 3, 4] } },
    build: (b) =>
      [
        op(b, 'Transpose', ['x'], { perm: { ints: [3, 0, 2, 1] } })[0]!,
        op(b, 'Reshape', ['x', b.constant('sh', int64s([0, -1, 2]))])[0]!,
        op(b, 'Flatten', ['x'], { axis: { i: 2 } })[0]!,
        op(b, 'Squeeze', ['x', b.constant('ax', int64s([1]))])[0]!,
        op(b, 'Unsqueeze', ['x', b.constant('ax', int64s([0, -1]))])[0]!,
      ].map((value) => ({ value, type: 'float32' as const })),
  },
  {
    label: 'opset 9 forms: Slice, Squeeze, Unsqueeze with attributes',
    opset: 9,
    inputs: { x: { shape: [3, 1, 4] } },
    build: (b) =>
      [
        op(b, 'Slice', ['x'], { starts: { ints: [1, -3] }, ends: { ints: [3, 100] }, axes: { ints: [0, 2] } })[0]!,
        op(b, 'Squeeze', ['x'], { axes: { ints: [1] } })[0]!,
        op(b, 'Unsqueeze', ['x'], { axes: { ints: [0, 4] } })[0]!,
      ].map((value) => ({ value, type: 'float32' as const })),
  },
  {
    label: 'opset 11 forms: ReduceSum and Split with attributes',
    opset: 11,
    inputs: { x: { shape: [2, 5] } },
    build: (b) =>
      [
        op(b, 'ReduceSum', ['x'], { axes: { ints: [1] }, keepdims: { i: 0 } })[0]!,
        ...op(b, 'Split', ['x'], { axis: { i: 1 }, split: { ints: [2, 3] } }, 2),
      ].map((value) => ({ value, type: 'float32' as const })),
  },
  {
    label: 'Concat, Split (sizes and equal), Tile, Expand',
    inputs: { x: { shape: [2, 6] }, y: { shape: [2, 1] } },
    build: (b) => {
      const parts = op(b, 'Split', ['x', b.constant('sizes', int64s([1, 2, 3]))], { axis: { i: 1 } }, 3);
      const halves = op(b, 'Split', ['x'], { axis: { i: 1 } }, 2);
      return [
        op(b, 'Concat', ['x', 'y', 'y'], { axis: { i: -1 } })[0]!,
        ...parts,
        ...halves,
        op(b, 'Tile', ['y', b.constant('rep', int64s([2, 3]))])[0]!,
        op(b, 'Expand', ['y', b.constant('to', int64s([3, 2, 4]))])[0]!,
      ].map((value) => ({ value, type: 'float32' as const }));
    },
  },
  {
    label: 'Gather (negative indices), GatherElements, ScatterElements',
    inputs: { x: { shape: [4, 3] } },
    build: (b) => {
      const idx = b.constant('idx', arrayFrom('int64', [2, 2], [0, -1, 2, 1]));
      const el = b.constant('el', arrayFrom('int64', [2, 3], [3, 0, 1, 2, 2, 0]));
      const upd = b.constant('upd', arrayFrom('float32', [2, 3], [10, 20, 30, 40, 50, 60]));
      return [
        op(b, 'Gather', ['x', idx], { axis: { i: 0 } })[0]!,
        op(b, 'Gather', ['x', idx], { axis: { i: 1 } })[0]!,
        op(b, 'GatherElements', ['x', el], { axis: { i: 0 } })[0]!,
        op(b, 'ScatterElements', ['x', el, upd], { axis: { i: 0 } })[0]!,
      ].map((value) => ({ value, type: 'float32' as const }));
    },
  },
  {
    label: 'Shape (start/end), Size, ConstantOfShape, Range, Cast, Equal, Less, Where, Not, Clip',
    inputs: { x: { shape: [2, 3, 4] } },
    opset: 15,
    build: (b) => {
      const shape = op(b, 'Shape', ['x'], { start: { i: 1 } })[0]!;
      const full = op(b, 'ConstantOfShape', [shape], { value: { t: arrayFrom('float32', [1], [0.5]) } })[0]!;
      const range = op(b, 'Range', [
        b.constant('s', arrayFrom('float32', [], [1])),
        b.constant('l', arrayFrom('float32', [], [4])),
        b.constant('d', arrayFrom('float32', [], [0.75])),
      ])[0]!;
      const asInt = op(b, 'Cast', ['x'], { to: { i: 7 } })[0]!;
      const positive = op(b, 'Less', [b.constant('zero', arrayFrom('float32', [], [0])), 'x'])[0]!;
      const equal = op(b, 'Equal', [asInt, b.constant('zi', arrayFrom('int64', [], [0]))])[0]!;
      return [
        { value: shape, type: 'int64' as const },
        { value: op(b, 'Size', ['x'])[0]!, type: 'int64' as const },
        { value: full, type: 'float32' as const },
        { value: range, type: 'float32' as const },
        { value: asInt, type: 'int64' as const },
        { value: op(b, 'Cast', [positive], { to: { i: 1 } })[0]!, type: 'float32' as const },
        { value: op(b, 'Cast', [op(b, 'Not', [equal])[0]!], { to: { i: 6 } })[0]!, type: 'int32' as const },
        { value: op(b, 'Where', [positive, 'x', full])[0]!, type: 'float32' as const },
        {
          value: op(b, 'Clip', [
            'x',
            b.constant('lo', arrayFrom('float32', [], [-0.5])),
            b.constant('hi', arrayFrom('float32', [], [0.3])),
          ])[0]!,
          type: 'float32' as const,
        },
      ];
    },
  },
];

describe('ONNX import: the other operators against onnxruntime-node', () => {
  for (const c of opCases) {
    test(c.label, async () => {
      const b = new GraphBuilder();
      const feeds: Record<string, NpyArray> = {};
      for (const [name, spec] of Object.entries(c.inputs)) {
        b.input(name, 'float32', spec.shape);
        feeds[name] = {
          dtype: 'float32',
          shape: spec.shape,
          data: Float32Array.from(spec.values ?? values(spec.shape)),
        };
      }
      const outputs = c.build(b);
      outputs.forEach((o, k) => b.output(`out${k}`, o.value, o.type, null));
      const bytes = b.encode({ graphName: 'ops', opset: c.opset ?? 14 });
      const reference = await (await ort.InferenceSession.create(bytes)).run(
        Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toOrt(v)])),
      );
      const ours = parseOnnx(bytes).runArrays(feeds);
      for (const [k, v] of Object.entries(reference)) {
        const mine = ours[k]!;
        assert.deepEqual(mine.shape, v.dims, `${k}: shape`);
        const expectedType = v.type === 'float32' ? 'float32' : v.type === 'int64' ? 'int64' : 'int32';
        assert.equal(mine.dtype, expectedType, `${k}: dtype`);
        if (mine.dtype === 'float32') assertClose(mine.data, Array.from(v.data as Float32Array), `${c.label} ${k}`);
        else
          assert.deepEqual(
            Array.from(mine.data as ArrayLike<number | bigint>, Number),
            Array.from(v.data as ArrayLike<number | bigint>, Number),
            `${c.label} ${k}`,
          );
      }
    });
  }
});

describe('ONNX import: errors', () => {
  test('an unsupported operator fails at load, naming the operator and the node', () => {
    const u = manifest.unsupported;
    const file = interop(u.file);
    assert.throws(
      () => loadOnnx(file),
      (e: unknown) =>
        e instanceof FormatError &&
        e.file === file &&
        e.message.includes(`operator '${u.op}'`) &&
        e.message.includes(`node '${u.node}'`),
    );
  });

  test('bytes that are not ONNX, and a missing file', () => {
    assert.throws(
      () => parseOnnx(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]), 'junk.onnx'),
      (e: unknown) => e instanceof FormatError && e.file === 'junk.onnx' && /not a valid ONNX protobuf/.test(e.message),
    );
    assert.throws(() => loadOnnx('/nonexistent/model.onnx'), /cannot be read \(ENOENT\)/);
  });

  const lstmGraph = (attrs: Record<string, AttrValue>) => {
    const b = new GraphBuilder();
    b.input('X', 'float32', ['time', 'batch', 2]);
    const W = b.constant('W', makeArray('float32', [1, 9, 2], Float32Array.from(values([18]))));
    const R = b.constant('R', makeArray('float32', [1, 9, 3], Float32Array.from(values([27]))));
    const [y] = b.node('GRU', ['X', W, R], 'gru', { hidden_size: { i: 3 }, ...attrs }, 2);
    b.output('Y', y!, 'float32', ['time', 1, 'batch', 3]);
    return parseOnnx(b.encode({ graphName: 'g', opset: 14 }), 'gru.onnx');
  };

  test('activation defaults follow the ONNX operators: ThresholdedRelu 1, Affine 1/0, ScaledTanh 1/1', () => {
    const rnn = (activation: string, alpha: number[] | null, beta: number[] | null) => {
      const b = new GraphBuilder();
      b.input('X', 'float32', [3, 2, 2]);
      const gen = new Generator(8);
      const W = b.constant(
        'W',
        makeArray('float32', [1, 3, 2], Float32Array.from(randn([6], { generator: gen }).data)),
      );
      const R = b.constant(
        'R',
        makeArray('float32', [1, 3, 3], Float32Array.from(randn([9], { generator: gen }).data)),
      );
      const attrs: Record<string, AttrValue> = { hidden_size: { i: 3 }, activations: { strings: [activation] } };
      if (alpha) attrs['activation_alpha'] = { floats: alpha };
      if (beta) attrs['activation_beta'] = { floats: beta };
      const [y] = b.node('RNN', ['X', W, R], 'rnn', attrs, 2);
      b.output('Y', y!, 'float32', null);
      return parseOnnx(b.encode({ graphName: 'g', opset: 14 })).run({
        X: randn([3, 2, 2], { generator: new Generator(9) }),
      })['Y']!;
    };
    for (const [act, alpha, beta] of [
      ['ThresholdedRelu', [1], null],
      ['Affine', [1], [0]],
      ['ScaledTanh', [1], [1]],
    ] as const) {
      const implicit = rnn(act, null, null);
      assert.deepEqual(implicit.data, rnn(act, [...alpha], beta ? [...beta] : null).data, act);
      assert.notDeepEqual(implicit.data, rnn(act, [0.5], beta ? [2] : null).data, `${act}: the parameters matter`);
    }
  });

  test('bad attributes are named', () => {
    const x = randn([3, 2, 2]);
    assert.throws(
      () => lstmGraph({ direction: { s: 'sideways' } }).run({ X: x }),
      (e: unknown) =>
        e instanceof FormatError &&
        /direction must be forward, reverse or bidirectional, got 'sideways'/.test(e.message) &&
        /node 'gru\/GRU'/.test(e.message),
    );
    assert.throws(
      () => lstmGraph({ activations: { strings: ['Sigmoid', 'Swish'] } }).run({ X: x }),
      /activation 'Swish' is not one of/,
    );
    assert.throws(
      () => lstmGraph({ activations: { strings: ['Sigmoid'] } }).run({ X: x }),
      /activations lists 1 functions, expected 2/,
    );
    assert.doesNotThrow(() => lstmGraph({}).run({ X: x }));
  });

  test('feeds: missing, unknown, wrong rank, wrong dim, inconsistent symbolic dims, non-integer ids', () => {
    const m = loadOnnx(interop(manifest.torch['packed_gru_bidir_lengths']!.file));
    // PyTorch traced the zero initial state with the example's batch (4): batch stays 4, time may change.
    const x = randn([4, 3, 4]);
    const lengths: NpyArray = { dtype: 'int64', shape: [4], data: BigInt64Array.of(3n, 2n, 1n, 3n) };
    assert.throws(
      () => m.run({ x }),
      (e: unknown) => e instanceof ValueError && /input 'lengths' is missing/.test(e.message),
    );
    assert.throws(() => m.run({ x, lengths, extra: x }), /'extra' is not an input of the model \(inputs: x, lengths\)/);
    assert.throws(
      () => m.run({ x: randn([4, 3]), lengths }),
      (e: unknown) => e instanceof ShapeError && /rank/.test(e.message),
    );
    assert.throws(() => m.run({ x: randn([4, 3, 5]), lengths }), /dim 2 is 5, expected 4/);
    assert.throws(
      () => m.run({ x, lengths: { dtype: 'int64', shape: [2], data: BigInt64Array.of(1n, 2n) } }),
      /dim 0 \('batch'\) is 2, expected 4 \(as in input 'x'\)/,
    );
    assert.throws(
      () => m.run({ x, lengths: new Tensor(Float32Array.of(1.5, 2, 3, 1), [4]) }),
      /expects int64 values, but element 0 is 1.5/,
    );
    // A Tensor of whole numbers, or a plain Int32Array / BigInt64Array, is accepted for an int64 input.
    const reference = m.run({ x, lengths })['output']!;
    for (const alt of [
      new Tensor(Float32Array.of(3, 2, 1, 3), [4]),
      Int32Array.of(3, 2, 1, 3),
      BigInt64Array.of(3n, 2n, 1n, 3n),
    ]) {
      assert.deepEqual(m.run({ x, lengths: alt })['output']!.data, reference.data);
    }
    assert.throws(() => m.run({ x, lengths: [3, 2, 1, 3] as never }), /must be a Tensor, an npy array/);
  });

  test('sequence_lens outside [0, T] is refused, naming the node', () => {
    const c = manifest.graphs['gru_lbr0_reverse_lens_h0']!;
    const feeds = Object.fromEntries(Object.entries(c.inputs).map(([k, f]) => [k, loadNpy(interop(f))]));
    feeds['sequence_lens'] = { dtype: 'int32', shape: [3], data: Int32Array.of(1, 9, 2) };
    assert.throws(
      () => loadOnnx(interop(c.file)).run(feeds),
      /sequence_lens\[1\] is 9, expected an integer in \[0, 4\]/,
    );
  });
});
