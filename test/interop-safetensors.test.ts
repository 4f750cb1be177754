/**
 * safetensors with PyTorch, both ways.
 *   PyTorch -> ours: a state_dict written from PyTorch (gen_interop.py) reproduces PyTorch's outputs.
 *   ours -> PyTorch: this test writes build/interop-verify/ (our .safetensors, .npy inputs and our
 *   outputs, manifest.json), then runs `/usr/bin/python3 scripts/fixtures/gen_interop.py --verify`
 *   on it: real PyTorch loads our files (strict load_state_dict) and must reproduce our outputs.
 *   Skipped where PyTorch is missing, except in CI (see python-torch.ts), where that fails.
 *   The byte-level rules of the reference reader are checked here as well.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { Generator, loadSafetensors, nn, noGrad, randn, saveSafetensors, type Tensor } from '../src/index.js';
import { loadNpy, saveNpy } from '../src/io/npy-file.js';
import { npyToTensor } from '../src/io/npy.js';
import { spawnSync } from 'node:child_process';
import { assertClose, fixturePath, readFixture } from './helpers.js';
import { python, torchMissing, torchRequired } from './python-torch.js';

interface SafetensorsCase {
  module: 'LSTM';
  options: nn.LSTMOptions;
  weights: string;
  input: string;
  h0: string;
  c0: string;
  outputs: Record<'output' | 'h' | 'c', string>;
  keys: string[];
}

const manifest = readFixture<{ versions: { torch: string }; safetensors: Record<string, SafetensorsCase> }>(
  'interop/manifest.json',
);
const interop = (file: string) => fixturePath(`interop/${file}`);
const npy = (file: string) => npyToTensor(loadNpy(file));

/** The checks the reference safetensors reader applies, on our bytes. */
function checkReferenceRules(bytes: Uint8Array): { header: Record<string, unknown> } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  assert.ok(8 + n <= bytes.length, 'header length within the file');
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  assert.equal(text[0], '{', 'the header starts with "{" (InvalidHeaderStart otherwise)');
  assert.equal((8 + n) % 8, 0, 'the data section starts 8-byte aligned');
  const header = JSON.parse(text) as Record<string, unknown>;
  const metadata = header['__metadata__'] as Record<string, unknown> | undefined;
  if (metadata) for (const v of Object.values(metadata)) assert.equal(typeof v, 'string');
  const entries = Object.entries(header).filter(([k]) => k !== '__metadata__') as [
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] },
  ][];
  for (const [name, e] of entries) assert.deepEqual(Object.keys(e).sort(), ['data_offsets', 'dtype', 'shape'], name);
  entries.sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
  let cursor = 0;
  for (const [name, e] of entries) {
    assert.equal(e.data_offsets[0], cursor, `${name}: offsets tile the data section`);
    assert.equal(e.data_offsets[1] - e.data_offsets[0], 4 * e.shape.reduce((a, b) => a * b, 1), `${name}: byte count`);
    assert.equal(e.dtype, 'F32');
    cursor = e.data_offsets[1];
  }
  assert.equal(cursor, bytes.length - 8 - n, 'the tensors cover the whole data section');
  return { header };
}

