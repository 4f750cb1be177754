/**
 * The embedded text corpus for language modelling (data/kjv/README.md): the King James Version
 * from Genesis to Judges, 1,036,270 bytes of plain ASCII text, public domain.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDirectory } from './datasets.js';

/** Where the corpus lives, relative to the data folder. */
export const TEXT_CORPUS_FILE = 'kjv/genesis-judges.txt';

/** The corpus text (read anew on each call). */
export function loadTextCorpus(): string {
  return readFileSync(join(dataDirectory(), TEXT_CORPUS_FILE), 'utf8');
}
