#!/usr/bin/env node
/**
 * Time to quality: the same char-LSTM trained in PyTorch and in recurrent for the same wall-clock
 * time on the same text, both scored on the same held-out text (bits per character, lower is
 * better), with their training speed (tokens/s). Not part of `npm test`.
 *
 *   npm run build && node bench/lm/side-by-side.mjs [--seconds 120] [--python /usr/bin/python3] [--torch-threads N]
 *                                                    [--out bench/lm/RESULTS.md]
 *
 * Text: the embedded corpus (data/kjv), characters; the vocabulary from its first 90%, which is
 * the training text; held-out: its last 5% (cut to a multiple of the scoring streams). Both
 * sides read the very same token ids (written here as int32 files). Settings, shared: embedding
 * 64, LSTM 1 x 128, batch 32 streams, bptt 64, Adam lr 0.003, gradient-norm clip 5, seed 0,
 * held-out read as 16 streams with carried state. PyTorch keeps its default intra-op threads
 * unless --torch-threads N is given. The peers run one after the other, each in its
 * own process; PyTorch without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE in its environment (as in
 * bench/run.mjs). Writes the table to --out.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '120' },
    python: { type: 'string', default: '/usr/bin/python3' },
    'torch-threads': { type: 'string', default: '0' },
    out: { type: 'string', default: join(here, 'RESULTS.md') },
  },
});
const lib = ['dist', 'build/src'].map((d) => join(root, d)).find((d) => existsSync(join(d, 'index.js')));
if (!lib) throw new Error('build first: npm run build');
const { data } = await import(pathToFileURL(join(lib, 'index.js')).href);

const text = data.loadTextCorpus();
const pieces = data.TextTokenizer.split(text, 'chars');
const trainEnd = Math.floor(pieces.length * 0.9);
const tokenizer = data.TextTokenizer.build(pieces.slice(0, trainEnd).join(''), 'chars');
const ids = tokenizer.encode(text);
const STREAMS = 16;
const heldOutAll = ids.slice(Math.floor(pieces.length * 0.95));
const heldOut = heldOutAll.slice(0, heldOutAll.length - (heldOutAll.length % STREAMS));
const dir = mkdtempSync(join(tmpdir(), 'recurrent-lm-bench-'));
const trainFile = join(dir, 'train.i32');
const heldOutFile = join(dir, 'held-out.i32');
writeFileSync(trainFile, Int32Array.from(ids.slice(0, trainEnd)));
writeFileSync(heldOutFile, Int32Array.from(heldOut));
const seconds = Number(opts.seconds);
const spec = {
  trainFile,
  heldOutFile,
  vocab: tokenizer.size,
  embedding: 64,
  hidden: 128,
  layers: 1,
  batch: 32,
  bptt: 64,
  lr: 0.003,
  clip: 5,
  seconds,
  streams: STREAMS,
  seed: 0,
  threads: Number(opts['torch-threads']),
};

function runPeer(command, args, env = process.env) {
  const load = loadavg()[0];
  const r = spawnSync(command, [...args, JSON.stringify(spec)], {
    encoding: 'utf8',
    env,
    timeout: (seconds + 300) * 1000,
  });
  const line = r.stdout?.split('\n').find((l) => l.startsWith('LM_RESULT '));
  if (!line)
    return {
      error: `${command} ${args.join(' ')} failed (status ${r.status}${r.signal ? `, ${r.signal}` : ''}): ${r.stderr?.slice(-500)}`,
    };
  return { ...JSON.parse(line.slice('LM_RESULT '.length)), loadBefore: load };
}

const torchEnv = { ...process.env };
delete torchEnv.OPENBLAS_CORETYPE;
delete torchEnv.OPENBLAS_L2_SIZE;
console.error(`training each peer for ${seconds} s on ${trainEnd} characters; held-out ${heldOut.length} characters`);
const results = [
  runPeer(opts.python, [join(here, 'torch_lm.py')], torchEnv),
  runPeer(process.execPath, [join(here, 'recurrent_lm.mjs')]),
];
rmSync(dir, { recursive: true, force: true });

const row = (r) =>
  r.error
    ? `| error | | | | | ${r.error.replace(/\|/g, '/').replace(/\n/g, ' ')} |`
    : `| ${r.peer}${r.threads ? ` (${r.threads} threads)` : ''} | **${r.bitsPerChar.toFixed(3)}** | ${Math.round(r.tokensPerSecond).toLocaleString('en-US')} | ${r.steps} (${r.epochs} epoch${r.epochs > 1 ? 's' : ''}) | ${r.seconds.toFixed(1)} s | load ${r.loadBefore.toFixed(1)} |`;
const table = [
  '| peer | held-out bits/char | train tokens/s | steps | trained for | 1-min load average at start |',
  '|---|---|---|---|---|---|',
  ...results.map(row),
].join('\n');
const cpu = cpus()[0]?.model ?? 'unknown CPU';
const doc = `# Language model side by side: recurrent and PyTorch (time to quality)

Produced by \`node bench/lm/side-by-side.mjs --seconds ${seconds}${spec.threads > 0 ? ` --torch-threads ${spec.threads}` : ''}\` (${new Date().toISOString().slice(0, 10)}), ${availableParallelism()} CPUs (${cpu}).

The same char-LSTM (embedding 64, LSTM 1 x 128, Linear to ${tokenizer.size} characters), the same
training (batch ${spec.batch} parallel streams, truncated BPTT over ${spec.bptt} steps with the state carried,
Adam lr ${spec.lr}, gradient-norm clip ${spec.clip}) for the same ${seconds} s of wall-clock time on the
same ${trainEnd.toLocaleString('en-US')} characters (the first 90% of data/kjv), then both scored on the
same ${heldOut.length.toLocaleString('en-US')} held-out characters (the last 5%), read as ${STREAMS} streams with carried state.

${table}

Lower bits per character is better. For scale: an add-one unigram scores about 4.4 and an
interpolated Kneser-Ney 5-gram of the same training text about 1.9 on this held-out text
(\`recurrent train --task generate\` reports both).
`;
writeFileSync(opts.out, doc);
console.log(table);
console.error(`wrote ${relative(process.cwd(), opts.out)}`);
