/**
 * NumPy's `.npy` format (no Node APIs here, so it also runs in browsers):
 *   6 bytes  magic `\x93NUMPY`
 *   2 bytes  version major, minor (1.0: 2-byte header length; 2.0 and 3.0: 4-byte length)
 *   2|4      little-endian header length N
 *   N bytes  a Python dict literal, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`,
 *            padded with spaces and ended by '\n' so the data starts 64-byte aligned
 *   rest     the elements, in the byte order `descr` names, C (row-major) order
 *
 * Read: float32 (`<f4`), int32 (`<i4`), int64 (`<i8`), and float64 (`<f8`), which is converted
 * to float32 (the result's `dtype` is 'float32' and `sourceDtype` says 'float64'). Everything
 * else is refused with a FormatError naming the file and what was found: Fortran order,
 * big-endian data, other dtypes, structured and object arrays. The header (magic, version,
 * dict, shape, and the data size against the file length) is validated before any element
 * array is allocated.
 *
 * Write: float32, int32 or int64, version 1.0 (2.0 when the header does not fit in 65535 bytes).
 *
 * Integers come back as their own typed array, never silently as floats:
 *   { dtype: 'float32', data: Float32Array }  { dtype: 'int32', data: Int32Array }
 *   { dtype: 'int64', data: BigInt64Array }
 * `npyToTensor` turns any of them into a (float32) Tensor when that is what is wanted.
 */
