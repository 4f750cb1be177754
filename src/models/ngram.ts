/**
 * Count-based baselines for a language model, over the same token ids:
 *
 * Unigram with add-one smoothing:  p(w) = (c(w) + 1) / (total + V).
 *
 * Interpolated Kneser-Ney of order n (Chen & Goodman 1998, section 3.5, one discount per order):
 *   p_n(w | h) = (max(c(h w) - D_n, 0) + D_n · N1+(h •) · p_{n-1}(w | h')) / c(h •)
 *   where h' is h without its first token, c are the counts of the training ids at the top order
 *   and, at the lower orders, the continuation counts N1+(• h w): how many different tokens
 *   come before h w. A context never seen falls through to the lower order. p_0(w) = 1 / V.
 *   D_k = n1 / (n1 + 2·n2), with n1, n2 the numbers of k-grams counted once and twice.
 * Every distribution sums to 1 over the vocabulary, and no token gets probability 0.
 */
import { ValueError } from '../errors.js';

/** A summed negative log-likelihood (nats) over `count` predicted tokens. */
export interface NllSum {
  nll: number;
  count: number;
}

interface ContextCounts {
  /** c(h •): all counts after this context. */
  total: number;
  /** c(h w) per following token w (its size is N1+(h •)). */
  followers: Map<number, number>;
}

function checkIds(where: string, ids: ArrayLike<number>, vocabSize: number): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize)
      throw new ValueError(where, `token id ${id} at position ${i} is out of range [0, ${vocabSize})`);
  }
}

/** Add-one unigram: fitted on `train`, scored on every token of `ids` but the first. */
export function unigramScore(train: ArrayLike<number>, ids: ArrayLike<number>, vocabSize: number): NllSum {
  checkIds('unigramScore', train, vocabSize);
  checkIds('unigramScore', ids, vocabSize);
  const counts = new Float64Array(vocabSize);
  for (let i = 0; i < train.length; i++) counts[train[i]!]!++;
  let nll = 0;
  for (let i = 1; i < ids.length; i++) nll -= Math.log((counts[ids[i]!]! + 1) / (train.length + vocabSize));
  return { nll, count: Math.max(0, ids.length - 1) };
}

export class KneserNey {
  /** tables[k - 1]: context of k - 1 ids (joined by ',') -> counts, for k = 1..order. */
  private readonly tables: Map<string, ContextCounts>[];
  /** D_k for k = 1..order. */
  readonly discounts: number[];

  private constructor(
    readonly order: number,
    readonly vocabSize: number,
    tables: Map<string, ContextCounts>[],
  ) {
    this.tables = tables;
    this.discounts = tables.map((table) => {
      let n1 = 0;
      let n2 = 0;
      for (const { followers } of table.values())
        for (const c of followers.values()) c === 1 ? n1++ : c === 2 ? n2++ : 0;
      return n1 + n2 === 0 ? 0.5 : Math.min(0.95, Math.max(0.05, n1 / (n1 + 2 * n2)));
    });
  }

  /** Counts the n-grams of `ids` (order >= 1). */
  static fit(ids: ArrayLike<number>, options: { order: number; vocabSize: number }): KneserNey {
    const { order, vocabSize } = options;
    const where = 'KneserNey.fit';
    if (!Number.isInteger(order) || order < 1 || order > 12)
      throw new ValueError(where, `order must be an integer in [1, 12], got ${order}`);
    if (!Number.isInteger(vocabSize) || vocabSize < 1)
      throw new ValueError(where, `vocabSize must be a positive integer, got ${vocabSize}`);
    checkIds(where, ids, vocabSize);
    const tables = Array.from({ length: order }, () => new Map<string, ContextCounts>());
    const add = (table: Map<string, ContextCounts>, context: string, w: number): boolean => {
      let entry = table.get(context);
      if (!entry) table.set(context, (entry = { total: 0, followers: new Map() }));
      entry.total++;
      const previous = entry.followers.get(w) ?? 0;
      entry.followers.set(w, previous + 1);
      return previous === 0;
    };
    // Top order: raw counts (shorter contexts at the start of the text count at their own order).
    for (let i = 0; i < ids.length; i++) {
      const k = Math.min(order, i + 1);
      const context = Array.prototype.slice.call(ids, i - k + 1, i).join(',');
      if (k === order) add(tables[order - 1]!, context, ids[i]!);
      else add(tables[k - 1]!, context, ids[i]!); // never continued from the left: a raw count
    }
    // Lower orders: one continuation count per distinct (k+1)-gram ending in the k-gram.
    for (let k = order - 1; k >= 1; k--) {
      for (const [context, { followers }] of tables[k]!) {
        const shorter = k === 1 ? '' : context.slice(context.indexOf(',') + 1);
        for (const w of followers.keys()) add(tables[k - 1]!, shorter, w);
      }
    }
    return new KneserNey(order, vocabSize, tables);
  }

  /** p(w | context): the last order - 1 ids of `context` are used. */
  probability(context: readonly number[], w: number): number {
    const k = Math.min(this.order, context.length + 1);
    return this.interpolated(context.slice(context.length - (k - 1)), w);
  }

  private interpolated(context: readonly number[], w: number): number {
    const k = context.length + 1;
    const lower = k === 1 ? 1 / this.vocabSize : this.interpolated(context.slice(1), w);
    const entry = this.tables[k - 1]!.get(context.join(','));
    if (!entry) return lower;
    const D = this.discounts[k - 1]!;
    return (Math.max((entry.followers.get(w) ?? 0) - D, 0) + D * entry.followers.size * lower) / entry.total;
  }

  /** -Σ ln p over every token of `ids` but the first, each given the ids before it. */
  score(ids: ArrayLike<number>): NllSum {
    checkIds('KneserNey.score', ids, this.vocabSize);
    let nll = 0;
    for (let i = 1; i < ids.length; i++) {
      const start = Math.max(0, i - this.order + 1);
      nll -= Math.log(this.probability(Array.prototype.slice.call(ids, start, i) as number[], ids[i]!));
    }
    return { nll, count: Math.max(0, ids.length - 1) };
  }
}
