/**
 * ONNX's own backend node tests for RNN, LSTM and GRU (the cases of
 * onnx/backend/test/case/node/{rnn,lstm,gru}.py, expected outputs from ONNX's numpy reference
 * implementations), written by scripts/fixtures/gen_onnx_backend_cases.py into
 * test/fixtures/onnx-backend/. Every case is loaded from its .onnx file, run on its .npy inputs,
 * and compared with ONNX's outputs, through the fused kernels and through the general reference
 * path. Tolerance: the project's 1e-5 + 1e-4·|expected|, and ONNX's own runner's criterion for
 * node tests (stored with each case: 1e-7 + 1e-3·|expected|) as well.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Tensor } from '../src/index.js';
import { loadNpy } from '../src/io/npy-file.js';
import { loadOnnx } from '../src/onnx/index.js';
import { useGeneralRecurrentPath } from '../src/onnx/ops/recurrent.js';
import { assertClose, ATOL, fixturePath, readFixture, RTOL } from './helpers.js';

interface BackendCase {
  op: 'RNN' | 'LSTM' | 'GRU';
  model: string;
  opset: number;
  irVersion: number;
  nodeInputs: string[];
  nodeOutputs: string[];
  attributes: Record<string, unknown>;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
  onnxTolerance: { atol: number; rtol: number };
}

const manifest = readFixture<{ versions: Record<string, string>; cases: Record<string, BackendCase> }>(
  'onnx-backend/manifest.json',
);
const file = (name: string) => fixturePath(`onnx-backend/${name}`);

/** The ONNX backend-test files of onnx 1.12 for the three operators (4 exports each). */
const EXPECTED_CASES = [
  'test_gru_batchwise',
  'test_gru_defaults',
  'test_gru_seq_length',
  'test_gru_with_initial_bias',
  'test_lstm_batchwise',
  'test_lstm_defaults',
  'test_lstm_with_initial_bias',
  'test_lstm_with_peepholes',
  'test_rnn_seq_length',
  'test_simple_rnn_batchwise',
  'test_simple_rnn_defaults',
  'test_simple_rnn_with_initial_bias',
];

function runCase(c: BackendCase): Record<string, Tensor> {
  const model = loadOnnx(file(c.model));
  assert.equal(model.opset, c.opset);
  assert.deepEqual(
    model.inputs.map((v) => v.name),
    Object.keys(c.inputs).sort((a, b) => c.nodeInputs.indexOf(a) - c.nodeInputs.indexOf(b)),
  );
  const feeds = Object.fromEntries(Object.entries(c.inputs).map(([name, f]) => [name, loadNpy(file(f))]));
  return model.run(feeds);
}

function check(name: string, c: BackendCase, out: Record<string, Tensor>, path: string): void {
  assert.deepEqual(Object.keys(out).sort(), Object.keys(c.outputs).sort(), `${name}: outputs`);
  for (const [k, f] of Object.entries(c.outputs)) {
    const e = loadNpy(file(f));
    assert.equal(e.dtype, 'float32');
    const expected = new Tensor(e.data as Float32Array, e.shape);
    assertClose(out[k]!, expected, `${name} ${k} (${path})`, ATOL, RTOL);
    assertClose(
      out[k]!,
      expected,
      `${name} ${k} (${path}, ONNX's tolerance)`,
      c.onnxTolerance.atol,
      c.onnxTolerance.rtol,
    );
  }
}

describe('ONNX backend node tests (onnx/backend/test/case/node)', () => {
  test(`the fixture holds every RNN, LSTM and GRU case of onnx ${manifest.versions['onnx']}`, () => {
    assert.deepEqual(Object.keys(manifest.cases).sort(), EXPECTED_CASES);
    const counts = { RNN: 0, LSTM: 0, GRU: 0 };
    for (const c of Object.values(manifest.cases)) counts[c.op]++;
    assert.deepEqual(counts, { RNN: 4, LSTM: 4, GRU: 4 });
  });

  for (const [name, c] of Object.entries(manifest.cases)) {
    const attrs = Object.entries(c.attributes)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(' ');
    test(`${name}: ${c.op} ${attrs} -> ${Object.keys(c.outputs).join(', ')}`, () => {
      check(name, c, runCase(c), 'default path');
      useGeneralRecurrentPath(true);
      try {
        check(name, c, runCase(c), 'general path');
      } finally {
        useGeneralRecurrentPath(false);
      }
    });
  }
});
