/**
 * How a text column becomes tokens: characters (code points) or words (split on whitespace).
 *
 *   tokenize('535+61', 'chars')    ['5','3','5','+','6','1']
 *   tokenize('K AE T', 'words')    ['K','AE','T']
 *   chooseTokens(['596','12'], 'auto')   'chars'  (no value holds whitespace)
 *   joinTokens(['5','9','6'], 'chars')   '596'
 *
 * In `chars` mode whitespace is a token like any other character, so a sentence keeps its spaces.
 */
import { ValueError } from '../errors.js';

/** A column's tokenisation as a user asks for it. */
export type TokenMode = 'chars' | 'words' | 'auto';
/** A column's tokenisation once decided. */
export type Tokens = 'chars' | 'words';
export const TOKEN_MODES: readonly TokenMode[] = ['chars', 'words', 'auto'];

/** The tokens of `text` under `tokens`. */
export function tokenize(text: string, tokens: Tokens): string[] {
  if (tokens === 'chars') return Array.from(text);
  const t = text.trim();
  return t === '' ? [] : t.split(/\s+/);
}

/** The text of `tokens` (the inverse of tokenize up to repeated whitespace). */
export function joinTokens(tokens: readonly string[], mode: Tokens): string {
  return tokens.join(mode === 'chars' ? '' : ' ');
}

/** `auto`: words when some value contains whitespace (inside it, not at its ends), else characters. */
export function chooseTokens(values: Iterable<string>, mode: TokenMode): Tokens {
  if (mode === 'chars' || mode === 'words') return mode;
  if (mode !== 'auto') throw new ValueError('tokens', `expected chars, words or auto, got ${String(mode)}`);
  for (const v of values) if (/\S\s+\S/.test(v)) return 'words';
  return 'chars';
}

/** Checks a saved or given token mode. */
export function isTokens(value: unknown): value is Tokens {
  return value === 'chars' || value === 'words';
}
