/**
 * Reference pointwise kernels of one recurrent step, forward and backward, per cell family.
 * Equations (PyTorch's; gate blocks in this order inside W_ih/W_hh):
 *   RNN:  h = act(gx + gh)
 *   LSTM: i,f,g,o = σ,σ,tanh,σ (gx + gh); c = f*c_prev + i*g; h = o*tanh(c)
 *   GRU:  r = σ(gx_r + gh_r); z = σ(gx_z + gh_z); n = tanh(gx_n + r*gh_n); h = (1-z)*n + z*h_prev
 * Backward writes every output with `=` (see CellBackwardArgs).
 */
import { type CellBackwardArgs, type CellForwardArgs, type CellKind, cacheWidth, gateCount } from '../backend.js';

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

export function referenceCellForward(kind: CellKind, args: CellForwardArgs): void {
  const { rows, hidden: H, gx, gxOffset, gh, hPrev, cPrev, hOut, cOut, cache, cacheOffset } = args;
  const width = gateCount(kind) * H;
  const cw = cacheWidth(kind, H);
  for (let b = 0; b < rows; b++) {
    const x = gxOffset + b * width;
    const y = b * width;
    const k = cacheOffset + b * cw;
    const s = b * H;
    if (kind === 'rnn_tanh' || kind === 'rnn_relu') {
      for (let j = 0; j < H; j++) {
        const pre = gx[x + j]! + gh[y + j]!;
        const h = kind === 'rnn_tanh' ? Math.tanh(pre) : pre > 0 ? pre : 0;
        hOut[s + j] = h;
        cache[k + j] = h;
      }
    } else if (kind === 'lstm') {
      for (let j = 0; j < H; j++) {
        const i = sigmoid(gx[x + j]! + gh[y + j]!);
        const f = sigmoid(gx[x + H + j]! + gh[y + H + j]!);
        const g = Math.tanh(gx[x + 2 * H + j]! + gh[y + 2 * H + j]!);
        const o = sigmoid(gx[x + 3 * H + j]! + gh[y + 3 * H + j]!);
        const c = Math.fround(f * cPrev![s + j]! + i * g);
        const tc = Math.tanh(c);
        cOut![s + j] = c;
        hOut[s + j] = o * tc;
        cache[k + j] = i;
        cache[k + H + j] = f;
        cache[k + 2 * H + j] = g;
        cache[k + 3 * H + j] = o;
        cache[k + 4 * H + j] = tc;
      }
    } else {
      for (let j = 0; j < H; j++) {
        const r = sigmoid(gx[x + j]! + gh[y + j]!);
        const z = sigmoid(gx[x + H + j]! + gh[y + H + j]!);
        const ghn = gh[y + 2 * H + j]!;
        const n = Math.tanh(gx[x + 2 * H + j]! + r * ghn);
        hOut[s + j] = (1 - z) * n + z * hPrev[s + j]!;
        cache[k + j] = r;
        cache[k + H + j] = z;
        cache[k + 2 * H + j] = n;
        cache[k + 3 * H + j] = ghn;
      }
    }
  }
}

export function referenceCellBackward(kind: CellKind, args: CellBackwardArgs): void {
  const { rows, hidden: H, dh, dc, cache, cacheOffset, hPrev, hPrevOffset, cPrev, cPrevOffset } = args;
  const { dgx, dgxOffset, dgh, dghOffset, dhPrev, dcPrev } = args;
  const width = gateCount(kind) * H;
  const cw = cacheWidth(kind, H);
  for (let b = 0; b < rows; b++) {
    const k = cacheOffset + b * cw;
    const gxAt = dgxOffset + b * width;
    const ghAt = dghOffset + b * width;
    const s = b * H;
    if (kind === 'rnn_tanh' || kind === 'rnn_relu') {
      for (let j = 0; j < H; j++) {
        const h = cache[k + j]!;
        const dpre = dh[s + j]! * (kind === 'rnn_tanh' ? 1 - h * h : h > 0 ? 1 : 0);
        dgx[gxAt + j] = dpre;
        dgh[ghAt + j] = dpre;
        dhPrev[s + j] = 0;
      }
    } else if (kind === 'lstm') {
      for (let j = 0; j < H; j++) {
        const i = cache[k + j]!;
        const f = cache[k + H + j]!;
        const g = cache[k + 2 * H + j]!;
        const o = cache[k + 3 * H + j]!;
        const tc = cache[k + 4 * H + j]!;
        const dhj = dh[s + j]!;
        const dct = dc![s + j]! + dhj * o * (1 - tc * tc);
        const di = dct * g * i * (1 - i);
        const df = dct * cPrev![cPrevOffset + s + j]! * f * (1 - f);
        const dg = dct * i * (1 - g * g);
        const dO = dhj * tc * o * (1 - o);
        dgx[gxAt + j] = dgh[ghAt + j] = di;
        dgx[gxAt + H + j] = dgh[ghAt + H + j] = df;
        dgx[gxAt + 2 * H + j] = dgh[ghAt + 2 * H + j] = dg;
        dgx[gxAt + 3 * H + j] = dgh[ghAt + 3 * H + j] = dO;
        dcPrev![s + j] = dct * f;
        dhPrev[s + j] = 0;
      }
    } else {
      for (let j = 0; j < H; j++) {
        const r = cache[k + j]!;
        const z = cache[k + H + j]!;
        const n = cache[k + 2 * H + j]!;
        const ghn = cache[k + 3 * H + j]!;
        const dhj = dh[s + j]!;
        const dnPre = dhj * (1 - z) * (1 - n * n);
        const dzPre = dhj * (hPrev[hPrevOffset + s + j]! - n) * z * (1 - z);
        const drPre = dnPre * ghn * r * (1 - r);
        dgx[gxAt + j] = dgh[ghAt + j] = drPre;
        dgx[gxAt + H + j] = dgh[ghAt + H + j] = dzPre;
        dgx[gxAt + 2 * H + j] = dnPre;
        dgh[ghAt + 2 * H + j] = dnPre * r;
        dhPrev[s + j] = dhj * z;
      }
    }
  }
}
