/**
 * From two recordings of a forward pass (trace-record.ts) to an ONNX graph.
 *
 * A tensor is a *value* of the graph when it comes from the inputs through recorded ops; any
 * other tensor (a parameter, a weight re-laid out by ops on parameters, a constant made inside
 * forward) is an initializer holding its data, so ops on constants alone fold away. The second
 * recording (inputs grown along their symbolic dims) says which sizes and indices follow the
 * input: a slice that ends at the end of a symbolic dim stays at its end, a reshape takes a
 * symbolic size from a tensor with that size (`Shape` + `Gather`), a constant whose shape
 * follows the input is refused (it would hold one batch size).
 *
 * Op -> ONNX (opset 14): add/sub/mul/div Add/Sub/Mul/Div · neg exp log sqrt abs tanh sigmoid relu ·
 * pow Pow · clamp Clip · maskedFill/where Where · matmul MatMul · sum/mean/max ReduceSum/Mean/Max ·
 * softmax/logSoftmax Softmax/LogSoftmax · reshape Reshape · permute/transpose Transpose · slice
 * Slice · select Gather · unsqueeze/squeeze · expand Expand · concat/stack Concat · indexSelect
 * Gather (or a reversing Slice along a symbolic dim) · gather GatherElements · embedding Gather ·
 * dropout (eval) nothing · the fused recurrent layer (one per layer and direction) RNN / LSTM /
 * GRU with the family table's gate order (see export.ts). Anything else fails with an
 * ExportError naming the module path and the op.
 */
import { CELL_KINDS, FAMILIES } from '../families.js';
import { ExportError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import type { Dim, GraphBuilder } from './builder.js';
import { writeGates } from './export.js';
import { DataType } from './proto.js';
import { modulePath, type NamedTensor, type RecordedOp, type Recording } from './trace-record.js';
import { arrayFrom, type ElemType, int64s, makeArray } from './values.js';

/** ONNX's "to the end" for Slice ends. */
const TO_END = Number.MAX_SAFE_INTEGER;

export interface TracedInput {
  name: string;
  dims: Dim[];
}

export interface TracedGraph {
  inputs: { name: string; type: ElemType; dims: Dim[] }[];
  outputs: { name: string; type: ElemType; dims: Dim[] }[];
}

/** Every tensor inside an op's arguments (arrays and plain objects searched), in order. */
function tensorsIn(value: unknown, out: Tensor[] = []): Tensor[] {
  if (value instanceof Tensor) out.push(value);
  else if (Array.isArray(value)) for (const v of value) tensorsIn(v, out);
  else if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value))
    for (const v of Object.values(value)) tensorsIn(v, out);
  return out;
}

const norm = (d: number, rank: number): number => (d < 0 ? d + rank : d);
const sanitize = (s: string): string => s.replace(/[^A-Za-z0-9_]/g, '_');

