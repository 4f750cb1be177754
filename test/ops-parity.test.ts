/**
 * PyTorch parity of the tensor ops and the small modules: every case in
 * fixtures/ops-parity.v1.json (written by scripts/fixtures/gen_ops_parity.py from torch) must
 * give the same outputs (float within 1e-5 absolute + 1e-4 relative, integer exactly) and the
 * same gradients of `loss = sum over float outputs o of sum(o * outputWeights[o])` with respect
 * to every input that requires grad and every module parameter.
 *
 * The fixture names ops and arguments in our API's terms; OPS below maps each op name to our call.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  concat,
  div,
  nn,
  packPaddedSequence,
  padPackedSequence,
  stack,
  sub,
  type Tensor,
  where,
  zeros,
} from '../src/index.js';
import { type ArrayFixture, assertClose, fromFixture, readFixture } from './helpers.js';

type Args = Record<string, unknown>;

interface Case {
  name: string;
  /** Our op or module name, a key of OPS. */
  op: string;
  /** Arguments in our API's terms (null = not given). */
  args: Args;
  /** The PyTorch expression that produced the case (documentation only). */
  torch: string;
  /** Input tensors by name; index tensors and 0/1 masks hold integers stored as floats. */
  inputs: Record<string, ArrayFixture>;
  /** Inputs created with requiresGrad (each has an entry in `grads`). */
  requiresGrad: string[];
  /** Module parameters with PyTorch names, or null for plain ops. */
  params: Record<string, ArrayFixture> | null;
  outputs: Record<string, ArrayFixture>;
  intOutputs: Record<string, ArrayFixture>;
  outputWeights: Record<string, ArrayFixture>;
  grads: Record<string, ArrayFixture>;
  paramGrads: Record<string, ArrayFixture> | null;
}

interface Fixture {
  version: number;
  generator: string;
  torch: string;
  cases: Case[];
}

/** What running one case gives: float outputs (in the loss), integer outputs, the module used. */
interface Run {
  outputs: Record<string, Tensor>;
  ints?: Record<string, ArrayLike<number>>;
  module?: nn.Module;
}

type Inputs = Record<string, Tensor>;
type OpFn = (x: Inputs, args: Args, c: Case) => Run;

// ------------------------------------------------------------------ argument accessors

function arg(args: Args, key: string): unknown {
  if (!(key in args)) throw new Error(`fixture args lack '${key}'`);
  return args[key];
}

function num(args: Args, key: string): number {
  const v = arg(args, key);
  if (typeof v !== 'number') throw new Error(`arg '${key}': expected a number, got ${JSON.stringify(v)}`);
  return v;
}

/** A number, or undefined where the fixture holds null. */
function optNum(args: Args, key: string): number | undefined {
  return arg(args, key) === null ? undefined : num(args, key);
}

function nums(args: Args, key: string): number[] {
  const v = arg(args, key);
  if (!Array.isArray(v) || v.some((e) => typeof e !== 'number'))
    throw new Error(`arg '${key}': expected numbers, got ${JSON.stringify(v)}`);
  return v as number[];
}

/** A number or a list of numbers, or undefined where the fixture holds null. */
function optDims(args: Args, key: string): number | number[] | undefined {
  const v = arg(args, key);
  return v === null ? undefined : typeof v === 'number' ? v : nums(args, key);
}

function bool(args: Args, key: string): boolean {
  const v = arg(args, key);
  if (typeof v !== 'boolean') throw new Error(`arg '${key}': expected a boolean, got ${JSON.stringify(v)}`);
  return v;
}

function input(x: Inputs, key: string): Tensor {
  const t = x[key];
  if (!t) throw new Error(`fixture inputs lack '${key}'`);
  return t;
}

/** Inputs x0, x1, ... in numeric order (concat, stack). */
function numbered(x: Inputs): Tensor[] {
  return Object.keys(x)
    .filter((k) => /^x\d+$/.test(k))
    .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))
    .map((k) => x[k]!);
}

const out = (t: Tensor): Run => ({ outputs: { out: t } });

/** Loads the case's PyTorch parameters into a fresh module (names must match exactly). */
function loaded<M extends nn.Module>(module: M, c: Case): M {
  assert.ok(c.params, 'module case without params');
  assert.deepEqual(
    module.namedParameters().map(([n]) => n),
    Object.keys(c.params),
    'parameter names and order',
  );
  module.loadStateDict(Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, fromFixture(v)])));
  return module;
}

// ------------------------------------------------------------------ dispatch

type Binary = 'add' | 'sub' | 'mul' | 'div';

