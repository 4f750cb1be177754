/**
 * Keras-style layers against TF.js Layers (the oracle): the same model built in both, the same
 * random Keras-layout weights set in both, outputs compared (1e-5 abs + 1e-4 rel), and for a few
 * cases the gradients of a random projection of the outputs with respect to every weight and
 * the input. Every recurrent case runs twice here: on the fused kernel (where the configuration
 * maps onto it; the test asserts which path ran) and on the per-step path.
 *
 * TF.js has no GRU resetAfter=true (see layers-gru-parity.test.ts for it, against PyTorch), and
 * its LSTM/GRU default recurrentActivation is hardSigmoid, so the cases pass 'sigmoid' explicitly.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Generator, type Tensor, tensor } from '../src/index.js';
import * as L from '../src/layers/index.js';
import { assertClose } from './helpers.js';

tf.env().set('PROD', true); // no "use tfjs-node" banner

type Family = 'simpleRNN' | 'lstm' | 'gru';
type Impl = 'auto' | 'loop';

interface RecurrentCase {
  family: Family;
  returnSequences: boolean;
  returnState: boolean;
  goBackwards: boolean;
  units?: number;
  activation?: 'tanh' | 'relu' | 'sigmoid';
  recurrentActivation?: 'sigmoid' | 'hardSigmoid';
  useBias?: boolean;
}

const B = 3;
const T = 5;
const F = 4;

function normal(shape: number[], gen: Generator, scale = 1): Tensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = gen.normal() * scale;
  return tensor(data, shape);
}

function uniformWeights(shapes: readonly (readonly number[])[], gen: Generator): Tensor[] {
  // Wider than Keras's init so gates leave their near-linear range: a wrong gate order cannot pass.
  return shapes.map((s) => {
    const data = new Float32Array(s.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = gen.uniform(-0.8, 0.8);
    return tensor(data, [...s]);
  });
}

const toTf = (t: Tensor): tf.Tensor => tf.tensor(Array.from(t.data), [...t.shape]);
const fromTf = (t: tf.Tensor): Tensor => tensor(Float32Array.from(t.dataSync() as Float32Array), t.shape);
const listOf = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

function ourLayer(c: RecurrentCase, impl: Impl, extra: Partial<L.LSTMOptions> = {}): L.RecurrentLayer {
  const options = {
    units: c.units ?? 3,
    returnSequences: c.returnSequences,
    returnState: c.returnState,
    goBackwards: c.goBackwards,
    activation: c.activation ?? 'tanh',
    useBias: c.useBias ?? true,
    implementation: impl,
    ...extra,
  };
  if (c.family === 'simpleRNN') return L.simpleRNN(options);
  if (c.family === 'lstm') return L.lstm({ ...options, recurrentActivation: c.recurrentActivation ?? 'sigmoid' });
  return L.gru({ ...options, recurrentActivation: c.recurrentActivation ?? 'sigmoid', resetAfter: false });
}

function tfLayer(c: RecurrentCase, extra: Record<string, unknown> = {}): tf.layers.Layer {
  const options = {
    units: c.units ?? 3,
    returnSequences: c.returnSequences,
    returnState: c.returnState,
    goBackwards: c.goBackwards,
    activation: c.activation ?? 'tanh',
    useBias: c.useBias ?? true,
    ...extra,
  };
  if (c.family === 'simpleRNN') return tf.layers.simpleRNN(options);
  if (c.family === 'lstm')
    return tf.layers.lstm({ ...options, recurrentActivation: c.recurrentActivation ?? 'sigmoid' });
  return tf.layers.gru({ ...options, recurrentActivation: c.recurrentActivation ?? 'sigmoid' });
}

/** Both models: input -> [masking] -> layer; the layer's weights set to the same random values. */
function buildPair(c: RecurrentCase, impl: Impl, options: { masking?: boolean; seed: number }) {
  const gen = new Generator(options.seed);
  const ours = ourLayer(c, impl);
  const x = L.input({ shape: [T, F] });
  const ourOut = ours.apply(options.masking ? L.masking().apply(x) : x);
  const ourModel = L.model({ inputs: x, outputs: listOf(ourOut) });
  const theirs = tfLayer(c);
  const tx = tf.input({ shape: [T, F] });
  const theirOut = theirs.apply(options.masking ? tf.layers.masking({ maskValue: 0 }).apply(tx) : tx) as
    | tf.SymbolicTensor
    | tf.SymbolicTensor[];
  const theirModel = tf.model({ inputs: tx, outputs: listOf(theirOut) });
  const weights = uniformWeights(
    ours.getWeights().map((w) => w.shape),
    gen,
  );
  ours.setWeights(weights);
  theirs.setWeights(weights.map(toTf));
  return { ours, ourModel, theirs, theirModel, gen };
}