const UNARY: Record<string, string> = {
  neg: 'Neg',
  exp: 'Exp',
  log: 'Log',
  sqrt: 'Sqrt',
  abs: 'Abs',
  tanh: 'Tanh',
  sigmoid: 'Sigmoid',
  relu: 'Relu',
};
const BINARY: Record<string, string> = { add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div' };

/** One op being emitted: its arguments in both recordings and the helpers the emitters use. */
class OpContext {
  constructor(
    readonly g: TraceEmitter,
    readonly a: RecordedOp,
    readonly bOp: RecordedOp,
  ) {}

  get hint(): string {
    return sanitize(`${this.a.path || 'model'}_${this.a.op}`);
  }

  fail(reason: string): never {
    throw new ExportError(modulePath(this.a.path), this.a.op, reason);
  }

  /** Argument k in the first and second recording. */
  arg<T = unknown>(k: number): [T, T] {
    return [this.a.args[k] as T, this.bOp.args[k] as T];
  }

  /** The graph name of a tensor argument (a value, or an initializer for a constant). */
  value(t: Tensor | number, tB: Tensor | number): string {
    if (typeof t === 'number') return this.g.b.constant(`${this.hint}_scalar`, arrayFrom('float32', [], [t]));
    const known = this.g.values.get(t);
    if (known !== undefined) return known;
    const other = tB as Tensor;
    if (other.shape.length !== t.shape.length || other.shape.some((s, k) => s !== t.shape[k]))
      this.fail(
        `it uses a tensor made inside forward (not from the inputs through tensor ops) whose shape follows the input's: [${t.shape.join(', ')}] here, [${other.shape.join(', ')}] for a larger input; an ONNX initializer has one fixed shape (compute it from the input instead, e.g. with expand)`,
      );
    return this.g.constantOf(t, this.hint);
  }

  valueArg(k: number): string {
    const [x, y] = this.arg<Tensor | number>(k);
    return this.value(x, y);
  }

  define(t: Tensor, tB: Tensor, name: string): void {
    this.g.values.set(t, name);
    this.g.twins.set(t, tB);
    this.g.aliases.set(t.data, t);
  }

  /** Emits one node whose single output is this op's result. */
  emit(op: string, inputs: string[], attrs: Parameters<GraphBuilder['op']>[3] = {}): void {
    const name = this.g.b.op(op, inputs, this.hint, attrs);
    this.define(this.a.result as Tensor, this.bOp.result as Tensor, name);
  }

  /**
   * A 1-D int64 target shape for Reshape / Expand: `shapeA` in the first recording, `shapeB` in
   * the second. A size that grows is copied from `x` (0 for Reshape, 1 for Expand), else taken
   * from a value with the same sizes (`findDim`), else (Reshape, once) inferred with -1.
   */
  shapeVector(
    x: Tensor | null,
    shapeA: readonly number[],
    shapeB: readonly number[],
    mode: 'reshape' | 'expand',
  ): string {
    const pieces: (number | string)[] = [];
    let free = -1;
    const xB = x ? (this.g.twins.get(x) ?? null) : null;
    shapeA.forEach((sa, k) => {
      const sb = shapeB[k]!;
      if (sa === sb) return pieces.push(sa);
      const offset = mode === 'expand' && x ? k - (shapeA.length - x.rank) : k;
      if (x && xB && offset >= 0 && offset < x.rank && x.shape[offset] === sa && xB.shape[offset] === sb)
        return pieces.push(mode === 'reshape' ? 0 : 1);
      const source = this.g.findDim(sa, sb);
      if (source) return pieces.push(source);
      if (mode === 'reshape' && free < 0) {
        free = k;
        return pieces.push(-1);
      }
      return this.fail(
        `its target size ${sa} at dim ${k} follows the input (${sb} for a larger input) but matches no size of the input or of earlier results`,
      );
    });
    const numbers = pieces.every((p) => typeof p === 'number');
    if (numbers) return this.g.b.constant(`${this.hint}_shape`, int64s(pieces as number[]));
    const parts = pieces.map((p) => (typeof p === 'number' ? this.g.b.constant(`${this.hint}_dim`, int64s([p])) : p));
    return this.g.b.op('Concat', parts, `${this.hint}_shape`, { axis: { i: 0 } });
  }

  /** An index into dim `d` (size sizeA / sizeB): fixed, or counted from the end when it follows it. */
  index(iA: number, iB: number, sizeA: number, sizeB: number, what: string): number {
    if (iA === iB) return iA;
    if (sizeA - iA === sizeB - iB) return iA - sizeA;
    return this.fail(
      `its ${what} ${iA} follows the input size (${iB} for a larger input) but is neither fixed nor a fixed distance from the end`,
    );
  }

  int64Value(t: Tensor): string {
    const name = this.g.values.get(t);
    if (name !== undefined && this.g.int64Inputs.has(name)) return name;
    const source = this.value(t, this.g.twins.get(t) ?? t);
    return this.g.b.op('Cast', [source], `${this.hint}_ids`, { to: { i: DataType.INT64 } });
  }
}

type Emitter = (c: OpContext) => void;

const unaryEmitter =
  (onnx: string): Emitter =>
  (c) =>
    c.emit(onnx, [c.valueArg(0)]);
const binaryEmitter =
  (onnx: string): Emitter =>
  (c) =>
    c.emit(onnx, [c.valueArg(0), c.valueArg(1)]);

function reduceAxes(dims: number | readonly number[] | undefined, rank: number): number[] {
  if (dims === undefined) return Array.from({ length: rank }, (_, k) => k);
  return (typeof dims === 'number' ? [dims] : [...dims]).map((d) => norm(d, rank));
}

function recurrentEmitter(c: OpContext): void {
  type Args = {
    kind: keyof typeof CELL_KINDS;
    x: Tensor;
    h0: Tensor;
    c0: Tensor | null;
    wIh: Tensor;
    wHh: Tensor;
    bIh: Tensor | null;
    bHh: Tensor | null;
    wHr: Tensor | null;
    lengths: Int32Array | null;
    reverse: boolean;
  };
  const [args, argsB] = c.arg<Args>(0);
  const kind = CELL_KINDS[args.kind];
  const spec = FAMILIES[kind.family];
  if (args.wHr) c.fail("the LSTM has a projection (projSize > 0), which ONNX's LSTM operator does not have");
  if (args.lengths)
    c.fail(
      'it runs with per-row lengths (a mask or `lengths`); traced export takes whole sequences (export nn.RNN/LSTM/GRU directly with { lengths: true } for an ONNX sequence_lens input)',
    );
  for (const w of [args.wIh, args.wHh, args.bIh, args.bHh])
    if (w && c.g.values.has(w)) c.fail('its weights are computed from the input');
  const H = args.wHh.shape[1]!;
  const I = args.wIh.shape[1]!;
  const G = spec.gates;
  const order = spec.onnxOrder;
  const w = new Float32Array(G * H * I);
  const r = new Float32Array(G * H * H);
  writeGates(args.wIh.data, H, I, order, w, 0);
  writeGates(args.wHh.data, H, H, order, r, 0);
  const b = c.g.b;
  const hint = c.hint;
  const inputs: string[] = [c.value(args.x, argsB.x)];
  inputs.push(b.constant(`${hint}_W`, makeArray('float32', [1, G * H, I], w)));
  inputs.push(b.constant(`${hint}_R`, makeArray('float32', [1, G * H, H], r)));
  if (args.bIh || args.bHh) {
    const bias = new Float32Array(2 * G * H);
    if (args.bIh) writeGates(args.bIh.data, H, 1, order, bias, 0);
    if (args.bHh) writeGates(args.bHh.data, H, 1, order, bias, G * H);
    inputs.push(b.constant(`${hint}_B`, makeArray('float32', [1, 2 * G * H], bias)));
  } else inputs.push('');
  inputs.push(''); // sequence_lens
  const state = (t: Tensor | null, tB: Tensor | null): string => {
    if (!t) return '';
    if (!c.g.values.has(t) && t.data.every((v) => v === 0)) return ''; // zeros: ONNX's default
    return b.op('Unsqueeze', [c.value(t, tB!), b.constant('axes_0', int64s([0]))], `${hint}_state`);
  };
  inputs.push(state(args.h0, argsB.h0));
  if (spec.hasCell) inputs.push(state(args.c0, argsB.c0));
  const attrs: Parameters<GraphBuilder['node']>[3] = {
    hidden_size: { i: H },
    direction: { s: args.reverse ? 'reverse' : 'forward' },
  };
  if (spec.family === 'gru') attrs['linear_before_reset'] = { i: 1 };
  if (kind.nonlinearity === 'relu') attrs['activations'] = { strings: ['Relu'] };
  const outs = b.node(spec.onnxOp, inputs, hint, attrs, spec.hasCell ? 3 : 2);
  const result = c.a.result as { output: Tensor; h: Tensor; c: Tensor | null };
  const resultB = c.bOp.result as typeof result;
  c.define(result.output, resultB.output, b.op('Squeeze', [outs[0]!, b.constant('axes_1', int64s([1]))], `${hint}_y`));
  c.define(result.h, resultB.h, b.op('Squeeze', [outs[1]!, b.constant('axes_0', int64s([0]))], `${hint}_h`));
  if (result.c && resultB.c)
    c.define(result.c, resultB.c, b.op('Squeeze', [outs[2]!, b.constant('axes_0', int64s([0]))], `${hint}_c`));
}

const EMITTERS: Record<string, Emitter> = {
  ...Object.fromEntries(Object.entries(UNARY).map(([op, onnx]) => [op, unaryEmitter(onnx)])),
  ...Object.fromEntries(Object.entries(BINARY).map(([op, onnx]) => [op, binaryEmitter(onnx)])),
  pow: (c) => c.emit('Pow', [c.valueArg(0), c.valueArg(1)]),
  clamp: (c) => {
    const [min] = c.arg<number | undefined>(1);
    const [max] = c.arg<number | undefined>(2);
    const bound = (v: number | undefined, what: string) =>
      v === undefined || !Number.isFinite(v) ? '' : c.g.b.constant(`${c.hint}_${what}`, arrayFrom('float32', [], [v]));
    c.emit('Clip', [c.valueArg(0), bound(min, 'min'), bound(max, 'max')]);
  },
  maskedFill: (c) => {
    const cond = c.g.b.op('Cast', [c.valueArg(1)], `${c.hint}_mask`, { to: { i: DataType.BOOL } });
    c.emit('Where', [cond, c.valueArg(2), c.valueArg(0)]);
  },
  where: (c) => {
    const cond = c.g.b.op('Cast', [c.valueArg(0)], `${c.hint}_condition`, { to: { i: DataType.BOOL } });
    c.emit('Where', [cond, c.valueArg(1), c.valueArg(2)]);
  },
  matmul: (c) => c.emit('MatMul', [c.valueArg(0), c.valueArg(1)]),
  sum: (c) => {
    const [x] = c.arg<Tensor>(0);
    const [dims] = c.arg<number | number[] | undefined>(1);
    const [keep] = c.arg<boolean | undefined>(2);
    const axes = c.g.b.constant('axes', int64s(reduceAxes(dims, x.rank)));
    c.emit('ReduceSum', [c.valueArg(0), axes], { keepdims: { i: keep ? 1 : 0 } });
  },
  mean: (c) => {
    const [x] = c.arg<Tensor>(0);
    const [dims] = c.arg<number | number[] | undefined>(1);
    const [keep] = c.arg<boolean | undefined>(2);
    c.emit('ReduceMean', [c.valueArg(0)], { axes: { ints: reduceAxes(dims, x.rank) }, keepdims: { i: keep ? 1 : 0 } });
  },
  max: (c) => {
    const [x] = c.arg<Tensor>(0);
    const [dim] = c.arg<number>(1);
    const [keep] = c.arg<boolean | undefined>(2);
    c.emit('ReduceMax', [c.valueArg(0)], { axes: { ints: [norm(dim, x.rank)] }, keepdims: { i: keep ? 1 : 0 } });
  },
  softmax: (c) => {
    const [x] = c.arg<Tensor>(0);
    const [dim] = c.arg<number | undefined>(1);
    c.emit('Softmax', [c.valueArg(0)], { axis: { i: norm(dim ?? -1, x.rank) } });
  },
  logSoftmax: (c) => {
    const [x] = c.arg<Tensor>(0);
    const [dim] = c.arg<number | undefined>(1);
    c.emit('LogSoftmax', [c.valueArg(0)], { axis: { i: norm(dim ?? -1, x.rank) } });
  },
  reshape: (c) => {
    const [x] = c.arg<Tensor>(0);
    const outA = c.a.result as Tensor;
    const outB = c.bOp.result as Tensor;
    c.emit('Reshape', [c.valueArg(0), c.shapeVector(x, outA.shape, outB.shape, 'reshape')]);
  },
  expand: (c) => {
    const [x] = c.arg<Tensor>(0);
    const outA = c.a.result as Tensor;
    const outB = c.bOp.result as Tensor;
    c.emit('Expand', [c.valueArg(0), c.shapeVector(x, outA.shape, outB.shape, 'expand')]);
  },
  permute: (c) => {
    const [x] = c.arg<Tensor>(0);
    const [dims] = c.arg<number[]>(1);
    c.emit('Transpose', [c.valueArg(0)], { perm: { ints: dims.map((d) => norm(d, x.rank)) } });
  },
  transpose: (c) => {
    const [x] = c.arg<Tensor>(0);
    const [d0] = c.arg<number>(1);
    const [d1] = c.arg<number>(2);
    const perm = Array.from({ length: x.rank }, (_, k) => k);
    const [i, j] = [norm(d0, x.rank), norm(d1, x.rank)];
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    c.emit('Transpose', [c.valueArg(0)], { perm: { ints: perm } });
  },
  slice: (c) => {
    const [x, xB] = c.arg<Tensor>(0);
    const d = norm(c.arg<number>(1)[0], x.rank);
    const [startA, startB] = c.arg<number>(2);
    const [endA, endB] = c.arg<number | undefined>(3);
    const sizeA = x.shape[d]!;
    const sizeB = xB.shape[d]!;
    const clampA = (i: number) => Math.min(Math.max(i < 0 ? i + sizeA : i, 0), sizeA);
    const clampB = (i: number) => Math.min(Math.max(i < 0 ? i + sizeB : i, 0), sizeB);
    const fromA = clampA(startA);
    const fromB = clampB(startB);
    const toA = Math.max(fromA, clampA(endA ?? sizeA));
    const toB = Math.max(fromB, clampB(endB ?? sizeB));
    const start = c.index(fromA, fromB, sizeA, sizeB, 'start');
    const end = toA === sizeA && toB === sizeB ? TO_END : c.index(toA, toB, sizeA, sizeB, 'end');
    const b = c.g.b;
    c.emit('Slice', [
      c.valueArg(0),
      b.constant(`${c.hint}_start`, int64s([start])),
      b.constant(`${c.hint}_end`, int64s([end])),
      b.constant(`${c.hint}_axis`, int64s([d])),
    ]);
  },
  select: (c) => {
    const [x, xB] = c.arg<Tensor>(0);
    const d = norm(c.arg<number>(1)[0], x.rank);
    const [iA, iB] = c.arg<number>(2);
    const sizeA = x.shape[d]!;
    const sizeB = xB.shape[d]!;
    const index = c.index(norm(iA, sizeA), norm(iB, sizeB), sizeA, sizeB, 'index');
    const at = c.g.b.constant(`${c.hint}_index`, arrayFrom('int64', [], [index]));
    c.emit('Gather', [c.valueArg(0), at], { axis: { i: d } });
  },
  unsqueeze: (c) => {
    const [x] = c.arg<Tensor>(0);
    const d = norm(c.arg<number>(1)[0], x.rank + 1);
    c.emit('Unsqueeze', [c.valueArg(0), c.g.b.constant('axes', int64s([d]))]);
  },
  squeeze: (c) => {
    const [x, xB] = c.arg<Tensor>(0);
    const [dim] = c.arg<number | undefined>(1);
    if (c.a.result === x) return c.define(x, xB, c.valueArg(0));
    const axes =
      dim === undefined ? x.shape.flatMap((s, k) => (s === 1 && xB.shape[k] === 1 ? [k] : [])) : [norm(dim, x.rank)];
    if (dim === undefined && x.shape.some((s, k) => (s === 1) !== (xB.shape[k] === 1)))
      c.fail('it squeezes every size-1 dim, and a dim that follows the input has size 1 here; pass the dim');
    c.emit('Squeeze', [c.valueArg(0), c.g.b.constant('axes', int64s(axes))]);
  },
  concat: (c) => {
    const [list, listB] = c.arg<Tensor[]>(0);
    const [dim] = c.arg<number | undefined>(1);
    const names = list.map((t, k) => c.value(t, listB[k]!));
    c.emit('Concat', names, { axis: { i: norm(dim ?? 0, list[0]!.rank) } });
  },
  stack: (c) => {
    const [list, listB] = c.arg<Tensor[]>(0);
    const [dim] = c.arg<number | undefined>(1);
    const d = norm(dim ?? 0, list[0]!.rank + 1);
    const axes = c.g.b.constant('axes', int64s([d]));
    const names = list.map((t, k) => c.g.b.op('Unsqueeze', [c.value(t, listB[k]!), axes], `${c.hint}_item`));
    c.emit('Concat', names, { axis: { i: d } });
  },
  indexSelect: (c) => {
    const [x, xB] = c.arg<Tensor>(0);
    const d = norm(c.arg<number>(1)[0], x.rank);
    const [indices, indicesB] = c.arg<ArrayLike<number>>(2);
    const b = c.g.b;
    const ids = c.g.aliases.get(indices as Float32Array);
    if (ids && c.g.values.has(ids)) {
      // Indices read from a value's data (a Keras Embedding's lookup): a Gather on that value.
      const flat = b.op('Reshape', [c.int64Value(ids), b.constant('shape_m1', int64s([-1]))], `${c.hint}_flat_ids`);
      return c.emit('Gather', [c.valueArg(0), flat], { axis: { i: d } });
    }
    if (x.shape[d] === xB.shape[d])
      return c.emit('Gather', [c.valueArg(0), b.constant(`${c.hint}_indices`, int64s(Array.from(indices)))], {
        axis: { i: d },
      });
    const reversed = (v: ArrayLike<number>, n: number) =>
      v.length === n && Array.from(v).every((i, k) => i === n - 1 - k);
    if (reversed(indices, x.shape[d]!) && reversed(indicesB, xB.shape[d]!))
      return c.emit('Slice', [
        c.valueArg(0),
        b.constant('start_m1', int64s([-1])),
        b.constant('end_first', int64s([-TO_END])),
        b.constant(`${c.hint}_axis`, int64s([d])),
        b.constant('step_m1', int64s([-1])),
      ]);
    return c.fail(`it picks fixed indices along dim ${d}, whose size follows the input`);
  },
  gather: (c) => {
    const [x] = c.arg<Tensor>(0);
    const d = norm(c.arg<number>(1)[0], x.rank);
    const [index] = c.arg<Tensor>(2);
    c.emit('GatherElements', [c.valueArg(0), c.int64Value(index)], { axis: { i: d } });
  },
  embedding: (c) => {
    const [ids] = c.arg<Tensor>(1);
    if (!(ids instanceof Tensor)) c.fail('its ids must be a Tensor');
    c.emit('Gather', [c.valueArg(0), c.int64Value(ids)], { axis: { i: 0 } });
  },
  dropout: (c) => {
    const [training] = c.arg<boolean>(2);
    const [x, xB] = c.arg<Tensor>(0);
    if (training && c.a.result !== x)
      c.fail('it ran in training mode; dropout is exported as the identity of eval mode');
    c.define(c.a.result as Tensor, c.bOp.result as Tensor, c.value(x, xB));
  },
  recurrent: recurrentEmitter,
  argmax: (c) =>
    c.fail(
      'it returns indices as a plain Int32Array, outside the tensor graph, so what forward does with them cannot be traced',
    ),
};

/** The ops traced export knows (for docs and tests). */
export const TRACED_OPS: readonly string[] = Object.keys(EMITTERS);

export class TraceEmitter {
  /** Tensors of the first recording that are graph values, with their names. */
  readonly values = new Map<Tensor, string>();
  /** A value's tensor in the second recording. */
  readonly twins = new Map<Tensor, Tensor>();
  /** A value's tensor by its data array (ops that take `.data` as indices). */
  readonly aliases = new Map<Float32Array, Tensor>();
  /** Graph inputs declared int64 (read only as ids). */
  readonly int64Inputs = new Set<string>();
  private readonly constants = new Map<Tensor, string>();
  private readonly shapes = new Map<string, string>();

  constructor(readonly b: GraphBuilder) {}

  constantOf(t: Tensor, hint: string): string {
    let name = this.constants.get(t);
    if (name === undefined) {
      name = this.b.constant(`${hint}_const`, makeArray('float32', [...t.shape], Float32Array.from(t.data)));
      this.constants.set(t, name);
    }
    return name;
  }

  /** A 1-D int64 `[size]` taken from a value whose dim has sizeA / sizeB in the two recordings. */
  findDim(sizeA: number, sizeB: number): string | null {
    for (const [t, name] of this.values) {
      const twin = this.twins.get(t);
      if (!twin) continue;
      const k = t.shape.findIndex((s, j) => s === sizeA && twin.shape[j] === sizeB);
      if (k < 0) continue;
      const key = `${name}#${k}`;
      let dim = this.shapes.get(key);
      if (dim === undefined) {
        const shape = this.b.op('Shape', [name], `${name}_shape`);
        dim = this.b.op('Gather', [shape, this.b.constant('index', int64s([k]))], `${name}_dim${k}`, {
          axis: { i: 0 },
        });
        this.shapes.set(key, dim);
      }
      return dim;
    }
    return null;
  }

  /**
   * Builds the graph: inputs (int64 when only read as ids), every op that touches a value, and
   * the outputs with their fixed and symbolic dims.
   */
  build(first: Recording, second: Recording, inputs: readonly TracedInput[]): TracedGraph {
    if (first.ops.length !== second.ops.length || first.ops.some((op, i) => op.op !== second.ops[i]!.op)) {
      const i = first.ops.findIndex((op, k) => op.op !== second.ops[k]?.op);
      const at = first.ops[i < 0 ? first.ops.length - 1 : i];
      throw new ExportError(
        modulePath(at?.path ?? ''),
        at?.op ?? 'forward',
        'forward runs different ops for a larger input (control flow on sizes or values); only one fixed sequence of ops can be traced',
      );
    }
    const idOnly = (t: Tensor) =>
      first.ops.every((op) => {
        const uses = tensorsIn(op.args).includes(t);
        const asIds = (op.op === 'embedding' && op.args[1] === t) || (op.op === 'indexSelect' && op.args[2] === t.data);
        return asIds || !uses;
      }) &&
      first.ops.some(
        (op) => (op.op === 'embedding' && op.args[1] === t) || (op.op === 'indexSelect' && op.args[2] === t.data),
      );
    const graphInputs = first.inputs.map((t, i) => {
      const { name, dims } = inputs[i]!;
      const type: ElemType = idOnly(t) ? 'int64' : 'float32';
      this.b.input(name, type, dims);
      if (type === 'int64') this.int64Inputs.add(name);
      this.values.set(t, name);
      this.twins.set(t, second.inputs[i]!);
      this.aliases.set(t.data, t);
      return { name, type, dims };
    });
    for (const { name } of first.outputs) this.b.fresh(name);
    first.ops.forEach((op, i) => {
      const dynamic =
        tensorsIn(op.args).some((t) => this.values.has(t)) ||
        op.args.some((a) => a instanceof Float32Array && this.values.has(this.aliases.get(a)!));
      if (!dynamic) return;
      const emitter = EMITTERS[op.op];
      if (!emitter) throw new ExportError(modulePath(op.path), op.op, 'this op has no ONNX form in traced export');
      emitter(new OpContext(this, op, second.ops[i]!));
    });
    const outputs = first.outputs.map(({ name, tensor }: NamedTensor, i) => {
      const twin = second.outputs[i]!.tensor;
      let value = this.values.get(tensor);
      if (value === undefined) {
        if (twin.shape.some((s, k) => s !== tensor.shape[k]))
          throw new ExportError(
            'model',
            'output',
            `output '${name}' does not come from the inputs, and its shape follows them`,
          );
        value = this.constantOf(tensor, name);
      }
      const dims = tensor.shape.map((s, k): Dim => {
        if (twin.shape[k] === s) return s;
        for (let j = 0; j < first.inputs.length; j++) {
          const x = first.inputs[j]!;
          const xB = second.inputs[j]!;
          const at = x.shape.findIndex((v, m) => v === s && xB.shape[m] === twin.shape[k]);
          if (at >= 0 && typeof inputs[j]!.dims[at] === 'string') return inputs[j]!.dims[at]!;
        }
        return `${name}_dim${k}`;
      });
      this.b.output(name, value, 'float32', dims);
      return { name, type: 'float32' as ElemType, dims };
    });
    return { inputs: graphInputs, outputs };
  }
}
