/**
 * Keras's weight initializers, drawn from the library's seeded generator (`manualSeed`), so
 * the same seed gives the same model. The distributions are Keras's; the numbers are not
 * (another generator), which is why parity tests set weights explicitly.
 *
 * For a weight of shape `(..., fanIn, fanOut)` (a kernel `(inputDim, units)`):
 *   glorotUniform: U(-l, l), l = sqrt(6 / (fanIn + fanOut))      (Keras's default kernel init)
 *   glorotNormal:  N(0, 2 / (fanIn + fanOut)) truncated at 2 std devs
 *   orthogonal:    rows (or columns) orthonormal, from the QR of a normal matrix
 *                  (Keras's default recurrent_kernel init)
 *   uniform:       U(-0.05, 0.05)                                 (Keras's Embedding default)
 *   zeros, ones
 */
import { ValueError } from '../errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { sizeOf } from '../tensor/shape.js';

/** A named initializer, or a function filling a weight of the given shape. */
export type Initializer =
  | 'glorotUniform'
  | 'glorotNormal'
  | 'orthogonal'
  | 'uniform'
  | 'zeros'
  | 'ones'
  | ((shape: readonly number[], generator: Generator) => Float32Array);

function fans(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0]!, shape[0]!];
  const receptive = sizeOf(shape.slice(0, -2));
  return [shape[shape.length - 2]! * receptive, shape[shape.length - 1]! * receptive];
}

/** Q of a QR decomposition of a `rows x cols` normal matrix (rows >= cols), signs fixed so R's diagonal is positive. */
function orthonormalColumns(rows: number, cols: number, generator: Generator): Float64Array {
  // Column-major for convenience: column j is q[j*rows .. (j+1)*rows).
  const q = new Float64Array(rows * cols);
  for (let i = 0; i < q.length; i++) q[i] = generator.normal();
  // Modified Gram-Schmidt gives Q with R's diagonal = the norms, which are positive.
  for (let j = 0; j < cols; j++) {
    const cj = j * rows;
    for (let k = 0; k < j; k++) {
      const ck = k * rows;
      let dot = 0;
      for (let r = 0; r < rows; r++) dot += q[ck + r]! * q[cj + r]!;
      for (let r = 0; r < rows; r++) q[cj + r]! -= dot * q[ck + r]!;
    }
    let norm = 0;
    for (let r = 0; r < rows; r++) norm += q[cj + r]! * q[cj + r]!;
    norm = Math.sqrt(norm) || 1;
    for (let r = 0; r < rows; r++) q[cj + r]! /= norm;
  }
  return q;
}

/** A `(..., n, m)` weight whose last two dims, flattened to `(size/m, m)`, have orthonormal rows or columns. */
function orthogonal(shape: readonly number[], generator: Generator): Float32Array {
  const cols = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  const rows = sizeOf(shape) / cols;
  const tall = Math.max(rows, cols);
  const narrow = Math.min(rows, cols);
  const q = orthonormalColumns(tall, narrow, generator); // (tall x narrow), column-major
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // rows >= cols: out = Q; otherwise out = Qᵀ.
      out[r * cols + c] = rows >= cols ? q[c * tall + r]! : q[r * tall + c]!;
    }
  }
  return out;
}

/** Fills a new weight of `shape` with `initializer`. */
export function initialize(
  initializer: Initializer,
  shape: readonly number[],
  generator: Generator = defaultGenerator,
): Float32Array {
  const n = sizeOf(shape);
  if (typeof initializer === 'function') {
    const data = initializer(shape, generator);
    if (!(data instanceof Float32Array) || data.length !== n) {
      throw new ValueError(
        'initializer',
        `a custom initializer must return a Float32Array of ${n} values for shape [${shape.join(', ')}]`,
      );
    }
    return data;
  }
  const out = new Float32Array(n);
  const [fanIn, fanOut] = fans(shape);
  switch (initializer) {
    case 'zeros':
      return out;
    case 'ones':
      return out.fill(1);
    case 'uniform':
      for (let i = 0; i < n; i++) out[i] = generator.uniform(-0.05, 0.05);
      return out;
    case 'glorotUniform': {
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < n; i++) out[i] = generator.uniform(-limit, limit);
      return out;
    }
    case 'glorotNormal': {
      // Keras: truncated normal with stddev sqrt(2 / (fanIn + fanOut)) / .87962566103423978.
      const std = Math.sqrt(2 / (fanIn + fanOut)) / 0.8796256610342398;
      for (let i = 0; i < n; i++) {
        let v = generator.normal();
        while (Math.abs(v) > 2) v = generator.normal();
        out[i] = v * std;
      }
      return out;
    }
    case 'orthogonal':
      return orthogonal(shape, generator);
    default:
      throw new ValueError(
        'initializer',
        `unknown initializer '${String(initializer)}'; use 'glorotUniform', 'glorotNormal', 'orthogonal', 'uniform', 'zeros', 'ones' or a function`,
      );
  }
}
