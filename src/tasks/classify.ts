/**
 * classify (many-to-one): text -> label, e.g. a word -> its language. Characters are tokens.
 * Model: SequenceClassifier. Metrics: accuracy and macro-F1 against the majority class.
 */
import { loadLanguageId } from '../data/datasets.js';
import { loadUserData } from '../data/user-data.js';
import { Vocabulary } from '../data/vocabulary.js';
import { SequenceClassifier, type SequenceClassifierConfig } from '../models/classifier.js';
import { noGrad } from '../tensor/autograd.js';
import type { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { crossEntropy } from '../train/losses.js';
import { indexBatches, padIds } from './batching.js';
import { mostFrequent } from './metrics.js';
import { singleGraphOnnx, tokenExample } from './onnx-graph.js';
import { CLASSIFIER_PY } from './pytorch/model-py.js';
import { CLASSIFY_TRAIN_PY } from './pytorch/train-py.js';
import { type Evaluation, formatPerLine, isStringArray, type PreparedTask, type Predictor, savedValue, splitExamples, type TaskArtifacts, type TaskDefinition, type TaskSettings } from './task.js';

export interface ClassifyExample {
  text: string;
  label: string;
}

export interface ClassifySplits {
  train: ClassifyExample[];
  validation: ClassifyExample[];
  test: ClassifyExample[];
}

interface Batch {
  ids: Tensor;
  lengths: number[];
  targets: number[];
}

function predictLabels(model: SequenceClassifier, vocab: Vocabulary, texts: readonly string[], batchSize = 256): { predicted: number[]; loss: number[] } & { logits: Float32Array[] } {
  const predicted: number[] = [];
  const logits: Float32Array[] = [];
  noGrad(() => {
    for (let i = 0; i < texts.length; i += batchSize) {
      const chunk = texts.slice(i, i + batchSize);
      const { ids, lengths } = padIds(chunk.map((t) => vocab.encode([...t])));
      const out = model.forward(ids, lengths);
      const classes = out.shape[1]!;
      out.argmax(1).forEach((c) => predicted.push(c));
      for (let b = 0; b < chunk.length; b++) logits.push(out.data.slice(b * classes, (b + 1) * classes));
    }
  });
  return { predicted, loss: [], logits };
}

export function prepareClassify(splits: ClassifySplits, settings: TaskSettings, generator: Generator): PreparedTask<Batch> {
  const train = settings.maxTrainExamples > 0 ? splits.train.slice(0, settings.maxTrainExamples) : splits.train;
  const vocab = Vocabulary.build(train.map((e) => [...e.text]));
  const labels = [...new Set(splits.train.map((e) => e.label))].sort();
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const config: SequenceClassifierConfig = {
    vocabSize: vocab.size, embeddingDim: 32, numClasses: labels.length, cell: settings.cell, hiddenSize: settings.hiddenSize,
    numLayers: settings.numLayers, bidirectional: settings.bidirectional, dropout: settings.dropout, pooling: 'last',
  };
  const model = new SequenceClassifier(config, generator);
  const encoded = train.map((e) => ({ ids: vocab.encode([...e.text]), target: labelIndex.get(e.label)! }));
  const toBatch = (rows: { ids: number[]; target: number }[]): Batch => ({ ...padIds(rows.map((r) => r.ids)), targets: rows.map((r) => r.target) });
  const known = (set: ClassifyExample[]) => set.filter((e) => labelIndex.has(e.label));
  const validation = known(splits.validation);
  const test = known(splits.test);

  return {
    name: 'classify',
    model,
    summary: `${train.length} train / ${validation.length} validation / ${test.length} test examples, ${labels.length} classes, ${vocab.size} characters`,
    trainBatches: (g) => indexBatches(encoded.length, settings.batchSize, g).map((idx) => toBatch(idx.map((i) => encoded[i]!))),
    loss: (batch) => crossEntropy(model.forward(batch.ids, batch.lengths), batch.targets),
    validate: () => {
      const { logits } = predictLabels(model, vocab, validation.map((e) => e.text));
      const all = new Tensor(Float32Array.from(logits.flatMap((l) => [...l])), [logits.length, labels.length]);
      return crossEntropy(all, validation.map((e) => labelIndex.get(e.label)!)).item();
    },
    evaluate: (): Evaluation => {
      const { predicted } = predictLabels(model, vocab, test.map((e) => e.text));
      const truth = test.map((e) => labelIndex.get(e.label)!);
      const majority = labelIndex.get(mostFrequent(train.map((e) => e.label))!)!;
      const counts = labels.map(() => labels.map(() => 0));
      predicted.forEach((p, i) => counts[truth[i]!]![p]!++);
      return {
        metrics: { accuracy: accuracy(predicted, truth), macroF1: macroF1(counts) },
        baseline: { accuracy: accuracy(truth.map(() => majority), truth), macroF1: macroF1(labels.map((_, t) => labels.map((__, p) => (p === majority ? truth.filter((v) => v === t).length : 0)))) },
        baselineName: 'majority class',
        primary: { name: 'accuracy', higherIsBetter: true },
        plots: [{ kind: 'confusion', title: 'Confusion matrix (rows: true label, columns: predicted)', labels, counts }],
      };
    },
    artifacts: (): TaskArtifacts => ({ task: 'classify', modelConfig: { ...config }, data: { vocabulary: vocab.toJSON(), labels } }),
  };
}

export function accuracy(predicted: readonly number[], truth: readonly number[]): number {
  return truth.length === 0 ? 0 : predicted.filter((p, i) => p === truth[i]).length / truth.length;
}

/** Mean over classes of F1 = 2PR/(P+R), from counts[true][predicted]. */
export function macroF1(counts: number[][]): number {
  const n = counts.length;
  let sum = 0;
  for (let c = 0; c < n; c++) {
    const tp = counts[c]![c]!;
    const predictedC = counts.reduce((s, row) => s + row[c]!, 0);
    const actualC = counts[c]!.reduce((s, v) => s + v, 0);
    const precision = predictedC === 0 ? 0 : tp / predictedC;
    const recall = actualC === 0 ? 0 : tp / actualC;
    sum += precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  }
  return sum / n;
}

/** Wraps a rebuilt classifier; predicts `label<TAB>probability`. */
function classifyPredictor(model: SequenceClassifier, artifacts: TaskArtifacts): Predictor {
  const vocab = Vocabulary.fromJSON(artifacts.data['vocabulary'] as ReturnType<Vocabulary['toJSON']>);
  const labels = savedValue<string[]>(artifacts, 'labels', (v) => isStringArray(v) && (v as string[]).length === model.config.numClasses, `${model.config.numClasses} label strings`);
  const predict = (inputs: string[]) => {
    const { logits } = predictLabels(model, vocab, inputs);
    return logits.map((l) => {
      const probs = new Tensor(l, [l.length]).softmax(0).data;
      const best = probs.indexOf(Math.max(...probs));
      return `${labels[best]}\t${probs[best]!.toFixed(3)}`;
    });
  };
  return { task: 'classify', predict, format: formatPerLine(predict) };
}

export const classifyTask: TaskDefinition<SequenceClassifier, SequenceClassifierConfig> = {
  name: 'classify',
  description: 'text -> label (embedded: word -> language)',
  defaults: { epochs: 6, hiddenSize: 64, lr: 0.01, batchSize: 64, bidirectional: false, maxTrainExamples: 0, cell: 'gru' },
  options: [],
  sampleInputs: ['hello', 'bonjour', 'gracias'],
  load: (input, settings, generator) => prepareClassify(splitExamples(input.data ? loadUserData(input.data, 'classify') : loadLanguageId().examples, generator), settings, generator),
  buildModel: (config) => new SequenceClassifier(config),
  predictor: classifyPredictor,
  onnx: singleGraphOnnx((model) => tokenExample(model), [
    'inputs are token ids from the vocabulary in metadata recurrent.data (0 pads); outputs are logits over recurrent.data.labels',
  ]),
  pytorch: { modelClass: { name: 'SequenceClassifier', source: CLASSIFIER_PY }, trainSource: CLASSIFY_TRAIN_PY, fullConfig: (model) => ({ ...model.config }) },
};
