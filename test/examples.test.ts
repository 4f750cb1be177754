/**
 * The seed ports in examples/: each `run(log)` must log the shapes its seed prints, the seeds'
 * shape bugs must surface as a ShapeError naming the layer and the features dim, and the
 * corrected models must give the expected shapes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { concat, manualSeed, randn, ShapeError, type Tensor, tensor } from '../src/index.js';
import * as seed000 from '../examples/seed000-output-scenarios.js';
import * as seed001 from '../examples/seed001-elman-output-vs-hidden.js';
import * as seed002 from '../examples/seed002-keras-shapes.js';
import * as seed003 from '../examples/seed003-lstm-shapes.js';
import * as seed004 from '../examples/seed004-elman-linear-head.js';
import { assertClose } from './helpers.js';

function capture(run: (log: (line: string) => void) => void): string[] {
  const lines: string[] = [];
  run((line) => lines.push(line));
  return lines;
}

const startingWith = (lines: string[], prefix: string) => lines.filter((l) => l.startsWith(prefix));

/** Asserts `f` throws a ShapeError from `where` about `what`, with the given sizes. */
function assertShapeError(f: () => unknown, where: string, what: string, expected: number, actual: number): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof ShapeError, `expected a ShapeError, got ${String(e)}`);
    assert.equal(e.where, where);
    assert.equal(e.what, what);
    assert.equal(e.expected, expected);
    assert.equal(e.actual, actual);
    return true;
  });
}

describe('seed 000: output scenarios', () => {
  const lines = capture(seed000.run);

  test('logs the three output shapes the seed prints', () => {
    assert.deepEqual(startingWith(lines, 'Output shape:'), [
      'Output shape: [4, 3]',
      'Output shape: [4, 20, 5]',
      'Output shape: [4, 25, 5]',
    ]);
  });

  test("the seed's Seq2Seq logs a ShapeError naming the decoder GRU and the features dim, before the corrected shape", () => {
    const errors = startingWith(lines, 'error: ');
    assert.equal(errors.length, 1, lines.join('\n'));
    assert.equal(errors[0], 'error: GRU(inputSize=20, hiddenSize=20): input dim 2 (features) is 5, expected 20');
    assert.ok(lines.indexOf(errors[0]!) < lines.indexOf('Output shape: [4, 25, 5]'));
    assert.ok(lines.indexOf(errors[0]!) > lines.indexOf('Output shape: [4, 20, 5]'));
  });

  test('the seed model fails at the feedback step; the corrected one decodes any length', () => {
    manualSeed(1);
    const source = randn([4, 15, 10]); // (batch, srcTime, input)
    const buggy = new seed000.Seq2Seq(10, 20, 5, 20);
    assertShapeError(
      () => buggy.forward(source, 25),
      'GRU(inputSize=20, hiddenSize=20)',
      'input dim 2 (features)',
      20,
      5,
    );
    // One decoding step works: the zero start token has hidden_size features.
    assert.deepEqual(buggy.forward(source, 1).shape, [4, 1, 5]);

    const model = new seed000.Seq2Seq(10, 20, 5);
    assert.deepEqual(model.forward(source, 25).shape, [4, 25, 5]);
    assert.deepEqual(model.forward(randn([2, 3, 10]), 7).shape, [2, 7, 5]);
  });

  test('parameter names follow the PyTorch module tree', () => {
    const names = new seed000.Seq2Seq(10, 20, 5).namedParameters().map(([n]) => n);
    assert.ok(names.includes('encoder.rnn.weight_ih_l0'));
    assert.ok(names.includes('decoder.fc.weight'));
  });
});

describe('seed 001: Elman output vs hidden state', () => {
  const lines = capture(seed001.run);

  test('logs the sizes the seed prints and output[:, -1] == h[-1]', () => {
    assert.deepEqual(lines.slice(0, 4), [
      'Input size: [1, 3, 1]',
      'Hidden state size: [1, 1, 4]',
      'Output size: [1, 3, 4]',
      'output[:, -1] equals h[-1]: true',
    ]);
  });

  test('with lengths, h[-1] matches lastValidStep but not output[:, -1] for the shorter sequences', () => {
    assert.ok(lines.includes('Hidden state size: [1, 3, 4]'));
    assert.ok(lines.includes('Output size: [3, 5, 4]'));
    assert.deepEqual(startingWith(lines, 'sequence '), [
      'sequence 0 (length 5): h[-1] equals lastValidStep(output, lengths): true, equals output[:, -1]: true',
      'sequence 1 (length 3): h[-1] equals lastValidStep(output, lengths): true, equals output[:, -1]: false',
      'sequence 2 (length 2): h[-1] equals lastValidStep(output, lengths): true, equals output[:, -1]: false',
    ]);
  });

  test('a padded sequence gives the same final state as the unpadded one', () => {
    manualSeed(2);
    const model = new seed001.ElmanRNN(1, 4, 1);
    const x = randn([1, 3, 1]);
    const padded = concat([x, randn([1, 2, 1])], 1); // (1, 5, 1), 2 padding steps
    const { h: hShort } = model.forward(x);
    const { h: hPadded, output } = model.forward(padded, undefined, [3]);
    assertClose(hPadded, hShort, 'h');
    assertClose(output.slice(1, 3), new Array<number>(2 * 4).fill(0), 'padded steps are zeros');
  });
});