/** Tensor op tensor (method form), tensor op number (method form), number op tensor (functional). */
function binary(kind: Binary): OpFn {
  const method = (a: Tensor, b: Tensor | number): Tensor => a[kind](b);
  const numberFirst: Partial<Record<Binary, (a: number, b: Tensor) => Tensor>> = { sub, div };
  return (x, args) => {
    if (!('number' in args)) return out(method(input(x, 'a'), input(x, 'b')));
    const n = num(args, 'number');
    if (!bool(args, 'numberFirst')) return out(method(input(x, 'x'), n));
    const fn = numberFirst[kind];
    if (!fn) throw new Error(`no number-first form wired for ${kind}`);
    return out(fn(n, input(x, 'x')));
  };
}

const unary =
  (fn: (t: Tensor) => Tensor): OpFn =>
  (x) =>
    out(fn(input(x, 'x')));

function cellOptions(args: Args): { inputSize: number; hiddenSize: number; bias: boolean } {
  return { inputSize: num(args, 'inputSize'), hiddenSize: num(args, 'hiddenSize'), bias: bool(args, 'bias') };
}

const OPS: Record<string, OpFn> = {
  add: binary('add'),
  sub: binary('sub'),
  mul: binary('mul'),
  div: binary('div'),
  mulSelf: unary((t) => t.mul(t)),
  neg: unary((t) => t.neg()),
  exp: unary((t) => t.exp()),
  log: unary((t) => t.log()),
  sqrt: unary((t) => t.sqrt()),
  abs: unary((t) => t.abs()),
  tanh: unary((t) => t.tanh()),
  sigmoid: unary((t) => t.sigmoid()),
  relu: unary((t) => t.relu()),
  pow: (x, a) => out(input(x, 'x').pow(num(a, 'exponent'))),
  clamp: (x, a) => out(input(x, 'x').clamp(optNum(a, 'min'), optNum(a, 'max'))),
  matmul: (x) => out(input(x, 'a').matmul(input(x, 'b'))),
  sum: (x, a) => out(input(x, 'x').sum(optDims(a, 'dims'), bool(a, 'keepDim'))),
  mean: (x, a) => out(input(x, 'x').mean(optDims(a, 'dims'), bool(a, 'keepDim'))),
  max: (x, a) => out(input(x, 'x').max(num(a, 'dim'), bool(a, 'keepDim'))),
  softmax: (x, a) => out(input(x, 'x').softmax(num(a, 'dim'))),
  logSoftmax: (x, a) => out(input(x, 'x').logSoftmax(num(a, 'dim'))),
  reshape: (x, a) => out(input(x, 'x').reshape(nums(a, 'shape'))),
  permute: (x, a) => out(input(x, 'x').permute(nums(a, 'dims'))),
  transpose: (x, a) => out(input(x, 'x').transpose(num(a, 'dim0'), num(a, 'dim1'))),
  slice: (x, a) => out(input(x, 'x').slice(num(a, 'dim'), num(a, 'start'), optNum(a, 'end'))),
  select: (x, a) => out(input(x, 'x').select(num(a, 'dim'), num(a, 'index'))),
  unsqueeze: (x, a) => out(input(x, 'x').unsqueeze(num(a, 'dim'))),
  squeeze: (x, a) => out(input(x, 'x').squeeze(optNum(a, 'dim'))),
  expand: (x, a) => out(input(x, 'x').expand(nums(a, 'shape'))),
  concat: (x, a) => out(concat(numbered(x), num(a, 'dim'))),
  stack: (x, a) => out(stack(numbered(x), num(a, 'dim'))),
  indexSelect: (x, a) => out(input(x, 'x').indexSelect(num(a, 'dim'), nums(a, 'indices'))),
  gather: (x, a) => out(input(x, 'x').gather(num(a, 'dim'), input(x, 'index'))),
  maskedFill: (x, a) => out(input(x, 'x').maskedFill(input(x, 'mask'), num(a, 'value'))),
  where: (x, a) => out(where(input(x, 'cond'), input(x, 'a'), 'bNumber' in a ? num(a, 'bNumber') : input(x, 'b'))),

  Linear: (x, a, c) => {
    const m = loaded(
      new nn.Linear({ inFeatures: num(a, 'inFeatures'), outFeatures: num(a, 'outFeatures'), bias: bool(a, 'bias') }),
      c,
    );
    return { outputs: { out: m.forward(input(x, 'x')) }, module: m };
  },
  Embedding: (x, a, c) => {
    const paddingIdx = optNum(a, 'paddingIdx');
    const options = {
      numEmbeddings: num(a, 'numEmbeddings'),
      embeddingDim: num(a, 'embeddingDim'),
      ...(paddingIdx !== undefined && { paddingIdx }),
    };
    const m = loaded(new nn.Embedding(options), c);
    return { outputs: { out: m.forward(input(x, 'indices')) }, module: m };
  },
  RNNCell: (x, a, c) => {
    const nonlinearity = arg(a, 'nonlinearity');
    assert.ok(nonlinearity === 'tanh' || nonlinearity === 'relu', `nonlinearity ${String(nonlinearity)}`);
    const m = loaded(new nn.RNNCell({ ...cellOptions(a), nonlinearity }), c);
    return { outputs: { h: m.forward(input(x, 'x'), x.h) }, module: m };
  },
  LSTMCell: (x, a, c) => {
    const m = loaded(new nn.LSTMCell(cellOptions(a)), c);
    const state = x.h ? { h: x.h, c: input(x, 'c') } : undefined;
    const { h, c: cell } = m.forward(input(x, 'x'), state);
    return { outputs: { h, c: cell }, module: m };
  },
  GRUCell: (x, a, c) => {
    const m = loaded(new nn.GRUCell(cellOptions(a)), c);
    return { outputs: { h: m.forward(input(x, 'x'), x.h) }, module: m };
  },
  packPad: (x, a) => {
    const batchFirst = bool(a, 'batchFirst');
    const totalLength = optNum(a, 'totalLength');
    const packed = packPaddedSequence(input(x, 'x'), nums(a, 'lengths'), { batchFirst });
    const { output, lengths } = padPackedSequence(packed, {
      batchFirst,
      ...(totalLength !== undefined && { totalLength }),
    });
    return {
      outputs: { data: packed.data, padded: output },
      ints: {
        batchSizes: packed.batchSizes,
        sortedIndices: packed.sortedIndices,
        unsortedIndices: packed.unsortedIndices,
        lengths,
      },
    };
  },
};

