/**
 * Dropout: in training, zeroes each element with probability p and scales the rest by
 * 1/(1-p); in eval mode, the identity. Shape unchanged.
 */
import { ValueError } from '../errors.js';
import { opResult } from '../tensor/ops/result.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';
import { traced } from '../tensor/trace.js';

/** Functional dropout; `training` false returns x unchanged. */
export const dropout = traced(
  'dropout',
  function dropout(x: Tensor, p: number, training: boolean, generator: Generator = defaultGenerator): Tensor {
    if (!(p >= 0 && p <= 1)) throw new ValueError('dropout', `p must be in [0, 1], got ${p}`);
    if (!training || p === 0) return x;
    const scale = p === 1 ? 0 : 1 / (1 - p);
    // random() < p, without the division: random() is u / 2^32 for a 32-bit u, and p · 2^32 is exact.
    const threshold = p * 0x100000000;
    const n = x.size;
    const src = x.data;
    const mask = new Float32Array(n);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const keep = generator.nextUint32() < threshold ? 0 : scale;
      mask[i] = keep;
      out[i] = src[i]! * keep;
    }
    return opResult('dropout', [x], out, x.shape, (g) => {
      const gx = new Float32Array(g.length);
      for (let i = 0; i < gx.length; i++) gx[i] = g[i]! * mask[i]!;
      return [gx];
    });
  },
);

export interface DropoutOptions {
  /** Probability of zeroing an element (default 0.5). */
  p?: number;
  generator?: Generator;
}

export class Dropout extends Module {
  readonly p: number;
  private readonly generator: Generator | undefined;
  constructor(options: DropoutOptions = {}) {
    super();
    this.p = options.p ?? 0.5;
    if (!(this.p >= 0 && this.p <= 1)) throw new ValueError('Dropout', `p must be in [0, 1], got ${this.p}`);
    this.generator = options.generator;
  }
  override describe(): string {
    return `Dropout(p=${this.p})`;
  }
  /** x (any shape) -> same shape */
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.generator);
  }
}
