/**
 * tag (many-to-many, same length): one tag per token (a character, or a word with
 * --input-tokens words), e.g. restoring diacritics: "eleve" -> tags "acute - grave - -" ->
 * "élève"; or one tag per step of a numeric sequence (numeric.ts). Model: SequenceTagger;
 * padded steps are ignored in the loss. Metrics: per-token (charAccuracy) and per-sequence
 * (wordAccuracy) accuracy against the most frequent tag per token in its context.
 */
import { loadDiacritics } from '../data/datasets.js';
import { applyDiacriticTags, stripDiacritics } from '../data/text.js';
import { readOwnData } from '../data/user-data.js';
import { isTokens, tokenize, type Tokens } from '../data/tokens.js';
import { trainContextTagger } from '../baselines/tag-context.js';
import { loadExamples, readingOptions } from './own-data.js';
import { numericPredictor, prepareNumericTag } from './numeric.js';
import { Vocabulary } from '../data/vocabulary.js';
import { SequenceTagger, type SequenceTaggerConfig } from '../models/tagger.js';
import { noGrad } from '../tensor/autograd.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { crossEntropy } from '../train/losses.js';
import { indexBatches, meanLoss, padIds } from './batching.js';
import { mostFrequent } from './metrics.js';
import { singleGraphOnnx, tokenExample } from './onnx-graph.js';
import { TAGGER_PY } from './pytorch/model-py.js';
import { TAG_TRAIN_PY } from './pytorch/train-py.js';
import {
  type Evaluation,
  formatPerLine,
  isStringArray,
  type PreparedTask,
  type Predictor,
  savedValue,
  type TaskArtifacts,
  type TaskDefinition,
  type TaskSettings,
} from './task.js';

export interface TagExample {
  input: string;
  tags: string[];
}

interface Batch {
  ids: Tensor;
  lengths: number[];
  /** (batch*time) tag ids, -100 at padding */
  targets: number[];
}

const IGNORE = -100;

function tagAll(
  model: SequenceTagger,
  vocab: Vocabulary,
  inputs: readonly string[],
  tokens: Tokens,
  batchSize = 256,
): number[][] {
  const out: number[][] = [];
  noGrad(() => {
    for (let i = 0; i < inputs.length; i += batchSize) {
      const chunk = inputs.slice(i, i + batchSize).map((t) => tokenize(t, tokens));
      const { ids, lengths } = padIds(chunk.map((t) => vocab.encode(t)));
      const logits = model.forward(ids, lengths); // (batch, time, tags)
      const best = logits.argmax(2);
      const time = ids.shape[1]!;
      chunk.forEach((units, b) => out.push(Array.from({ length: units.length }, (_, t) => best[b * time + t]!)));
    }
  });
  return out;
}

export function prepareTag(
  splits: { train: TagExample[]; validation: TagExample[]; test: TagExample[] },
  settings: TaskSettings,
  generator: Generator,
  kind: 'diacritics' | 'generic',
  tokens: Tokens = 'chars',
  reread?: (file: string) => TagExample[],
): PreparedTask<Batch> {
  const train = settings.maxTrainExamples > 0 ? splits.train.slice(0, settings.maxTrainExamples) : splits.train;
  const vocab = Vocabulary.build(train.map((e) => tokenize(e.input, tokens)));
  const tagSet = [...new Set(train.flatMap((e) => e.tags))].sort();
  const tagIndex = new Map(tagSet.map((t, i) => [t, i]));
  const config: SequenceTaggerConfig = {
    vocabSize: vocab.size,
    embeddingDim: 32,
    numTags: tagSet.length,
    cell: settings.cell,
    hiddenSize: settings.hiddenSize,
    numLayers: settings.numLayers,
    bidirectional: settings.bidirectional,
    dropout: settings.dropout,
  };
  const model = new SequenceTagger(config, generator);
  const encode = (e: TagExample) => ({
    ids: vocab.encode(tokenize(e.input, tokens)),
    tags: e.tags.map((t) => tagIndex.get(t) ?? IGNORE),
  });
  const toBatch = (rows: { ids: number[]; tags: number[] }[]): Batch => {
    const { ids, lengths } = padIds(rows.map((r) => r.ids));
    const time = ids.shape[1]!;
    const targets = new Array<number>(rows.length * time).fill(IGNORE);
    rows.forEach((r, b) => r.tags.forEach((t, i) => (targets[b * time + i] = t)));
    return { ids, lengths, targets };
  };
  const encodedTrain = train.map(encode);
  const batchLoss = (batch: Batch) => {
    const logits = model.forward(batch.ids, batch.lengths);
    return crossEntropy(logits.reshape([-1, tagSet.length]), batch.targets, { ignoreIndex: IGNORE });
  };
  // Baselines: each token's most frequent tag in its context (classical), and alone (reference).
  const inContext = trainContextTagger(train.map((e) => ({ tokens: tokenize(e.input, tokens), tags: e.tags })));
  const perToken = new Map<string, string[]>();
  for (const e of train)
    tokenize(e.input, tokens).forEach((ch, i) => (perToken.get(ch) ?? perToken.set(ch, []).get(ch)!).push(e.tags[i]!));
  const overall = mostFrequent(train.flatMap((e) => e.tags))!;
  const majorityFor = new Map([...perToken].map(([ch, tags]) => [ch, mostFrequent(tags)!]));
  const score = (predicted: string[][], examples: TagExample[]) => {
    let chars = 0,
      right = 0,
      words = 0;
    examples.forEach((e, i) => {
      const ok = e.tags.map((t, k) => t === predicted[i]![k]);
      chars += ok.length;
      right += ok.filter(Boolean).length;
      if (ok.every(Boolean)) words++;
    });
    return { charAccuracy: right / Math.max(chars, 1), wordAccuracy: words / Math.max(examples.length, 1) };
  };

  const evaluateOn = (test: TagExample[]): Evaluation => {
    const predicted = tagAll(
      model,
      vocab,
      test.map((e) => e.input),
      tokens,
    ).map((row) => row.map((t) => tagSet[t]!));
    const baseline = test.map((e) => inContext(tokenize(e.input, tokens)));
    const reference = test.map((e) => tokenize(e.input, tokens).map((ch) => majorityFor.get(ch) ?? overall));
    const render = (e: TagExample, tags: string[]) =>
      kind === 'diacritics' ? applyDiacriticTags(e.input, tags) : tags.join(' ');
    const wrongFirst = test
      .map((e, i) => ({ e, i }))
      .sort(
        (a, b) =>
          Number(a.e.tags.join() === predicted[a.i]!.join()) - Number(b.e.tags.join() === predicted[b.i]!.join()),
      );
    return {
      metrics: score(predicted, test),
      baseline: score(baseline, test),
      baselineName: `most frequent tag per ${tokens === 'chars' ? 'character' : 'word'} in context`,
      reference: {
        name: `most frequent tag per ${tokens === 'chars' ? 'character' : 'word'}`,
        metrics: score(reference, test),
      },
      primary: { name: 'wordAccuracy', higherIsBetter: true },
      plots: [
        {
          kind: 'table',
          title: 'Sample predictions (errors first)',
          columns: ['input', 'expected', 'predicted', 'baseline'],
          rows: wrongFirst
            .slice(0, 12)
            .concat(wrongFirst.slice(-8))
            .map(({ e, i }) => [e.input, render(e, e.tags), render(e, predicted[i]!), render(e, baseline[i]!)]),
        },
      ],
    };
  };

  return {
    name: 'tag',
    model,
    summary: `${train.length} train / ${splits.validation.length} validation / ${splits.test.length} test sequences, ${tagSet.length} tags, ${vocab.size} characters`,
    trainBatches: (g) =>
      indexBatches(encodedTrain.length, settings.batchSize, g).map((idx) => toBatch(idx.map((i) => encodedTrain[i]!))),
    loss: batchLoss,
    validate: () => meanLoss(splits.validation.map(encode), toBatch, batchLoss),
    evaluate: () => evaluateOn(splits.test),
    ...(reread && { evaluateFile: (file: string) => evaluateOn(reread(file)) }),
    artifacts: (): TaskArtifacts => ({
      task: 'tag',
      modelConfig: { ...config },
      data: { vocabulary: vocab.toJSON(), tags: tagSet, kind, tokens },
    }),
  };
}