describe('safetensors with PyTorch', () => {
  for (const [name, c] of Object.entries(manifest.safetensors)) {
    test(`PyTorch ${manifest.versions.torch} ${name}: loadStateDict(loadSafetensors(file)) reproduces PyTorch's outputs`, () => {
      const file = interop(c.weights);
      const dict = loadSafetensors(file);
      assert.deepEqual(Object.keys(dict).sort(), [...c.keys].sort());
      const lstm = new nn.LSTM(c.options);
      lstm.loadStateDict(dict);
      lstm.eval();
      const result = noGrad(() =>
        lstm.forward(npy(interop(c.input)), { h: npy(interop(c.h0)), c: npy(interop(c.c0)) }),
      );
      for (const key of ['output', 'h', 'c'] as const)
        assertClose(result[key], npy(interop(c.outputs[key])), `${name} ${key}`);
      // The file written by the script follows the reference writer's byte rules too.
      checkReferenceRules(readFileSync(file));
    });
  }

  test('ours -> PyTorch: our safetensors follow the reference byte rules, and PyTorch loads them and reproduces our outputs', (t) => {
    const dir = fileURLToPath(new URL('../interop-verify/', import.meta.url));
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const cases: Record<string, unknown>[] = [];
    const add = (
      name: string,
      kind: 'LSTM' | 'GRU' | 'RNN',
      module: nn.Module,
      options: Record<string, unknown>,
      x: Tensor,
      state: { h?: Tensor; c?: Tensor },
    ) => {
      module.eval();
      type Untyped = { forward(x: Tensor, o: { h?: Tensor; c?: Tensor }): { output: Tensor; h: Tensor; c?: Tensor } };
      const result = noGrad(() => (module as unknown as Untyped).forward(x, state));
      const files: Record<string, string> = {};
      saveSafetensors(module.stateDict(), join(dir, `${name}.safetensors`), { format: 'pt' });
      saveNpy(join(dir, `${name}.input.npy`), x);
      if (state.h) saveNpy(join(dir, `${name}.h0.npy`), state.h);
      if (state.c) saveNpy(join(dir, `${name}.c0.npy`), state.c);
      for (const [key, value] of Object.entries(result)) {
        if (!value) continue;
        files[key] = `${name}.${key}.npy`;
        saveNpy(join(dir, files[key]), value);
      }
      cases.push({
        name,
        module: kind,
        options,
        weights: `${name}.safetensors`,
        input: `${name}.input.npy`,
        ...(state.h && { h0: `${name}.h0.npy` }),
        ...(state.c && { c0: `${name}.c0.npy` }),
        outputs: files,
      });
      const { header } = checkReferenceRules(readFileSync(join(dir, `${name}.safetensors`)));
      assert.deepEqual(header['__metadata__'], { format: 'pt' });
      // And our reader gets the same values back.
      const back = loadSafetensors(join(dir, `${name}.safetensors`));
      for (const [key, p] of Object.entries(module.stateDict())) assert.deepEqual(back[key]!.data, p.data, key);
    };
    const g = new Generator(2024);
    const lstmOptions = {
      inputSize: 3,
      hiddenSize: 6,
      numLayers: 2,
      bidirectional: true,
      projSize: 4,
      batchFirst: true,
    };
    add(
      'lstm_proj_2layer_bidir_batchfirst',
      'LSTM',
      new nn.LSTM({ ...lstmOptions, generator: g }),
      lstmOptions,
      randn([2, 5, 3], { generator: g }),
      { h: randn([4, 2, 4], { generator: g }), c: randn([4, 2, 6], { generator: g }) },
    );
    const gruOptions = { inputSize: 4, hiddenSize: 5, numLayers: 2, bidirectional: true };
    add(
      'gru_2layer_bidir',
      'GRU',
      new nn.GRU({ ...gruOptions, generator: g }),
      gruOptions,
      randn([6, 3, 4], { generator: g }),
      {},
    );
    const rnnOptions = { inputSize: 2, hiddenSize: 3, nonlinearity: 'relu', bias: false };
    add(
      'rnn_relu_nobias_h0',
      'RNN',
      new nn.RNN({ inputSize: 2, hiddenSize: 3, nonlinearity: 'relu', bias: false, generator: g }),
      rnnOptions,
      randn([4, 2, 2], { generator: g }),
      { h: randn([1, 2, 3], { generator: g }) },
    );
    writeFileSync(
      join(dir, 'manifest.json'),
      `${JSON.stringify({ version: 1, writtenBy: 'test/interop-safetensors.test.ts', cases }, null, 1)}\n`,
    );
    assert.equal(cases.length, 3);

    // PyTorch reads them: a fresh torch module, strict load_state_dict, our inputs, our outputs.
    const missing = torchMissing();
    if (missing !== undefined) {
      assert.ok(!torchRequired, `PyTorch is required here (CI / RECURRENT_REQUIRE_TORCH=1): ${missing}`);
      t.skip(`ours -> PyTorch not checked: ${missing}`);
      return;
    }
    const script = fileURLToPath(new URL('../../scripts/fixtures/gen_interop.py', import.meta.url));
    const verify = spawnSync(python, [script, '--verify', dir], { encoding: 'utf8' });
    assert.equal(verify.status, 0, `PyTorch disagrees with our files:\n${verify.stdout}${verify.stderr}`);
    assert.match(verify.stdout, /^3 passed, 0 failed$/m);
    for (const c of cases) assert.match(verify.stdout, new RegExp(`^ok {3}${String(c['name'])}:`, 'm'));
  });
});
