/**
 * classify and tag over numeric feature sequences (sensor readings, weather, ...): a sequence is
 * (steps, F) numbers, standardised per feature with the training part's mean and standard
 * deviation (saved in the model directory as `featureStats`, with the feature names). The models
 * are the text tasks' SequenceClassifier / SequenceTagger with `inputSize = F` and no embedding.
 * Baseline: the nearest class mean (of the per-feature mean and spread of a sequence, or of each
 * step for tagging), with the majority class beside it.
 *
 * `recurrent predict` takes one sequence a line as JSON: `[[f1, f2, ...], ...]` (or `[x1, x2, ...]`
 * when F = 1).
 */
import { trainNearestMean } from '../baselines/nearest-mean.js';
import { type FeatureStats, featureStats, isFeatureStats, type NumericExample, standardize } from '../data/numeric.js';
import type { Splits } from '../data/split.js';
import { ValueError } from '../errors.js';
import { SequenceClassifier, type SequenceClassifierConfig } from '../models/classifier.js';
import { SequenceTagger, type SequenceTaggerConfig } from '../models/tagger.js';
import { noGrad } from '../tensor/autograd.js';
import type { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { crossEntropy } from '../train/losses.js';
import { indexBatches, meanLoss } from './batching.js';
import { classifyEvaluation, predictFromBatches } from './classify.js';
import { mostFrequent } from './metrics.js';
import {
  type Evaluation,
  formatPerLine,
  isStringArray,
  type PreparedTask,
  type Predictor,
  savedValue,
  type TaskArtifacts,
  type TaskSettings,
} from './task.js';

const IGNORE = -100;

/** Pads standardised sequences into (batch, time, F) with zeros, and their lengths. */
export function padSequences(
  sequences: readonly (readonly (readonly number[])[])[],
  width: number,
): { ids: Tensor; lengths: number[] } {
  const lengths = sequences.map((s) => Math.max(1, s.length));
  const time = Math.max(1, ...lengths);
  const data = new Float32Array(sequences.length * time * width);
  sequences.forEach((s, b) => s.forEach((step, t) => data.set(step, (b * time + t) * width)));
  return { ids: new Tensor(data, [sequences.length, time, width]), lengths };
}

interface Batch {
  ids: Tensor;
  lengths: number[];
  targets: number[];
}

function summaryOf(
  name: string,
  splits: Splits<unknown>,
  features: readonly string[],
  classes: number,
  unit: string,
): string {
  return `${splits.train.length} train / ${splits.validation.length} validation / ${splits.test.length} test numeric sequences of ${features.length} standardised feature${features.length === 1 ? '' : 's'} (${features.slice(0, 6).join(', ')}${features.length > 6 ? ', ...' : ''}), ${classes} ${unit} (${name})`;
}

/** Numeric classify: sequences -> one label. `reread` reads another file's examples (evaluate). */
export function prepareNumericClassify(
  data: { features: string[]; splits: Splits<NumericExample> },
  settings: TaskSettings,
  generator: Generator,
  reread?: (file: string) => NumericExample[],
): PreparedTask<Batch> {
  const { features, splits } = data;
  const train = settings.maxTrainExamples > 0 ? splits.train.slice(0, settings.maxTrainExamples) : splits.train;
  const stats = featureStats(train.map((e) => e.sequence));
  const labels = [...new Set(train.map((e) => e.label!))].sort();
  const index = new Map(labels.map((l, i) => [l, i]));
  const config: SequenceClassifierConfig = {
    vocabSize: 0,
    inputSize: features.length,
    numClasses: labels.length,
    cell: settings.cell,
    hiddenSize: settings.hiddenSize,
    numLayers: settings.numLayers,
    bidirectional: settings.bidirectional,
    dropout: settings.dropout,
    pooling: 'last',
  };
  const model = new SequenceClassifier(config, generator);
  const prepare = (set: readonly NumericExample[]) =>
    set
      .filter((e) => index.has(e.label!))
      .map((e) => ({ x: standardize(e.sequence, stats), target: index.get(e.label!)!, raw: e }));
  const encoded = prepare(train);
  const validation = prepare(splits.validation);
  const test = prepare(splits.test);
  const toBatch = (rows: typeof encoded): Batch => ({
    ...padSequences(
      rows.map((r) => r.x),
      features.length,
    ),
    targets: rows.map((r) => r.target),
  });
  const batchLoss = (b: Batch) => crossEntropy(model.forward(b.ids, b.lengths), b.targets);
  const baseline = trainNearestMean(encoded.map((r) => ({ sequence: r.x, label: r.raw.label! })));
  const majority = mostFrequent(train.map((e) => e.label!))!;
  const evaluateOn = (rows: typeof encoded): Evaluation => {
    const { predicted } = predictFromBatches(model, rows.length, 256, (from, to) =>
      padSequences(
        rows.slice(from, to).map((r) => r.x),
        features.length,
      ),
    );
    return classifyEvaluation(
      labels,
      rows.map((r) => r.raw.label!),
      predicted.map((p) => labels[p]!),
      rows.map((r) => baseline(r.x)[0]!),
      'nearest class mean',
      majority,
      rows.map((r) => `${r.raw.sequence.length} steps`),
    );
  };
  return {
    name: 'classify',
    model,
    summary: summaryOf('classify', splits, features, labels.length, 'classes'),
    trainBatches: (g) =>
      indexBatches(encoded.length, settings.batchSize, g).map((idx) => toBatch(idx.map((i) => encoded[i]!))),
    loss: batchLoss,
    validate: () => meanLoss(validation, toBatch, batchLoss),
    evaluate: () => evaluateOn(test),
    ...(reread && { evaluateFile: (file: string) => evaluateOn(prepare(reread(file))) }),
    artifacts: (): TaskArtifacts => ({
      task: 'classify',
      modelConfig: { ...config },
      data: { features, featureStats: stats, labels },
    }),
  };
}

/** Numeric tag: sequences -> one tag per step. */
export function prepareNumericTag(
  data: { features: string[]; splits: Splits<NumericExample> },
  settings: TaskSettings,
  generator: Generator,
  reread?: (file: string) => NumericExample[],
): PreparedTask<Batch> {
  const { features, splits } = data;
  const train = settings.maxTrainExamples > 0 ? splits.train.slice(0, settings.maxTrainExamples) : splits.train;
  const stats = featureStats(train.map((e) => e.sequence));
  const tagSet = [...new Set(train.flatMap((e) => e.tags!))].sort();
  const index = new Map(tagSet.map((t, i) => [t, i]));
  const config: SequenceTaggerConfig = {
    vocabSize: 0,
    inputSize: features.length,
    numTags: tagSet.length,
    cell: settings.cell,
    hiddenSize: settings.hiddenSize,
    numLayers: settings.numLayers,
    bidirectional: settings.bidirectional,
    dropout: settings.dropout,
  };
  const model = new SequenceTagger(config, generator);
  const prepare = (set: readonly NumericExample[]) =>
    set.map((e) => ({ x: standardize(e.sequence, stats), tags: e.tags! }));
  const encoded = prepare(train);
  const toBatch = (rows: typeof encoded): Batch => {
    const { ids, lengths } = padSequences(
      rows.map((r) => r.x),
      features.length,
    );
    const time = ids.shape[1]!;
    const targets = new Array<number>(rows.length * time).fill(IGNORE);
    rows.forEach((r, b) => r.tags.forEach((t, i) => (targets[b * time + i] = index.get(t) ?? IGNORE)));
    return { ids, lengths, targets };
  };
  const batchLoss = (b: Batch) =>
    crossEntropy(model.forward(b.ids, b.lengths).reshape([-1, tagSet.length]), b.targets, { ignoreIndex: IGNORE });
  const baseline = trainNearestMean(
    encoded.map((r) => ({ sequence: r.x, tags: r.tags })),
    true,
  );
  const majority = mostFrequent(train.flatMap((e) => e.tags!))!;
  const evaluateOn = (rows: typeof encoded): Evaluation => {
    const predicted = tagSequences(
      model,
      rows.map((r) => r.x),
      features.length,
    ).map((row) => row.map((t) => tagSet[t]!));
    const score = (guess: string[][]) => {
      let steps = 0,
        right = 0,
        whole = 0;
      rows.forEach((r, i) => {
        const ok = r.tags.map((t, k) => t === guess[i]![k]);
        steps += ok.length;
        right += ok.filter(Boolean).length;
        if (ok.every(Boolean)) whole++;
      });
      return { stepAccuracy: right / Math.max(steps, 1), sequenceAccuracy: whole / Math.max(rows.length, 1) };
    };
    const naive = rows.map((r) => baseline(r.x));
    return {
      metrics: score(predicted),
      baseline: score(naive),
      baselineName: 'nearest tag mean per step',
      reference: { name: 'majority tag', metrics: score(rows.map((r) => r.tags.map(() => majority))) },
      primary: { name: 'stepAccuracy', higherIsBetter: true },
      plots: [
        {
          kind: 'table',
          title: 'Sample predictions',
          columns: ['steps', 'expected', 'predicted', 'baseline'],
          rows: rows
            .slice(0, 12)
            .map((r, i) => [String(r.tags.length), r.tags.join(' '), predicted[i]!.join(' '), naive[i]!.join(' ')]),
        },
      ],
    };
  };
  return {
    name: 'tag',
    model,
    summary: summaryOf('tag', splits, features, tagSet.length, 'tags'),
    trainBatches: (g) =>
      indexBatches(encoded.length, settings.batchSize, g).map((idx) => toBatch(idx.map((i) => encoded[i]!))),
    loss: batchLoss,
    validate: () => meanLoss(prepare(splits.validation), toBatch, batchLoss),
    evaluate: () => evaluateOn(prepare(splits.test)),
    ...(reread && { evaluateFile: (file: string) => evaluateOn(prepare(reread(file))) }),
    artifacts: (): TaskArtifacts => ({
      task: 'tag',
      modelConfig: { ...config },
      data: { features, featureStats: stats, tags: tagSet },
    }),
  };
}

function tagSequences(model: SequenceTagger, sequences: readonly number[][][], width: number): number[][] {
  const out: number[][] = [];
  noGrad(() => {
    for (let i = 0; i < sequences.length; i += 256) {
      const chunk = sequences.slice(i, i + 256);
      const { ids, lengths } = padSequences(chunk, width);
      const best = model.forward(ids, lengths).argmax(2);
      const time = ids.shape[1]!;
      chunk.forEach((s, b) => out.push(Array.from({ length: s.length }, (_, t) => best[b * time + t]!)));
    }
  });
  return out;
}

/** One JSON sequence a line: `[[f1, ...], ...]`, or `[x1, x2, ...]` with one feature. */
export function parseSequenceLine(line: string, width: number, where: string): number[][] {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ValueError(
      where,
      `expected a JSON array of steps such as [[0.1, 2], [0.3, 1]], got '${line.slice(0, 60)}'`,
    );
  }
  if (!Array.isArray(value) || value.length === 0)
    throw new ValueError(where, 'expected a non-empty JSON array of steps');
  return value.map((step, t) => {
    const row = Array.isArray(step) ? step : [step];
    if (row.length !== width || !row.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new ValueError(
        where,
        `step ${t} must hold ${width} finite number${width === 1 ? '' : 's'}, got ${JSON.stringify(step)}`,
      );
    }
    return row as number[];
  });
}

