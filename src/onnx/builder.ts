/** A small ONNX graph builder: nodes, initializers, inputs and outputs with named dimensions. */
import {
  type AttributeProto,
  AttributeType,
  encodeModel,
  encodeString,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from './proto.js';
import { dataTypeCode, type ElemType, type NDArray, toTensorProto } from './values.js';

/** An attribute value: the kind is explicit, since 1 could be an int or a float. */
export type AttrValue =
  | { i: number }
  | { f: number }
  | { s: string }
  | { ints: readonly number[] }
  | { floats: readonly number[] }
  | { strings: readonly string[] }
  | { t: NDArray };

/** A dimension: a fixed size or a symbolic name (dim_param) such as 'batch'. */
export type Dim = number | string;

function attribute(name: string, value: AttrValue): AttributeProto {
  if ('i' in value) return { name, type: AttributeType.INT, i: value.i };
  if ('f' in value) return { name, type: AttributeType.FLOAT, f: value.f };
  if ('s' in value) return { name, type: AttributeType.STRING, s: encodeString(value.s) };
  if ('ints' in value) return { name, type: AttributeType.INTS, ints: [...value.ints] };
  if ('floats' in value) return { name, type: AttributeType.FLOATS, floats: [...value.floats] };
  if ('strings' in value) return { name, type: AttributeType.STRINGS, strings: value.strings.map(encodeString) };
  return { name, type: AttributeType.TENSOR, t: toTensorProto(value.t) };
}

/** `dims` null leaves the shape out (unknown rank). */
function valueInfo(name: string, type: ElemType, dims: readonly Dim[] | null): ValueInfoProto {
  const shape = dims
    ? { shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } }
    : {};
  return { name, type: { tensor_type: { elem_type: dataTypeCode(type), ...shape } } };
}

export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private readonly nodeNames = new Set<string>();
  private readonly counters = new Map<string, number>();

  /** A fresh value name starting with `hint`. */
  fresh(hint: string): string {
    let n = this.counters.get(hint) ?? 0;
    let name = n === 0 ? hint : `${hint}_${n}`;
    while (this.used.has(name)) name = `${hint}_${++n}`;
    this.counters.set(hint, n + 1);
    this.used.add(name);
    return name;
  }

  input(name: string, type: ElemType, dims: readonly Dim[]): string {
    this.used.add(name);
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** Declares `value` a graph output named `name` (through an Identity when the names differ). */
  output(name: string, value: string, type: ElemType, dims: readonly Dim[] | null): void {
    if (value !== name) {
      this.used.add(name);
      this.nodeNames.add(`${name}/Identity`);
      this.nodes.push({ op_type: 'Identity', name: `${name}/Identity`, input: [value], output: [name] });
    }
    this.outputs.push(valueInfo(name, type, dims));
  }

  private readonly smallConstants = new Map<string, string>();

  /** A weight or constant stored as an initializer; small equal constants are stored once. */
  constant(hint: string, value: NDArray): string {
    const key =
      value.data.length <= 16
        ? `${hint}|${value.type}|${value.shape.join(',')}|${Array.from(value.data).join(',')}`
        : null;
    const known = key ? this.smallConstants.get(key) : undefined;
    if (known) return known;
    const name = this.fresh(hint);
    if (key) this.smallConstants.set(key, name);
    this.initializers.push(toTensorProto(value, name));
    return name;
  }

  /** Adds a node; returns its output names (fresh names from `hint`). `''` marks an absent optional input. */
  node(
    op: string,
    inputs: readonly string[],
    hint: string,
    attrs: Record<string, AttrValue> = {},
    outputCount = 1,
  ): string[] {
    const outputs = Array.from({ length: outputCount }, (_, k) =>
      this.fresh(outputCount === 1 ? hint : `${hint}_${k}`),
    );
    // Trailing absent optional inputs may be dropped.
    const trimmed = [...inputs];
    while (trimmed.length > 0 && trimmed[trimmed.length - 1] === '') trimmed.pop();
    let name = `${hint}/${op}`;
    for (let k = 1; this.nodeNames.has(name); k++) name = `${hint}/${op}_${k}`;
    this.nodeNames.add(name);
    this.nodes.push({
      op_type: op,
      name,
      input: trimmed,
      output: outputs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outputs;
  }

  /** One-output shorthand of `node`. */
  op(op: string, inputs: readonly string[], hint: string, attrs: Record<string, AttrValue> = {}): string {
    return this.node(op, inputs, hint, attrs, 1)[0]!;
  }

  build(options: {
    graphName: string;
    opset: number;
    docString?: string;
    metadata?: Record<string, string>;
    producerVersion?: string;
  }): ModelProto {
    return {
      ir_version: 8,
      producer_name: 'recurrent',
      producer_version: options.producerVersion ?? '',
      opset_import: [{ domain: '', version: options.opset }],
      ...(options.docString !== undefined && { doc_string: options.docString }),
      metadata_props: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: options.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
  }

  encode(options: Parameters<GraphBuilder['build']>[0]): Uint8Array {
    return encodeModel(this.build(options));
  }
}
