/**
 * The values an ONNX graph computes on: typed n-dimensional arrays in row-major order.
 *
 *   float32 Float32Array   float64 Float64Array   int32 Int32Array   bool Uint8Array (0/1)
 *   int64   Float64Array holding integers (exact to 2^53; every index, shape and length fits)
 *   uint8 Uint8Array  int8 Int8Array  int16 Int16Array  uint16 Uint16Array  uint32 Uint32Array
 * Conversions from and to TensorProto live here too.
 */
import { FormatError } from '../errors.js';
import { DataType, type TensorProto } from './proto.js';

export type ElemType =
  | 'float32'
  | 'float64'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'bool';

export type ArrayData =
  | Float32Array
  | Float64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array
  | Uint16Array
  | Uint32Array;

export interface NDArray {
  type: ElemType;
  shape: number[];
  data: ArrayData;
}

const CODE_TO_TYPE: Record<number, ElemType> = {
  [DataType.FLOAT]: 'float32',
  [DataType.DOUBLE]: 'float64',
  [DataType.INT64]: 'int64',
  [DataType.INT32]: 'int32',
  [DataType.INT16]: 'int16',
  [DataType.INT8]: 'int8',
  [DataType.UINT8]: 'uint8',
  [DataType.UINT16]: 'uint16',
  [DataType.UINT32]: 'uint32',
  [DataType.BOOL]: 'bool',
};

const TYPE_TO_CODE: Record<ElemType, number> = {
  float32: DataType.FLOAT,
  float64: DataType.DOUBLE,
  int64: DataType.INT64,
  int32: DataType.INT32,
  int16: DataType.INT16,
  int8: DataType.INT8,
  uint8: DataType.UINT8,
  uint16: DataType.UINT16,
  uint32: DataType.UINT32,
  bool: DataType.BOOL,
};

const CODE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(DataType).map(([k, v]) => [v, k]));

export function dataTypeName(code: number | undefined): string {
  return CODE_NAMES[code ?? 0] ?? `data type ${code}`;
}

export function elemTypeOf(code: number | undefined): ElemType | null {
  return CODE_TO_TYPE[code ?? 0] ?? null;
}

export function dataTypeCode(type: ElemType): number {
  return TYPE_TO_CODE[type];
}

/**
 * The most bytes one value may take (1 GiB). A corrupt or forged model (a shape constant of
 * 2^26, an Expand to [2^40]) fails with an error naming the node instead of exhausting memory;
 * the recurrent models this runtime is for stay far below it.
 */
export const MAX_VALUE_BYTES = 2 ** 30;

const ELEMENT_BYTES: Record<ElemType, number> = {
  float32: 4,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  uint16: 2,
  uint32: 4,
  bool: 1,
};

/**
 * Why an array of `type` and `shape` cannot be allocated (dims that are not non-negative
 * integers, or more than MAX_VALUE_BYTES), or null when it can.
 */
export function allocationProblem(type: ElemType, shape: readonly number[]): string | null {
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0))
    return `shape ${formatDims(shape)} must hold non-negative integers`;
  const size = sizeOfShape(shape);
  const bytes = size * ELEMENT_BYTES[type];
  if (bytes > MAX_VALUE_BYTES)
    return `a ${type} value of shape ${formatDims(shape)} (${size} elements, ${(bytes / 2 ** 30).toPrecision(3)} GiB) exceeds the runtime's limit of ${MAX_VALUE_BYTES / 2 ** 30} GiB per value`;
  return null;
}

/**
 * Thrown by `allocate`/`makeArray` for a size beyond the limit. The runtime reports it as a
 * ValueError naming the node; the loaders check sizes themselves first.
 */
export class AllocationError extends RangeError {
  override name = 'AllocationError';
}

export function allocate(type: ElemType, size: number): ArrayData {
  const problem = allocationProblem(type, [size]);
  if (problem) throw new AllocationError(problem);
  switch (type) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
    case 'int64':
      return new Float64Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'int16':
      return new Int16Array(size);
    case 'int8':
      return new Int8Array(size);
    case 'uint16':
      return new Uint16Array(size);
    case 'uint32':
      return new Uint32Array(size);
    default:
      return new Uint8Array(size); // uint8, bool
  }
}

export const isFloat = (type: ElemType): boolean => type === 'float32' || type === 'float64';