import { FormatError, ValueError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';

/** The element types read and written. */
export type NpyDtype = 'float32' | 'int32' | 'int64';

interface NpyBase {
  /** Size of each dimension (C order); `[]` for a 0-d array. */
  shape: number[];
}

/** A typed n-dimensional array as stored in a .npy file. */
export type NpyArray =
  | (NpyBase & { dtype: 'float32'; data: Float32Array; sourceDtype?: 'float32' | 'float64' })
  | (NpyBase & { dtype: 'int32'; data: Int32Array })
  | (NpyBase & { dtype: 'int64'; data: BigInt64Array });

/** What `serializeNpy` accepts: a Tensor (written as float32) or a typed array with its shape. */
export type NpyInput =
  | Tensor
  | { dtype: 'float32'; data: Float32Array; shape: readonly number[] }
  | { dtype: 'int32'; data: Int32Array; shape: readonly number[] }
  | { dtype: 'int64'; data: BigInt64Array; shape: readonly number[] };

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** descr strings we read, with the dtype they become and their item size. */
const READABLE: Record<string, { dtype: NpyDtype; bytes: number; source: string }> = {
  '<f4': { dtype: 'float32', bytes: 4, source: 'float32' },
  '<f8': { dtype: 'float32', bytes: 8, source: 'float64' },
  '<i4': { dtype: 'int32', bytes: 4, source: 'int32' },
  '<i8': { dtype: 'int64', bytes: 8, source: 'int64' },
};

const DESCR: Record<NpyDtype, string> = { float32: '<f4', int32: '<i4', int64: '<i8' };

/** Largest header accepted (numpy itself refuses headers over 10 kB unless told otherwise). */
const MAX_HEADER_BYTES = 1 << 20;

/** Deepest nesting of dicts, tuples and lists accepted in a header (numpy writes 2 levels). */
const MAX_HEADER_NESTING = 32;

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------------
// The header: a tiny parser for the Python literal numpy writes (dict, str, bool, int, tuple).

type PyValue = string | boolean | number | null | PyValue[] | { [key: string]: PyValue };

class LiteralParser {
  private at = 0;
  private depth = 0;
  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  private fail(message: string): never {
    // Quote the header, or the part around the problem when it is long.
    const text = this.text.trim();
    const excerpt =
      text.length <= 200
        ? JSON.stringify(text)
        : `${JSON.stringify(this.text.slice(Math.max(0, this.at - 60), this.at + 60))} (an excerpt)`;
    throw new FormatError(this.file, `npy header ${message} (at character ${this.at} of ${excerpt})`);
  }

  private skipSpace(): void {
    while (this.at < this.text.length && /\s/.test(this.text[this.at]!)) this.at++;
  }

  private expect(ch: string): void {
    this.skipSpace();
    if (this.text[this.at] !== ch) this.fail(`expected '${ch}'`);
    this.at++;
  }

  parseAll(): PyValue {
    const value = this.value();
    this.skipSpace();
    if (this.at !== this.text.length) this.fail('has trailing characters');
    return value;
  }

  private value(): PyValue {
    this.skipSpace();
    const ch = this.text[this.at];
    if (ch === '{' || ch === '(' || ch === '[') {
      // Recursion depth is bounded, so a header of nested brackets cannot overflow the stack.
      if (++this.depth > MAX_HEADER_NESTING) this.fail(`nests more than ${MAX_HEADER_NESTING} levels deep`);
      const value = ch === '{' ? this.dict() : this.sequence(ch === '(' ? ')' : ']');
      this.depth--;
      return value;
    }
    if (ch === "'" || ch === '"') return this.string();
    const word = /^(True|False|None|-?\d+L?)/.exec(this.text.slice(this.at));
    if (!word) this.fail('holds a value that is not a string, bool, integer, tuple or list');
    this.at += word[0].length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    if (word[0] === 'None') return null;
    return Number(word[0].replace('L', ''));
  }

  private string(): string {
    const quote = this.text[this.at++]!;
    let out = '';
    while (this.at < this.text.length && this.text[this.at] !== quote) {
      if (this.text[this.at] === '\\') this.at++;
      out += this.text[this.at++] ?? '';
    }
    if (this.text[this.at] !== quote) this.fail('has an unterminated string');
    this.at++;
    return out;
  }

  private sequence(close: string): PyValue[] {
    this.at++;
    const items: PyValue[] = [];
    for (;;) {
      this.skipSpace();
      if (this.text[this.at] === close) {
        this.at++;
        return items;
      }
      items.push(this.value());
      this.skipSpace();
      if (this.text[this.at] === ',') this.at++;
      else if (this.text[this.at] !== close) this.fail(`expected ',' or '${close}'`);
    }
  }

  private dict(): { [key: string]: PyValue } {
    this.at++;
    // No prototype: a key such as '__proto__' or 'constructor' is an ordinary key here.
    const out: { [key: string]: PyValue } = Object.create(null) as { [key: string]: PyValue };
    for (;;) {
      this.skipSpace();
      if (this.text[this.at] === '}') {
        this.at++;
        return out;
      }
      const key = this.value();
      if (typeof key !== 'string') this.fail('has a non-string key');
      this.expect(':');
      out[key] = this.value();
      this.skipSpace();
      if (this.text[this.at] === ',') this.at++;
      else if (this.text[this.at] !== '}') this.fail("expected ',' or '}'");
    }
  }
}

function describeDescr(descr: PyValue): string {
  if (typeof descr !== 'string') return `a structured dtype ${JSON.stringify(descr)}`;
  const kinds: Record<string, string> = {
    f: 'float',
    i: 'int',
    u: 'unsigned int',
    b: 'bool',
    c: 'complex',
    O: 'object',
    U: 'unicode string',
    S: 'byte string',
    V: 'void',
    M: 'datetime',
    m: 'timedelta',
  };
  const m = /^([<>|=]?)([a-zA-Z])(\d*)$/.exec(descr);
  if (!m) return `dtype '${descr}'`;
  const kind = kinds[m[2]!] ?? `kind '${m[2]}'`;
  const order = m[1] === '>' ? 'big-endian ' : '';
  const bits = m[3] ? `${Number(m[3]) * (m[2] === 'U' ? 32 : 8)}-bit ` : '';
  return `dtype '${descr}' (${order}${bits}${kind})`;
}

/** Reads the header and checks it against the file length; allocates nothing big. */
function readHeader(
  bytes: Uint8Array,
  file: string,
): { descr: string; shape: number[]; dataStart: number; count: number } {
  if (bytes.length < 10) throw new FormatError(file, `is ${bytes.length} bytes, too short for an npy header`);
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i])
      throw new FormatError(file, 'is not an npy file (the magic string \\x93NUMPY is missing)');
  }
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (!((major === 1 || major === 2 || major === 3) && minor === 0)) {
    throw new FormatError(file, `npy format version ${major}.${minor} is not supported (1.0, 2.0 and 3.0 are)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes)
    throw new FormatError(file, `is ${bytes.length} bytes, too short for an npy ${major}.0 header`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = 8 + lengthBytes;
  if (headerLength > MAX_HEADER_BYTES || headerStart + headerLength > bytes.length) {
    throw new FormatError(
      file,
      `npy header length ${headerLength} exceeds the file (${bytes.length - headerStart} bytes after the length field)`,
    );
  }
  const raw = bytes.subarray(headerStart, headerStart + headerLength);
  let text: string;
  try {
    // Versions 1 and 2 are latin-1 (in practice ASCII), version 3 is UTF-8.
    if (major === 3) text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
    else {
      text = '';
      for (const b of raw) text += String.fromCharCode(b);
    }
  } catch {
    throw new FormatError(file, 'npy header is not valid UTF-8');
  }
  const header = new LiteralParser(text, file).parseAll();
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    throw new FormatError(file, 'npy header must be a dict');
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!(key in header)) throw new FormatError(file, `npy header has no '${key}' key`);
  }
  const { descr, fortran_order: fortran, shape } = header;
  if (typeof descr !== 'string' || descr === '|O' || !(descr in READABLE)) {
    const supported = 'float32 (<f4), int32 (<i4), int64 (<i8); float64 (<f8) is read as float32';
    throw new FormatError(file, `npy ${describeDescr(descr!)} is not supported (supported: ${supported})`);
  }
  if (typeof fortran !== 'boolean')
    throw new FormatError(file, `npy 'fortran_order' must be True or False, got ${JSON.stringify(fortran)}`);
  if (fortran)
    throw new FormatError(
      file,
      'npy array is stored in Fortran (column-major) order; save it in C order (np.ascontiguousarray) and retry',
    );
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)) {
    throw new FormatError(file, `npy 'shape' must be a tuple of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  const dims = shape as number[];
  const itemBytes = READABLE[descr]!.bytes;
  const dataStart = headerStart + headerLength;
  const available = bytes.length - dataStart;
  let count = dims.includes(0) ? 0 : 1;
  for (const d of dims) {
    if (count === 0) break;
    count *= d;
    if (count * itemBytes > available) break; // stop while the product is still exact; reported below
  }
  const needed = count * itemBytes;
  if (needed !== available) {
    const what = needed > available ? 'is truncated' : 'has trailing bytes';
    throw new FormatError(
      file,
      `npy data ${what}: shape (${dims.join(', ')}) of ${descr} needs ${dims.reduce((a, b) => a * b, 1) * itemBytes} bytes, the file holds ${available}`,
    );
  }
  return { descr, shape: dims, dataStart, count };
}

/** Copies `count` little-endian items starting at `start` into a fresh, aligned buffer. */
function copyBytes(bytes: Uint8Array, start: number, length: number): ArrayBuffer {
  const out = new Uint8Array(length);
  out.set(bytes.subarray(start, start + length));
  return out.buffer;
}

/** Parses .npy bytes. `file` names the source in errors. */
export function parseNpy(bytes: Uint8Array, file = 'npy'): NpyArray {
  const { descr, shape, dataStart, count } = readHeader(bytes, file);
  const spec = READABLE[descr]!;
  const length = count * spec.bytes;
  if (littleEndianHost) {
    const buffer = copyBytes(bytes, dataStart, length);
    if (descr === '<f4') return { dtype: 'float32', shape, data: new Float32Array(buffer), sourceDtype: 'float32' };
    if (descr === '<f8')
      return { dtype: 'float32', shape, data: Float32Array.from(new Float64Array(buffer)), sourceDtype: 'float64' };
    if (descr === '<i4') return { dtype: 'int32', shape, data: new Int32Array(buffer) };
    return { dtype: 'int64', shape, data: new BigInt64Array(buffer) };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + dataStart, length);
  if (descr === '<f4' || descr === '<f8') {
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++)
      data[i] = descr === '<f4' ? view.getFloat32(4 * i, true) : view.getFloat64(8 * i, true);
    return { dtype: 'float32', shape, data, sourceDtype: descr === '<f4' ? 'float32' : 'float64' };
  }
  if (descr === '<i4') {
    const data = new Int32Array(count);
    for (let i = 0; i < count; i++) data[i] = view.getInt32(4 * i, true);
    return { dtype: 'int32', shape, data };
  }
  const data = new BigInt64Array(count);
  for (let i = 0; i < count; i++) data[i] = view.getBigInt64(8 * i, true);
  return { dtype: 'int64', shape, data };
}

