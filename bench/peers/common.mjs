/**
 * Helpers shared by the peer child processes of bench/run.mjs. Each child gets one JSON spec as
 * its first argument, runs one item (one library, one cell, one mode, one shape), and prints one
 * line `BENCH_RESULT {json}` on stdout. Anything else it prints is ignored (or shown on failure).
 *
 * Spec fields used by every peer:
 *   cell: 'lstm' | 'gru' | 'rnn'    mode: 'forward' | 'train'
 *   B, T, I, H                      batch, steps, input size, hidden size
 *   minRuns                         timed runs at least (after warm-up); default 5
 *   maxRuns, budgetMs               more runs (up to maxRuns) while the timed total is under budgetMs
 *   warmupMs                        warm-up runs continue until this much time has passed (at least 1
 *                                   run; 0: no warm-up, as `recurrent predict --repeat` times its runs)
 */
import { readFileSync } from 'node:fs';

export const MARKER = 'BENCH_RESULT ';

export function readSpec() {
  const raw = process.argv[2];
  if (!raw) {
    console.error('usage: node <peer>.mjs \'{"cell":"lstm","mode":"forward","B":64,"T":100,"I":128,"H":256}\'');
    process.exit(2);
  }
  return JSON.parse(raw);
}

/** Deterministic uniform values in [-0.5, 0.5) (xorshift32), the same in every peer. */
export function randomArray(n, seed) {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s >>> 8) / (1 << 24) - 0.5;
  }
  return out;
}

/** Resident set size now and its high-water mark, in MiB, from /proc/self/status (Linux). */
export function memory() {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMiB: kib('VmRSS') / 1024, hwmMiB: kib('VmHWM') / 1024 };
  } catch {
    const maxKiB = process.resourceUsage().maxRSS;
    return { rssMiB: process.memoryUsage().rss / 2 ** 20, hwmMiB: maxKiB / 1024 };
  }
}

export const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Times `fn` (sync, or async when it returns a promise): warm-up runs first (at least one, more
 * until `warmupMs` has passed, at most 5000; none when `warmupMs` is 0), then at least `minRuns` timed runs, more while the
 * timed total is under `budgetMs` (at most `maxRuns`). Returns every timed run in ms.
 */
export async function timeRuns(fn, spec) {
  const minRuns = spec.minRuns ?? 5;
  const maxRuns = Math.max(minRuns, spec.maxRuns ?? 40);
  const budgetMs = spec.budgetMs ?? 1500;
  const warmupMs = spec.warmupMs ?? 300;
  const once = async () => {
    const t0 = performance.now();
    const r = fn();
    if (r && typeof r.then === 'function') await r;
    return performance.now() - t0;
  };
  let warm = 0;
  let warmRuns = 0;
  while (warmupMs > 0 && (warmRuns === 0 || (warm < warmupMs && warmRuns < 5000))) {
    warm += await once();
    warmRuns++;
  }
  const times = [];
  let total = 0;
  while (times.length < minRuns || (total < budgetMs && times.length < maxRuns)) {
    const ms = await once();
    times.push(ms);
    total += ms;
  }
  return { times, warmupRuns: warmRuns };
}

/** Prints the result line (with the memory figures) and exits. */
export function emit(result) {
  const mem = memory();
  process.stdout.write(`${MARKER}${JSON.stringify({ ...result, peakRssMiB: mem.hwmMiB, endRssMiB: mem.rssMiB })}\n`);
}

/** Runs `main`, turning an exception into a result line with `error` (the parent reports it). */
export async function runChild(main) {
  try {
    emit(await main());
    process.exit(0);
  } catch (error) {
    process.stdout.write(
      `${MARKER}${JSON.stringify({ error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) })}\n`,
    );
    process.exit(1);
  }
}
