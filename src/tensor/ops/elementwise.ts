/**
 * Element-wise ops. Binary ops broadcast as NumPy does; their gradients are summed back to
 * each input's shape.
 */
import { ShapeError } from '../../errors.js';
import { broadcastIndexMap, broadcastShapes, type Shape, shapesEqual, sizeOf } from '../shape.js';
import { Tensor } from '../tensor.js';
import { opResult } from './result.js';
import { traced } from '../trace.js';

/** Sums a gradient of shape `outShape` down to `inShape` (the reverse of broadcasting). */
export function sumToShape(grad: Float32Array, outShape: Shape, inShape: Shape): Float32Array {
  if (shapesEqual(outShape, inShape)) return grad;
  if (sizeOf(inShape) === 1) {
    let sum = 0;
    // Rounded to float32 at every addition, as the general path's Float32Array accumulator does.
    for (let i = 0; i < grad.length; i++) sum = Math.fround(sum + grad[i]!);
    return Float32Array.of(sum);
  }
  const map = broadcastIndexMap(inShape, outShape);
  const out = new Float32Array(sizeOf(inShape));
  for (let i = 0; i < grad.length; i++) out[map[i]!]! += grad[i]!;
  return out;
}

/** Reads `t` broadcast to `outShape` into a new contiguous array. */
export function broadcastData(t: Tensor, outShape: Shape): Float32Array {
  if (shapesEqual(t.shape, outShape)) return t.data;
  if (t.size === 1) return new Float32Array(sizeOf(outShape)).fill(t.data[0]!);
  const map = broadcastIndexMap(t.shape, outShape);
  const out = new Float32Array(map.length);
  const src = t.data;
  for (let i = 0; i < map.length; i++) out[i] = src[map[i]!]!;
  return out;
}

type BinaryKind = 'add' | 'sub' | 'mul' | 'div';

function asTensor(v: Tensor | number): Tensor {
  return typeof v === 'number' ? new Tensor(Float32Array.of(v), []) : v;
}

function binary(kind: BinaryKind, aIn: Tensor | number, bIn: Tensor | number): Tensor {
  const a = asTensor(aIn);
  const b = asTensor(bIn);
  const shape = broadcastShapes(a.shape, b.shape, kind);
  const n = sizeOf(shape);
  const x = broadcastData(a, shape);
  const y = broadcastData(b, shape);
  const out = new Float32Array(n);
  switch (kind) {
    case 'add':
      for (let i = 0; i < n; i++) out[i] = x[i]! + y[i]!;
      break;
    case 'sub':
      for (let i = 0; i < n; i++) out[i] = x[i]! - y[i]!;
      break;
    case 'mul':
      for (let i = 0; i < n; i++) out[i] = x[i]! * y[i]!;
      break;
    case 'div':
      for (let i = 0; i < n; i++) out[i] = x[i]! / y[i]!;
      break;
  }
  return opResult(kind, [a, b], out, shape, (g) => {
    let ga: Float32Array | null = null;
    let gb: Float32Array | null = null;
    if (a.requiresGrad) {
      if (kind === 'add' || kind === 'sub') ga = g;
      else {
        ga = new Float32Array(n);
        if (kind === 'mul') for (let i = 0; i < n; i++) ga[i] = g[i]! * y[i]!;
        else for (let i = 0; i < n; i++) ga[i] = g[i]! / y[i]!;
      }
      ga = sumToShape(ga, shape, a.shape);
    }
    if (b.requiresGrad) {
      gb = new Float32Array(n);
      switch (kind) {
        case 'add':
          gb.set(g);
          break;
        case 'sub':
          for (let i = 0; i < n; i++) gb[i] = -g[i]!;
          break;
        case 'mul':
          for (let i = 0; i < n; i++) gb[i] = g[i]! * x[i]!;
          break;
        case 'div':
          for (let i = 0; i < n; i++) gb[i] = (-g[i]! * x[i]!) / (y[i]! * y[i]!);
          break;
      }
      gb = sumToShape(gb, shape, b.shape);
    }
    return [ga, gb];
  });
}

/** `a + b` with broadcasting. */
export const add = traced('add', (a: Tensor | number, b: Tensor | number): Tensor => binary('add', a, b));
/** `a - b` with broadcasting. */
export const sub = traced('sub', (a: Tensor | number, b: Tensor | number): Tensor => binary('sub', a, b));
/** `a * b` with broadcasting. */
export const mul = traced('mul', (a: Tensor | number, b: Tensor | number): Tensor => binary('mul', a, b));
/** `a / b` with broadcasting. */
export const div = traced('div', (a: Tensor | number, b: Tensor | number): Tensor => binary('div', a, b));

/**
 * An element-wise function `y = f(x)` whose derivative is written from x and y.
 * `derivative(x, y)` returns dy/dx.
 */
function unary(
  name: string,
  x: Tensor,
  f: (v: number) => number,
  derivative: (x: number, y: number) => number,
): Tensor {
  const n = x.size;
  const src = x.data;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = f(src[i]!);
  return opResult(name, [x], out, x.shape, (g) => {
    const gx = new Float32Array(n);
    for (let i = 0; i < n; i++) gx[i] = g[i]! * derivative(src[i]!, out[i]!);
    return [gx];
  });
}

