/**
 * Vocabulary: a fixed, ordered list of tokens and their integer ids (for `nn.Embedding`,
 * class indices and decoding).
 *
 *   const vocab = Vocabulary.build(words.map((w) => Array.from(w)));   // character vocabulary
 *   vocab.encode(['c', 'a', 't'])   // [17, 4, 21]; an unknown token gives the id of '<unk>'
 *   vocab.decode([17, 4, 21])       // ['c', 'a', 't']
 *
 * Ids: the specials first, in the given order (by default `<pad>`=0, `<unk>`=1, `<bos>`=2,
 * `<eos>`=3), then the other tokens by count, most frequent first, ties by code-unit order of the
 * token: the same data always gives the same ids, on every platform.
 */
import { ValueError } from '../errors.js';

/** The default special tokens, in id order. */
export const DEFAULT_SPECIALS: readonly string[] = Object.freeze(['<pad>', '<unk>', '<bos>', '<eos>']);

export interface VocabularyBuildOptions {
  /** Tokens given the first ids, in order. Default {@link DEFAULT_SPECIALS}; `[]` for none (labels). */
  specials?: readonly string[];
  /** Tokens seen fewer times are left out (they encode as unk). Default 1. */
  minCount?: number;
  /** At most this many tokens in all, specials included (the most frequent are kept). */
  maxSize?: number;
  /** The token unknown tokens encode as. Default `'<unk>'` when it is among the specials, else none. */
  unkToken?: string | null;
}

/** The JSON form of a vocabulary (what `toJSON` gives and `fromJSON` takes). */
export interface VocabularyJSON {
  /** Every token, in id order (specials first). */
  tokens: string[];
  /** How many of the first tokens are specials. */
  specials: number;
  /** The token unknown tokens encode as, or null (unknown tokens are an error). */
  unkToken: string | null;
}

export interface EncodeOptions {
  /** Put the `<bos>` id first. */
  bos?: boolean;
  /** Put the `<eos>` id last. */
  eos?: boolean;
}

