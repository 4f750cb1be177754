/**
 * Scale-out to PyTorch: `recurrent export --format pytorch` then PyTorch (Debian's python3-torch
 * under /usr/bin/python3) on the exported model.py/weights gives our outputs; `torchrun
 * --nproc_per_node=2` (gloo, CPU) trains one epoch with train.py; `recurrent import` of the
 * result gives PyTorch's outputs; export + import with no training predicts exactly as before.
 * Every task: classify, tag, seq2seq (teacher-forced forward; all three attention kinds), forecast,
 * generate (next-token logits over two pieces with the state carried; chars and tied words; train.py
 * tokenises as we do).
 * Skipped when torch cannot be imported, unless RECURRENT_REQUIRE_TORCH=1 (CI), where it fails.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import '../src/index.js';
import { loadSafetensors, saveSafetensors } from '../src/io/safetensors-file.js';
import { TASKS } from '../src/tasks/registry.js';
import { loadModelDirectory, loadPredictor } from '../src/tasks/model-dir.js';
import { exportPytorch } from '../src/tasks/pytorch/export.js';
import { noGrad } from '../src/tensor/autograd.js';
import { Generator } from '../src/tensor/random.js';
import { concat } from '../src/tensor/ops/layout.js';
import { Tensor } from '../src/tensor/tensor.js';
import type { Module } from '../src/nn/module.js';
import { TextTokenizer } from '../src/data/text-tokenizer.js';
import type { RecurrentState } from '../src/models/recurrent-layer.js';
import {
  classifyModelDir,
  forecastModelDir,
  languageModelDir,
  LM_TEXT,
  seq2seqModelDir,
  tagModelDir,
} from './model-dirs.js';
import { tempDir } from './temp-dir.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const python = '/usr/bin/python3';
const torchProbe = spawnSync(python, ['-c', 'import torch, numpy; print(torch.__version__)'], { encoding: 'utf8' });
const torchReady = torchProbe.status === 0;
const required = process.env['RECURRENT_REQUIRE_TORCH'] === '1';
const skip = torchReady || required ? false : `PyTorch is not importable by ${python} (apt-get install python3-torch)`;

/** Runs the exported model.py in `dir` on `inputs` (see below); returns its outputs, flat. */
const RUN_EXPORTED = `
import json, sys, torch
sys.path.insert(0, sys.argv[1])
from model import build_model, load_safetensors
config = json.load(open(sys.argv[1] + "/config.json"))
model = build_model(config)
model.load_state_dict(load_safetensors(sys.argv[1] + "/weights.safetensors"), strict=True)
model.eval()
request = json.load(open(sys.argv[2]))
with torch.no_grad():
    if request["kind"] == "seq2seq":
        out = model(torch.tensor(request["source"], dtype=torch.int64), torch.tensor(request["lengths"], dtype=torch.int64), torch.tensor(request["target"], dtype=torch.int64))
    elif request["kind"] == "lm":
        first, state = model(torch.tensor(request["pieces"][0], dtype=torch.int64))
        second, _ = model(torch.tensor(request["pieces"][1], dtype=torch.int64), state)
        out = torch.cat([first, second], 1)
    elif request["kind"] == "tokens":
        out = model(torch.tensor(request["x"], dtype=torch.int64), torch.tensor(request["lengths"], dtype=torch.int64))
    else:
        out = model(torch.tensor(request["x"], dtype=torch.float32))
print(json.dumps({"shape": list(out.shape), "values": out.flatten().tolist()}))
`;

interface Case {
  name: string;
  dir: () => string;
  /** Inputs for both sides: ours as tensors, PyTorch's as JSON. */
  inputs: (g: Generator) => { ours: (m: Module) => Tensor; request: unknown };
  data: string;
  dataFile: string;
  /** What train.py's epoch should report as examples under 2 processes of batch 4 (when checked). */
  examples?: (modelDir: string, data: string) => number;
  /**
   * No dropout and batches that split evenly: 2 processes x batch 4 must train the same weights as
   * 1 process x batch 8 (DDP averages the two halves' gradients).
   */
  sameAsOneProcess?: boolean;
}