/** Wraps a rebuilt tagger; predicts the restored word (diacritics) or the space-separated tags. */
function tagPredictor(model: SequenceTagger, artifacts: TaskArtifacts): Predictor {
  if (artifacts.data['features'] !== undefined) return numericPredictor(model, artifacts, 'tag');
  const vocab = Vocabulary.fromJSON(artifacts.data['vocabulary'] as ReturnType<Vocabulary['toJSON']>);
  const tags = savedValue<string[]>(
    artifacts,
    'tags',
    (v) => isStringArray(v) && (v as string[]).length === model.config.numTags,
    `${model.config.numTags} tag strings`,
  );
  const diacritics = artifacts.data['kind'] === 'diacritics';
  const tokens =
    artifacts.data['tokens'] === undefined
      ? 'chars'
      : savedValue<Tokens>(artifacts, 'tokens', isTokens, "'chars' or 'words'");
  const predict = (inputs: string[]) => {
    const bases = inputs.map((s) => (diacritics ? stripDiacritics(s.trim().toLowerCase()) : s.trim()));
    return tagAll(model, vocab, bases, tokens).map((row, i) => {
      const named = row.map((t) => tags[t]!);
      return diacritics ? applyDiacriticTags(bases[i]!, named) : named.join(' ');
    });
  };
  return { task: 'tag', predict, format: formatPerLine(predict) };
}

export const tagTask: TaskDefinition<SequenceTagger, SequenceTaggerConfig> = {
  name: 'tag',
  description: 'one tag per character (embedded: words without accents -> their diacritics, 4 languages)',
  defaults: {
    epochs: 6,
    hiddenSize: 48,
    lr: 0.01,
    batchSize: 64,
    bidirectional: true,
    maxTrainExamples: 0,
    cell: 'gru',
  },
  options: [],
  sampleInputs: ['eleve', 'francais'],
  load: (input, settings, generator) => {
    const loaded = loadExamples('tag', input, generator, () => loadDiacritics());
    const reading = readingOptions(input.dataOptions);
    if (loaded.numeric)
      return prepareNumericTag(
        loaded.numeric,
        settings,
        generator,
        (file) => readOwnData(file, 'tag', reading).numeric?.examples ?? [],
      );
    const tokens = loaded.tokens.input ?? 'chars';
    return prepareTag(
      loaded.splits,
      settings,
      generator,
      input.data ? 'generic' : 'diacritics',
      tokens,
      (file) => readOwnData(file, 'tag', { ...reading, tokens: { input: tokens } }).examples,
    );
  },
  buildModel: (config) => new SequenceTagger(config),
  predictor: tagPredictor,
  onnx: singleGraphOnnx(
    (model) => tokenExample(model),
    [
      'inputs are token ids from the vocabulary in metadata recurrent.data (0 pads); outputs are logits over recurrent.data.tags',
    ],
  ),
  pytorch: {
    modelClass: { name: 'SequenceTagger', source: TAGGER_PY },
    trainSource: TAG_TRAIN_PY,
    fullConfig: (model) => ({ ...model.config }),
  },
};