// ------------------------------------------------------------------ tests

const fixture = readFixture<Fixture>('ops-parity.v1.json');

/** Our gradient of `t`, or zeros where none arrived (PyTorch's None is recorded as zeros). */
const gradOf = (t: Tensor): Tensor => t.grad ?? zeros(t.shape);

describe('PyTorch parity (ops-parity.v1.json)', () => {
  test('fixture is version 1, cases are unique, and every op is exercised', () => {
    assert.equal(fixture.version, 1);
    assert.ok(fixture.cases.length >= 150, `only ${fixture.cases.length} cases`);
    const names = fixture.cases.map((c) => c.name);
    assert.equal(new Set(names).size, names.length, 'duplicate case names');
    const used = new Set(fixture.cases.map((c) => c.op));
    assert.deepEqual(
      Object.keys(OPS).filter((op) => !used.has(op)),
      [],
      'ops in the dispatch table with no case',
    );
    assert.deepEqual(
      [...used].filter((op) => !(op in OPS)),
      [],
      'ops in the fixture with no dispatch entry',
    );
  });

  for (const c of fixture.cases) {
    test(`${c.name} (${c.op})`, () => {
      const run = OPS[c.op];
      assert.ok(run, `unknown op ${c.op}`);
      const x: Inputs = Object.fromEntries(
        Object.entries(c.inputs).map(([k, v]) => [k, fromFixture(v, c.requiresGrad.includes(k))]),
      );
      const r = run(x, c.args, c);

      assert.deepEqual(Object.keys(r.outputs).sort(), Object.keys(c.outputs).sort(), 'float outputs');
      for (const [k, expected] of Object.entries(c.outputs)) assertClose(r.outputs[k]!, expected, `output ${k}`);
      assert.deepEqual(Object.keys(r.ints ?? {}).sort(), Object.keys(c.intOutputs).sort(), 'integer outputs');
      for (const [k, expected] of Object.entries(c.intOutputs))
        assert.deepEqual(Array.from(r.ints![k]!), expected.data, `output ${k}`);

      let loss: Tensor | null = null;
      for (const [k, w] of Object.entries(c.outputWeights)) {
        const term = r.outputs[k]!.mul(fromFixture(w)).sum();
        loss = loss ? loss.add(term) : term;
      }
      assert.ok(loss, 'case without a float output');
      loss.backward();

      for (const k of c.requiresGrad) assertClose(gradOf(x[k]!), c.grads[k]!, `grad ${k}`);
      if (c.paramGrads) {
        assert.ok(r.module, 'module case returned no module');
        for (const [name, p] of r.module.namedParameters()) assertClose(gradOf(p), c.paramGrads[name]!, `grad ${name}`);
      } else {
        assert.equal(r.module, undefined, 'module returned for a case without params');
      }
    });
  }
});