const tokenInputs = (vocabSize: number) => (g: Generator) => {
  const lengths = [5, 2, 7, 1];
  const time = 7;
  const x = lengths.map((len) =>
    Array.from({ length: time }, (_, t) => (t < len ? 1 + Math.floor(g.random() * (vocabSize - 1)) : 0)),
  );
  return {
    ours: (m: Module) =>
      (m as unknown as { forward(x: Tensor, l: number[]): Tensor }).forward(
        new Tensor(Float32Array.from(x.flat()), [4, time]),
        lengths,
      ),
    request: { kind: 'tokens', x, lengths },
  };
};

/** Source ids with lengths (padded) and a teacher-forced target input starting with BOS. */
const seq2seqInputs = (g: Generator) => {
  const lengths = [4, 6, 1];
  const source = lengths.map((len) =>
    Array.from({ length: 6 }, (_, t) => (t < len ? 1 + Math.floor(g.random() * 15) : 0)),
  );
  const target = lengths.map(() => [2, ...Array.from({ length: 4 }, () => 4 + Math.floor(g.random() * 8))]);
  return {
    ours: (m: Module) =>
      (m as unknown as { forward(s: Tensor, l: number[], t: Tensor): Tensor }).forward(
        new Tensor(Float32Array.from(source.flat()), [3, 6]),
        lengths,
        new Tensor(Float32Array.from(target.flat()), [3, 5]),
      ),
    request: { kind: 'seq2seq', source, lengths, target },
  };
};

/** Two pieces of (3, 5) and (3, 4) token ids: logits (3, 9, V), the second piece starting from the first's state. */
const lmInputs = (vocabSize: number) => (g: Generator) => {
  const piece = (time: number) =>
    Array.from({ length: 3 }, () => Array.from({ length: time }, () => Math.floor(g.random() * vocabSize)));
  const pieces = [piece(5), piece(4)];
  return {
    ours: (m: Module) => {
      const lm = m as unknown as {
        forward(x: Tensor, s: RecurrentState | null): { logits: Tensor; state: RecurrentState };
      };
      const first = lm.forward(new Tensor(Float32Array.from(pieces[0]!.flat()), [3, 5]), null);
      const second = lm.forward(new Tensor(Float32Array.from(pieces[1]!.flat()), [3, 4]), first.state);
      return concat([first.logits, second.logits], 1);
    },
    request: { kind: 'lm', pieces },
  };
};

/** Tokens predicted in one epoch over 2 processes x 4 streams: 8 streams of floor(n / 8) tokens, each predicting all but its first. */
function lmTrainedTokens(modelDir: string, data: string): number {
  const { config } = loadModelDirectory(modelDir);
  const n = TextTokenizer.fromJSON(config.data['tokenizer']).encode(data).length;
  return 8 * (Math.floor(n / 8) - 1);
}

