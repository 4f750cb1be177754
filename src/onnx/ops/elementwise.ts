/** Element-wise operators: arithmetic and comparisons with broadcasting, activations, Cast, Clip, Where. */
import { allocate, elemTypeOf, type ElemType, isFloat, makeArray, type NDArray, sizeOfShape } from '../values.js';
import type { OpContext, OpImpl } from './context.js';
import { broadcastIndex, broadcastShapes } from './util.js';

/** Applies `fn` over the broadcast of `args`; the result has type `outType`. */
function mapBroadcast(
  ctx: OpContext,
  args: readonly NDArray[],
  outType: ElemType,
  fn: (values: number[]) => number,
): NDArray {
  const shape = broadcastShapes(
    ctx,
    args.map((a) => a.shape),
  );
  const out = makeArray(outType, shape);
  const maps = args.map((a) => broadcastIndex(a.shape, shape));
  const values = new Array<number>(args.length);
  const size = out.data.length;
  const integer = outType === 'int64';
  for (let i = 0; i < size; i++) {
    for (let k = 0; k < args.length; k++) {
      const m = maps[k];
      values[k] = args[k]!.data[m ? m[i]! : i]!;
    }
    const v = fn(values);
    out.data[i] = integer ? Math.trunc(v) : v;
  }
  return out;
}

function sameTypes(ctx: OpContext, args: readonly NDArray[]): ElemType {
  const type = args[0]!.type;
  for (const a of args) {
    if (a.type !== type)
      throw ctx.valueError(`inputs must have one element type, got ${args.map((x) => x.type).join(' and ')}`);
  }
  return type;
}

/**
 * Whether `inner` broadcasts into `outer` as its trailing dims (leading dims missing or 1): then
 * element i of the broadcast is element i % inner.length.
 */
function isTrailing(inner: readonly number[], outer: readonly number[]): boolean {
  const skip = outer.length - inner.length;
  if (skip < 0) return false;
  let k = 0;
  while (k < inner.length && inner[k] === 1 && outer[skip + k] !== 1) k++;
  for (; k < inner.length; k++) if (inner[k] !== outer[skip + k]) return false;
  return true;
}

function arithmetic(fn: (a: number, b: number, integer: boolean) => number): OpImpl {
  return (ctx) => {
    const a = ctx.input(0);
    const b = ctx.input(1);
    const type = sameTypes(ctx, [a, b]);
    const integer = !isFloat(type);
    // One operand full size, the other its trailing dims (a bias added to every row): the same
    // values as mapBroadcast's, without index maps.
    const shape = broadcastShapes(ctx, [a.shape, b.shape]);
    const size = sizeOfShape(shape);
    if (!integer && size > 0 && a.data.length === size && isTrailing(b.shape, shape)) {
      const out = makeArray(type, shape);
      const o = out.data;
      const x = a.data;
      const y = b.data;
      const m = y.length;
      for (let i = 0, j = 0; i < size; i++, j = j + 1 === m ? 0 : j + 1) o[i] = fn(x[i]!, y[j]!, false);
      return [out];
    }
    if (!integer && size > 0 && b.data.length === size && isTrailing(a.shape, shape)) {
      const out = makeArray(type, shape);
      const o = out.data;
      const x = a.data;
      const y = b.data;
      const m = x.length;
      for (let i = 0, j = 0; i < size; i++, j = j + 1 === m ? 0 : j + 1) o[i] = fn(x[j]!, y[i]!, false);
      return [out];
    }
    return [mapBroadcast(ctx, [a, b], type, (v) => fn(v[0]!, v[1]!, integer))];
  };
}

function comparison(fn: (a: number, b: number) => boolean): OpImpl {
  return (ctx) => {
    const a = ctx.input(0);
    const b = ctx.input(1);
    sameTypes(ctx, [a, b]);
    return [mapBroadcast(ctx, [a, b], 'bool', (v) => (fn(v[0]!, v[1]!) ? 1 : 0))];
  };
}

