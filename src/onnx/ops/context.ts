/** What an operator implementation gets: its inputs, attributes, opset, and error helpers. */
import { FormatError, ShapeError, ValueError } from '../../errors.js';
import { type AttributeProto, AttributeType, decodeString, type NodeProto } from '../proto.js';
import { fromTensorProto, type NDArray } from '../values.js';

export class Attributes {
  private readonly byName = new Map<string, AttributeProto>();
  /** Decoded list and string values by name (a node's attributes never change; decoding strings costs a TextDecoder call). */
  private readonly decoded = new Map<string, unknown>();

  constructor(
    list: readonly AttributeProto[],
    private readonly ctx: { formatError(message: string): FormatError },
  ) {
    for (const a of list) this.byName.set(a.name ?? '', a);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  private get(name: string, type: number, label: string): AttributeProto | undefined {
    const a = this.byName.get(name);
    if (a === undefined) return undefined;
    if (a.type !== undefined && a.type !== type)
      throw this.ctx.formatError(`attribute '${name}' must be ${label} (attribute type ${type}), got type ${a.type}`);
    return a;
  }

  int(name: string, fallback: number): number;
  int(name: string): number | undefined;
  int(name: string, fallback?: number): number | undefined {
    const a = this.get(name, AttributeType.INT, 'an int');
    return a ? Number(a.i ?? 0) : fallback;
  }

  float(name: string, fallback: number): number;
  float(name: string): number | undefined;
  float(name: string, fallback?: number): number | undefined {
    const a = this.get(name, AttributeType.FLOAT, 'a float');
    return a ? Number(a.f ?? 0) : fallback;
  }

  string(name: string, fallback: string): string;
  string(name: string): string | undefined;
  string(name: string, fallback?: string): string | undefined {
    const a = this.get(name, AttributeType.STRING, 'a string');
    return a ? this.once(`s:${name}`, () => decodeString(a.s)) : fallback;
  }

  /** `decode()` the first time, its value afterwards. */
  private once<T>(key: string, decode: () => T): T {
    if (!this.decoded.has(key)) this.decoded.set(key, decode());
    return this.decoded.get(key) as T;
  }

  ints(name: string): number[] | undefined {
    const a = this.get(name, AttributeType.INTS, 'a list of ints');
    return a ? [...this.once(`i:${name}`, () => (a.ints ?? []).map(Number))] : undefined;
  }

  floats(name: string): number[] | undefined {
    const a = this.get(name, AttributeType.FLOATS, 'a list of floats');
    return a ? [...this.once(`f:${name}`, () => (a.floats ?? []).map(Number))] : undefined;
  }

  strings(name: string): string[] | undefined {
    const a = this.get(name, AttributeType.STRINGS, 'a list of strings');
    return a ? [...this.once(`ss:${name}`, () => (a.strings ?? []).map((s) => decodeString(s)))] : undefined;
  }

  tensor(name: string, file: string, where: string): NDArray | undefined {
    const a = this.get(name, AttributeType.TENSOR, 'a tensor');
    return a?.t ? fromTensorProto(a.t, file, where) : undefined;
  }

  names(): string[] {
    return [...this.byName.keys()];
  }
}

/**
 * Layout changes folded into a recurrent node when the graph loads (see ../fold.ts): its X is
 * read batch-first (batch, time, input) instead of through a Transpose; its Y is written as
 * (batch, time, hidden) instead of through Squeeze + Transpose (one direction, `batchFirstY`);
 * or, `mergedY`, as (time, batch, directions·hidden) instead of through Transpose [0, 2, 1, 3] +
 * Reshape [0, 0, -1], and with `batchFirstY` as well as (batch, time, directions·hidden) instead
 * of through a further Transpose [1, 0, 2] (PyTorch's bidirectional layers).
 */
export interface FoldedLayout {
  batchFirstX: boolean;
  batchFirstY: boolean;
  mergedY?: boolean;
}

/** What stays the same for a node from run to run: its label and its parsed attributes. */
export class NodeInfo {
  /** `ONNX node 'name' (OpType)` for messages. */
  readonly where: string;
  readonly attrs: Attributes;

  constructor(
    readonly node: NodeProto,
    readonly index: number,
    readonly file: string,
    readonly folded: FoldedLayout | null = null,
  ) {
    this.where = `ONNX node '${node.name || `#${index}`}' (${node.op_type})`;
    this.attrs = new Attributes(node.attribute ?? [], this);
  }

  formatError(message: string): FormatError {
    return new FormatError(this.file, `${this.where}: ${message}`);
  }
}

export class OpContext {
  readonly attrs: Attributes;
  /** `ONNX node 'name' (OpType)` for messages. */
  readonly where: string;
  readonly node: NodeProto;
  readonly index: number;
  readonly file: string;
  /** Layout changes folded into this node at load (recurrent nodes only), or null. */
  readonly folded: FoldedLayout | null;

  /** `info` is the node's NodeInfo, or the node itself (its NodeInfo is then made here). */
  constructor(
    info: NodeInfo | NodeProto,
    index: number,
    readonly inputs: readonly (NDArray | null)[],
    readonly opset: number,
    file: string,
  ) {
    const known = info instanceof NodeInfo ? info : new NodeInfo(info, index, file);
    this.node = known.node;
    this.index = known.index;
    this.file = known.file;
    this.where = known.where;
    this.attrs = known.attrs;
    this.folded = known.folded;
  }

  /** A malformed model (bad attribute, missing required input). */
  formatError(message: string): FormatError {
    return new FormatError(this.file, `${this.where}: ${message}`);
  }

  valueError(message: string): ValueError {
    return new ValueError(this.where, message);
  }

  shapeError(
    what: string,
    expected: number | string | readonly number[],
    actual: number | string | readonly number[],
  ): ShapeError {
    return new ShapeError({ where: this.where, what, expected, actual });
  }

  /** A required input. */
  input(k: number, name = `input ${k}`): NDArray {
    const v = this.inputs[k];
    if (!v) throw this.formatError(`required ${name} is missing`);
    return v;
  }

  /** An optional input (null when absent or named ''). */
  optional(k: number): NDArray | null {
    return this.inputs[k] ?? null;
  }

  get outputCount(): number {
    return (this.node.output ?? []).length;
  }

  /** Whether output k is used (present and named). */
  wants(k: number): boolean {
    return Boolean(this.node.output?.[k]);
  }
}

export type OpImpl = (ctx: OpContext) => (NDArray | null)[];
