#!/usr/bin/env node
/**
 * Time-to-quality: the same classifier trained in PyTorch (bench/ttq_torch.py) and in this
 * library (bench/peers/ttq-recurrent.mjs, native backend) for the same wall-clock seconds, then
 * both scored on the same test split. What a user feels: accuracy reached per second spent.
 *
 * Data: the language-id words (data/language-id, 8 languages x 3,000 words). A fixed split per
 * language by a hash of the word: 2,000 train, 500 validation (not used here; kept apart so
 * nothing is tuned on the test words), 500 test, so 16,000 train and 4,000 test words. Characters
 * of the training words are the vocabulary (id 0 pads, 1 is an unknown character).
 *
 * Model and training (the classify task's defaults): Embedding(V, 32, pad 0) -> GRU(32, 128) ->
 * the final state of each word's own last character -> Linear(128, 8); Adam lr 0.003, batch 64,
 * cross-entropy, shuffled batches, no clipping, no dropout. The budget is checked after every step;
 * scoring is not timed. Rounds alternate the two (PyTorch, ours, PyTorch, ours, ...), each a fresh
 * process, round r using seed r for both (initial weights and batch order come from each library's
 * own generator).
 *
 * Usage: npm run build && node bench/ttq.mjs [--seconds 30] [--rounds 3] [--cell gru]
 *        [--backend native] [--python /usr/bin/python3]
 * Prints a Markdown table (per round and medians) and the load average before and after.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MARKER, median } from './peers/common.mjs';
import { describeTorchBlas, torchBlasEnv } from './peers/torch-env.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    rounds: { type: 'string', default: '3' },
    cell: { type: 'string', default: 'gru' },
    backend: { type: 'string', default: 'native' },
    python: { type: 'string', default: '/usr/bin/python3' },
  },
});
const seconds = Number(opts.seconds);
const rounds = Number(opts.rounds);
if (!(seconds > 0) || !Number.isInteger(rounds) || rounds < 1) {
  console.error('ttq: --seconds must be > 0 and --rounds an integer >= 1');
  process.exit(2);
}

const LANGUAGES = ['de', 'en', 'es', 'fr', 'it', 'nl', 'pl', 'pt'];
const PER_LANGUAGE = { train: 2000, validation: 500, test: 500 };
const HYPER = { cell: opts.cell, embeddingDim: 32, hiddenSize: 128, lr: 0.003, batchSize: 64 };

/** FNV-1a 32-bit of a string's UTF-16 code units: the split's fixed order. */
function fnv1a(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

function buildSplit(seed) {
  const sets = { train: [], validation: [], test: [] };
  LANGUAGES.forEach((lang, label) => {
    const words = readFileSync(join(root, 'data/language-id', `${lang}.tsv`), 'utf8')
      .split('\n')
      .slice(1)
      .filter((l) => l.includes('\t'))
      .map((l) => l.split('\t')[0]);
    words.sort((a, b) => fnv1a(`ttq-v1\0${a}`) - fnv1a(`ttq-v1\0${b}`) || (a < b ? -1 : 1));
    let at = 0;
    for (const part of ['train', 'validation', 'test']) {
      for (const w of words.slice(at, at + PER_LANGUAGE[part])) sets[part].push({ w, label });
      at += PER_LANGUAGE[part];
    }
  });
  const chars = [...new Set(sets.train.flatMap((e) => [...e.w]))].sort();
  const index = new Map(chars.map((c, i) => [c, i + 2]));
  const encode = (set) => ({
    ids: set.map((e) => [...e.w].map((c) => index.get(c) ?? 1)),
    labels: set.map((e) => e.label),
  });
  return {
    seed,
    seconds,
    hyper: HYPER,
    labels: LANGUAGES,
    vocabSize: chars.length + 2,
    train: encode(sets.train),
    test: encode(sets.test),
  };
}

function child(cmd, args, env = process.env) {
  return new Promise((resolve) => {
    const proc = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => proc.kill('SIGKILL'), (seconds + 300) * 1000);
    proc.on('error', (e) => resolve({ error: `could not start ${cmd}: ${e.message}` }));
    proc.on('close', () => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith(MARKER));
      resolve(
        line ? JSON.parse(line.slice(MARKER.length)) : { error: (err || out).trim().split('\n').slice(-3).join(' | ') },
      );
    });
  });
}

// PyTorch's BLAS environment, as in bench/run.mjs.
const torchBlas = torchBlasEnv(opts.python);
const torchEnv = torchBlas.env;
console.error(`PyTorch: ${describeTorchBlas(torchBlas)}`);

const tmp = mkdtempSync(join(tmpdir(), 'recurrent-ttq-'));
const load0 = loadavg();
const rows = [];
try {
  for (let r = 0; r < rounds; r++) {
    const file = join(tmp, `split-${r}.json`);
    writeFileSync(file, JSON.stringify(buildSplit(r)));
    const torch = await child(opts.python, [join(root, 'bench/ttq_torch.py'), file], torchEnv);
    const ours = await child(process.execPath, [
      join(root, 'bench/peers/ttq-recurrent.mjs'),
      JSON.stringify({ splitFile: file, backend: opts.backend }),
    ]);
    rows.push({ round: r, torch, ours });
    const show = (x) =>
      x.error ? `FAILED: ${x.error}` : `acc ${x.accuracy.toFixed(4)}, ${x.steps} steps, ${x.epochs} epochs`;
    console.error(`round ${r + 1}/${rounds}: PyTorch ${show(torch)}; recurrent ${show(ours)}`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
const load1 = loadavg();

const split = buildSplit(0);
const fmt = (x, key, digits) => (x.error ? 'failed' : x[key].toFixed(digits));
const lines = [
  `Time-to-quality: ${HYPER.cell.toUpperCase()} classifier (Embedding ${split.vocabSize}×${HYPER.embeddingDim}, hidden ${HYPER.hiddenSize}, ${LANGUAGES.length} classes), Adam lr ${HYPER.lr}, batch ${HYPER.batchSize}; ${split.train.ids.length} training / ${split.test.ids.length} test words of data/language-id; ${seconds} s of training each; ours on the ${opts.backend} backend. Load average before ${load0.map((l) => l.toFixed(2)).join(' ')}, after ${load1.map((l) => l.toFixed(2)).join(' ')}.`,
  '',
  '| round | PyTorch steps | recurrent steps | steps ratio (ours ÷ PyTorch) | PyTorch test accuracy | recurrent test accuracy |',
  '|---:|---:|---:|---:|---:|---:|',
];
for (const { round, torch, ours } of rows) {
  const ratio = torch.error || ours.error ? '–' : `${(ours.steps / torch.steps).toFixed(2)}×`;
  lines.push(
    `| ${round + 1} | ${fmt(torch, 'steps', 0)} | ${fmt(ours, 'steps', 0)} | ${ratio} | ${fmt(torch, 'accuracy', 4)} | ${fmt(ours, 'accuracy', 4)} |`,
  );
}
const ok = (side) => rows.map((r) => r[side]).filter((x) => !x.error);
const med = (side, key) => (ok(side).length ? median(ok(side).map((x) => x[key])) : null);
const mt = med('torch', 'steps');
const mo = med('ours', 'steps');
lines.push(
  `| **median** | ${mt ?? '–'} | ${mo ?? '–'} | ${mt && mo ? `${(mo / mt).toFixed(2)}×` : '–'} | ${med('torch', 'accuracy')?.toFixed(4) ?? '–'} | ${med('ours', 'accuracy')?.toFixed(4) ?? '–'} |`,
);
console.log(lines.join('\n'));
