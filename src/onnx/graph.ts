/**
 * Loading and running ONNX models: `loadOnnx(file)` -> `OnnxModel`, whose `run(inputs)` gives
 * every graph output as a Tensor (and `runArrays` as typed arrays, keeping integer outputs exact).
 *
 * Loading checks the whole model before anything runs: the schema, the opset, every node's
 * operator (an unsupported one fails with a FormatError naming the operator and the node),
 * that every value a node reads is produced somewhere, and the initializers' data. Nodes then
 * run in dependency order; values are freed after their last use.
 *
 * Work that does not change from run to run is done once (see ./fold.ts): nodes whose inputs are
 * all constants run when the model loads; nodes computed from shapes alone (PyTorch's Shape ->
 * Gather -> Concat -> ConstantOfShape for a zero initial state) keep their outputs while their
 * inputs repeat; the Transpose / Squeeze nodes around a recurrent node are folded into it; each
 * node's attributes are parsed once; recurrent weights are prepared once per model.
 *
 * Supported operators: see `supportedOperators()`; the recurrent ones in ops/recurrent.ts.
 */
import { readFileSync } from 'node:fs';
import { FormatError, ShapeError, ValueError } from '../errors.js';
import type { NpyArray } from '../io/npy.js';
import { Tensor } from '../tensor/tensor.js';
import { foldRecurrentLayouts, isShapeOperator } from './fold.js';
import { NodeInfo, OpContext, type OpImpl } from './ops/context.js';
import { elementwiseOps } from './ops/elementwise.js';
import { layoutOps } from './ops/layout.js';
import { linalgOps } from './ops/linalg.js';
import { recurrentOps } from './ops/recurrent.js';
import { isOptionalSlot } from './optional-inputs.js';
import { type PlanStep, RunPlan, type RunCounts } from './plan.js';
import { decodeModel, type ModelProto, type NodeProto, type ValueInfoProto } from './proto.js';
import {
  allocationProblem,
  dataTypeName,
  elemTypeOf,
  type ElemType,
  fromTensorProto,
  isFloat,
  makeArray,
  type NDArray,
} from './values.js';

const OPS: Record<string, OpImpl> = { ...elementwiseOps, ...linalgOps, ...layoutOps, ...recurrentOps };

/** Names of the operators this runtime implements (default ONNX domain). */
export function supportedOperators(): string[] {
  return Object.keys(OPS).sort();
}

/** Operators that compute a model's results (never memoized, see markMemoizable). */
const NEVER_MEMOIZED = new Set(['RNN', 'LSTM', 'GRU', 'MatMul', 'Gemm']);

/** Operators that only move or repeat values: they may read a float constant (a zero state) and be memoized. */
const LAYOUT_ONLY = new Set([
  'Expand',
  'Tile',
  'Reshape',
  'Unsqueeze',
  'Squeeze',
  'Concat',
  'Slice',
  'Cast',
  'Identity',
]);

/** Oldest default-domain opset accepted (RNN/LSTM/GRU took their current form in opset 7). */
const MIN_OPSET = 7;

/** A graph input or output: name, element type and dims (a number, a symbolic name, or null when unknown). */
export interface OnnxValueInfo {
  name: string;
  type: ElemType | null;
  dims: (number | string | null)[] | null;
}

/**
 * A graph input. `optional` when the input may be left out of a run: its declared type is an ONNX
 * optional, or only operator slots that ONNX marks optional read it (an RNN's sequence_lens or
 * initial_h, Gemm's C...). A left-out optional input is absent, as if the nodes named '' there.
 */
export interface OnnxInputInfo extends OnnxValueInfo {
  optional: boolean;
}

/**
 * A value to feed: a Tensor (float32 values; whole numbers are accepted for integer inputs), a
 * typed array with its shape as from an .npy file, or a 1-D Int32Array / BigInt64Array (lengths).
 */
export type OnnxFeed = Tensor | NpyArray | Int32Array | BigInt64Array;

