/**
 * Diacritics as per-character tags, for the diacritic-restoration task (many-to-many, same length).
 *
 *   stripDiacritics('élève')            'eleve'
 *   diacriticTags('élève')              ['acute', '-', 'grave', '-', '-']
 *   applyDiacriticTags('eleve', tags)   'élève'
 *
 * A character is a Unicode code point of the NFC form. Its base is its canonical decomposition
 * (NFD) without combining marks; its tag is `'-'` when it has no mark, else the names of its marks
 * in canonical (NFD) order joined by `'+'` (e.g. `'dot-below+circumflex'` for Vietnamese `ệ`).
 * Letters with no canonical decomposition (ß, ø, ł, æ, đ) are their own base, tag `'-'`.
 * A mark with no name below is written `U` and its hex code point (`U0345`). The stripped word
 * always has exactly one character per tag, and `applyDiacriticTags(stripDiacritics(w), diacriticTags(w)) === w.normalize('NFC')`.
 */
import { ValueError } from '../errors.js';

/** The tag of a character with no diacritic. */
export const NO_DIACRITIC = '-';

/** Names of the combining marks, as used in tags, and their code points. */
export const DIACRITIC_MARKS: Readonly<Record<string, string>> = Object.freeze({
  grave: '\u0300',
  acute: '\u0301',
  circumflex: '\u0302',
  tilde: '\u0303',
  macron: '\u0304',
  breve: '\u0306',
  dot: '\u0307',
  diaeresis: '\u0308',
  hook: '\u0309',
  ring: '\u030A',
  'double-acute': '\u030B',
  caron: '\u030C',
  horn: '\u031B',
  'dot-below': '\u0323',
  'comma-below': '\u0326',
  cedilla: '\u0327',
  ogonek: '\u0328',
});

const NAME_OF_MARK = new Map(Object.entries(DIACRITIC_MARKS).map(([name, mark]) => [mark, name]));
const IS_MARK = /^\p{M}$/u;

function markName(mark: string): string {
  return NAME_OF_MARK.get(mark) ?? `U${mark.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

function markOf(name: string, where: string): string {
  const known = DIACRITIC_MARKS[name];
  if (known !== undefined) return known;
  const hex = /^U([0-9A-F]{4,6})$/.exec(name);
  if (hex) {
    const mark = String.fromCodePoint(parseInt(hex[1]!, 16));
    if (IS_MARK.test(mark)) return mark;
  }
  throw new ValueError(
    where,
    `unknown diacritic tag '${name}', expected '-' or one of ${Object.keys(DIACRITIC_MARKS).join(', ')} (or U and the hex code point, e.g. U0345, for another combining mark), joined by '+'`,
  );
}

/** Splits a word into base characters and their tags (one tag per base character). */
function analyse(word: string, where: string): { bases: string[]; tags: string[] } {
  const bases: string[] = [];
  const tags: string[] = [];
  for (const ch of word.normalize('NFC')) {
    const parts = Array.from(ch.normalize('NFD'));
    const marks = parts.filter((p) => IS_MARK.test(p));
    const base = parts
      .filter((p) => !IS_MARK.test(p))
      .join('')
      .normalize('NFC');
    if (base.length === 0) {
      // A combining mark left standing after NFC (no precomposed letter): it belongs to the previous character.
      if (tags.length === 0) throw new ValueError(where, `'${word}' starts with a combining mark`);
      const previous = tags[tags.length - 1]!;
      tags[tags.length - 1] = [...(previous === NO_DIACRITIC ? [] : previous.split('+')), ...marks.map(markName)].join(
        '+',
      );
    } else if (marks.length === 0 || Array.from(base).length !== 1) {
      bases.push(ch);
      tags.push(NO_DIACRITIC);
    } else {
      bases.push(base);
      tags.push(marks.map(markName).join('+'));
    }
  }
  return { bases, tags };
}

/** The word without its combining diacritics, NFC (`'Ça élève'` → `'Ca eleve'`; `'straße'` unchanged). */
export function stripDiacritics(word: string): string {
  return analyse(word, 'stripDiacritics').bases.join('');
}

/** One tag per character of `stripDiacritics(word)`: `'-'` or mark names joined by `'+'`. */
export function diacriticTags(word: string): string[] {
  return analyse(word, 'diacriticTags').tags;
}

/**
 * Puts the diacritics named by `tags` on the characters of `base` (one tag per code point) and
 * returns the NFC result. Throws ValueError on a length mismatch or an unknown tag.
 */
export function applyDiacriticTags(base: string, tags: readonly string[]): string {
  const where = 'applyDiacriticTags';
  const chars = Array.from(base);
  if (chars.length !== tags.length) {
    throw new ValueError(
      where,
      `'${base}' has ${chars.length} characters but ${tags.length} tags were given; expected one tag per character`,
    );
  }
  let out = '';
  chars.forEach((ch, i) => {
    const tag = tags[i]!;
    out += ch;
    if (tag !== NO_DIACRITIC) for (const name of tag.split('+')) out += markOf(name, where);
  });
  return out.normalize('NFC');
}