export interface DecodeOptions {
  /** Leave out special tokens (pad, bos, eos, ...). */
  skipSpecials?: boolean;
  /** Stop at the first `<eos>` (not included). */
  stopAtEos?: boolean;
}

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export class Vocabulary {
  private readonly tokens: readonly string[];
  private readonly ids: ReadonlyMap<string, number>;
  /** How many of the first ids are special tokens. */
  readonly specialCount: number;
  /** The token unknown tokens encode as, or null. */
  readonly unkToken: string | null;

  /**
   * A vocabulary with exactly these tokens in id order (no duplicates); the first `specials`
   * are special. Prefer {@link Vocabulary.build}.
   */
  constructor(tokens: readonly string[], options: { specials?: number; unkToken?: string | null } = {}) {
    const where = 'Vocabulary';
    const ids = new Map<string, number>();
    tokens.forEach((t, i) => {
      if (typeof t !== 'string') throw new ValueError(where, `token ${i} is ${typeof t}, expected a string`);
      if (ids.has(t)) throw new ValueError(where, `token '${t}' appears twice (ids ${ids.get(t)} and ${i})`);
      ids.set(t, i);
    });
    const specials = options.specials ?? 0;
    if (!Number.isInteger(specials) || specials < 0 || specials > tokens.length) {
      throw new ValueError(where, `specials is ${specials}, expected an integer in [0, ${tokens.length}]`);
    }
    const unk = options.unkToken ?? null;
    if (unk !== null && !ids.has(unk)) throw new ValueError(where, `unkToken '${unk}' is not in the vocabulary`);
    this.tokens = Object.freeze([...tokens]);
    this.ids = ids;
    this.specialCount = specials;
    this.unkToken = unk;
  }

  /** Builds a vocabulary from token sequences (see the class comment for the order). */
  static build(sequences: Iterable<Iterable<string>>, options: VocabularyBuildOptions = {}): Vocabulary {
    const where = 'Vocabulary.build';
    const specials = [...(options.specials ?? DEFAULT_SPECIALS)];
    const minCount = options.minCount ?? 1;
    if (!Number.isInteger(minCount) || minCount < 1)
      throw new ValueError(where, `minCount is ${minCount}, expected an integer >= 1`);
    const maxSize = options.maxSize ?? Infinity;
    if (maxSize !== Infinity && (!Number.isInteger(maxSize) || maxSize < specials.length)) {
      throw new ValueError(
        where,
        `maxSize is ${maxSize}, expected an integer >= ${specials.length} (the number of specials)`,
      );
    }
    const isSpecial = new Set(specials);
    if (isSpecial.size !== specials.length)
      throw new ValueError(where, `specials hold a token twice: ${specials.join(', ')}`);
    const counts = new Map<string, number>();
    for (const sequence of sequences) {
      for (const token of sequence) {
        if (typeof token !== 'string') throw new ValueError(where, `tokens must be strings, got ${typeof token}`);
        if (!isSpecial.has(token)) counts.set(token, (counts.get(token) ?? 0) + 1);
      }
    }
    const ranked = [...counts]
      .filter(([, c]) => c >= minCount)
      .sort((a, b) => b[1] - a[1] || byCodeUnit(a[0], b[0]))
      .map(([t]) => t);
    const tokens = [...specials, ...ranked.slice(0, Math.max(0, maxSize - specials.length))];
    const unkToken = options.unkToken !== undefined ? options.unkToken : isSpecial.has('<unk>') ? '<unk>' : null;
    if (unkToken !== null && !isSpecial.has(unkToken))
      throw new ValueError(where, `unkToken '${unkToken}' must be one of the specials (${specials.join(', ')})`);
    return new Vocabulary(tokens, { specials: specials.length, unkToken });
  }

  /** Number of tokens (the `numEmbeddings` of an embedding, or the number of classes). */
  get size(): number {
    return this.tokens.length;
  }

  /** Every token in id order. */
  get tokenList(): readonly string[] {
    return this.tokens;
  }

  /** Whether the token has an id. */
  has(token: string): boolean {
    return this.ids.has(token);
  }

  /** The id of a token, or -1 when it has none. */
  indexOf(token: string): number {
    return this.ids.get(token) ?? -1;
  }

  /** The token of an id; throws ValueError outside [0, size). */
  tokenAt(id: number): string {
    const token = Number.isInteger(id) ? this.tokens[id] : undefined;
    if (token === undefined) throw new ValueError('Vocabulary.tokenAt', `id ${id} is out of range [0, ${this.size})`);
    return token;
  }

  /** Whether the id is one of the specials. */
  isSpecial(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.specialCount;
  }

  /** Id of `<pad>`; throws ValueError when the vocabulary has none. */
  get padId(): number {
    return this.special('<pad>');
  }

  /** Id of the unknown token; throws ValueError when the vocabulary has none. */
  get unkId(): number {
    if (this.unkToken === null) throw new ValueError('Vocabulary', 'this vocabulary has no unknown token');
    return this.ids.get(this.unkToken)!;
  }

  /** Id of `<bos>`; throws ValueError when the vocabulary has none. */
  get bosId(): number {
    return this.special('<bos>');
  }

  /** Id of `<eos>`; throws ValueError when the vocabulary has none. */
  get eosId(): number {
    return this.special('<eos>');
  }

  private special(token: string): number {
    const id = this.ids.get(token);
    if (id === undefined) throw new ValueError('Vocabulary', `this vocabulary has no '${token}' token`);
    return id;
  }

  /**
   * Ids of the tokens. An unknown token gives the unknown token's id, or throws ValueError
   * when there is none (e.g. a label vocabulary built with `specials: []`).
   */
  encode(tokens: Iterable<string>, options: EncodeOptions = {}): number[] {
    const out: number[] = options.bos ? [this.bosId] : [];
    for (const token of tokens) {
      const id = this.ids.get(token);
      if (id !== undefined) out.push(id);
      else if (this.unkToken !== null) out.push(this.ids.get(this.unkToken)!);
      else
        throw new ValueError(
          'Vocabulary.encode',
          `unknown token '${token}' and this vocabulary has no unknown token (known: ${this.tokens.slice(0, 10).join(', ')}${this.size > 10 ? ', ...' : ''})`,
        );
    }
    if (options.eos) out.push(this.eosId);
    return out;
  }

  /** Tokens of the ids; throws ValueError for an id outside [0, size). */
  decode(ids: Iterable<number>, options: DecodeOptions = {}): string[] {
    const eos = options.stopAtEos ? this.indexOf('<eos>') : -1;
    const out: string[] = [];
    for (const id of ids) {
      if (id === eos) break;
      const token = this.tokenAt(id);
      if (!(options.skipSpecials && this.isSpecial(id))) out.push(token);
    }
    return out;
  }

  /** The JSON form, for a checkpoint or a model directory. */
  toJSON(): VocabularyJSON {
    return { tokens: [...this.tokens], specials: this.specialCount, unkToken: this.unkToken };
  }

  /** The vocabulary `toJSON` described; throws ValueError if the object is malformed. */
  static fromJSON(json: unknown): Vocabulary {
    const where = 'Vocabulary.fromJSON';
    if (json === null || typeof json !== 'object')
      throw new ValueError(
        where,
        `expected an object { tokens, specials, unkToken }, got ${json === null ? 'null' : typeof json}`,
      );
    const { tokens, specials, unkToken } = json as Partial<VocabularyJSON>;
    if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === 'string'))
      throw new ValueError(where, `'tokens' must be an array of strings`);
    if (typeof specials !== 'number') throw new ValueError(where, `'specials' must be a number`);
    if (unkToken !== null && unkToken !== undefined && typeof unkToken !== 'string')
      throw new ValueError(where, `'unkToken' must be a string or null`);
    return new Vocabulary(tokens, { specials, unkToken: unkToken ?? null });
  }
}