function describeInfo(v: ValueInfoProto): OnnxValueInfo {
  const tt = v.type?.tensor_type ?? v.type?.optional_type?.elem_type?.tensor_type;
  return {
    name: v.name ?? '',
    type: tt ? elemTypeOf(tt.elem_type) : null,
    dims: tt?.shape
      ? (tt.shape.dim ?? []).map((d) =>
          d.dim_value !== undefined ? Number(d.dim_value) : d.dim_param ? d.dim_param : null,
        )
      : null,
  };
}

/** A step of the plan while the model loads (its slots are assigned last). */
interface PlannedNode extends PlanStep {
  /** Values whose last reader is this node (freed after it runs). */
  frees: string[];
}

export class OnnxModel {
  /** The file (or label) the model came from, used in messages. */
  readonly file: string;
  /** Inputs to feed (graph inputs that are not initializers); optional ones may be left out. */
  readonly inputs: OnnxInputInfo[];
  readonly outputs: OnnxValueInfo[];
  /** Default-domain opset version. */
  readonly opset: number;
  readonly producer: string;
  readonly metadata: Record<string, string>;
  /** Initializers, and the outputs of nodes computed when the model loaded. */
  private readonly initializers = new Map<string, NDArray>();
  private plan: PlannedNode[] = [];
  /** The plan every run executes (built once, at the end of loading). */
  private readonly runPlan: RunPlan;
  /** Graph inputs of an integer type: sources of memoized nodes (see ./plan.ts). */
  private readonly integerInputs = new Set<string>();
  /** The slot of every value name (assignSlots), and the constants at their slots. */
  private readonly slotOf = new Map<string, number>();
  private readonly constantSlots: (NDArray | null)[] = [];
  /** The memory of the constants (their set is fixed once the model has loaded). */
  private constantBuffers: Set<ArrayBufferLike> | null = null;

