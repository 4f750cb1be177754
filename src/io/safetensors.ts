/**
 * safetensors, the format PyTorch and Hugging Face use for weights (no Node APIs here, so it
 * also runs in browsers):
 *   8 bytes  little-endian u64 N: the header's length
 *   N bytes  JSON: { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: {...} }
 *   rest     the tensors' bytes, little-endian, row-major; offsets are relative to this part
 * Reading validates the whole header (sizes, dtypes, shapes, offsets in range, no overlap, no
 * gap) before any tensor is allocated. Writing produces F32.
 */
import { FormatError } from '../errors.js';
import { sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/** The dtypes read (converted to float32); written tensors are always F32. */
const DTYPE_BYTES: Record<string, number> = {
  F32: 4,
  F64: 8,
  F16: 2,
  BF16: 2,
  I32: 4,
  I64: 8,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** Largest header accepted, so a forged length cannot make us allocate gigabytes. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface SafetensorsContent {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * Math.pow(2, -14) * (fraction / 1024);
  if (exponent === 31) return fraction ? Number.NaN : sign * Infinity;
  return sign * Math.pow(2, exponent - 15) * (1 + fraction / 1024);
}

function decode(dtype: string, view: DataView, begin: number, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    switch (dtype) {
      case 'F32':
        out[i] = view.getFloat32(begin + 4 * i, true);
        break;
      case 'F64':
        out[i] = view.getFloat64(begin + 8 * i, true);
        break;
      case 'F16':
        out[i] = halfToFloat(view.getUint16(begin + 2 * i, true));
        break;
      case 'BF16':
        out[i] = new Float32Array(new Uint32Array([view.getUint16(begin + 2 * i, true) << 16]).buffer)[0]!;
        break;
      case 'I32':
        out[i] = view.getInt32(begin + 4 * i, true);
        break;
      case 'I64':
        out[i] = Number(view.getBigInt64(begin + 8 * i, true));
        break;
      case 'I16':
        out[i] = view.getInt16(begin + 2 * i, true);
        break;
      case 'I8':
        out[i] = view.getInt8(begin + i);
        break;
      default:
        out[i] = view.getUint8(begin + i); // U8, BOOL
    }
  }
  return out;
}

/** Parses safetensors bytes. `file` names the source in errors. */
export function parseSafetensors(bytes: Uint8Array, file = 'safetensors'): SafetensorsContent {
  if (bytes.length < 8)
    throw new FormatError(file, `is ${bytes.length} bytes, too short for a safetensors header (8 bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(Math.min(MAX_HEADER_BYTES, bytes.length - 8))) {
    throw new FormatError(
      file,
      `header length ${headerLength} exceeds the file (${bytes.length - 8} bytes after the length field)`,
    );
  }
  const n = Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (error) {
    throw new FormatError(file, `header is not valid UTF-8 JSON (${(error as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    throw new FormatError(file, 'header must be a JSON object');
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const entries: { name: string; dtype: string; shape: number[]; begin: number; end: number }[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (value === null || typeof value !== 'object' || Object.values(value).some((v) => typeof v !== 'string'))
        throw new FormatError(file, '__metadata__ must map strings to strings');
      metadata = value as Record<string, string>;
      continue;
    }
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (info === null || typeof info !== 'object')
      throw new FormatError(file, `tensor '${name}': entry must be an object`);
    if (typeof info.dtype !== 'string' || !(info.dtype in DTYPE_BYTES))
      throw new FormatError(
        file,
        `tensor '${name}': unsupported dtype ${JSON.stringify(info.dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`,
      );
    if (!Array.isArray(info.shape) || info.shape.some((d) => !Number.isSafeInteger(d) || d < 0))
      throw new FormatError(file, `tensor '${name}': shape must be a list of non-negative integers`);
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || offsets.some((o) => !Number.isSafeInteger(o) || o < 0))
      throw new FormatError(file, `tensor '${name}': data_offsets must be two non-negative integers`);
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > dataLength)
      throw new FormatError(
        file,
        `tensor '${name}': data_offsets [${begin}, ${end}] fall outside the ${dataLength}-byte data section`,
      );
    const expectedBytes = sizeOf(info.shape as number[]) * DTYPE_BYTES[info.dtype]!;
    if (end - begin !== expectedBytes)
      throw new FormatError(
        file,
        `tensor '${name}': ${end - begin} bytes for shape [${(info.shape as number[]).join(', ')}] of ${info.dtype}, expected ${expectedBytes}`,
      );
    entries.push({ name, dtype: info.dtype, shape: info.shape as number[], begin, end });
  }
  // Offsets must tile the data section: no overlap, no gap.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of sorted) {
    if (e.begin !== cursor)
      throw new FormatError(
        file,
        `tensor '${e.name}': data starts at ${e.begin}, expected ${cursor} (overlapping or gapped offsets)`,
      );
    cursor = e.end;
  }
  if (cursor !== dataLength)
    throw new FormatError(file, `data section is ${dataLength} bytes but the tensors cover ${cursor}`);
  const tensors: Record<string, Tensor> = {};
  for (const e of entries) {
    tensors[e.name] = new Tensor(decode(e.dtype, view, dataStart + e.begin, sizeOf(e.shape)), e.shape);
  }
  return { tensors, metadata };
}

/** Serializes tensors as F32 safetensors, in the dict's key order. */
export function serializeSafetensors(
  tensors: Record<string, Tensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header['__metadata__'] = metadata;
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + 4 * t.size] };
    offset += 4 * t.size;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of Object.values(tensors)) {
    for (let i = 0; i < t.size; i++) view.setFloat32(at + 4 * i, t.data[i]!, true);
    at += 4 * t.size;
  }
  return out;
}
