#!/usr/bin/env node
/**
 * Builds data/weather/ (numeric sequences for classify, tag and multi-column forecast) from the
 * npm devDependency vega-datasets (data/weather.csv, data/seattle-weather.csv: NOAA daily
 * observations 2012-2015, a U.S. Government work). Deterministic; see data/weather/README.md.
 *
 *   node scripts/data/build-weather.mjs           writes the files
 *   node scripts/data/build-weather.mjs --check   exits 1 if data/weather differs from a rebuild
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SOURCE = join(ROOT, 'node_modules', 'vega-datasets', 'data');
const OUT = join(ROOT, 'data', 'weather');
const CHECK = process.argv.includes('--check');
const FEATURES = ['precipitation', 'temp_max', 'temp_min', 'wind'];
const WEEK = 7;
const WINDOW = 14;

function readCsv(file) {
  const [header, ...rows] = readFileSync(join(SOURCE, file), 'utf8')
    .trim()
    .split(/\r?\n/)
    .map((l) => l.split(','));
  return rows.map((r) => Object.fromEntries(header.map((h, k) => [h, r[k]])));
}

const daily = readCsv('weather.csv');
const byCity = new Map();
for (const row of daily) (byCity.get(row.location) ?? byCity.set(row.location, []).get(row.location)).push(row);
for (const rows of byCity.values()) rows.sort((a, b) => a.date.localeCompare(b.date));

// classify: which city a week of weather comes from (long format, one row per day).
const weeks = ['id,step,' + FEATURES.join(',') + ',label'];
for (const [city, rows] of byCity) {
  for (let w = 0; (w + 1) * WEEK <= rows.length; w++) {
    for (let d = 0; d < WEEK; d++) {
      const row = rows[w * WEEK + d];
      weeks.push(
        [
          `${city.replace(/\s+/g, '-').toLowerCase()}-${String(w).padStart(3, '0')}`,
          d + 1,
          ...FEATURES.map((f) => row[f]),
          city,
        ].join(','),
      );
    }
  }
}

// tag: the weather of each day of a fortnight from its measurements (JSONL).
const fortnights = [];
for (const rows of byCity.values()) {
  for (let s = 0; s + WINDOW <= rows.length; s += WINDOW) {
    const part = rows.slice(s, s + WINDOW);
    fortnights.push(
      JSON.stringify({
        sequence: part.map((r) => FEATURES.map((f) => Number(r[f]))),
        tags: part.map((r) => r.weather),
      }),
    );
  }
}

// forecast: Seattle's daily series with every numeric column (target chosen with --target).
const seattle = readCsv('seattle-weather.csv').sort((a, b) => a.date.localeCompare(b.date));
const series = ['date,' + FEATURES.join(','), ...seattle.map((r) => [r.date, ...FEATURES.map((f) => r[f])].join(','))];

const files = {
  'city-weeks.csv': `${weeks.join('\n')}\n`,
  'fortnights.jsonl': `${fortnights.join('\n')}\n`,
  'seattle-daily.csv': `${series.join('\n')}\n`,
};
let differ = false;
if (!CHECK) mkdirSync(OUT, { recursive: true });
for (const [name, text] of Object.entries(files)) {
  const path = join(OUT, name);
  if (CHECK) {
    if (!existsSync(path) || readFileSync(path, 'utf8') !== text) {
      console.error(`differs: data/weather/${name}`);
      differ = true;
    }
  } else {
    writeFileSync(path, text);
    console.log(`data/weather/${name}: ${text.split('\n').length - 2} rows`);
  }
}
if (differ) process.exit(1);
