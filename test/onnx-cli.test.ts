/**
 * The ONNX CLI: `recurrent export MODEL_DIR --format onnx` and `recurrent predict MODEL.onnx
 * --input NAME=FILE.npy --out DIR [--repeat N]`, run as the real command (build/src/cli/main.js,
 * the same wiring as the installed `recurrent`) in a child process.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { isOnnxModelPath, outputFileName } from '../src/cli/predict-onnx.js';
import { Generator, models, noGrad, randn, saveModelDirectory, Tensor, ValueError } from '../src/index.js';
import { loadNpy, saveNpy } from '../src/io/npy-file.js';
import { npyToTensor } from '../src/io/npy.js';
import { loadOnnx } from '../src/onnx/index.js';
import { assertClose, fixturePath } from './helpers.js';
import { tempDir } from './temp-dir.js';

const main = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

/**
 * `recurrent ARGS...` in a child process: `run` resolves when it exits 0, else rejects with an
 * Error whose message is its stderr (a typed error prints `error: MESSAGE` and exits 1).
 */
function program(): { run: (args: string[]) => Promise<void>; output: () => string } {
  let text = '';
  return {
    run: async (args) => {
      const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' });
      text += r.stdout;
      if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr}`);
    },
    output: () => text,
  };
}

/** A typed error from the real command: exit 1 and one `error: ...` line matching `pattern`. */
const cliError = (pattern: RegExp) => (e: unknown) =>
  e instanceof Error && /^exit 1: error: /.test(e.message) && pattern.test(e.message);

const temp = () => tempDir('recurrent-onnx-cli-');

describe('recurrent export / predict with ONNX', () => {
  test("a classify model directory exports; predict MODEL.onnx writes NAME.npy equal to the model's logits", async () => {
    const dir = temp();
    const config: models.SequenceClassifierConfig = {
      vocabSize: 6,
      embeddingDim: 3,
      cell: 'gru',
      hiddenSize: 4,
      bidirectional: true,
      numClasses: 3,
      pooling: 'last',
    };
    const model = new models.SequenceClassifier(config, new Generator(3));
    saveModelDirectory(dir, model, {
      task: 'classify',
      modelConfig: { ...config },
      data: { vocabulary: { tokens: ['<pad>', 'a', 'b'] }, labels: ['x', 'y', 'z'] },
    });
    const cli = program();
    await cli.run(['export', dir, '--format', 'onnx']);
    const file = join(dir, 'model.onnx');
    assert.ok(existsSync(file));
    assert.match(cli.output(), /wrote .*model\.onnx \(\d+ bytes, ONNX opset 14, task classify\)/);
    assert.match(cli.output(), /inputs: {2}tokens int64 \[batch, time\], lengths int64 \[batch\]/);
    assert.match(cli.output(), /outputs: logits float32 \[batch, 3\]/);
    const onnx = loadOnnx(file);
    assert.deepEqual(JSON.parse(onnx.metadata['recurrent.data']!).labels, ['x', 'y', 'z']);

    const tokens = new Tensor(Float32Array.of(1, 2, 3, 0, 4, 5, 1, 2), [2, 4]);
    saveNpy(join(dir, 'tokens.npy'), {
      dtype: 'int64',
      shape: [2, 4],
      data: BigInt64Array.of(1n, 2n, 3n, 0n, 4n, 5n, 1n, 2n),
    });
    saveNpy(join(dir, 'lengths.npy'), { dtype: 'int64', shape: [2], data: BigInt64Array.of(3n, 4n) });
    const out = join(dir, 'out');
    const cli2 = program();
    await cli2.run([
      'predict',
      file,
      '--input',
      `tokens=${join(dir, 'tokens.npy')}`,
      '--input',
      `lengths=${join(dir, 'lengths.npy')}`,
      '--out',
      out,
      '--repeat',
      '3',
    ]);
    assert.match(cli2.output(), /^logits\tfloat32 \[2, 3\]\t.*logits\.npy$/m);
    assert.match(cli2.output(), /timing: 3 runs, min \d+\.\d{3} ms, median \d+\.\d{3} ms, mean \d+\.\d{3} ms/);
    assert.match(cli2.output(), /^predict median ms: \d+\.\d{3}$/m);
    model.eval();
    const expected = noGrad(() => model.forward(tokens, [3, 4]));
    assertClose(npyToTensor(loadNpy(join(out, 'logits.npy'))), expected, 'logits');
  });

  test('a forecast model directory (autoregressive) exports with a note; --json output', async () => {
    const dir = temp();
    const config: models.ForecasterConfig = {
      horizon: 3,
      inputSize: 1,
      mode: 'autoregressive',
      cell: 'lstm',
      hiddenSize: 5,
      numLayers: 2,
    };
    const model = new models.Forecaster(config, new Generator(4));
    saveModelDirectory(dir, model, {
      task: 'forecast',
      modelConfig: { ...config },
      data: { scaling: { mean: 1, std: 2 }, inputLength: 6, horizon: 3, season: 1 },
    });
    const cli = program();
    const file = join(dir, 'f.onnx');
    await cli.run(['export', dir, '--format', 'onnx', '--out', file, '--json']);
    const info = JSON.parse(cli.output()) as { file: string; task: string; notes: string[] };
    assert.equal(info.file, file);
    assert.equal(info.task, 'forecast');
    assert.match(info.notes[0]!, /scaled/);
    const window = randn([2, 6, 1]);
    saveNpy(join(dir, 'w.npy'), window);
    const cli2 = program();
    // One input: the name may be left out.
    await cli2.run(['predict', file, '--input', join(dir, 'w.npy'), '--out', join(dir, 'o'), '--json']);
    const result = JSON.parse(cli2.output()) as { outputs: { name: string; file: string; shape: number[] }[] };
    assert.deepEqual(
      result.outputs.map((o) => [o.name, o.shape]),
      [['forecast', [2, 3, 1]]],
    );
    model.eval();
    assertClose(
      npyToTensor(loadNpy(result.outputs[0]!.file)),
      noGrad(() => model.forward(window)),
      'forecast',
    );
  });

  test('seq2seq exports as encoder + decoder step; errors: --format must be onnx or pytorch, inputs must match the model', async () => {
    const dir = temp();
    const s2s = { sourceVocabSize: 5, targetVocabSize: 5, hiddenSize: 4, embeddingDim: 3 };
    saveModelDirectory(dir, new models.Seq2Seq(s2s), { task: 'seq2seq', modelConfig: s2s, data: {} });
    const s2sExport = program();
    await s2sExport.run(['export', dir, '--format', 'onnx']);
    assert.match(s2sExport.output(), /wrote .*encoder\.onnx .*\n[\s\S]*wrote .*decoder_step\.onnx/);
    await assert.rejects(
      program().run(['export', dir, '--format', 'tflite']),
      /--format must be one of onnx, pytorch, got 'tflite'/,
    );
    assert.ok(!existsSync(join(dir, 'model.onnx')));
    await assert.rejects(
      program().run(['export', join(dir, 'nowhere'), '--format', 'onnx']),
      cliError(/config\.json: not found/),
    );

    const config: models.SequenceTaggerConfig = { inputSize: 2, hiddenSize: 3, numTags: 2 };
    const tagDir = temp();
    saveModelDirectory(tagDir, new models.SequenceTagger(config), {
      task: 'tag',
      modelConfig: { ...config },
      data: {},
    });
    await program().run(['export', tagDir, '--format', 'onnx']);
    const file = join(tagDir, 'model.onnx');
    saveNpy(join(tagDir, 'f.npy'), randn([1, 3, 2]));
    const predict = (args: string[]) => program().run(['predict', file, ...args]);
    await assert.rejects(predict(['--input', `features=${join(tagDir, 'f.npy')}`]), cliError(/--out DIR is needed/));
    await assert.rejects(
      predict(['--input', `features=${join(tagDir, 'f.npy')}`, '--out', tagDir]),
      cliError(
        /missing --input for lengths; the model's inputs: features float32 \[batch, time, 2\], lengths int64 \[batch\]/,
      ),
    );
    await assert.rejects(
      predict(['--input', `nope=${join(tagDir, 'f.npy')}`, '--out', tagDir]),
      cliError(/the model has no input 'nope'/),
    );
    await assert.rejects(
      predict(['--input', join(tagDir, 'f.npy'), '--out', tagDir]),
      cliError(/name the input \(NAME=FILE\.npy\)/),
    );
    await assert.rejects(
      predict(['--input', 'features', '--out', tagDir]),
      cliError(/--input takes NAME=FILE\.npy, got 'features'/),
    );
    writeFileSync(join(tagDir, 'bad.npy'), 'this is not an npy file at all');
    await assert.rejects(
      predict([
        '--input',
        `features=${join(tagDir, 'bad.npy')}`,
        '--input',
        `lengths=${join(tagDir, 'bad.npy')}`,
        '--out',
        tagDir,
      ]),
      cliError(/bad\.npy: is not an npy file/),
    );
    assert.deepEqual(
      readdirSync(tagDir)
        .filter((f) => f.endsWith('.npy'))
        .sort(),
      ['bad.npy', 'f.npy'],
      'nothing written on failure',
    );
  });

  test('optional inputs may be left out and are then absent; a missing required input is named', async () => {
    // ONNX's backend case test_lstm_with_peepholes declares all eight LSTM inputs as graph inputs;
    // its sequence_lens are the full length and its initial states zeros, ONNX's defaults.
    const fixture = (name: string) => fixturePath(`onnx-backend/test_lstm_with_peepholes.${name}`);
    const model = fixture('onnx');
    const info = loadOnnx(model).inputs.map((i) => [i.name, i.optional]);
    assert.deepEqual(info, [
      ['X', false],
      ['W', false],
      ['R', false],
      ['B', true],
      ['sequence_lens', true],
      ['initial_h', true],
      ['initial_c', true],
      ['P', true],
    ]);
    const dir = temp();
    const given = (names: string[]) => names.flatMap((n) => ['--input', `${n}=${fixture(`in.${n}.npy`)}`]);
    const cli = program();
    await cli.run(['predict', model, ...given(['X', 'W', 'R', 'B', 'P']), '--out', join(dir, 'a')]);
    assert.match(cli.output(), /^Y_h\tfloat32 \[1, 2, 3\]/m);
    const expected = npyToTensor(loadNpy(fixture('out.Y_h.npy')));
    assertClose(
      npyToTensor(loadNpy(join(dir, 'a', 'Y_h.npy'))),
      expected,
      'Y_h without sequence_lens, initial_h, initial_c',
    );
    // Leaving out B and P as well is the same as feeding zeros for them.
    await program().run(['predict', model, ...given(['X', 'W', 'R']), '--out', join(dir, 'b')]);
    saveNpy(join(dir, 'B0.npy'), new Tensor(new Float32Array(24), [1, 24]));
    saveNpy(join(dir, 'P0.npy'), new Tensor(new Float32Array(9), [1, 9]));
    await program().run([
      'predict',
      model,
      ...given(['X', 'W', 'R']),
      '--input',
      `B=${join(dir, 'B0.npy')}`,
      '--input',
      `P=${join(dir, 'P0.npy')}`,
      '--out',
      join(dir, 'c'),
    ]);
    const absent = npyToTensor(loadNpy(join(dir, 'b', 'Y_h.npy')));
    assertClose(absent, npyToTensor(loadNpy(join(dir, 'c', 'Y_h.npy'))), 'absent B and P = zero B and P');
    assert.ok(
      absent.data.some((v, i) => Math.abs(v - expected.data[i]!) > 1e-3),
      'B and P matter in this case, so leaving them out is visible',
    );
    await assert.rejects(
      program().run(['predict', model, ...given(['X', 'W']), '--out', join(dir, 'd')]),
      cliError(
        /missing --input for R; the model's inputs: X float32 \[1, 2, 4\], W float32 \[1, 12, 4\], R float32 \[1, 12, 3\], B float32 \[1, 24\] \(optional\)/,
      ),
    );
    assert.throws(
      () => loadOnnx(model).run({ X: npyToTensor(loadNpy(fixture('in.X.npy'))) }),
      (e: unknown) => e instanceof ValueError && /required input 'W' is missing/.test(e.message),
    );
  });

  test('output names become safe file names', () => {
    assert.equal(outputFileName('onnx::Gather_12'), 'onnx__Gather_12.npy');
    assert.equal(outputFileName('../../etc/passwd'), '__.._etc_passwd.npy', 'no slash, no leading dot');
    assert.equal(outputFileName('logits'), 'logits.npy');
    assert.ok(isOnnxModelPath('a/b/MODEL.ONNX') && !isOnnxModelPath('a/model-dir'));
  });
});