/** x (B, T, F) with the given rows zeroed at the masked steps (1 = real). */
function maskedInput(gen: Generator, rows: number[][]): Tensor {
  const x = normal([B, T, F], gen);
  rows.forEach((row, b) =>
    row.forEach((real, t) => {
      if (!real) x.data.fill(0, (b * T + t) * F, (b * T + t + 1) * F);
    }),
  );
  return x;
}

function compareOutputs(ours: Tensor[], theirs: tf.Tensor[], label: string): void {
  assert.equal(ours.length, theirs.length, `${label}: number of outputs`);
  ours.forEach((o, i) => assertClose(o, fromTf(theirs[i]!), `${label} output ${i}`));
}

/** Σ_i sum(output_i * R_i) and its gradients: ours (by backward) and TF.js's (variableGrads, grad). */
interface Pair {
  ours: L.Layer<L.Arity>;
  ourModel: L.Model;
  theirs: tf.layers.Layer;
  theirModel: tf.LayersModel;
  gen: Generator;
}

/**
 * With `mask`, TF.js's side calls the layer directly with that mask (its Masking layer has no
 * gradient for the input: `Any` has none); the masked input steps are zeros, so that is the
 * same function.
 */
function compareGradients(pair: Pair, x: Tensor, label: string, mask?: Tensor): void {
  const { ours, ourModel, theirs, theirModel, gen } = pair;
  const outShapes = ourModel.outputs.map((t) => [B, ...t.shape.slice(1)] as number[]);
  const projections = outShapes.map((s) => normal(s, gen));
  const xg = tensor(x.data, [...x.shape], { requiresGrad: true });
  ours.zeroGrad();
  const outs = listOf(ourModel.apply(xg) as Tensor | Tensor[]);
  outs
    .map((o, i) => o.mul(projections[i]!).sum())
    .reduce((a, b) => a.add(b))
    .backward();

  const tfLoss = (input: tf.Tensor) => {
    const ys = listOf(
      (mask ? theirs.call(input, { mask: toTf(mask) }) : theirModel.apply(input)) as tf.Tensor | tf.Tensor[],
    );
    return ys.map((y, i) => tf.sum(tf.mul(y, toTf(projections[i]!)))).reduce((a, b) => tf.add(a, b)) as tf.Scalar;
  };
  const variables = theirs.trainableWeights.map((w) => w.read() as tf.Variable);
  const { grads } = tf.variableGrads(() => tfLoss(toTf(x)), variables);
  const params = ours.parameters();
  assert.equal(params.length, variables.length, `${label}: weight count`);
  params.forEach((p, i) =>
    assertClose(p.grad!, fromTf(grads[variables[i]!.name]!), `${label} d${ours.weightNames()[i]}`),
  );
  assertClose(xg.grad!, fromTf(tf.grad(tfLoss)(toTf(x))), `${label} dx`);
}

const families: Family[] = ['simpleRNN', 'lstm', 'gru'];
const flags = [false, true];

