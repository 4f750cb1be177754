#!/usr/bin/env node
/**
 * Builds data/kjv/genesis-judges.txt, the default corpus of `recurrent train --task generate`:
 * the King James Version (1611, public domain) from Genesis 1:1 to Judges 21:25, read with the
 * `bible` program of Debian's bible-kjv package from the text in bible-kjv-text.
 *
 *   apt-get install -y bible-kjv bible-kjv-text
 *   node scripts/data/build-kjv.mjs           # writes the file, prints its size and SHA-256
 *   node scripts/data/build-kjv.mjs --check   # exit 1 if the committed file differs
 *
 * Format: for each chapter a line "Book N" and a blank line, then one verse per line,
 * "V text" (verse number, space, text); a blank line between chapters. Plain ASCII, '\n'.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RANGE = 'Ge1:1-Jdg21:25';
const file = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'data', 'kjv', 'genesis-judges.txt');

const raw = execFileSync('bible', ['-l100000', RANGE], { encoding: 'utf8', maxBuffer: 64 << 20 });
const lines = [];
for (const line of raw.split('\n')) {
  const text = line.trim();
  if (text === '') {
    if (lines.length > 0 && lines[lines.length - 1] !== '') lines.push('');
  } else {
    if (/^[1-9A-Z]/.test(text) && !/^\d+ /.test(text) && lines.length > 0 && lines[lines.length - 1] !== '')
      lines.push('');
    lines.push(text.replace(/\s+/g, ' '));
  }
}
while (lines[lines.length - 1] === '') lines.pop();
const text = `${lines.join('\n')}\n`;
if (!/^[\x20-\x7e\n]*$/.test(text)) throw new Error('unexpected characters outside printable ASCII');
const sha256 = createHash('sha256').update(text).digest('hex');
const verses = lines.filter((l) => /^\d+ /.test(l)).length;
const chapters = lines.filter((l) => /^[1-9]?[A-Z][a-z]+ \d+$/.test(l)).length;
if (process.argv.includes('--check')) {
  const committed = readFileSync(file, 'utf8');
  if (committed !== text) {
    console.error(`${file} differs from the rebuild (sha256 ${sha256})`);
    process.exit(1);
  }
  console.log(`ok: ${file} is as built`);
} else {
  writeFileSync(file, text);
  console.log(`${file}: ${Buffer.byteLength(text)} bytes, ${chapters} chapters, ${verses} verses, sha256 ${sha256}`);
}