describe('seed 003: LSTM shapes', () => {
  const lines = capture(seed003.run);

  test('logs the three output shapes the seed prints', () => {
    assert.deepEqual(startingWith(lines, 'Output shape:'), [
      'Output shape: [3, 2]',
      'Output shape: [2, 40, 15]',
      'Output shape: [5, 20, 1]',
    ]);
  });

  test('the seq2seq and forecaster bugs log ShapeErrors naming the layer and features dim, before the fixes', () => {
    const errors = startingWith(lines, 'error: ');
    assert.deepEqual(errors, [
      'error: LSTM(inputSize=256, hiddenSize=256): input dim 2 (features) is 15, expected 256',
      'error: Linear(inFeatures=64, outFeatures=1): input dim 1 (features) is 1, expected 64',
    ]);
    assert.ok(lines.indexOf(errors[0]!) < lines.indexOf('Output shape: [2, 40, 15]'));
    assert.ok(lines.indexOf(errors[1]!) > lines.indexOf('Output shape: [2, 40, 15]'));
    assert.ok(lines.indexOf(errors[1]!) < lines.indexOf('Output shape: [5, 20, 1]'));
  });

  test('the seed forecaster fails at the second step, the first prediction being fine', () => {
    manualSeed(3);
    const x = randn([5, 50, 1]);
    const buggy = new seed003.TimeSeriesForecaster(1, 64, 1);
    assert.deepEqual(buggy.forward(x, 1).shape, [5, 1, 1]);
    assertShapeError(
      () => buggy.forward(x, 2),
      'Linear(inFeatures=64, outFeatures=1)',
      'input dim 1 (features)',
      64,
      1,
    );
  });

  test('the corrected forecaster is an autoregressive rollout: each prediction extends the input', () => {
    manualSeed(4);
    const model = new seed003.AutoregressiveForecaster(1, 16, 1);
    let x: Tensor = randn([2, 6, 1]); // (batch, time, 1)
    const predictions = model.forward(x, 3); // (batch, 3, 1)
    assert.deepEqual(predictions.shape, [2, 3, 1]);
    for (let k = 0; k < 3; k++) {
      // Running the LSTM over the input plus the first k predictions, from scratch.
      const { output } = model.lstm.forward(x);
      const expected = model.fc.forward(output.select(1, -1)); // (batch, 1)
      assertClose(predictions.select(1, k), expected, `prediction ${k}`);
      x = concat([x, expected.unsqueeze(1)], 1);
    }
  });

  test('the corrected seq2seq reads targets of output_size features', () => {
    manualSeed(5);
    const buggy = new seed003.Seq2SeqLSTM(10, 32, 15, 32);
    const src = randn([2, 30, 10]);
    const trg = randn([2, 40, 15]);
    assertShapeError(
      () => buggy.forward(src, trg),
      'LSTM(inputSize=32, hiddenSize=32)',
      'input dim 2 (features)',
      32,
      15,
    );
    assert.deepEqual(new seed003.Seq2SeqLSTM(10, 32, 15).forward(src, trg).shape, [2, 40, 15]);
  });
});

