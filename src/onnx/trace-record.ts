/**
 * Recording a forward pass for ONNX export: runs a module (an nn Module with `forward`, or a
 * Keras-style layer or model) on example inputs with a trace listener (tensor/trace.ts) and
 * keeps every op with the dotted path of the module that ran it (`encoder.2`, `lstm_1`).
 *
 * The export records twice: on the example, and on the example grown along each symbolic
 * dimension (batch by 1, time by 2, a third name by 3, ...). Sizes that differ between the two
 * records follow the input; sizes that agree are fixed. trace-emit.ts reads both.
 */
import { ExportError, ValueError } from '../errors.js';
import { Layer } from '../layers/layer.js';
import { Model } from '../layers/model.js';
import { GlobalAveragePooling1D, GlobalMaxPooling1D } from '../layers/pooling.js';
import { Bidirectional } from '../layers/wrappers.js';
import { RecurrentLayer as KerasRecurrentLayer } from '../layers/recurrent/base.js';
import { Embedding } from '../nn/embedding.js';
import type { Module } from '../nn/module.js';
import { Tensor } from '../tensor/tensor.js';
import { traceAsOne, type TraceEvent, withTraceListener } from '../tensor/trace.js';
import type { Dim } from './builder.js';

/** An op with the module that ran it. */
export interface RecordedOp extends TraceEvent {
  /** Dotted path of the innermost module running, '' for the root. */
  readonly path: string;
}

export interface NamedTensor {
  name: string;
  tensor: Tensor;
}

export interface Recording {
  inputs: Tensor[];
  ops: RecordedOp[];
  outputs: NamedTensor[];
}

/** Where errors point: `model` for the root, `model.encoder.2` for a child. */
export function modulePath(path: string): string {
  return path === '' ? 'model' : `model.${path}`;
}

/** Runs the module's forward on `inputs`: `apply` for a Keras-style layer, `forward` otherwise. */
function runForward(module: Module, inputs: readonly Tensor[]): unknown {
  if (module instanceof Layer) return module.apply(inputs.length === 1 ? inputs[0]! : inputs);
  const forward = (module as unknown as { forward?: unknown }).forward;
  if (typeof forward !== 'function')
    throw new ValueError('exportOnnx', `${module.describe()} has no forward method to trace`);
  return (forward as (...args: unknown[]) => unknown).apply(module, [...inputs]);
}

/** The result's tensors with names: `output`; `output_0`, `output_1`...; or an object's keys. */
export function namedOutputs(result: unknown): NamedTensor[] {
  if (result instanceof Tensor) return [{ name: 'output', tensor: result }];
  if (Array.isArray(result)) {
    if (!result.every((t) => t instanceof Tensor))
      throw new ValueError('exportOnnx', 'forward returned a list holding something other than tensors');
    return result.map((tensor: Tensor, i) => ({ name: `output_${i}`, tensor }));
  }
  if (result !== null && typeof result === 'object') {
    const entries = Object.entries(result).filter(([, v]) => v instanceof Tensor) as [string, Tensor][];
    if (entries.length > 0) return entries.map(([name, tensor]) => ({ name, tensor }));
  }
  throw new ValueError('exportOnnx', 'forward must return a Tensor, a list of tensors or an object of tensors');
}

/**
 * Runs `module` once on `inputs`, recording its ops. Modules are entered through their
 * `forward` (nn) or `call` (Keras-style layers); nn.Embedding is one op (it reads the ids'
 * values itself).
 */
