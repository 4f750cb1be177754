#!/usr/bin/env node
/**
 * Load test of `recurrent serve` on loopback with autocannon, bounded in time:
 *   npm run bench:serve [-- --seconds 5 --connections 8,32 --json out.json]
 * Trains a small classify model (1 epoch, default sizes) into a temporary directory, then for
 * each server setting starts `recurrent serve` in a child process (its own core) and fires
 * batch-1 requests ({"inputs": ["<one word>"]}) from this process for --seconds, after a 1 s
 * warm-up, with each number of concurrent connections in --connections. Settings: dynamic batching (--max-batch 32, --max-wait-ms 2) and --max-batch 1.
 * Prints req/s, latency percentiles and the mean batch size read back from GET /metrics, each
 * beside the 1-minute load average at its start and end (the machine may be shared: a p99 read
 * under a load above the core count measures the neighbours too), then a summary table.
 */
import autocannon from 'autocannon';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = ['dist', 'build/src'].map((d) => join(root, d, 'cli/main.js')).find((p) => existsSync(p));
if (!cli) {
  console.error('bench:serve: build first (npm run build)');
  process.exit(1);
}
const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '8,32' },
    json: { type: 'string' },
  },
});
const seconds = Number(args.seconds);
const connectionCounts = args.connections.split(',').map(Number);

const dir = mkdtempSync(join(tmpdir(), 'recurrent-bench-serve-'));
const modelDir = join(dir, 'model');
const trained = spawnSync(
  process.execPath,
  [cli, 'train', '--task', 'classify', '--epochs', '1', '--max-train', '2000', '--out', modelDir, '--json'],
  { encoding: 'utf8' },
);
if (trained.status !== 0) throw new Error(`training failed: ${trained.stderr}`);

const words = [
  'hello',
  'bonjour',
  'gracias',
  'danke',
  'grazie',
  'obrigado',
  'dziekuje',
  'bedankt',
  'nevertheless',
  'schmetterling',
];

/** Starts `recurrent serve` and resolves with its URL and the child. */
function startServer(extra) {
  const child = spawn(process.execPath, [cli, 'serve', modelDir, '--port', '0', ...extra], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const url = /at (http:\/\/[\d.:]+)/.exec(out)?.[1];
      if (url) resolve({ child, url });
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
  });
}

function load(url, duration, connections) {
  let i = 0;
  return autocannon({
    url,
    connections,
    duration,
    pipelining: 1,
    requests: [
      {
        method: 'POST',
        path: '/predict',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ inputs: [words[i++ % words.length]] }) }),
      },
    ],
  });
}

/**
 * The server's own figures from GET /metrics: the mean batch size so far, its CPU seconds so far,
 * and the 99th percentile of its event loop's delay since the previous read (ms).
 */
async function serverFigures(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1]);
  const count = value('recurrent_batch_size_count');
  return {
    meanBatch: count > 0 ? value('recurrent_batch_size_sum') / count : 0,
    cpuSeconds: value('process_cpu_seconds_total'),
    loopDelayP99: value('nodejs_eventloop_lag_p99_seconds') * 1000,
  };
}

const settings = [
  { name: 'dynamic batching (--max-batch 32 --max-wait-ms 2)', flags: ['--max-batch', '32', '--max-wait-ms', '2'] },
  { name: 'no batching (--max-batch 1)', flags: ['--max-batch', '1'] },
];
const results = [];
try {
  for (const connections of connectionCounts)
    for (const setting of settings) {
      const { child, url } = await startServer(setting.flags);
      try {
        await load(url, 1, connections);
        const loadBefore = loadavg()[0];
        const before = await serverFigures(url); // also restarts the event-loop delay percentiles
        const r = await load(url, seconds, connections);
        const loadAfter = loadavg()[0];
        const server = await serverFigures(url);
        const row = {
          setting: setting.name,
          connections,
          seconds,
          requests: r.requests.total,
          rps: r.requests.average,
          p50: r.latency.p50,
          p90: r.latency.p90,
          p99: r.latency.p99,
          errors: r.errors,
          non2xx: r.non2xx,
          timeouts: r.timeouts,
          meanBatch: server.meanBatch,
          serverCpu: (server.cpuSeconds - before.cpuSeconds) / seconds,
          serverLoopDelayP99: server.loopDelayP99,
          load1: [loadBefore, loadAfter],
          cores: cpus().length,
        };
        results.push(row);
        console.log(
          `${connections} connections, ${row.setting}: ${row.rps.toFixed(0)} req/s, latency p50 ${row.p50} ms, p90 ${row.p90} ms, p99 ${row.p99} ms, mean batch ${row.meanBatch.toFixed(2)}, server CPU ${(row.serverCpu * 100).toFixed(0)}% of a core, server event-loop delay p99 ${row.serverLoopDelayP99.toFixed(1)} ms, errors ${row.errors}, non-2xx ${row.non2xx}, load ${loadBefore.toFixed(1)} -> ${loadAfter.toFixed(1)} on ${row.cores} cores`,
        );
      } finally {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
    }
  console.log(
    '\n| connections | setting | req/s | p50 ms | p99 ms | mean batch | server CPU | server loop delay p99 ms | load (1 min) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of results)
    console.log(
      `| ${r.connections} | ${r.setting} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.meanBatch.toFixed(2)} | ${(r.serverCpu * 100).toFixed(0)}% | ${r.serverLoopDelayP99.toFixed(1)} | ${r.load1.map((l) => l.toFixed(1)).join(' -> ')} |`,
    );
  for (let i = 0; i < results.length; i += 2) {
    const [batched, single] = [results[i], results[i + 1]];
    console.log(
      `${batched.connections} connections: dynamic batching vs --max-batch 1: ${(batched.rps / single.rps).toFixed(2)}x req/s, p99 ${batched.p99} vs ${single.p99} ms`,
    );
  }
  if (args.json) writeFileSync(args.json, `${JSON.stringify(results, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
