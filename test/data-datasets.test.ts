/** The embedded datasets: sizes, labels, integrity (manifest SHA-256), determinism, round trips. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  applyDiacriticTags,
  DATASET_NAMES,
  dataDirectory,
  datasetManifest,
  diacriticTags,
  loadCO2,
  loadDiacritics,
  loadG2P,
  loadLanguageId,
  stripDiacritics,
} from '../src/data/index.js';

describe('embedded datasets', () => {
  test('every file listed in datasets.json exists with its size and SHA-256; the total stays small', () => {
    const dir = dataDirectory();
    const manifest = datasetManifest();
    let total = 0;
    for (const name of DATASET_NAMES) {
      const files = Object.entries(manifest.datasets[name].files);
      assert.ok(files.length > 0, name);
      for (const [file, { bytes, sha256 }] of files) {
        const data = readFileSync(join(dir, file));
        assert.equal(data.length, bytes, file);
        assert.equal(createHash('sha256').update(data).digest('hex'), sha256, file);
        total += bytes;
      }
    }
    assert.ok(total < 3_000_000, `data is ${total} bytes`);
    for (const readme of [
      'README.md',
      'FORMATS.md',
      'language-id/README.md',
      'diacritics/README.md',
      'g2p/README.md',
      'co2/README.md',
    ]) {
      assert.ok(statSync(join(dir, readme)).size > 200, readme);
    }
  });

  test('language id: 8 balanced languages, lowercase letter-only words of 3-20 characters, each word in one language', () => {
    const { examples, labels } = loadLanguageId();
    assert.deepEqual(labels, ['de', 'en', 'es', 'fr', 'it', 'nl', 'pl', 'pt']);
    assert.equal(examples.length, 24_000);
    const perLabel = new Map<string, number>();
    const seen = new Set<string>();
    for (const { text, label } of examples) {
      perLabel.set(label, (perLabel.get(label) ?? 0) + 1);
      assert.match(text, /^\p{Ll}{3,20}$/u, text);
      assert.equal(text, text.normalize('NFC'));
      assert.ok(!seen.has(text), `${text} appears twice`);
      seen.add(text);
    }
    assert.deepEqual(
      [...perLabel.values()],
      labels.map(() => 3000),
    );
    assert.deepEqual([...perLabel.keys()], labels);
  });

  test('diacritics: 15,000 unique inputs, 4 languages, a third without any mark, all tags known', () => {
    const examples = loadDiacritics();
    assert.equal(examples.length, 15_000);
    assert.equal(new Set(examples.map((e) => e.input)).size, 15_000);
    const languages = new Map<string, number>();
    for (const e of examples) languages.set(e.language, (languages.get(e.language) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries(languages), { de: 3750, es: 3750, fr: 3750, pt: 3750 });
    const plain = examples.filter((e) => e.tags.every((t) => t === '-')).length;
    assert.equal(plain, 5000);
    const tags = new Set(examples.flatMap((e) => e.tags));
    assert.deepEqual([...tags].sort(), ['-', 'acute', 'cedilla', 'circumflex', 'diaeresis', 'grave', 'tilde']);
    for (const e of examples) assert.match(e.input, /^[a-zß]+$/, e.input);
  });

  test('diacritics: strip / tag / apply round trip on every example', () => {
    for (const { input, tags, word } of loadDiacritics()) {
      assert.equal(stripDiacritics(word), input, word);
      assert.deepEqual(diacriticTags(word), tags, word);
      assert.equal(applyDiacriticTags(input, tags), word, word);
      assert.equal(Array.from(input).length, tags.length, word);
    }
  });

  test('g2p: 25,000 alphabetic words, 39 ARPAbet phonemes without stress digits', () => {
    const examples = loadG2P();
    assert.equal(examples.length, 25_000);
    const phonemes = new Set<string>();
    for (const { word, phonemes: p } of examples) {
      assert.match(word, /^[a-z]{2,15}$/, word);
      assert.ok(p.length > 0, word);
      for (const ph of p) phonemes.add(ph);
    }
    assert.equal(phonemes.size, 39);
    for (const ph of phonemes) assert.match(ph, /^[A-Z]{1,2}$/);
    assert.deepEqual([...phonemes].sort(), datasetManifest().datasets.g2p.phonemes);
    const byWord = new Map(examples.map((e) => [e.word, e.phonemes.join(' ')]));
    assert.equal(new Set(examples.map((e) => e.word)).size, 25_000);
    for (const [word, expected] of [['aaberg', 'AA B ER G']] as const) assert.equal(byWord.get(word), expected);
  });

  test('co2: 741 monthly values from 1958-03 to 2020-04, in order, in a plausible range', () => {
    const { dates, values } = loadCO2();
    assert.equal(dates.length, 741);
    assert.equal(values.length, 741);
    assert.equal(dates[0], '1958-03');
    assert.equal(dates.at(-1), '2020-04');
    assert.equal(values[0], 315.7);
    assert.equal(values.at(-1), 416.18);
    for (let i = 1; i < dates.length; i++) assert.ok(dates[i]! > dates[i - 1]!, dates[i]);
    for (const v of values) assert.ok(v > 300 && v < 430, String(v));
    assert.deepEqual(datasetManifest().datasets.co2.missingMonths, [
      '1958-06',
      '1958-10',
      '1964-02',
      '1964-03',
      '1964-04',
    ]);
  });

  test('loading twice gives equal, independent data', () => {
    assert.deepEqual(loadLanguageId(), loadLanguageId());
    assert.deepEqual(loadDiacritics(), loadDiacritics());
    const a = loadG2P();
    const b = loadG2P();
    assert.deepEqual(a, b);
    a[0]!.phonemes.push('X');
    assert.notDeepEqual(a[0], b[0]);
    assert.deepEqual(loadCO2(), loadCO2());
  });
});
