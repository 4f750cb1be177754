/** softmax and logSoftmax along one dim, computed stably (max subtracted). */
import { normalizeDim, splitAt } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { opResult } from './result.js';
import { traced } from '../trace.js';

function forEachLane(
  x: Tensor,
  dim: number,
  where: string,
  fn: (offset: number, stride: number, size: number) => void,
): void {
  const d = normalizeDim(dim, x.shape.length, where);
  const { outer, size, inner } = splitAt(x.shape, d);
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) fn(o * size * inner + i, inner, size);
}

/** `softmax(x)_i = exp(x_i) / sum_j exp(x_j)` along `dim`. Gradient: `y * (g - sum(g * y))`. */
export const softmax = traced('softmax', function softmax(x: Tensor, dim = -1): Tensor {
  const src = x.data;
  const out = new Float32Array(src.length);
  forEachLane(x, dim, 'softmax', (off, stride, size) => {
    let m = -Infinity;
    for (let k = 0; k < size; k++) m = Math.max(m, src[off + k * stride]!);
    let total = 0;
    for (let k = 0; k < size; k++) {
      const e = Math.exp(src[off + k * stride]! - m);
      out[off + k * stride] = e;
      total += e;
    }
    for (let k = 0; k < size; k++) out[off + k * stride]! /= total;
  });
  return opResult('softmax', [x], out, x.shape, (g) => {
    const gx = new Float32Array(src.length);
    forEachLane(x, dim, 'softmax', (off, stride, size) => {
      let dot = 0;
      for (let k = 0; k < size; k++) dot += g[off + k * stride]! * out[off + k * stride]!;
      for (let k = 0; k < size; k++) {
        const j = off + k * stride;
        gx[j] = out[j]! * (g[j]! - dot);
      }
    });
    return [gx];
  });
});

/** `logSoftmax(x)_i = x_i - log(sum_j exp(x_j))` along `dim`. Gradient: `g - softmax * sum(g)`. */
export const logSoftmax = traced('logSoftmax', function logSoftmax(x: Tensor, dim = -1): Tensor {
  const src = x.data;
  const out = new Float32Array(src.length);
  forEachLane(x, dim, 'logSoftmax', (off, stride, size) => {
    let m = -Infinity;
    for (let k = 0; k < size; k++) m = Math.max(m, src[off + k * stride]!);
    let total = 0;
    for (let k = 0; k < size; k++) total += Math.exp(src[off + k * stride]! - m);
    const logTotal = m + Math.log(total);
    for (let k = 0; k < size; k++) out[off + k * stride] = src[off + k * stride]! - logTotal;
  });
  return opResult('logSoftmax', [x], out, x.shape, (g) => {
    const gx = new Float32Array(src.length);
    forEachLane(x, dim, 'logSoftmax', (off, stride, size) => {
      let total = 0;
      for (let k = 0; k < size; k++) total += g[off + k * stride]!;
      for (let k = 0; k < size; k++) {
        const j = off + k * stride;
        gx[j] = g[j]! - Math.exp(out[j]!) * total;
      }
    });
    return [gx];
  });
});
