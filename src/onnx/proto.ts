/**
 * ONNX files as plain objects, through protobufjs and the official schema `onnx.proto`
 * (shipped beside this file; see README.md here for its version and source). The schema is
 * parsed once, at the first use, from the .proto text: no generated code.
 *
 * Field names are the schema's own (snake_case: `op_type`, `raw_data`, ...). int64 fields come
 * back as JavaScript numbers (exact up to 2^53, which covers every dimension and index; larger
 * values such as INT64_MAX in a Slice keep their meaning as "very large").
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { FormatError } from '../errors.js';

/** TensorProto.DataType codes used here. */
export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
} as const;

/** AttributeProto.AttributeType codes. */
export const AttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
} as const;

export interface TensorProto {
  dims?: number[];
  data_type?: number;
  float_data?: number[];
  int32_data?: number[];
  string_data?: Uint8Array[];
  int64_data?: number[];
  name?: string;
  doc_string?: string;
  raw_data?: Uint8Array;
  double_data?: number[];
  uint64_data?: number[];
  /** 1 = EXTERNAL: the data lives in another file (not supported). */
  data_location?: number;
  external_data?: { key?: string; value?: string }[];
}

export interface AttributeProto {
  name?: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
  tensors?: TensorProto[];
  graphs?: GraphProto[];
  ref_attr_name?: string;
  doc_string?: string;
}

export interface NodeProto {
  input?: string[];
  output?: string[];
  name?: string;
  op_type?: string;
  domain?: string;
  attribute?: AttributeProto[];
  doc_string?: string;
}

export interface TensorShapeDim {
  dim_value?: number;
  dim_param?: string;
}

export interface TypeProto {
  tensor_type?: { elem_type?: number; shape?: { dim?: TensorShapeDim[] } };
  /** An ONNX optional value (IR 8): absent, or a value of `elem_type`. */
  optional_type?: { elem_type?: TypeProto };
}

export interface ValueInfoProto {
  name?: string;
  type?: TypeProto;
  doc_string?: string;
}

export interface GraphProto {
  node?: NodeProto[];
  name?: string;
  initializer?: TensorProto[];
  doc_string?: string;
  input?: ValueInfoProto[];
  output?: ValueInfoProto[];
  value_info?: ValueInfoProto[];
}

export interface OperatorSetIdProto {
  domain?: string;
  version?: number;
}

export interface ModelProto {
  ir_version?: number;
  opset_import?: OperatorSetIdProto[];
  producer_name?: string;
  producer_version?: string;
  domain?: string;
  model_version?: number;
  doc_string?: string;
  graph?: GraphProto;
  metadata_props?: { key?: string; value?: string }[];
}

let modelType: protobuf.Type | null = null;

/** Where onnx.proto may be: beside the compiled file (after the build copies it), or in src/onnx of a checkout. */
function schemaPath(): string {
  const candidates = ['./onnx.proto', '../../../src/onnx/onnx.proto', '../../src/onnx/onnx.proto'];
  for (const candidate of candidates) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new FormatError(
    'onnx.proto',
    `the ONNX schema was not found beside ${fileURLToPath(import.meta.url)}; the build must copy src/onnx/onnx.proto next to the compiled onnx/proto.js`,
  );
}

/** The ModelProto type, parsed from the schema at first use. */
function model(): protobuf.Type {
  if (!modelType) {
    const text = readFileSync(schemaPath(), 'utf8');
    const root = protobuf.parse(text, { keepCase: true }).root;
    modelType = root.lookupType('onnx.ModelProto');
  }
  return modelType;
}

/** Decodes an ONNX file's bytes into a plain ModelProto. `file` names the source in errors. */
export function decodeModel(bytes: Uint8Array, file = 'model.onnx'): ModelProto {
  const type = model();
  // Any failure of protobufjs (a truncated field, a length beyond the end, a bad wire type, a
  // message nested so deeply that the stack overflows) becomes a FormatError naming the file.
  try {
    const message = type.decode(bytes);
    return type.toObject(message, { longs: Number, enums: Number, arrays: true, defaults: false }) as ModelProto;
  } catch (error) {
    throw new FormatError(
      file,
      `is not a valid ONNX protobuf (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

/** Encodes a plain ModelProto into ONNX bytes. */
export function encodeModel(value: ModelProto): Uint8Array {
  const type = model();
  const problem = type.verify(value);
  if (problem) throw new FormatError('ModelProto', `cannot be encoded: ${problem}`);
  return type.encode(type.fromObject(value)).finish();
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export const encodeString = (s: string): Uint8Array => utf8.encode(s);
export const decodeString = (b: Uint8Array | undefined): string => (b ? fromUtf8.decode(b) : '');
