/**
 * Seeded random numbers: the same seed gives the same numbers on every platform.
 *
 * The generator is xoshiro128** (32-bit state words, so it runs exactly in JS integer math),
 * seeded through splitmix32. Normals use the Box-Muller transform.
 */

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A seeded pseudo-random generator. Not for cryptography. */
export class Generator {
  /**
   * xoshiro128's four words. In a typed array, not in four fields: a field holding a 32-bit value
   * outside V8's small-integer range is a boxed number, so every step allocated (dropout draws a
   * number per element, and was bound by those allocations).
   */
  private readonly s = new Uint32Array(4);
  /** A spare normal from the last Box-Muller pair, or null. */
  private spareNormal: number | null = null;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  /** Resets the generator to the start of the stream for `seed` (any finite number). */
  manualSeed(seed: number): this {
    const next = splitmix32(Math.floor(seed) ^ Math.floor(seed / 0x100000000));
    const w = this.s;
    for (let i = 0; i < 4; i++) w[i] = next();
    if ((w[0]! | w[1]! | w[2]! | w[3]!) === 0) w[0] = 1;
    this.spareNormal = null;
    return this;
  }

  /** The full state, to save in a checkpoint and restore with {@link setState}. */
  getState(): number[] {
    return [...this.s, this.spareNormal ?? Number.NaN];
  }

  setState(state: readonly number[]): this {
    for (let i = 0; i < 4; i++) this.s[i] = state[i]! >>> 0;
    const spare = state[4];
    this.spareNormal = spare === undefined || Number.isNaN(spare) ? null : spare;
    return this;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const w = this.s;
    const s0 = w[0]!;
    const s1 = w[1]!;
    const s2 = w[2]! ^ s0;
    const s3 = w[3]! ^ s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    w[0] = s0 ^ s3;
    w[1] = s1 ^ s2;
    w[2] = s2 ^ (s1 << 9);
    w[3] = rotl(s3, 11);
    return result;
  }

  /** A uniform number in [0, 1) with 32 random bits. */
  random(): number {
    return this.nextUint32() / 0x100000000;
  }

  /** A uniform number in [low, high). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.random();
  }

  /** A standard normal number (mean 0, standard deviation 1). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    // 1 - random() is in (0, 1], so the log is finite.
    const u1 = 1 - this.random();
    const u2 = this.random();
    const radius = Math.sqrt(-2 * Math.log(u1));
    this.spareNormal = radius * Math.sin(2 * Math.PI * u2);
    return radius * Math.cos(2 * Math.PI * u2);
  }

  /** A uniform integer in [0, n). */
  integer(n: number): number {
    return Math.floor(this.random() * n);
  }

  /** Shuffles an array in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.integer(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The generator used when none is passed. Reseed it with {@link manualSeed}. */
export const defaultGenerator = new Generator(0);

/** Reseeds the default generator: the same seed gives the same models and data order. */
export function manualSeed(seed: number): void {
  defaultGenerator.manualSeed(seed);
}
