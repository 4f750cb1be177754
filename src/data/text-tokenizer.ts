/**
 * Plain text as tokens for a language model: characters or words.
 *
 *   chars   every Unicode code point of the NFC text is a token ('\n' included)
 *   words   runs of letters/digits (with inner apostrophes: don't, o'clock), each other
 *           non-space character, and '\n'; other white space only separates.
 *           Printing puts one space between tokens, none before closing punctuation
 *           (. , ; : ! ? ) ] } and ’) or after an opening one or a newline.
 *
 * The vocabulary has one special, `<unk>` (id 0), never produced by generation (`excluded`).
 * An unknown character encodes as `<unk>`; an unknown word is looked up as written, in lower
 * case, then capitalised, and encodes as `<unk>` when none is known.
 */
import { ValueError } from '../errors.js';
import { Vocabulary, type VocabularyJSON } from './vocabulary.js';

export type TokenLevel = 'chars' | 'words';
export const TOKEN_LEVELS: readonly TokenLevel[] = ['chars', 'words'];

const WORD = /\n|[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*|[^\s]/gu;
const CLOSING = new Set(['.', ',', ';', ':', '!', '?', ')', ']', '}', '’', "'"]);
const OPENING = new Set(['(', '[', '{', '\n']);

export interface TokenizerBuildOptions {
  /** Words: at most this many tokens (the most frequent; default 10000). Chars: no limit. */
  maxSize?: number;
  /** Tokens seen fewer times encode as `<unk>` (default 1). */
  minCount?: number;
}

/** The JSON form saved in a model directory. */
export interface TextTokenizerJSON {
  level: TokenLevel;
  vocabulary: VocabularyJSON;
}

export class TextTokenizer {
  /** Ids never to sample: the unknown token. */
  readonly excluded: readonly number[];

  constructor(
    readonly level: TokenLevel,
    readonly vocabulary: Vocabulary,
  ) {
    if (!TOKEN_LEVELS.includes(level))
      throw new ValueError('TextTokenizer', `level must be one of ${TOKEN_LEVELS.join(', ')}, got ${String(level)}`);
    this.excluded = [vocabulary.unkId];
  }

  /** The tokens of a text at `level` (before the vocabulary). */
  static split(text: string, level: TokenLevel): string[] {
    const normal = text.normalize('NFC').replace(/\r\n?/g, '\n');
    return level === 'chars' ? Array.from(normal) : (normal.match(WORD) ?? []);
  }

  /** A tokenizer whose vocabulary is the tokens of `text`, most frequent first. */
  static build(text: string, level: TokenLevel, options: TokenizerBuildOptions = {}): TextTokenizer {
    const maxSize = options.maxSize ?? (level === 'words' ? 10000 : undefined);
    const vocabulary = Vocabulary.build([TextTokenizer.split(text, level)], {
      specials: ['<unk>'],
      ...(maxSize !== undefined && { maxSize }),
      ...(options.minCount !== undefined && { minCount: options.minCount }),
    });
    return new TextTokenizer(level, vocabulary);
  }

  get size(): number {
    return this.vocabulary.size;
  }

  /** Token ids of a text (unknown tokens: see the module comment). */
  encode(text: string): number[] {
    const unk = this.vocabulary.unkId;
    return TextTokenizer.split(text, this.level).map((token) => {
      const id = this.vocabulary.indexOf(token);
      if (id >= 0 || this.level === 'chars') return id >= 0 ? id : unk;
      for (const variant of [token.toLowerCase(), token.charAt(0).toUpperCase() + token.slice(1).toLowerCase()]) {
        const v = this.vocabulary.indexOf(variant);
        if (v >= 0) return v;
      }
      return unk;
    });
  }

  /** The text that prints token `id` after token `previous` (null at the start). */
  decode(id: number, previous: number | null): string {
    const token = this.vocabulary.tokenAt(id);
    if (this.level === 'chars' || previous === null) return token;
    const before = this.vocabulary.tokenAt(previous);
    return token === '\n' || CLOSING.has(token) || OPENING.has(before) ? token : ` ${token}`;
  }

  /** The text of a sequence of ids. */
  decodeAll(ids: readonly number[]): string {
    return ids.map((id, i) => this.decode(id, i === 0 ? null : ids[i - 1]!)).join('');
  }

  toJSON(): TextTokenizerJSON {
    return { level: this.level, vocabulary: this.vocabulary.toJSON() };
  }

  static fromJSON(json: unknown): TextTokenizer {
    const { level, vocabulary } = (json ?? {}) as Partial<TextTokenizerJSON>;
    if (!TOKEN_LEVELS.includes(level as TokenLevel))
      throw new ValueError(
        'TextTokenizer.fromJSON',
        `level must be one of ${TOKEN_LEVELS.join(', ')}, got ${String(level)}`,
      );
    return new TextTokenizer(level as TokenLevel, Vocabulary.fromJSON(vocabulary));
  }
}