function logical(fn: (a: boolean, b: boolean) => boolean): OpImpl {
  return (ctx) => [
    mapBroadcast(ctx, [ctx.input(0), ctx.input(1)], 'bool', (v) => (fn(v[0] !== 0, v[1] !== 0) ? 1 : 0)),
  ];
}

/** Element-wise unary op; floats only unless `anyType`. */
function unary(fn: (x: number, ctx: OpContext) => number, anyType = false): OpImpl {
  return (ctx) => {
    const x = ctx.input(0);
    if (!anyType && !isFloat(x.type)) throw ctx.valueError(`input must be float or double, got ${x.type}`);
    const out = makeArray(x.type, x.shape);
    const integer = x.type === 'int64';
    for (let i = 0; i < x.data.length; i++) {
      const v = fn(x.data[i]!, ctx);
      out.data[i] = integer ? Math.trunc(v) : v;
    }
    return [out];
  };
}

/** Like `unary`, with the attributes read once. */
function unaryWithAttrs(make: (ctx: OpContext) => (x: number) => number): OpImpl {
  return (ctx) => {
    const fn = make(ctx);
    return unary((x) => fn(x))(ctx);
  };
}

function variadic(fn: (values: number[]) => number): OpImpl {
  return (ctx) => {
    const args = ctx.inputs.filter((a): a is NDArray => a !== null);
    if (args.length === 0) throw ctx.formatError('needs at least one input');
    const type = sameTypes(ctx, args);
    return [mapBroadcast(ctx, args, type, fn)];
  };
}