const CASES: Case[] = [
  {
    name: 'classify (2-layer bidirectional LSTM, last pooling)',
    dir: () => classifyModelDir({ cell: 'lstm', numLayers: 2, bidirectional: true }),
    inputs: (g) => tokenInputs(20)(g),
    dataFile: 'train.csv',
    data:
      'text,label\n' +
      ['hello,en', 'bonjour,fr', 'gracias,es', 'danke,de', '"grazie, café",fr', 'obrigado,es', 'naïve,en', 'hallo,de']
        .join('\n')
        .concat('\n')
        .repeat(6),
  },
  {
    name: 'tag (bidirectional GRU)',
    dir: () => tagModelDir({ cell: 'gru', bidirectional: true }),
    inputs: (g) => tokenInputs(20)(g),
    dataFile: 'train.jsonl',
    data: [
      { input: 'eleve', tags: ['acute', '-', 'grave', '-', '-'] },
      { input: 'cafe', tags: ['-', '-', '-', 'acute'] },
      { input: 'naive', tags: '- - diaeresis - -' },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n')
      .concat('\n')
      .repeat(10),
  },
  {
    name: 'seq2seq (bidirectional LSTM encoder, Luong attention)',
    dir: () => seq2seqModelDir({ cell: 'lstm', bidirectional: true, attention: 'luong' }),
    inputs: seq2seqInputs,
    dataFile: 'pairs.tsv',
    data:
      'source\ttarget\n' +
      ['hello\tHH AH L OW', 'bonjour\tB OW N ZH UW R', 'danke\tD AA NG K AH', 'hallo\tHH AA L OW']
        .join('\n')
        .concat('\n')
        .repeat(5),
  },
  {
    name: 'forecast (2-layer RNN, autoregressive)',
    dir: () => forecastModelDir({ cell: 'rnn', numLayers: 2 }),
    inputs: (g) => {
      const x = Array.from({ length: 3 }, () => Array.from({ length: 6 }, () => [g.random() * 2 - 1]));
      return {
        ours: (m) =>
          (m as unknown as { forward(x: Tensor): Tensor }).forward(new Tensor(Float32Array.from(x.flat(2)), [3, 6, 1])),
        request: { kind: 'series', x },
      };
    },
    dataFile: 'series.csv',
    data:
      'date,value\n' +
      Array.from({ length: 80 }, (_, i) => `${i},${(10 + i / 8 + Math.sin((i * Math.PI) / 2)).toFixed(3)}`).join('\n') +
      '\n',
  },
  {
    name: 'generate (2-layer LSTM over characters)',
    dir: () => languageModelDir({ cell: 'lstm', numLayers: 2, dropout: 0.1 }),
    inputs: (g) => lmInputs(TextTokenizer.build(LM_TEXT, 'chars').size)(g),
    dataFile: 'text.txt',
    data: LM_TEXT.repeat(3),
    examples: lmTrainedTokens,
  },
  {
    name: 'generate (GRU over words, tied weights)',
    dir: () => languageModelDir({ cell: 'gru', tokens: 'words', tieWeights: true }),
    inputs: (g) => lmInputs(TextTokenizer.build(LM_TEXT, 'words').size)(g),
    dataFile: 'text.txt',
    data: `${LM_TEXT}And the evening and the morning were the first day.\n`.repeat(4),
    examples: lmTrainedTokens,
    sameAsOneProcess: true,
  },
];

function pytorchOutputs(dir: string, request: unknown): { shape: number[]; values: number[] } {
  const file = join(tempDir('recurrent-pt-req-'), 'request.json');
  writeFileSync(file, JSON.stringify(request));
  const r = spawnSync(python, ['-c', RUN_EXPORTED, dir, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { shape: number[]; values: number[] };
}

function ourOutputs(modelDir: string, ours: (m: Module) => Tensor): Tensor {
  const { model } = loadModelDirectory(modelDir);
  return noGrad(() => ours(model));
}

function assertClose(actual: { shape: number[]; values: number[] }, expected: Tensor, what: string): void {
  assert.deepEqual(actual.shape, [...expected.shape], `${what}: shape`);
  let worst = 0;
  expected.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - actual.values[i]!))));
  assert.ok(worst < 2e-5, `${what}: largest difference ${worst}`);
}

const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