describe('seed 004: Elman RNN with a Linear head', () => {
  const lines = capture(seed004.run);

  test('logs the shapes of every reshape step and of the labels', () => {
    for (const line of [
      'Input shape: [7, 4, 26]',
      'RNN output shape: [7, 4, 100]',
      'Reshaped output shape: [28, 100]',
      'Hidden state shape: [1, 4, 100]',
      'Logits shape: [28, 26]',
      'Labels shape: [4, 7]',
      'Flattened labels shape: [28]',
      'fc.weight gradient shape: [26, 100]',
    ]) {
      assert.ok(lines.includes(line), `missing line '${line}' in:\n${lines.join('\n')}`);
    }
  });

  test('only labels flattened in (time, batch) order line up with the time-major logits', () => {
    const line = startingWith(lines, 'Rows paired with their own label:')[0] ?? '';
    const match =
      /^Rows paired with their own label: (\d+)\/28 transposed to \(time, batch\), (\d+)\/28 flattened as \(batch, time\)$/.exec(
        line,
      );
    assert.ok(match, line);
    assert.equal(Number(match[1]), 28);
    assert.ok(Number(match[2]) < 28);
  });

  test('the demo loss is finite and near ln 26 for an untrained model', () => {
    const match = /^Cross-entropy loss: ([\d.]+) /.exec(startingWith(lines, 'Cross-entropy loss:')[0] ?? '');
    assert.ok(match);
    const loss = Number(match[1]);
    assert.ok(loss > 2.5 && loss < 4.5, `loss ${loss}`);
  });

  test('crossEntropy is the mean of -log softmax at the labels', () => {
    const logits = tensor([
      [1, 2, 3],
      [0, 0, 0],
    ]);
    const labels = tensor([2, 0]);
    const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    const expected = (lse - 3 + Math.log(3)) / 2;
    const loss: Tensor = seed004.crossEntropy(logits, labels);
    assert.deepEqual(loss.shape, []);
    assert.ok(Math.abs(loss.item() - expected) < 1e-6, `${loss.item()} vs ${expected}`);
  });
});

describe('seed 002: Keras-style shapes', () => {
  const lines = capture(seed002.run);
  const row = (name: string) => lines.find((l) => l.startsWith(`│ ${name} `)) ?? '';

  test('logs the output shapes the seed prints', () => {
    assert.deepEqual(startingWith(lines, 'The output shape after'), [
      'The output shape after the TimeDistributed Dense layer is: (2, 10, 16)',
      'The output shape after the TimeAverageLayer is: (2, 32)',
      'The output shape after the Dense layer is: (2, 16)',
    ]);
    assert.ok(lines.includes('The output shapes with returnState are: (2, 10, 32), (2, 32), (2, 32)'));
  });

  test('the summaries show each layer with its type, (None, ...) shape and parameter count', () => {
    for (const [name, shape, params] of [
      ['input_layer (InputLayer)', '(None, 10, 20)', '0'],
      ['simple_rnn (SimpleRNN)', '(None, 10, 32)', '1,696'],
      ['time_distributed (TimeDistributed)', '(None, 10, 16)', '528'],
      ['time_average_layer (TimeAverageLayer)', '(None, 32)', '0'],
      ['simple_rnn_2 (SimpleRNN)', '(None, 32)', '1,696'],
      ['dense_1 (Dense)', '(None, 16)', '528'],
      ['lstm (LSTM)', '[(None, 10, 32),', '6,784'],
    ]) {
      const cells = row(name!)
        .split('│')
        .map((c) => c.trim());
      assert.deepEqual(cells.slice(1, 4), [name, shape, params], `row of ${name} in:\n${lines.join('\n')}`);
    }
    assert.deepEqual(startingWith(lines, ' Total params:'), [
      ' Total params: 2,224 (8.69 KB)',
      ' Total params: 1,696 (6.62 KB)',
      ' Total params: 2,224 (8.69 KB)',
      ' Total params: 6,784 (26.50 KB)',
    ]);
  });

  test('a shape mistake logs ShapeErrors naming the layer and the features dim', () => {
    assert.deepEqual(startingWith(lines, 'error: '), [
      'error: input_layer: expected input with 20 features (dim 2), received 12',
      'error: simple_rnn: expected input with 20 features (dim 2), received 12',
    ]);
  });

  test('TimeAverageLayer averages over time (masked steps left out) and trains', async () => {
    manualSeed(21);
    const layer = new seed002.TimeAverageLayer();
    const x = randn([2, 3, 4]);
    assertClose(layer.apply(x), x.mean(1), 'mean over time');
    const mask = tensor([
      [1, 1, 0],
      [1, 0, 0],
    ]);
    const masked = layer.apply(x, { mask });
    assertClose(masked.select(0, 1), x.select(0, 1).select(0, 0), 'row 1 has one real step');
    const model = seed002.example2();
    model.compile({ optimizer: 'adam', loss: 'mse' });
    const inputs = randn([8, 10, 20]);
    const targets = randn([8, 32]).mul(0.1);
    const before = model.evaluate(inputs, targets).loss!;
    await model.fit(inputs, targets, { epochs: 5, batchSize: 4 });
    assert.ok(model.evaluate(inputs, targets).loss! < before, 'fit lowers the loss through the custom layer');
  });
});
