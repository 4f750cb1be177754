/**
 * Plain text for language modelling: the embedded corpus (data/kjv/README.md: the King James
 * Version from Genesis to Judges, 1,036,270 bytes of ASCII text, public domain) or a user's
 * UTF-8 text file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../errors.js';
import { dataDirectory } from './datasets.js';

/** Where the corpus lives, relative to the data folder. */
export const TEXT_CORPUS_FILE = 'kjv/genesis-judges.txt';

/** The corpus text (read anew on each call). */
export function loadTextCorpus(): string {
  return readFileSync(join(dataDirectory(), TEXT_CORPUS_FILE), 'utf8');
}

/**
 * A UTF-8 text file, whole. Throws DataError naming the file when it is missing, empty, or not
 * valid UTF-8 (with the line of the first bad byte).
 */
export function loadTextFile(path: string): string {
  if (!existsSync(path)) throw new DataError(path, null, 'file not found');
  const bytes = readFileSync(path);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    // Byte 10 (newline) never occurs inside a multi-byte character: decode line by line to find the bad one.
    let line = 1;
    for (let start = 0; start <= bytes.length; line++) {
      const end = bytes.indexOf(10, start);
      const stop = end < 0 ? bytes.length : end;
      try {
        decoder.decode(bytes.subarray(start, stop));
      } catch {
        break;
      }
      start = stop + 1;
    }
    throw new DataError(path, line, 'is not valid UTF-8 text (save it as UTF-8)');
  }
  if (text.replace(/^\uFEFF/, '').trim().length === 0)
    throw new DataError(path, null, 'is empty: a language model needs text to learn from');
  return text.replace(/^\uFEFF/, '');
}