describe('export --format pytorch / import --format pytorch', { skip }, () => {
  test('PyTorch is importable (RECURRENT_REQUIRE_TORCH=1 makes its absence a failure)', () => {
    assert.ok(torchReady, `${python} cannot import torch and numpy: ${torchProbe.stderr}`);
  });

  for (const c of CASES) {
    test(`${c.name}: PyTorch = ours; torchrun x2 trains an epoch; import = PyTorch`, () => {
      const modelDir = c.dir();
      const work = tempDir('recurrent-pt-');
      const exported = join(work, 'exported');
      const e = run(['export', modelDir, '--format', 'pytorch', '--out', exported, '--json']);
      assert.equal(e.status, 0, e.stderr);
      for (const f of ['model.py', 'train.py', 'weights.safetensors', 'config.json'])
        assert.ok(existsSync(join(exported, f)), f);

      const { ours, request } = c.inputs(new Generator(7));
      assertClose(pytorchOutputs(exported, request), ourOutputs(modelDir, ours), 'exported');

      writeFileSync(join(work, c.dataFile), c.data);
      const trained = join(work, 'trained');
      // --redirects 2 --tee 2: torchrun of torch 1.13 on Python 3.11 fails on its default '0' (Std.from_str gives None); stderr teed works everywhere.
      const t = spawnSync(
        'torchrun',
        [
          '--standalone',
          '--nproc_per_node=2',
          '--redirects',
          '2',
          '--tee',
          '2',
          join(exported, 'train.py'),
          '--data',
          join(work, c.dataFile),
          '--epochs',
          '1',
          '--out',
          trained,
          '--batch-size',
          '4',
          '--lr',
          '0.05',
        ],
        {
          encoding: 'utf8',
          env: { ...process.env, OMP_NUM_THREADS: '1' },
          timeout: 240_000,
        },
      );
      assert.equal(t.status, 0, `${t.stdout}\n${t.stderr}`);
      const epoch = JSON.parse(t.stdout.trim().split('\n').pop()!) as {
        epoch: number;
        loss: number;
        processes: number;
        examples: number;
      };
      assert.equal(epoch.epoch, 1);
      assert.equal(epoch.processes, 2);
      assert.ok(Number.isFinite(epoch.loss), t.stdout);
      if (c.examples) assert.equal(epoch.examples, c.examples(modelDir, c.data), 'tokens trained on');
      const before = loadSafetensors(join(exported, 'weights.safetensors'));
      const after = loadSafetensors(join(trained, 'weights.safetensors'));
      assert.deepEqual(Object.keys(after).sort(), Object.keys(before).sort());
      assert.ok(
        Object.keys(before).some((k) => before[k]!.data.some((v, i) => v !== after[k]!.data[i])),
        'training changed the weights',
      );

      if (c.sameAsOneProcess) {
        const single = join(work, 'single');
        const s = spawnSync(
          python,
          [join(exported, 'train.py'), '--data', join(work, c.dataFile), '--epochs', '1', '--out', single].concat([
            '--batch-size',
            '8',
            '--lr',
            '0.05',
          ]),
          { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' }, timeout: 120_000 },
        );
        assert.equal(s.status, 0, s.stderr);
        const alone = loadSafetensors(join(single, 'weights.safetensors'));
        for (const k of Object.keys(after)) {
          const worst = after[k]!.data.reduce((m, v, i) => Math.max(m, Math.abs(v - alone[k]!.data[i]!)), 0);
          assert.ok(worst < 1e-5, `${k}: 2 processes x 4 streams differ from 1 x 8 by ${worst}`);
        }
      }

      const imported = join(work, 'imported');
      const i = run(['import', '--format', 'pytorch', trained, '--out', imported]);
      assert.equal(i.status, 0, i.stderr);
      assertClose(pytorchOutputs(trained, request), ourOutputs(imported, ours), 'trained and imported');
    });
  }
});

describe('export --format pytorch: the other seq2seq variants', { skip }, () => {
  for (const variant of [
    { attention: 'bahdanau' as const, cell: 'gru' as const, bidirectional: false, numLayers: 2 },
    { attention: 'none' as const, cell: 'rnn' as const, bidirectional: true, numLayers: 2 },
  ]) {
    test(`${variant.attention} attention, ${variant.cell}: PyTorch = ours`, () => {
      const modelDir = seq2seqModelDir(variant);
      const exported = exportPytorch(modelDir, join(tempDir('recurrent-pt-'), 'exported'));
      const { ours, request } = seq2seqInputs(new Generator(11));
      assertClose(pytorchOutputs(exported.dir, request), ourOutputs(modelDir, ours), `${variant.attention} exported`);
    });
  }
});

describe('export then import with no training', () => {
  test('predicts exactly what the original did, with the same weights, for every exportable task', () => {
    const inputs: Record<string, string[]> = {
      classify: ['hello', 'café', 'zzz'],
      tag: ['eleve', 'naive'],
      forecast: ['1 2 3 4 5 6 7 8 9 10 11'],
      seq2seq: ['hello', 'danke'],
      generate: ['And God said', ''],
    };
    for (const original of [
      classifyModelDir({ numLayers: 2 }),
      tagModelDir(),
      forecastModelDir(),
      seq2seqModelDir(),
      languageModelDir({ numLayers: 2 }),
      languageModelDir({ cell: 'gru', tokens: 'words', tieWeights: true }),
    ]) {
      const work = tempDir('recurrent-pt-rt-');
      const exported = exportPytorch(original, join(work, 'exported'));
      const e = run(['import', '--format', 'pytorch', exported.dir, '--out', join(work, 'back')]);
      assert.equal(e.status, 0, e.stderr);
      const lines = inputs[exported.task]!;
      assert.deepEqual(
        loadPredictor(join(work, 'back')).predict(lines),
        loadPredictor(original).predict(lines),
        exported.task,
      );
      const a = loadSafetensors(join(original, 'weights.safetensors'));
      const b = loadSafetensors(join(work, 'back', 'weights.safetensors'));
      for (const key of Object.keys(a)) assert.deepEqual(b[key]!.data, a[key]!.data, key);
    }
  });

  test('every registered task has a PyTorch part; a folder with a missing weight fails naming it', () => {
    for (const [name, task] of Object.entries(TASKS))
      assert.ok(!('unsupported' in task.pytorch), `${name}: ${JSON.stringify(task.pytorch)}`);
    const work = tempDir('recurrent-pt-bad-');
    const exported = exportPytorch(classifyModelDir(), join(work, 'exported'));
    const weights = loadSafetensors(join(exported.dir, 'weights.safetensors'));
    delete weights['head.bias'];
    saveSafetensors(weights, join(exported.dir, 'weights.safetensors'));
    const r = run(['import', '--format', 'pytorch', exported.dir, '--out', join(work, 'back')]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /head\.bias/);
  });
});

describe('export --format pytorch: train.py reads text as the language model does', { skip }, () => {
  // Characters the two languages could split differently: NFD accents (NFC folds them), CRLF and a
  // lone CR, apostrophes inside words (straight and curly), punctuation, digits, an astral emoji,
  // unknown words known lower-cased or capitalised, and unknown characters.
  const text =
    "And GOD said,\r\nLet there be LIGHT: and there was light.\rCafe\u0301 na\u00efve o\u2019clock don't 42 \u{1F600} (heaven) zebra!\n";
  for (const tokens of ['chars', 'words'] as const) {
    test(`${tokens}: encode_text gives our token ids`, () => {
      const exported = exportPytorch(languageModelDir({ tokens }), join(tempDir('recurrent-pt-text-'), 'exported'));
      const script = `import json, sys\nsys.path.insert(0, sys.argv[1])\nimport train\nconfig = json.load(open(sys.argv[1] + "/config.json"))\nprint(json.dumps(train.encode_text(sys.stdin.buffer.read().decode("utf-8"), config)))`;
      const r = spawnSync(python, ['-c', script, exported.dir], { input: text, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const { config } = loadModelDirectory(exported.dir);
      const ours = TextTokenizer.fromJSON(config.data['tokenizer']).encode(text);
      assert.ok(ours.some((id) => id === 0) && ours.some((id) => id > 0), 'the text has known and unknown tokens');
      assert.deepEqual(JSON.parse(r.stdout), ours);
    });
  }

  test('--batching windows trains on count x batch x bptt tokens; a file that is not UTF-8 fails naming it', () => {
    const modelDir = languageModelDir();
    const work = tempDir('recurrent-pt-windows-');
    const exported = exportPytorch(modelDir, join(work, 'exported'));
    const data = LM_TEXT.repeat(4);
    writeFileSync(join(work, 'text.txt'), data);
    const train = (file: string) =>
      spawnSync(
        python,
        [join(exported.dir, 'train.py'), '--data', file, '--epochs', '1', '--out', join(work, 'out')].concat([
          '--batching',
          'windows',
          '--bptt',
          '6',
          '--batch-size',
          '3',
        ]),
        { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' }, timeout: 120_000 },
      );
    const r = train(join(work, 'text.txt'));
    assert.equal(r.status, 0, r.stderr);
    const n = TextTokenizer.fromJSON(loadModelDirectory(modelDir).config.data['tokenizer']).encode(data).length;
    const epoch = JSON.parse(r.stdout.trim().split('\n').pop()!) as { examples: number };
    assert.equal(epoch.examples, Math.max(1, Math.floor(n / (3 * 6))) * 3 * 6);
    writeFileSync(join(work, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    const bad = train(join(work, 'latin1.txt'));
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /latin1\.txt: is not valid UTF-8 text/);
  });
});
