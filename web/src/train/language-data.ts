/**
 * The language-identification word lists (data/language-id/, 3,000 words per language from
 * Debian's word lists; sources and licences in its README), bundled into the page as text by
 * Vite's `?raw` imports and parsed with the library's own TSV reader.
 */
import { data } from '../../../src/browser.js';
import de from '../../../data/language-id/de.tsv?raw';
import en from '../../../data/language-id/en.tsv?raw';
import es from '../../../data/language-id/es.tsv?raw';
import fr from '../../../data/language-id/fr.tsv?raw';
import it from '../../../data/language-id/it.tsv?raw';
import nl from '../../../data/language-id/nl.tsv?raw';
import pl from '../../../data/language-id/pl.tsv?raw';
import pt from '../../../data/language-id/pt.tsv?raw';

const FILES: Record<string, string> = { de, en, es, fr, it, nl, pl, pt };

/** Every word of one language, in file order (sorted). */
export function wordsOf(label: string): string[] {
  const text = FILES[label];
  if (text === undefined) throw new Error(`no word list for '${label}'`);
  const [header, ...rows] = data.parseDelimited(text, '\t', `data/language-id/${label}.tsv`);
  if (header?.fields.join('\t') !== 'text\tlabel') throw new Error(`data/language-id/${label}.tsv: unexpected header`);
  return rows.map((r) => r.fields[0]!);
}

/** The language codes, sorted. */
export const LANGUAGES = Object.keys(FILES).sort();