const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const softplus = (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

/** erf with absolute error below 1.2e-7 (Numerical Recipes' erfc Chebyshev fit). */
function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

function castTo(ctx: OpContext, x: NDArray, to: ElemType): NDArray {
  const out = makeArray(to, x.shape);
  const src = x.data;
  const dst = out.data;
  if (to === 'bool') for (let i = 0; i < src.length; i++) dst[i] = src[i] !== 0 && !Number.isNaN(src[i]) ? 1 : 0;
  else if (to === 'int64')
    for (let i = 0; i < src.length; i++) dst[i] = Number.isFinite(src[i]!) ? Math.trunc(src[i]!) : 0;
  else if (isFloat(to)) dst.set(src);
  else for (let i = 0; i < src.length; i++) dst[i] = Math.trunc(src[i]!); // typed arrays wrap like C casts
  void ctx;
  return out;
}

export const elementwiseOps: Record<string, OpImpl> = {
  Add: arithmetic((a, b) => a + b),
  Sub: arithmetic((a, b) => a - b),
  Mul: arithmetic((a, b) => a * b),
  Div: arithmetic((a, b, integer) => (integer ? (b === 0 ? 0 : Math.trunc(a / b)) : a / b)),
  Mod: (ctx) => {
    const fmod = ctx.attrs.int('fmod', 0) === 1;
    return arithmetic((a, b) => {
      if (fmod) return a % b;
      const r = a % b;
      return r !== 0 && r < 0 !== b < 0 ? r + b : r;
    })(ctx);
  },
  Pow: (ctx) => {
    const a = ctx.input(0);
    const b = ctx.input(1);
    return [mapBroadcast(ctx, [a, b], a.type, (v) => Math.pow(v[0]!, v[1]!))];
  },
  Equal: comparison((a, b) => a === b),
  Less: comparison((a, b) => a < b),
  LessOrEqual: comparison((a, b) => a <= b),
  Greater: comparison((a, b) => a > b),
  GreaterOrEqual: comparison((a, b) => a >= b),
  And: logical((a, b) => a && b),
  Or: logical((a, b) => a || b),
  Xor: logical((a, b) => a !== b),
  Not: (ctx) => {
    const x = ctx.input(0);
    const out = makeArray('bool', x.shape);
    for (let i = 0; i < x.data.length; i++) out.data[i] = x.data[i] ? 0 : 1;
    return [out];
  },
  Max: variadic((v) => v.reduce((a, b) => (Number.isNaN(a) || a > b ? a : b))),
  Min: variadic((v) => v.reduce((a, b) => (Number.isNaN(a) || a < b ? a : b))),
  Sum: variadic((v) => v.reduce((a, b) => a + b, 0)),
  Mean: variadic((v) => v.reduce((a, b) => a + b, 0) / v.length),
  Where: (ctx) => {
    const cond = ctx.input(0);
    const a = ctx.input(1);
    const b = ctx.input(2);
    const type = sameTypes(ctx, [a, b]);
    return [mapBroadcast(ctx, [cond, a, b], type, (v) => (v[0] ? v[1]! : v[2]!))];
  },
  Neg: unary((x) => -x, true),
  Abs: unary((x) => Math.abs(x), true),
  Sign: unary((x) => Math.sign(x), true),
  Exp: unary(Math.exp),
  Log: unary(Math.log),
  Sqrt: unary(Math.sqrt),
  Reciprocal: unary((x) => 1 / x),
  Floor: unary(Math.floor),
  Ceil: unary(Math.ceil),
  Round: unary((x) => {
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; // half to even
  }),
  Tanh: unary(Math.tanh),
  Sigmoid: unary(sigmoid),
  Relu: unary((x) => (x > 0 ? x : 0), true),
  Erf: unary(erf),
  Softplus: unary(softplus),
  Softsign: unary((x) => x / (1 + Math.abs(x))),
  Sin: unary(Math.sin),
  Cos: unary(Math.cos),
  Elu: unaryWithAttrs((ctx) => {
    const alpha = ctx.attrs.float('alpha', 1);
    return (x) => (x >= 0 ? x : alpha * (Math.exp(x) - 1));
  }),
  Selu: unaryWithAttrs((ctx) => {
    const alpha = ctx.attrs.float('alpha', 1.67326319217681884765625);
    const gamma = ctx.attrs.float('gamma', 1.05070102214813232421875);
    return (x) => gamma * (x > 0 ? x : alpha * (Math.exp(x) - 1));
  }),
  LeakyRelu: unaryWithAttrs((ctx) => {
    const alpha = ctx.attrs.float('alpha', 0.01);
    return (x) => (x >= 0 ? x : alpha * x);
  }),
  ThresholdedRelu: unaryWithAttrs((ctx) => {
    const alpha = ctx.attrs.float('alpha', 1);
    return (x) => (x > alpha ? x : 0);
  }),
  HardSigmoid: unaryWithAttrs((ctx) => {
    const alpha = ctx.attrs.float('alpha', 0.2);
    const beta = ctx.attrs.float('beta', 0.5);
    return (x) => Math.min(Math.max(alpha * x + beta, 0), 1);
  }),
  Clip: (ctx) => {
    const x = ctx.input(0);
    let lo = -Infinity;
    let hi = Infinity;
    if (ctx.opset < 11) {
      lo = ctx.attrs.float('min', -Infinity);
      hi = ctx.attrs.float('max', Infinity);
    } else {
      const min = ctx.optional(1);
      const max = ctx.optional(2);
      if (min) lo = Number(min.data[0]);
      if (max) hi = Number(max.data[0]);
    }
    const out = makeArray(x.type, x.shape);
    for (let i = 0; i < x.data.length; i++) out.data[i] = Math.min(Math.max(x.data[i]!, lo), hi);
    return [out];
  },
  Cast: (ctx) => {
    const code = ctx.attrs.int('to');
    const to = elemTypeOf(code);
    if (!to) throw ctx.formatError(`Cast to data type ${String(code)} is not supported`);
    return [castTo(ctx, ctx.input(0), to)];
  },
  CastLike: (ctx) => [castTo(ctx, ctx.input(0), ctx.input(1).type)],
  Identity: (ctx) => [ctx.input(0)],
  Dropout: (ctx) => {
    // Inference: the identity, and a mask of ones.
    const x = ctx.input(0);
    const mask = ctx.wants(1)
      ? { type: 'bool' as const, shape: [...x.shape], data: allocate('bool', x.data.length).fill(1) }
      : null;
    return [x, mask];
  },
};

export const activations = { sigmoid, softplus };