/** Predictor of a numeric classify (label<TAB>probability) or tag (space-separated tags) model. */
export function numericPredictor(
  model: SequenceClassifier | SequenceTagger,
  artifacts: TaskArtifacts,
  task: 'classify' | 'tag',
): Predictor {
  const features = savedValue<string[]>(artifacts, 'features', isStringArray, 'the feature names');
  const stats = savedValue<FeatureStats>(
    artifacts,
    'featureStats',
    (v) => isFeatureStats(v) && (v as FeatureStats).mean.length === features.length,
    `{ mean, std } for ${features.length} features`,
  );
  const names = savedValue<string[]>(
    artifacts,
    task === 'classify' ? 'labels' : 'tags',
    isStringArray,
    'label strings',
  );
  const read = (inputs: string[]) =>
    inputs.map((l, i) => standardize(parseSequenceLine(l, features.length, `predict: input ${i + 1}`), stats));
  const predict = (inputs: string[]): string[] => {
    const xs = read(inputs);
    if (task === 'tag')
      return tagSequences(model as SequenceTagger, xs, features.length).map((row) =>
        row.map((t) => names[t]!).join(' '),
      );
    const { logits } = predictFromBatches(model as SequenceClassifier, xs.length, 256, (from, to) =>
      padSequences(xs.slice(from, to), features.length),
    );
    return logits.map((l) => {
      const probs = new Tensor(l, [l.length]).softmax(0).data;
      const best = probs.indexOf(Math.max(...probs));
      return `${names[best]}\t${probs[best]!.toFixed(3)}`;
    });
  };
  return { task, predict, format: formatPerLine(predict) };
}
