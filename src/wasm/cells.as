// Pointwise kernels of one recurrent step (AssemblyScript, WebAssembly SIMD), forward and
// backward, with the layouts of src/backend/backend.ts (CellForwardArgs / CellBackwardArgs).
// Pointers are byte addresses; every array starts at its pointer (the JS side applies offsets).
// exp is a polynomial (Cephes expf coefficients, relative error < 2 ulp) on x clamped to
// [-87, 88]; sigmoid(x) = 1 / (1 + exp(-x)), tanh(x) = 1 - 2 / (exp(2x) + 1).

import { KIND_LSTM, KIND_RNN_RELU, KIND_RNN_TANH, cacheBlocksOf, gatesOf } from './kinds.generated';

// Kind codes and sizes come from the cell-family table (src/families.ts, via kinds.generated.as).

// No static scratch (memory.data): with shared memory and worker threads, every instance would
// share it. Partial vectors (cnt < 4 floats at the end of a row) go lane by lane instead.

@inline export function ld(p: usize, cnt: i32): v128 {
  if (cnt == 4) return v128.load(p);
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (cnt > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (cnt > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

@inline export function st(p: usize, v: v128, cnt: i32): void {
  if (cnt == 4) {
    v128.store(p, v);
    return;
  }
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (cnt > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (cnt > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

@inline export function splat(x: f32): v128 {
  return f32x4.splat(x);
}

@inline function vexp(x0: v128): v128 {
  const x = f32x4.pmin(f32x4.pmax(x0, splat(-87.0)), splat(88.0));
  const n = f32x4.nearest(f32x4.mul(x, splat(1.44269504088896341)));
  let r = f32x4.sub(x, f32x4.mul(n, splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, splat(-2.12194440e-4)));
  let p = splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), splat(1.0));
  const e = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, e);
}

@inline export function vsigmoid(x: v128): v128 {
  return f32x4.div(splat(1.0), f32x4.add(splat(1.0), vexp(f32x4.neg(x))));
}

@inline export function vtanh(x: v128): v128 {
  return f32x4.sub(splat(1.0), f32x4.div(splat(2.0), f32x4.add(vexp(f32x4.add(x, x)), splat(1.0))));
}

@inline export function at(p: usize, floats: i32): usize {
  return p + (<usize>floats << 2);
}

/** One step forward for `rows` rows (see CellForwardArgs). hPrev is read by GRU, cPrev/cOut by LSTM. */
export function cellForward(kind: i32, rows: i32, H: i32, gx: usize, gh: usize, hPrev: usize, cPrev: usize, hOut: usize, cOut: usize, cache: usize): void {
  const G = gatesOf(kind);
  const W = G * H;
  const CW = cacheBlocksOf(kind) * H;
  for (let b = 0; b < rows; b++) {
    const x = at(gx, b * W);
    const y = at(gh, b * W);
    const k = at(cache, b * CW);
    const s = b * H;
    for (let j = 0; j < H; j += 4) {
      const cnt = min(4, H - j);
      if (kind == KIND_RNN_TANH || kind == KIND_RNN_RELU) {
        const pre = f32x4.add(ld(at(x, j), cnt), ld(at(y, j), cnt));
        const h = kind == KIND_RNN_TANH ? vtanh(pre) : f32x4.pmax(pre, splat(0));
        st(at(hOut, s + j), h, cnt);
        st(at(k, j), h, cnt);
      } else if (kind == KIND_LSTM) {
        const i = vsigmoid(f32x4.add(ld(at(x, j), cnt), ld(at(y, j), cnt)));
        const f = vsigmoid(f32x4.add(ld(at(x, H + j), cnt), ld(at(y, H + j), cnt)));
        const g = vtanh(f32x4.add(ld(at(x, 2 * H + j), cnt), ld(at(y, 2 * H + j), cnt)));
        const o = vsigmoid(f32x4.add(ld(at(x, 3 * H + j), cnt), ld(at(y, 3 * H + j), cnt)));
        const c = f32x4.add(f32x4.mul(f, ld(at(cPrev, s + j), cnt)), f32x4.mul(i, g));
        const tc = vtanh(c);
        st(at(cOut, s + j), c, cnt);
        st(at(hOut, s + j), f32x4.mul(o, tc), cnt);
        st(at(k, j), i, cnt);
        st(at(k, H + j), f, cnt);
        st(at(k, 2 * H + j), g, cnt);
        st(at(k, 3 * H + j), o, cnt);
        st(at(k, 4 * H + j), tc, cnt);
      } else {
        const r = vsigmoid(f32x4.add(ld(at(x, j), cnt), ld(at(y, j), cnt)));
        const z = vsigmoid(f32x4.add(ld(at(x, H + j), cnt), ld(at(y, H + j), cnt)));
        const ghn = ld(at(y, 2 * H + j), cnt);
        const n = vtanh(f32x4.add(ld(at(x, 2 * H + j), cnt), f32x4.mul(r, ghn)));
        const h = f32x4.add(f32x4.mul(f32x4.sub(splat(1.0), z), n), f32x4.mul(z, ld(at(hPrev, s + j), cnt)));
        st(at(hOut, s + j), h, cnt);
        st(at(k, j), r, cnt);
        st(at(k, H + j), z, cnt);
        st(at(k, 2 * H + j), n, cnt);
        st(at(k, 3 * H + j), ghn, cnt);
      }
    }
  }
}

/** One step backward for `rows` rows (see CellBackwardArgs). */
export function cellBackward(kind: i32, rows: i32, H: i32, dh: usize, dc: usize, cache: usize, hPrev: usize, cPrev: usize, dgx: usize, dgh: usize, dhPrev: usize, dcPrev: usize): void {
  const G = gatesOf(kind);
  const W = G * H;
  const CW = cacheBlocksOf(kind) * H;
  const one = splat(1.0);
  const zero = splat(0.0);
  for (let b = 0; b < rows; b++) {
    const k = at(cache, b * CW);
    const gx = at(dgx, b * W);
    const gh = at(dgh, b * W);
    const s = b * H;
    for (let j = 0; j < H; j += 4) {
      const cnt = min(4, H - j);
      const d = ld(at(dh, s + j), cnt);
      if (kind == KIND_RNN_TANH || kind == KIND_RNN_RELU) {
        const h = ld(at(k, j), cnt);
        const dp = kind == KIND_RNN_TANH ? f32x4.mul(d, f32x4.sub(one, f32x4.mul(h, h))) : v128.and(d, f32x4.gt(h, zero));
        st(at(gx, j), dp, cnt);
        st(at(gh, j), dp, cnt);
        st(at(dhPrev, s + j), zero, cnt);
      } else if (kind == KIND_LSTM) {
        const i = ld(at(k, j), cnt);
        const f = ld(at(k, H + j), cnt);
        const g = ld(at(k, 2 * H + j), cnt);
        const o = ld(at(k, 3 * H + j), cnt);
        const tc = ld(at(k, 4 * H + j), cnt);
        const dct = f32x4.add(ld(at(dc, s + j), cnt), f32x4.mul(f32x4.mul(d, o), f32x4.sub(one, f32x4.mul(tc, tc))));
        const di = f32x4.mul(f32x4.mul(f32x4.mul(dct, g), i), f32x4.sub(one, i));
        const df = f32x4.mul(f32x4.mul(f32x4.mul(dct, ld(at(cPrev, s + j), cnt)), f), f32x4.sub(one, f));
        const dg = f32x4.mul(f32x4.mul(dct, i), f32x4.sub(one, f32x4.mul(g, g)));
        const dO = f32x4.mul(f32x4.mul(f32x4.mul(d, tc), o), f32x4.sub(one, o));
        st(at(gx, j), di, cnt);
        st(at(gh, j), di, cnt);
        st(at(gx, H + j), df, cnt);
        st(at(gh, H + j), df, cnt);
        st(at(gx, 2 * H + j), dg, cnt);
        st(at(gh, 2 * H + j), dg, cnt);
        st(at(gx, 3 * H + j), dO, cnt);
        st(at(gh, 3 * H + j), dO, cnt);
        st(at(dcPrev, s + j), f32x4.mul(dct, f), cnt);
        st(at(dhPrev, s + j), zero, cnt);
      } else {
        const r = ld(at(k, j), cnt);
        const z = ld(at(k, H + j), cnt);
        const n = ld(at(k, 2 * H + j), cnt);
        const ghn = ld(at(k, 3 * H + j), cnt);
        const dn = f32x4.mul(f32x4.mul(d, f32x4.sub(one, z)), f32x4.sub(one, f32x4.mul(n, n)));
        const dz = f32x4.mul(f32x4.mul(f32x4.mul(d, f32x4.sub(ld(at(hPrev, s + j), cnt), n)), z), f32x4.sub(one, z));
        const dr = f32x4.mul(f32x4.mul(f32x4.mul(dn, ghn), r), f32x4.sub(one, r));
        st(at(gx, j), dr, cnt);
        st(at(gh, j), dr, cnt);
        st(at(gx, H + j), dz, cnt);
        st(at(gh, H + j), dz, cnt);
        st(at(gx, 2 * H + j), dn, cnt);
        st(at(gh, 2 * H + j), f32x4.mul(dn, r), cnt);
        st(at(dhPrev, s + j), f32x4.mul(d, z), cnt);
      }
    }
  }
}

/**
 * The pointwise part of one inference step of `recurrentSteps` (RecurrentStepsArgs), after the
 * recurrent GEMM gave `gh`: the cell's forward (hRaw, cNew, cache: one step's scratch), then
 * every row b still inside its sequence (`lengths` 0, or t < lengths[b], i32) copies its new
 * state into h `[rows, H]`, c `[rows, H]` (LSTM) and its output row `out` `[rows, H]`; ended
 * rows keep h and c and get a zero output row. The same values as cellForward followed by the
 * driver's row masking (nn/recurrent/row-mask.ts).
 */
export function stepForward(kind: i32, rows: i32, H: i32, gx: usize, gh: usize, h: usize, c: usize, hRaw: usize, cNew: usize, cache: usize, out: usize, lengths: usize, t: i32): void {
  cellForward(kind, rows, H, gx, gh, h, c, hRaw, cNew, cache);
  const rowBytes = <usize>H << 2;
  const lstm = kind == KIND_LSTM;
  for (let b = 0; b < rows; b++) {
    const at = <usize>b * rowBytes;
    if (lengths != 0 && t >= load<i32>(lengths + (<usize>b << 2))) {
      memory.fill(out + at, 0, rowBytes);
      continue;
    }
    memory.copy(h + at, hRaw + at, rowBytes);
    memory.copy(out + at, hRaw + at, rowBytes);
    if (lstm) memory.copy(c + at, cNew + at, rowBytes);
  }
}