describe('recurrent layers match TF.js: every returnSequences × returnState × goBackwards', () => {
  let seed = 100;
  for (const family of families) {
    for (const returnSequences of flags)
      for (const returnState of flags)
        for (const goBackwards of flags) {
          const c: RecurrentCase = { family, returnSequences, returnState, goBackwards };
          const name = `${family} returnSequences=${returnSequences} returnState=${returnState} goBackwards=${goBackwards}`;
          const caseSeed = seed++;
          test(name, () => {
            for (const impl of ['auto', 'loop'] as const) {
              const pair = buildPair(c, impl, { seed: caseSeed });
              const x = normal([B, T, F], pair.gen);
              compareOutputs(
                listOf(pair.ourModel.predict(x)),
                listOf(pair.theirModel.predict(toTf(x)) as tf.Tensor | tf.Tensor[]),
                `${name} [${impl}]`,
              );
              const expectedPath = impl === 'loop' || family === 'gru' ? 'loop' : 'fused'; // TF.js's GRU is resetAfter=false
              assert.equal(pair.ours.lastPath, expectedPath);
            }
          });
        }
  }

  test('gradients (weights and input) match tf.variableGrads / tf.grad', () => {
    const cases: RecurrentCase[] = [
      { family: 'lstm', returnSequences: true, returnState: true, goBackwards: false },
      { family: 'gru', returnSequences: false, returnState: true, goBackwards: true },
      { family: 'simpleRNN', returnSequences: true, returnState: false, goBackwards: true },
      { family: 'lstm', returnSequences: false, returnState: false, goBackwards: true },
    ];
    cases.forEach((c, k) => {
      for (const impl of ['auto', 'loop'] as const) {
        const pair = buildPair(c, impl, { seed: 200 + k });
        compareGradients(pair, normal([B, T, F], pair.gen), `${c.family} #${k} [${impl}]`);
      }
    });
  });
});

describe('other cell options match TF.js', () => {
  const variants: [string, RecurrentCase][] = [
    [
      'simpleRNN with relu (fused rnn_relu)',
      { family: 'simpleRNN', activation: 'relu', returnSequences: true, returnState: false, goBackwards: false },
    ],
    [
      'simpleRNN without bias',
      { family: 'simpleRNN', useBias: false, returnSequences: true, returnState: true, goBackwards: true },
    ],
    [
      'lstm with hardSigmoid gates (per-step path)',
      {
        family: 'lstm',
        recurrentActivation: 'hardSigmoid',
        returnSequences: true,
        returnState: true,
        goBackwards: false,
      },
    ],
    [
      'lstm with a sigmoid activation (per-step path)',
      { family: 'lstm', activation: 'sigmoid', returnSequences: true, returnState: false, goBackwards: false },
    ],
    [
      'lstm without bias',
      { family: 'lstm', useBias: false, returnSequences: true, returnState: true, goBackwards: true },
    ],
    [
      'gru resetAfter=false with hardSigmoid gates',
      {
        family: 'gru',
        recurrentActivation: 'hardSigmoid',
        returnSequences: true,
        returnState: true,
        goBackwards: false,
      },
    ],
    [
      'gru without bias',
      { family: 'gru', useBias: false, returnSequences: true, returnState: false, goBackwards: true },
    ],
  ];
  variants.forEach(([name, c], k) => {
    test(name, () => {
      const pair = buildPair(c, 'auto', { seed: 300 + k });
      const x = normal([B, T, F], pair.gen);
      compareOutputs(
        listOf(pair.ourModel.predict(x)),
        listOf(pair.theirModel.predict(toTf(x)) as tf.Tensor | tf.Tensor[]),
        name,
      );
    });
  });

  test('gradients with hardSigmoid gates and no bias', () => {
    const pair = buildPair(
      {
        family: 'gru',
        recurrentActivation: 'hardSigmoid',
        useBias: false,
        returnSequences: true,
        returnState: true,
        goBackwards: true,
      },
      'auto',
      { seed: 320 },
    );
    compareGradients(pair, normal([B, T, F], pair.gen), 'gru hardSigmoid');
  });
});