export function sizeOfShape(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function makeArray(type: ElemType, shape: readonly number[], data?: ArrayData): NDArray {
  if (!data) {
    const problem = allocationProblem(type, shape);
    if (problem) throw new AllocationError(problem);
  }
  return { type, shape: [...shape], data: data ?? allocate(type, sizeOfShape(shape)) };
}

/** A new array of `type` holding `values` (rounded or truncated as the typed array does). */
export function arrayFrom(type: ElemType, shape: readonly number[], values: ArrayLike<number>): NDArray {
  const out = makeArray(type, shape);
  if (type === 'int64') for (let i = 0; i < values.length; i++) out.data[i] = Math.trunc(values[i]!);
  else if (type === 'bool') for (let i = 0; i < values.length; i++) out.data[i] = values[i] ? 1 : 0;
  else out.data.set(values as ArrayLike<number>);
  return out;
}

/** An int64 1-D array (shapes, axes, indices). */
export const int64s = (values: readonly number[]): NDArray => arrayFrom('int64', [values.length], values);

export function formatDims(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

const ITEM_BYTES: Partial<Record<number, number>> = {
  [DataType.FLOAT]: 4,
  [DataType.DOUBLE]: 8,
  [DataType.INT64]: 8,
  [DataType.INT32]: 4,
  [DataType.INT16]: 2,
  [DataType.INT8]: 1,
  [DataType.UINT8]: 1,
  [DataType.UINT16]: 2,
  [DataType.UINT32]: 4,
  [DataType.BOOL]: 1,
};

/** Decodes a TensorProto (raw_data or the typed fields). `where` names the tensor in errors. */
export function fromTensorProto(t: TensorProto, file: string, where: string): NDArray {
  const type = elemTypeOf(t.data_type);
  if (!type)
    throw new FormatError(
      file,
      `${where}: tensor data type ${dataTypeName(t.data_type)} is not supported (float, double, int64, int32, int16, int8, uint8, uint16, uint32, bool are)`,
    );
  if (t.data_location === 1)
    throw new FormatError(
      file,
      `${where}: tensor data stored in an external file is not supported; save the model with all tensors inside it`,
    );
  const shape = (t.dims ?? []).map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0))
    throw new FormatError(file, `${where}: dims ${formatDims(shape)} must be non-negative integers`);
  // The element count is checked against the data the file holds before anything is allocated:
  // forged dims such as [2^40] fail here instead of allocating terabytes.
  const size = sizeOfShape(shape);
  const tooLarge = allocationProblem(type, shape);
  const raw = t.raw_data;
  if (raw && raw.length > 0) {
    const item = ITEM_BYTES[t.data_type!]!;
    if (raw.length !== size * item)
      throw new FormatError(
        file,
        `${where}: raw_data holds ${raw.length} bytes, shape ${formatDims(shape)} of ${type} needs ${size * item}`,
      );
    if (tooLarge) throw new FormatError(file, `${where}: ${tooLarge}`);
    const out = makeArray(type, shape);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const d = out.data;
    for (let i = 0; i < size; i++) {
      switch (type) {
        case 'float32':
          d[i] = view.getFloat32(4 * i, true);
          break;
        case 'float64':
          d[i] = view.getFloat64(8 * i, true);
          break;
        case 'int64':
          d[i] = Number(view.getBigInt64(8 * i, true));
          break;
        case 'int32':
          d[i] = view.getInt32(4 * i, true);
          break;
        case 'int16':
          d[i] = view.getInt16(2 * i, true);
          break;
        case 'uint16':
          d[i] = view.getUint16(2 * i, true);
          break;
        case 'uint32':
          d[i] = view.getUint32(4 * i, true);
          break;
        case 'int8':
          d[i] = view.getInt8(i);
          break;
        default:
          d[i] = view.getUint8(i) ? (type === 'bool' ? 1 : view.getUint8(i)) : 0;
      }
    }
    return out;
  }
  let values: readonly number[] | undefined;
  switch (type) {
    case 'float32':
      values = t.float_data;
      break;
    case 'float64':
      values = t.double_data;
      break;
    case 'int64':
      values = t.int64_data;
      break;
    case 'uint32':
      values = t.uint64_data;
      break;
    default:
      values = t.int32_data; // int32, int16, int8, uint8, uint16, bool
  }
  const n = values?.length ?? 0;
  if (n !== size) throw new FormatError(file, `${where}: holds ${n} values, shape ${formatDims(shape)} needs ${size}`);
  if (tooLarge) throw new FormatError(file, `${where}: ${tooLarge}`);
  const out = makeArray(type, shape);
  for (let i = 0; i < size; i++) out.data[i] = Number(values![i]);
  return out;
}

/** Encodes an array as a TensorProto with raw_data (little-endian). */
export function toTensorProto(a: NDArray, name?: string): TensorProto {
  const code = TYPE_TO_CODE[a.type];
  const item = ITEM_BYTES[code]!;
  const size = a.data.length;
  const raw = new Uint8Array(size * item);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < size; i++) {
    const v = a.data[i]!;
    switch (a.type) {
      case 'float32':
        view.setFloat32(4 * i, v, true);
        break;
      case 'float64':
        view.setFloat64(8 * i, v, true);
        break;
      case 'int64':
        view.setBigInt64(8 * i, BigInt(Math.trunc(v)), true);
        break;
      case 'int32':
        view.setInt32(4 * i, v, true);
        break;
      case 'int16':
        view.setInt16(2 * i, v, true);
        break;
      case 'uint16':
        view.setUint16(2 * i, v, true);
        break;
      case 'uint32':
        view.setUint32(4 * i, v, true);
        break;
      case 'int8':
        view.setInt8(i, v);
        break;
      default:
        view.setUint8(i, v);
    }
  }
  return { ...(name !== undefined && { name }), dims: [...a.shape], data_type: code, raw_data: raw };
}