export function record(module: Module, inputs: readonly Tensor[]): Recording {
  const ops: RecordedOp[] = [];
  const stack: string[] = [''];
  const patched: [Module, string][] = [];
  for (const [path, m] of module.namedModules()) {
    if (m instanceof KerasRecurrentLayer) m.lastPath = null;
    const key = m instanceof Layer ? 'call' : 'forward';
    const target = m as unknown as Record<string, unknown>;
    const original = target[key];
    if (typeof original !== 'function' || Object.prototype.hasOwnProperty.call(m, key)) continue;
    const run = original as (...args: unknown[]) => unknown;
    const readsMask =
      m instanceof KerasRecurrentLayer ||
      m instanceof Bidirectional ||
      m instanceof GlobalAveragePooling1D ||
      m instanceof GlobalMaxPooling1D;
    target[key] = function (this: Module, ...args: unknown[]): unknown {
      if (readsMask && hasMask(args[1])) throw maskError(path);
      stack.push(path);
      try {
        if (m instanceof Embedding) return traceAsOne('embedding', [m.weight, args[0]], () => run.apply(this, args));
        return run.apply(this, args);
      } finally {
        stack.pop();
      }
    };
    patched.push([m, key]);
  }
  try {
    const result = withTraceListener(
      (event) => ops.push({ ...event, path: stack[stack.length - 1]! }),
      () => runForward(module, inputs),
    );
    return { inputs: [...inputs], ops, outputs: namedOutputs(result) };
  } finally {
    for (const [m, key] of patched) delete (m as unknown as Record<string, unknown>)[key];
  }
}

function hasMask(context: unknown): boolean {
  const mask = (context as { mask?: unknown } | undefined)?.mask;
  return Array.isArray(mask) ? mask.some((m) => m) : Boolean(mask);
}

function maskError(path: string): ExportError {
  return new ExportError(
    modulePath(path),
    'mask',
    'it reads a mask (from masking() or an embedding with maskZero); masks depend on the values of the input and are not traced (export without the mask, or with nn.RNN/LSTM/GRU and { lengths: true })',
  );
}

/** The symbolic dims of each input: `inputDims` if given, else from the module (see OnnxExportOptions). */
export function inputDimensions(
  module: Module,
  inputs: readonly Tensor[],
  given?: readonly (readonly Dim[])[],
): Dim[][] {
  return inputs.map((x, i) => {
    // (batch, time, ...); a 2-D input is (batch, time) ids when it holds integers, else (batch, features).
    const timed = x.rank >= 3 || (x.rank === 2 && x.data.every((v) => Number.isInteger(v)));
    const auto = (k: number, size: number): Dim => (k === 0 ? 'batch' : k === 1 && timed ? 'time' : size);
    const spec = given?.[i];
    if (spec) {
      if (spec.length !== x.rank || spec.some((d, k) => typeof d === 'number' && d !== x.shape[k]))
        throw new ValueError(
          'exportOnnx',
          `inputDims[${i}] is [${spec.join(', ')}], but example input ${i} has shape [${x.shape.join(', ')}]`,
        );
      return [...spec];
    }
    const declared = module instanceof Model ? module.inputs[i]?.shape : undefined;
    if (declared && declared.length === x.rank)
      return declared.map((d, k) => (d === null ? (k === 0 ? 'batch' : k === 1 ? 'time' : `dim${k}`) : d));
    return x.shape.map((size, k) => auto(k, size));
  });
}

/** Increment of each symbolic dim name in the second record: 1, 2, 3... in order of appearance. */
export function growth(dims: readonly (readonly Dim[])[]): Map<string, number> {
  const steps = new Map<string, number>();
  for (const d of dims.flat()) if (typeof d === 'string' && !steps.has(d)) steps.set(d, steps.size + 1);
  return steps;
}

/** `x` grown along each symbolic dim by its step, repeating the existing entries cyclically. */
export function grow(x: Tensor, dims: readonly Dim[], steps: ReadonlyMap<string, number>): Tensor {
  const shape = x.shape.map((s, k) => (typeof dims[k] === 'string' ? s + steps.get(dims[k] as string)! : s));
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < out.length; flat++) {
    let src = 0;
    for (let k = 0; k < rank; k++) src = src * x.shape[k]! + (index[k]! % x.shape[k]!);
    out[flat] = x.data[src]!;
    for (let k = rank - 1; k >= 0; k--) {
      if (++index[k]! < shape[k]!) break;
      index[k] = 0;
    }
  }
  return new Tensor(out, shape);
}