export const neg = traced(
  'neg',
  (x: Tensor): Tensor =>
    unary(
      'neg',
      x,
      (v) => -v,
      () => -1,
    ),
);
export const exp = traced('exp', (x: Tensor): Tensor => unary('exp', x, Math.exp, (_x, y) => y));
/** Natural logarithm; log(0) is -Infinity as in PyTorch. */
export const log = traced('log', (x: Tensor): Tensor => unary('log', x, Math.log, (v) => 1 / v));
export const sqrt = traced('sqrt', (x: Tensor): Tensor => unary('sqrt', x, Math.sqrt, (_x, y) => 0.5 / y));
export const abs = traced('abs', (x: Tensor): Tensor => unary('abs', x, Math.abs, (v) => Math.sign(v)));
// tanh and sigmoid run in every recurrent model's head and attention: their loops are written out
// (not through unary's callbacks, which V8 cannot inline at a call site shared by all ops).
export const tanh = traced('tanh', function tanh(x: Tensor): Tensor {
  const n = x.size;
  const src = x.data;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.tanh(src[i]!);
  return opResult('tanh', [x], out, x.shape, (g) => {
    const gx = new Float32Array(n);
    for (let i = 0; i < n; i++) gx[i] = g[i]! * (1 - out[i]! * out[i]!);
    return [gx];
  });
});
export const sigmoid = traced('sigmoid', function sigmoid(x: Tensor): Tensor {
  const n = x.size;
  const src = x.data;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = 1 / (1 + Math.exp(-src[i]!));
  return opResult('sigmoid', [x], out, x.shape, (g) => {
    const gx = new Float32Array(n);
    for (let i = 0; i < n; i++) gx[i] = g[i]! * (out[i]! * (1 - out[i]!));
    return [gx];
  });
});
/** max(x, 0); the gradient at 0 is 0, as in PyTorch. */
export const relu = traced(
  'relu',
  (x: Tensor): Tensor =>
    unary(
      'relu',
      x,
      (v) => (v > 0 ? v : 0),
      (v) => (v > 0 ? 1 : 0),
    ),
);
/** `x ** exponent` for a constant exponent. */
export const pow = traced(
  'pow',
  (x: Tensor, exponent: number): Tensor =>
    unary(
      'pow',
      x,
      (v) => Math.pow(v, exponent),
      (v) => exponent * Math.pow(v, exponent - 1),
    ),
);
/** Clamps into [min, max]; the gradient is 1 inside and 0 where clamped. */
export const clamp = traced(
  'clamp',
  (x: Tensor, min = -Infinity, max = Infinity): Tensor =>
    unary(
      'clamp',
      x,
      (v) => Math.min(Math.max(v, min), max),
      (v) => (v >= min && v <= max ? 1 : 0),
    ),
);

/**
 * Where `mask` (broadcast to x) is non-zero, replaces x's value by `value`. The gradient is
 * zero at filled positions.
 */
export const maskedFill = traced('maskedFill', function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  const shape = broadcastShapes(x.shape, mask.shape, 'maskedFill');
  if (!shapesEqual(shape, x.shape)) {
    throw new ShapeError({
      where: 'maskedFill',
      what: 'mask shape',
      expected: `broadcastable to ${x.shape.join('x')}`,
      actual: mask.shape,
    });
  }
  const m = broadcastData(mask, shape);
  const out = Float32Array.from(x.data);
  for (let i = 0; i < out.length; i++) if (m[i] !== 0) out[i] = value;
  return opResult('maskedFill', [x], out, shape, (g) => {
    const gx = Float32Array.from(g);
    for (let i = 0; i < gx.length; i++) if (m[i] !== 0) gx[i] = 0;
    return [gx];
  });
});

/** Element-wise choice: `a` where `condition` is non-zero, else `b` (all broadcast). */
export const where = traced(
  'where',
  function where(condition: Tensor, aIn: Tensor | number, bIn: Tensor | number): Tensor {
    const a = asTensor(aIn);
    const b = asTensor(bIn);
    const shape = broadcastShapes(broadcastShapes(condition.shape, a.shape, 'where'), b.shape, 'where');
    const c = broadcastData(condition, shape);
    const x = broadcastData(a, shape);
    const y = broadcastData(b, shape);
    const out = new Float32Array(c.length);
    for (let i = 0; i < out.length; i++) out[i] = c[i] !== 0 ? x[i]! : y[i]!;
    return opResult('where', [a, b], out, shape, (g) => {
      const ga = a.requiresGrad ? new Float32Array(g.length) : null;
      const gb = b.requiresGrad ? new Float32Array(g.length) : null;
      for (let i = 0; i < g.length; i++) {
        if (c[i] !== 0) {
          if (ga) ga[i] = g[i]!;
        } else if (gb) gb[i] = g[i]!;
      }
      return [ga && sumToShape(ga, shape, a.shape), gb && sumToShape(gb, shape, b.shape)];
    });
  },
);