  constructor(model: ModelProto, file: string) {
    this.file = file;
    const graph = model.graph;
    if (!graph) throw new FormatError(file, 'the model has no graph');
    const opsets = model.opset_import ?? [];
    const main = opsets.find((o) => !o.domain || o.domain === 'ai.onnx');
    this.opset = Number(main?.version ?? 0);
    if (!main || this.opset < MIN_OPSET)
      throw new FormatError(
        file,
        `default-domain opset ${main ? this.opset : 'missing'} is not supported (${MIN_OPSET} or newer is)`,
      );
    this.producer = [model.producer_name, model.producer_version].filter(Boolean).join(' ');
    this.metadata = Object.fromEntries((model.metadata_props ?? []).map((p) => [p.key ?? '', p.value ?? '']));

    for (const [k, t] of (graph.initializer ?? []).entries()) {
      const name = t.name ?? '';
      this.initializers.set(name, fromTensorProto(t, file, `initializer '${name || `#${k}`}'`));
    }
    if ((graph as { sparse_initializer?: unknown[] }).sparse_initializer?.length)
      throw new FormatError(file, 'sparse initializers are not supported');
    const graphInputs = (graph.input ?? []).filter((v) => !this.initializers.has(v.name ?? ''));
    this.outputs = (graph.output ?? []).map(describeInfo);
    const required = requiredNames(graph.node ?? [], this.outputs);
    this.inputs = graphInputs.map((v) => ({
      ...describeInfo(v),
      optional: Boolean(v.type?.optional_type) || !required.has(v.name ?? ''),
    }));
    graphInputs.forEach((v, k) => {
      const code = v.type?.tensor_type?.elem_type;
      if (this.inputs[k]!.type === null && code !== undefined)
        throw new FormatError(file, `input '${v.name}' has element type ${dataTypeName(code)}, which is not supported`);
    });
    this.planNodes(graph.node ?? []);
    this.foldConstants();
    const outputNames = new Set(this.outputs.map((o) => o.name));
    this.plan = foldRecurrentLayouts(this.plan, this.initializers, outputNames, (step, info) => ({ ...step, info }));
    this.markMemoizable();
    this.computeFrees(outputNames);
    this.assignSlots();
    this.runPlan = new RunPlan(this.plan, this.opset, this.file);
  }

  /** Nodes the last run executed, and nodes it skipped because their inputs repeated (memoized). */
  get lastRunCounts(): RunCounts {
    return { ...this.runPlan.lastRun };
  }

  /** Nodes whose inputs are all constants run now; their outputs join the constants. */
  private foldConstants(): void {
    this.plan = this.plan.filter((step) => {
      const names = step.info.node.input ?? [];
      if (!names.every((name) => !name || this.initializers.has(name))) return true;
      let outputs: (NDArray | null)[];
      try {
        outputs = step.impl(
          new OpContext(
            step.info,
            step.info.index,
            names.map((name) => (name ? this.initializers.get(name)! : null)),
            this.opset,
            this.file,
          ),
        );
      } catch {
        return true; // it fails again when the model runs, with the usual message
      }
      (step.info.node.output ?? []).forEach((name, k) => {
        const v = outputs[k];
        if (name && v) this.initializers.set(name, v);
      });
      return false;
    });
  }

  /**
   * Nodes computed from constants, the outputs of Shape / Size, integer graph inputs (lengths,
   * token ids) and the outputs of such nodes alone: the shape and lengths plumbing around the
   * recurrent nodes, memoized by the run plan. A node that reads a float constant (weights: an
   * embedding's Gather, a MatMul), unless it only moves values (LAYOUT_ONLY: the Expand of a zero
   * state), or a recurrent node is never memoized, nor is anything after it:
   * the model's own computation runs in every run, as in any runtime, even when the inputs repeat.
   */
  private markMemoizable(): void {
    for (const info of this.inputs) if (info.type && !isFloat(info.type)) this.integerInputs.add(info.name);
    const fromShapes = new Set<string>(this.integerInputs);
    const floatConstant = (n: string) => {
      const v = this.initializers.get(n);
      return v !== undefined && isFloat(v.type);
    };
    for (const step of this.plan) {
      const { node } = step.info;
      const op = node.op_type ?? '';
      const names = (node.input ?? []).filter(Boolean);
      const derived =
        isShapeOperator(op) ||
        (!NEVER_MEMOIZED.has(op) &&
          names.some((n) => fromShapes.has(n)) &&
          names.every(
            (n) => fromShapes.has(n) || (this.initializers.has(n) && (!floatConstant(n) || LAYOUT_ONLY.has(op))),
          ));
      if (!derived) continue;
      step.memoizable = !isShapeOperator(op);
      step.shapeSource = !step.memoizable;
      for (const out of node.output ?? []) if (out) fromShapes.add(out);
    }
  }

  /** For each node, the values whose last reader it is (not graph outputs, not constants). */
  /**
   * Numbers every value (constants first, then inputs, then node outputs): a run keeps its values
   * in an array indexed by these slots rather than in a map by name.
   */
  private assignSlots(): void {
    const slotOf = this.slotOf;
    const slot = (name: string) => {
      let k = slotOf.get(name);
      if (k === undefined) {
        k = slotOf.size;
        slotOf.set(name, k);
      }
      return k;
    };
    for (const [name, v] of this.initializers) this.constantSlots[slot(name)] = v;
    for (const info of this.inputs) slot(info.name);
    for (const step of this.plan) {
      step.inSlots = (step.info.node.input ?? []).map((name) => (name ? slot(name) : -1));
      step.outSlots = (step.info.node.output ?? []).map((name) => (name ? slot(name) : -1));
      step.freeSlots = step.frees.map(slot);
    }
    for (const o of this.outputs) slot(o.name);
  }

  private computeFrees(outputs: ReadonlySet<string>): void {
    const lastUse = new Map<string, number>();
    this.plan.forEach(({ info }, k) => {
      for (const name of info.node.input ?? []) if (name && !this.initializers.has(name)) lastUse.set(name, k);
    });
    this.plan.forEach((step, k) => {
      step.frees = [
        ...new Set(
          (step.info.node.input ?? []).filter((name) => name && lastUse.get(name) === k && !outputs.has(name)),
        ),
      ];
    });
  }

  /** Checks every node and orders them so each runs after the nodes that produce its inputs. */
  private planNodes(nodes: NodeProto[]): void {
    const file = this.file;
    const label = (n: NodeProto, i: number) => `node '${n.name || `#${i}`}' (${n.op_type})`;
    const producer = new Map<string, number>();
    nodes.forEach((node, i) => {
      const domain = node.domain ?? '';
      if (domain !== '' && domain !== 'ai.onnx') {
        throw new FormatError(
          file,
          `${label(node, i)}: operator '${node.op_type}' of domain '${domain}' is not supported (only the default ONNX domain is)`,
        );
      }
      if (!node.op_type || !OPS[node.op_type]) {
        throw new FormatError(
          file,
          `${label(node, i)}: operator '${node.op_type}' is not supported; supported operators: ${supportedOperators().join(', ')}`,
        );
      }
      for (const a of node.attribute ?? []) {
        if (a.g || a.graphs?.length)
          throw new FormatError(file, `${label(node, i)}: subgraph attributes are not supported`);
      }
      for (const out of node.output ?? []) {
        if (!out) continue;
        if (producer.has(out) || this.initializers.has(out))
          throw new FormatError(file, `${label(node, i)}: value '${out}' is produced twice`);
        producer.set(out, i);
      }
    });
    const available = new Set<string>([...this.initializers.keys(), ...this.inputs.map((v) => v.name)]);
    // For each node, the nodes whose outputs it reads.
    const dependencies = nodes.map((node, i) =>
      (node.input ?? [])
        .filter((name) => name && !available.has(name))
        .map((name) => {
          const from = producer.get(name);
          if (from === undefined)
            throw new FormatError(
              file,
              `${label(node, i)}: input '${name}' is not a graph input, an initializer or any node's output`,
            );
          return from;
        }),
    );
    // Depth-first topological sort, visiting nodes in file order (a valid model, already
    // topological, keeps its order). Iterative and linear in nodes + edges, so that a long
    // chain listed backwards neither overflows the stack nor takes quadratic time.
    const state = new Uint8Array(nodes.length); // 0 unvisited, 1 on the path, 2 ordered
    const order: { node: NodeProto; i: number }[] = [];
    for (let root = 0; root < nodes.length; root++) {
      if (state[root] !== 0) continue;
      state[root] = 1;
      const stack: [number, number][] = [[root, 0]]; // node, next dependency to visit
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        const deps = dependencies[top[0]]!;
        if (top[1] < deps.length) {
          const dep = deps[top[1]++]!;
          if (state[dep] === 1) throw new FormatError(file, `the graph has a cycle through ${label(nodes[dep]!, dep)}`);
          if (state[dep] === 0) {
            state[dep] = 1;
            stack.push([dep, 0]);
          }
        } else {
          state[top[0]] = 2;
          order.push({ node: nodes[top[0]]!, i: top[0] });
          stack.pop();
        }
      }
    }
    const outputs = new Set(this.outputs.map((o) => o.name));
    for (const name of outputs) {
      if (!producer.has(name) && !available.has(name))
        throw new FormatError(file, `graph output '${name}' is not produced by any node`);
    }
    for (const { node, i } of order)
      this.plan.push({
        info: new NodeInfo(node, i, file),
        impl: OPS[node.op_type!]!,
        frees: [],
        inSlots: [],
        outSlots: [],
        freeSlots: [],
        memoizable: false,
        shapeSource: false,
      });
  }

  /**
   * The operators a run executes, in order: what is left after loading (constant nodes computed,
   * layout nodes folded into recurrent nodes). A folded recurrent node is listed with what it
   * absorbed, e.g. `LSTM (batch-first X, batch-first Y)`.
   */
  get operatorsPerRun(): string[] {
    return this.plan.map(({ info }) => {
      const f = info.folded;
      const parts = f
        ? [f.batchFirstX && 'batch-first X', f.batchFirstY && 'batch-first Y', f.mergedY && 'directions merged'].filter(
            Boolean,
          )
        : [];
      return parts.length ? `${info.node.op_type} (${parts.join(', ')})` : (info.node.op_type ?? '');
    });
  }

  /** Brings a feed to the declared element type and checks the declared dims. */
  private prepareFeed(info: OnnxValueInfo, feed: OnnxFeed, bindings: Map<string, [number, string]>): NDArray {
    const where = `ONNX input '${info.name}'`;
    let type: ElemType;
    let values: ArrayLike<number | bigint>;
    let shape: number[];
    if (feed instanceof Tensor) {
      type = 'float32';
      values = feed.data;
      shape = [...feed.shape];
    } else if (feed instanceof Int32Array || feed instanceof BigInt64Array) {
      type = feed instanceof Int32Array ? 'int32' : 'int64';
      values = feed;
      shape = [feed.length];
    } else if (feed && typeof feed === 'object' && 'dtype' in feed && 'data' in feed && 'shape' in feed) {
      type = feed.dtype === 'int64' ? 'int64' : feed.dtype;
      values = feed.data;
      shape = [...feed.shape];
    } else {
      throw new ValueError(
        where,
        'must be a Tensor, an npy array ({ dtype, data, shape }), or a 1-D Int32Array / BigInt64Array',
      );
    }
    const target = info.type ?? type;
    if (info.dims) {
      if (info.dims.length !== shape.length)
        throw new ShapeError({
          where,
          what: 'rank',
          expected: `${info.dims.length} ([${info.dims.map((d) => d ?? '?').join(', ')}])`,
          actual: `${shape.length} ([${shape.join(', ')}])`,
        });
      info.dims.forEach((d, i) => {
        if (typeof d === 'number' && d !== shape[i])
          throw new ShapeError({ where, what: `dim ${i}`, expected: d, actual: shape[i]! });
        if (typeof d === 'string') {
          const bound = bindings.get(d);
          if (bound && bound[0] !== shape[i])
            throw new ShapeError({
              where,
              what: `dim ${i} ('${d}')`,
              expected: `${bound[0]} (as in input '${bound[1]}')`,
              actual: shape[i]!,
            });
          if (!bound) bindings.set(d, [shape[i]!, info.name]);
        }
      });
    }
    if (shape.some((d) => !Number.isSafeInteger(d) || d < 0))
      throw new ValueError(where, `shape [${shape.join(', ')}] must hold non-negative integers`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== values.length)
      throw new ShapeError({
        where,
        what: `element count of shape [${shape.join(', ')}]`,
        expected: count,
        actual: values.length,
      });
    const tooLarge = allocationProblem(target, shape);
    if (tooLarge) throw new ValueError(where, tooLarge);
    // Already in the runtime's representation: used as it is (the runtime never writes to a value).
    if (
      (target === 'float32' && values instanceof Float32Array) ||
      (target === 'int32' && values instanceof Int32Array)
    )
      return { type: target, shape, data: values };
    const out = makeArray(target, shape);
    const integer = !isFloat(target);
    for (let i = 0; i < values.length; i++) {
      const v = Number(values[i]);
      if (integer && !Number.isInteger(v))
        throw new ValueError(where, `expects ${target} values, but element ${i} is ${v}`);
      out.data[i] = target === 'bool' ? (v ? 1 : 0) : v;
    }
    return out;
  }

  /** Runs the graph; every output as typed arrays (float32, int32 or int64), see `toNpyArray`. */
  runArrays(feeds: Record<string, OnnxFeed>): Record<string, NpyArray> {
    const raw = this.runRaw(feeds);
    // A float32 output computed in this run is handed over as it is; one that shares memory with
    // a constant, a feed or a memoized value (kept for later runs) is copied.
    this.constantBuffers ??= new Set([...this.initializers.values()].map((v) => v.data.buffer));
    const feedBuffers = Object.values(feeds).map((feed) => (ArrayBuffer.isView(feed) ? feed.buffer : feed.data.buffer));
    const shared = (buffer: ArrayBufferLike) =>
      this.constantBuffers!.has(buffer) || feedBuffers.includes(buffer) || this.runPlan.keeps(buffer);
    const result: Record<string, NpyArray> = {};
    for (const [k, v] of Object.entries(raw))
      result[k] =
        v.type === 'float32' && !shared(v.data.buffer)
          ? { dtype: 'float32', shape: [...v.shape], data: v.data as Float32Array }
          : toNpyArray(v);
    return result;
  }

  /** Runs the graph; every output as a float32 Tensor (integer outputs converted). */
  run(feeds: Record<string, OnnxFeed>): Record<string, Tensor> {
    const raw = this.runRaw(feeds);
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, new Tensor(Float32Array.from(v.data), v.shape)]));
  }

  /** Runs the graph and returns the raw output arrays. */
  runRaw(feeds: Record<string, OnnxFeed>): Record<string, NDArray> {
    if (feeds === null || typeof feeds !== 'object')
      throw new ValueError(this.file, 'run() takes an object mapping input names to values');
    // This run's values by slot (assignSlots): the constants, then the feeds and what the nodes compute.
    const values: (NDArray | null)[] = this.constantSlots.slice();
    values.length = this.slotOf.size;
    const known = new Set(this.inputs.map((v) => v.name));
    for (const name of Object.keys(feeds)) {
      if (!known.has(name))
        throw new ValueError(this.file, `'${name}' is not an input of the model (inputs: ${[...known].join(', ')})`);
    }
    const bindings = new Map<string, [number, string]>();
    for (const info of this.inputs) {
      const feed = feeds[info.name];
      if (feed === undefined && info.optional) continue; // absent: its readers get no value there
      if (feed === undefined)
        throw new ValueError(
          this.file,
          `required input '${info.name}' is missing (inputs: ${this.inputs.map((i) => (i.optional ? `${i.name} (optional)` : i.name)).join(', ')})`,
        );
      const slot = this.slotOf.get(info.name)!;
      const value = this.prepareFeed(info, feed, bindings);
      values[slot] = this.integerInputs.has(info.name) ? this.runPlan.canonicalFeed(slot, value) : value;
    }
    this.runPlan.run(values);
    const result: Record<string, NDArray> = {};
    for (const o of this.outputs) {
      const v = values[this.slotOf.get(o.name)!];
      if (!v) throw new ValueError(this.file, `output '${o.name}' was not computed`);
      result[o.name] = v;
    }
    return result;
  }
}

