/**
 * The text the playground's language model reads: the embedded corpus of `recurrent train
 * --task generate` (data/kjv/: the King James Version, Genesis to Judges, public domain; source
 * and how it was built in its README), bundled into the page by Vite's `?raw` import.
 */
import text from '../../../data/kjv/genesis-judges.txt?raw';

export const CORPUS = text;
export const CORPUS_NOTE = 'King James Version, Genesis to Judges (public domain; data/kjv/README.md)';