describe('masking: masked steps carry state and output, as TF.js', () => {
  const layouts: [string, number[][], 'fused' | 'loop'][] = [
    [
      'right padding (lengths)',
      [
        [1, 1, 1, 1, 1],
        [1, 1, 1, 0, 0],
        [1, 0, 0, 0, 0],
      ],
      'fused',
    ],
    [
      'left padding',
      [
        [0, 0, 1, 1, 1],
        [1, 1, 1, 1, 1],
        [0, 0, 0, 0, 1],
      ],
      'fused',
    ],
    [
      'holes and mixed padding (per-step path)',
      [
        [1, 0, 1, 1, 0],
        [0, 1, 1, 1, 1],
        [1, 1, 0, 0, 0],
      ],
      'loop',
    ],
    [
      'a fully masked row (per-step path)',
      [
        [1, 1, 1, 0, 0],
        [0, 0, 0, 0, 0],
        [1, 1, 1, 1, 1],
      ],
      'loop',
    ],
  ];
  let seed = 400;
  for (const family of families) {
    for (const [layoutName, rows, fusedPath] of layouts) {
      for (const goBackwards of flags) {
        const caseSeed = seed++;
        const name = `${family} ${layoutName} goBackwards=${goBackwards}`;
        test(name, () => {
          const c: RecurrentCase = { family, returnSequences: true, returnState: true, goBackwards };
          for (const impl of ['auto', 'loop'] as const) {
            const pair = buildPair(c, impl, { masking: true, seed: caseSeed });
            const x = maskedInput(pair.gen, rows);
            compareOutputs(
              pair.ourModel.predict(x) as Tensor[],
              pair.theirModel.predict(toTf(x)) as tf.Tensor[],
              `${name} [${impl}]`,
            );
            assert.equal(pair.ours.lastPath, impl === 'loop' || family === 'gru' ? 'loop' : fusedPath);
          }
        });
      }
    }
  }

  test('gradients through masked steps (fused and per-step)', () => {
    const rows = [
      [1, 1, 1, 0, 0],
      [0, 0, 1, 1, 1],
      [1, 1, 1, 1, 1],
    ];
    for (const layout of [
      rows,
      [
        [1, 1, 1, 0, 0],
        [1, 1, 1, 1, 0],
        [1, 1, 1, 1, 1],
      ],
      [
        [1, 0, 1, 1, 0],
        [0, 0, 0, 0, 0],
        [1, 1, 1, 1, 1],
      ],
    ]) {
      for (const family of families) {
        for (const impl of ['auto', 'loop'] as const) {
          const pair = buildPair({ family, returnSequences: true, returnState: true, goBackwards: true }, impl, {
            masking: true,
            seed: 450,
          });
          const mask = tensor(layout.flat(), [B, T]);
          compareGradients(
            pair,
            maskedInput(pair.gen, layout),
            `${family} masked ${JSON.stringify(layout)} [${impl}]`,
            mask,
          );
        }
      }
    }
  });

  test('embedding({ maskZero }) masks id 0 for the recurrent layer', () => {
    const gen = new Generator(460);
    const ids = tensor([
      [3, 1, 4, 0, 0],
      [2, 0, 0, 0, 0],
      [5, 9, 2, 6, 5],
    ]);
    const x = L.input({ shape: [T] });
    const emb = L.embedding({ inputDim: 10, outputDim: F, maskZero: true });
    const rnn = L.gru({ units: 3, resetAfter: false, returnSequences: true, returnState: true });
    const ours = L.model({ inputs: x, outputs: rnn.apply(emb.apply(x)) });
    const tx = tf.input({ shape: [T] });
    const temb = tf.layers.embedding({ inputDim: 10, outputDim: F, maskZero: true });
    const trnn = tf.layers.gru({ units: 3, recurrentActivation: 'sigmoid', returnSequences: true, returnState: true });
    const theirs = tf.model({ inputs: tx, outputs: trnn.apply(temb.apply(tx)) as tf.SymbolicTensor[] });
    const weights = uniformWeights(
      ours.getWeights().map((w) => w.shape),
      gen,
    );
    ours.setWeights(weights);
    theirs.setWeights(weights.map(toTf));
    compareOutputs(ours.predict(ids), theirs.predict(toTf(ids)) as tf.Tensor[], 'embedding maskZero + gru');
  });
});