function headerText(descr: string, shape: readonly number[]): string {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  return `{'descr': '${descr}', 'fortran_order': False, 'shape': ${dims}, }`;
}

/** Serializes a Tensor (as float32) or a typed array with its shape to .npy bytes. */
export function serializeNpy(input: NpyInput): Uint8Array {
  const dtype: NpyDtype = input instanceof Tensor ? 'float32' : input.dtype;
  const shape = input.shape;
  const data = input.data;
  if (!(dtype in DESCR))
    throw new ValueError('serializeNpy', `dtype must be float32, int32 or int64, got ${String(dtype)}`);
  const expectedType = dtype === 'float32' ? Float32Array : dtype === 'int32' ? Int32Array : BigInt64Array;
  if (!(data instanceof expectedType))
    throw new ValueError('serializeNpy', `a ${dtype} array needs its data as a ${expectedType.name}`);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0))
    throw new ValueError('serializeNpy', `shape [${shape.join(', ')}] must hold non-negative integers`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length)
    throw new ValueError(
      'serializeNpy',
      `shape [${shape.join(', ')}] holds ${count} elements but the data has ${data.length}`,
    );
  const dict = headerText(DESCR[dtype], shape);
  // Pad with spaces so that magic + version + length field + header + '\n' is a multiple of 64.
  const pad = (prefix: number) => dict + ' '.repeat((64 - ((prefix + dict.length + 1) % 64)) % 64) + '\n';
  const major = pad(10).length > 0xffff ? 2 : 1;
  const text = pad(major === 1 ? 10 : 12);
  const prefix = major === 1 ? 10 : 12;
  const itemBytes = data.BYTES_PER_ELEMENT;
  const out = new Uint8Array(prefix + text.length + count * itemBytes);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, text.length, true);
  else view.setUint32(8, text.length, true);
  for (let i = 0; i < text.length; i++) out[prefix + i] = text.charCodeAt(i);
  const start = prefix + text.length;
  if (littleEndianHost) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, count * itemBytes), start);
  } else {
    for (let i = 0; i < count; i++) {
      if (data instanceof Float32Array) view.setFloat32(start + 4 * i, data[i]!, true);
      else if (data instanceof Int32Array) view.setInt32(start + 4 * i, data[i]!, true);
      else view.setBigInt64(start + 8 * i, data[i]!, true);
    }
  }
  return out;
}

/**
 * Any npy array as a float32 Tensor. Integers beyond ±2^24 lose precision in float32, and
 * int64 values beyond ±2^53 are refused (they cannot even be held as a JavaScript number).
 */
export function npyToTensor(array: NpyArray): Tensor {
  if (array.dtype === 'float32') return new Tensor(array.data, array.shape);
  if (array.dtype === 'int32') return new Tensor(Float32Array.from(array.data), array.shape);
  const out = new Float32Array(array.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = array.data[i]!;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
      throw new ValueError('npyToTensor', `int64 value ${v} at flat index ${i} is too large for a number`);
    out[i] = Number(v);
  }
  return new Tensor(out, array.shape);
}