/** Names that some node reads at a slot ONNX marks required, and the graph's outputs. */
function requiredNames(nodes: readonly NodeProto[], outputs: readonly OnnxValueInfo[]): Set<string> {
  const required = new Set(outputs.map((o) => o.name));
  for (const node of nodes) {
    (node.input ?? []).forEach((name, k) => {
      if (name && !isOptionalSlot(node.op_type ?? '', k)) required.add(name);
    });
  }
  return required;
}

/**
 * An output array as an npy-compatible typed array: float32/float64 -> float32; int64, uint32 ->
 * int64 (BigInt64Array); int32, int16, int8, uint8, uint16, bool -> int32.
 */
export function toNpyArray(v: NDArray): NpyArray {
  const shape = [...v.shape];
  if (isFloat(v.type))
    return {
      dtype: 'float32',
      shape,
      data: v.data instanceof Float32Array ? v.data.slice() : Float32Array.from(v.data),
    };
  if (v.type === 'int64' || v.type === 'uint32') {
    // Values at the int64 limits (INT64_MAX as a float) are clamped back into range; NaN, which
    // int64 arithmetic on infinities can produce, becomes 0 (as Cast makes it).
    const max = 2n ** 63n - 1n;
    const data = BigInt64Array.from(
      Array.from(v.data, (x) =>
        x >= 2 ** 63 ? max : x <= -(2 ** 63) ? -max - 1n : Number.isNaN(x) ? 0n : BigInt(Math.trunc(x)),
      ),
    );
    return { dtype: 'int64', shape, data };
  }
  return { dtype: 'int32', shape, data: Int32Array.from(v.data) };
}

/** Parses ONNX bytes into a runnable model. `file` names the source in errors. */
export function parseOnnx(bytes: Uint8Array, file = 'model.onnx'): OnnxModel {
  return new OnnxModel(decodeModel(bytes, file), file);
}

/** Reads an ONNX file into a runnable model. */
export function loadOnnx(file: string): OnnxModel {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new FormatError(
      file,
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  return parseOnnx(bytes, file);
}