describe('bidirectional matches TF.js for each merge mode', () => {
  const modes: L.MergeMode[] = ['concat', 'sum', 'mul', 'ave', null];
  modes.forEach((mergeMode, k) => {
    for (const family of families) {
      test(`${family} mergeMode=${String(mergeMode)}, returnSequences and returnState, masked`, () => {
        const gen = new Generator(500 + 10 * k + families.indexOf(family));
        const c: RecurrentCase = { family, returnSequences: true, returnState: true, goBackwards: false };
        const x = L.input({ shape: [T, F] });
        const bi = L.bidirectional(ourLayer(c, 'auto'), { mergeMode });
        const ours = L.model({ inputs: x, outputs: bi.apply(L.masking().apply(x)) as L.SymbolicTensor[] });
        const tx = tf.input({ shape: [T, F] });
        // TF.js's option type has no null, but its constructor takes it.
        const tbi = tf.layers.bidirectional({ layer: tfLayer(c) as tf.RNN, mergeMode: mergeMode as 'concat' });
        const theirs = tf.model({
          inputs: tx,
          outputs: tbi.apply(tf.layers.masking({ maskValue: 0 }).apply(tx)) as tf.SymbolicTensor[],
        });
        const weights = uniformWeights(
          bi.getWeights().map((w) => w.shape),
          gen,
        );
        bi.setWeights(weights);
        tbi.setWeights(weights.map(toTf));
        const input = maskedInput(gen, [
          [1, 1, 1, 1, 1],
          [1, 1, 1, 0, 0],
          [1, 1, 0, 0, 0],
        ]);
        compareOutputs(
          ours.predict(input),
          theirs.predict(toTf(input)) as tf.Tensor[],
          `bidirectional ${family} ${String(mergeMode)}`,
        );
      });
    }
  });

  test('bidirectional lstm gradients (concat, last output only)', () => {
    const gen = new Generator(560);
    const c: RecurrentCase = { family: 'lstm', returnSequences: false, returnState: false, goBackwards: false };
    const bi = L.bidirectional(ourLayer(c, 'auto'));
    const tbi = tf.layers.bidirectional({ layer: tfLayer(c) as tf.RNN });
    const x = L.input({ shape: [T, F] });
    const ours = L.model({ inputs: x, outputs: bi.apply(x) });
    const tx = tf.input({ shape: [T, F] });
    const theirs = tf.model({ inputs: tx, outputs: tbi.apply(tx) as tf.SymbolicTensor });
    const weights = uniformWeights(
      bi.getWeights().map((w) => w.shape),
      gen,
    );
    bi.setWeights(weights);
    tbi.setWeights(weights.map(toTf));
    compareGradients(
      { ours: bi, ourModel: ours, theirs: tbi, theirModel: theirs, gen },
      normal([B, T, F], gen),
      'bidirectional lstm',
    );
  });
});

describe('stateful layers carry states across batches, as TF.js', () => {
  for (const family of families) {
    test(`${family} stateful: two batches, then resetStates`, () => {
      const gen = new Generator(600 + families.indexOf(family));
      const c: RecurrentCase = { family, returnSequences: true, returnState: false, goBackwards: false };
      const layer = ourLayer(c, 'auto', { stateful: true });
      const x = L.input({ shape: [T, F], batchSize: B });
      const ours = L.model({ inputs: x, outputs: layer.apply(x) });
      const tx = tf.input({ batchShape: [B, T, F] });
      const tlayer = tfLayer(c, { stateful: true });
      const theirs = tf.model({ inputs: tx, outputs: tlayer.apply(tx) as tf.SymbolicTensor });
      const weights = uniformWeights(
        layer.getWeights().map((w) => w.shape),
        gen,
      );
      layer.setWeights(weights);
      tlayer.setWeights(weights.map(toTf));
      const x1 = normal([B, T, F], gen);
      const x2 = normal([B, T, F], gen);
      const predict = (t: Tensor) => ours.predict(t) as Tensor;
      const first = predict(x1);
      assertClose(first, fromTf(theirs.predict(toTf(x1), { batchSize: B }) as tf.Tensor), `${family} batch 1`);
      assertClose(
        predict(x2),
        fromTf(theirs.predict(toTf(x2), { batchSize: B }) as tf.Tensor),
        `${family} batch 2 continues batch 1`,
      );
      ours.resetStates();
      theirs.resetStates();
      assertClose(predict(x1), first, `${family} after resetStates`);
    });
  }
});

