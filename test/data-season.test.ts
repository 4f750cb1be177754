/** seasonFromDates: the season a forecast file's dates suggest when --season is not given. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seasonFromDates } from '../src/data/season.js';

const iso = (t: number) => new Date(t).toISOString();
const series = (start: string, stepMs: number, n: number) =>
  Array.from({ length: n }, (_, i) => iso(Date.parse(start) + i * stepMs).slice(0, 19));

test('hourly, daily, weekly, monthly and quarterly dates give 24, 7, 52, 12 and 4', () => {
  const H = 3_600_000;
  assert.equal(seasonFromDates(series('2024-01-01T00:00:00Z', H, 50))?.season, 24);
  assert.equal(seasonFromDates(series('2024-01-01T00:00:00Z', 24 * H, 50).map((d) => d.slice(0, 10)))?.season, 7);
  assert.equal(seasonFromDates(series('2024-01-01T00:00:00Z', 7 * 24 * H, 50).map((d) => d.slice(0, 10)))?.season, 52);
  const months = Array.from(
    { length: 30 },
    (_, i) => `${1958 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`,
  );
  assert.deepEqual(seasonFromDates(months), { season: 12, unit: 'monthly' });
  const quarters = Array.from(
    { length: 12 },
    (_, i) => `${2000 + Math.floor(i / 4)}-${String((i % 4) * 3 + 1).padStart(2, '0')}-01`,
  );
  assert.equal(seasonFromDates(quarters)?.season, 4);
});

test('a daily series with a missing day still reads as daily; step numbers, ambiguous or irregular dates give nothing', () => {
  const days = series('2024-01-01T00:00:00Z', 86_400_000, 30).map((d) => d.slice(0, 10));
  days.splice(10, 1);
  assert.equal(seasonFromDates(days)?.season, 7);
  assert.equal(seasonFromDates(['1', '2', '3', '4', '5']), undefined);
  assert.equal(seasonFromDates(['01/02/2024', '01/03/2024', '01/04/2024']), undefined);
  assert.equal(seasonFromDates(['2024-01-01', '2024-01-20', '2024-03-15', '2024-07-01']), undefined);
  assert.equal(seasonFromDates(['2024-01-01']), undefined);
});