describe('dense, timeDistributed and a whole model match TF.js', () => {
  test('seed 002 example 1: simpleRNN -> timeDistributed(dense), and the gradients', () => {
    const gen = new Generator(700);
    const x = L.input({ shape: [T, F] });
    const ours = L.model({
      inputs: x,
      outputs: L.timeDistributed(L.dense({ units: 2, activation: 'tanh' })).apply(
        L.simpleRNN({ units: 3, returnSequences: true }).apply(x),
      ),
    });
    const tx = tf.input({ shape: [T, F] });
    const theirs = tf.model({
      inputs: tx,
      outputs: tf.layers
        .timeDistributed({ layer: tf.layers.dense({ units: 2, activation: 'tanh' }) })
        .apply(tf.layers.simpleRNN({ units: 3, returnSequences: true }).apply(tx)) as tf.SymbolicTensor,
    });
    const weights = uniformWeights(
      ours.getWeights().map((w) => w.shape),
      gen,
    );
    ours.setWeights(weights);
    theirs.setWeights(weights.map(toTf));
    const input = normal([B, T, F], gen);
    assertClose(ours.predict(input), fromTf(theirs.predict(toTf(input)) as tf.Tensor), 'output');

    const projection = normal([B, T, 2], gen);
    ours.zeroGrad();
    (ours.apply(input) as Tensor).mul(projection).sum().backward();
    const variables = theirs.trainableWeights.map((w) => w.read() as tf.Variable);
    const { grads } = tf.variableGrads(
      () => tf.sum(tf.mul(theirs.apply(toTf(input)) as tf.Tensor, toTf(projection))) as tf.Scalar,
      variables,
    );
    ours
      .parameters()
      .forEach((p, i) => assertClose(p.grad!, fromTf(grads[variables[i]!.name]!), `d${ours.weightNames()[i]}`));
  });

  test('every named activation matches TF.js (through dense), values and gradients', () => {
    const names: L.ActivationName[] = [
      'linear',
      'tanh',
      'sigmoid',
      'hardSigmoid',
      'relu',
      'softmax',
      'softplus',
      'softsign',
      'elu',
      'selu',
      'swish',
    ];
    names.forEach((activation, k) => {
      const gen = new Generator(800 + k);
      const ours = L.dense({ units: 5, activation });
      const theirs = tf.layers.dense({ units: 5, activation: activation as 'linear', inputShape: [4] });
      const x = normal([6, 4], gen, 3); // wide enough to reach every branch (clipping, negatives)
      ours.apply(x);
      theirs.apply(toTf(x));
      const weights = uniformWeights(
        ours.getWeights().map((w) => w.shape),
        gen,
      );
      ours.setWeights(weights);
      theirs.setWeights(weights.map(toTf));
      const xg = tensor(x.data, [6, 4], { requiresGrad: true });
      const projection = normal([6, 5], gen);
      const y = ours.apply(xg);
      assertClose(y, fromTf(theirs.apply(toTf(x)) as tf.Tensor), `${activation} value`);
      y.mul(projection).sum().backward();
      const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(theirs.apply(input) as tf.Tensor, toTf(projection))))(
        toTf(x),
      );
      assertClose(xg.grad!, fromTf(dx), `${activation} gradient`);
    });
  });
});
