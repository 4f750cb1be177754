/**
 * seq2seq (encoder-decoder, different lengths): tokens -> tokens, e.g. a word -> its phonemes
 * ("speech" -> S P IY CH) or a sum -> its digits ("535+61" -> 5 9 6). Each side is read as
 * characters or words (--source-tokens / --target-tokens, auto by default). Model: Seq2Seq with
 * attention, or an ensemble of them (--ensemble: each member trained on its own loss, decoded
 * together), teacher forcing in training, greedy decoding in evaluation (or --beam-width). Metrics: exact match
 * (whole sequences right), token error rate and sequence error rate; for letters -> phonemes
 * (g2p) also the phoneme and word error rates (PER = token error rate, WER = sequence error
 * rate), against the nearest training source by edit distance.
 *
 * Rows that share a source (a word's alternate pronunciations) are one item with several
 * references: the split keeps them in one part, and scoring decodes each source once and counts
 * it right if it equals any of its references, its token errors against the nearest one
 * (multiReferenceErrors), as g2p-seq2seq and Phonetisaurus score CMUdict.
 */
import { loadG2P } from '../data/datasets.js';
import { readOwnData } from '../data/user-data.js';
import { isTokens, joinTokens, tokenize, type Tokens } from '../data/tokens.js';
import { trainNearestNeighbour } from '../baselines/nearest-neighbour.js';
import { loadExamples, readingOptions } from './own-data.js';
import { Vocabulary } from '../data/vocabulary.js';
import { ATTENTION_KINDS, type AttentionKind } from '../models/attention.js';
import { Seq2Seq, type Seq2SeqConfig } from '../models/seq2seq.js';
import { Seq2SeqEnsemble, type Seq2SeqEnsembleConfig } from '../models/seq2seq-ensemble.js';
import { exportSeq2SeqOnnx } from '../onnx/export-seq2seq.js';
import type { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { crossEntropy } from '../train/losses.js';
import { indexBatches, lengthBucketedBatches, meanLoss, PackedSequences, padIds } from './batching.js';
import { multiReferenceErrors } from './metrics.js';
import { ValueError } from '../errors.js';
import { SEQ2SEQ_PY } from './pytorch/model-py.js';
import { SEQ2SEQ_TRAIN_PY } from './pytorch/train-py.js';
import {
  type Evaluation,
  formatPerLine,
  isPositiveInteger,
  oneOfOption,
  positiveIntegerOption,
  type PreparedTask,
  type Predictor,
  savedValue,
  type TaskArtifacts,
  type TaskDefinition,
  type TaskOption,
  type TaskSettings,
} from './task.js';

/** The seq2seq task's own settings (its command-line options). */
export interface Seq2SeqOptions {
  /** Decoder attention over the encoder outputs (default 'luong'). */
  attention: AttentionKind;
  /** Beam width of the decoding that evaluation and predict use (default: greedy evaluation, predict 4). */
  beamWidth?: number;
  /** Rows of a repeated source used in training (default 'all'); scoring always uses every row. */
  alternates?: Alternates;
  /** Training batches of similar lengths (lengthBucketedBatches) instead of shuffled ones (default false). */
  lengthBuckets?: boolean;
  /** What ranks the rounds' checkpoints (default 'loss'): see SELECT_BY. */
  selectBy?: SelectBy;
  /** Label smoothing ε of the training loss (default 0); validation and scoring use the plain loss. */
  labelSmoothing?: number;
  /** Members of an ensemble trained side by side and decoded together (default 1: one model). */
  ensemble?: number;
  /** How the members train (default 'together'): see ENSEMBLE_TRAINING. */
  ensembleTraining?: EnsembleTraining;
}

/**
 * How an ensemble's members train: 'together', in one thread on the same batches in lockstep
 * (each on its own loss, the gradient norm clipped over all of them), or 'parallel', each alone
 * on its own worker thread (the same batches in the same order, its own clipping, its own best
 * checkpoint by its own validation loss). The step's JavaScript (autograd, dropout, the optimizer)
 * runs on one thread, so in lockstep two members used 1.3 of 2 cores; in parallel they made about
 * 13 passes each in the G2P recipe's 30 minutes against 10 (docs/recipes.md, run T).
 */
export const ENSEMBLE_TRAINING = ['together', 'parallel'] as const;
export type EnsembleTraining = (typeof ENSEMBLE_TRAINING)[number];

/** The task's model: one Seq2Seq, or an ensemble of them (--ensemble). */
type Seq2SeqModel = Seq2Seq | Seq2SeqEnsemble;

/** The model as one Seq2Seq for an export, or an error: an ensemble has no ONNX or PyTorch export. */
const singleModel = (model: Seq2SeqModel, format: string): Seq2Seq => {
  if (model instanceof Seq2SeqEnsemble)
    throw new ValueError(
      'export',
      `this model is an ensemble of ${model.members.length} seq2seq models (trained with --ensemble ${model.members.length}); the ${format} export takes one model: train without --ensemble to export`,
    );
  return model;
};

/** Which rows of a repeated source train the model: all of them, or the first in the file only. */
export const ALTERNATES = ['all', 'first'] as const;
export type Alternates = (typeof ALTERNATES)[number];

/**
 * The validation metric of each round: the teacher-forced loss, or the sequence error rate of
 * greedy decodes (the word error rate for g2p). The loss is cheaper, but it does not rank the
 * checkpoints as the error rate does once the model overfits: a late G2P checkpoint with a higher
 * loss decoded more words right.
 */
export const SELECT_BY = ['loss', 'errors'] as const;
export type SelectBy = (typeof SELECT_BY)[number];

const SEQ2SEQ_OPTIONS: readonly TaskOption[] = [
  {
    flag: 'attention',
    key: 'attention',
    description: `decoder attention: ${ATTENTION_KINDS.join(' | ')} (default luong)`,
    parse: oneOfOption('attention', ATTENTION_KINDS),
  },
  {
    flag: 'beam-width',
    key: 'beamWidth',
    description: 'beam width of the decoding in evaluation and predict (default: 1 in evaluation, 4 in predict)',
    parse: positiveIntegerOption('beam-width'),
  },
  {
    flag: 'alternates',
    key: 'alternates',
    description:
      'rows that repeat a source (alternate pronunciations): all train the model, or only the first (all | first, default all); evaluation scores against all of them',
    parse: oneOfOption('alternates', ALTERNATES),
  },
  {
    flag: 'length-buckets',
    key: 'lengthBuckets',
    description:
      'training batches of similar lengths, less padding (yes | no, default no; on a small set with a high learning rate it learned worse)',
    parse: (value) => {
      // 'true'/'false': the parsed value, as saved with a run and read back on --resume.
      if (!['yes', 'no', 'true', 'false'].includes(value))
        throw new ValueError('train', `--length-buckets must be yes or no, got '${value}'`);
      return value === 'yes' || value === 'true';
    },
  },
  {
    flag: 'select-by',
    key: 'selectBy',
    description:
      'what ranks the checkpoints each round on the validation subset: loss (teacher-forced cross-entropy) | errors (share of sources whose greedy decode matches none of their references; coarse on a small validation set, where ties count as no improvement for --schedule plateau and --patience) (default loss)',
    parse: oneOfOption('select-by', SELECT_BY),
  },
  {
    flag: 'label-smoothing',
    key: 'labelSmoothing',
    description:
      'label smoothing ε of the training loss, in [0, 1): the target is (1 - ε)·one-hot + ε/classes (default 0; the validation loss stays plain cross-entropy)',
    parse: (value) => {
      const x = Number(value);
      if (!(x >= 0 && x < 1))
        throw new ValueError('train', `--label-smoothing must be a number in [0, 1), got '${value}'`);
      return x;
    },
  },
  {
    flag: 'ensemble',
    key: 'ensemble',
    description:
      'train N models side by side on the same batches (each its own loss, different initial weights) and decode with the mean of their next-token probabilities (default 1; each step costs N times as much; no ONNX or PyTorch export)',
    parse: positiveIntegerOption('ensemble'),
  },
  {
    flag: 'ensemble-training',
    key: 'ensembleTraining',
    description: `how --ensemble members train: ${ENSEMBLE_TRAINING.join(' | ')} (together: in lockstep on one thread; parallel: each alone on its own thread, faster on several cores; default together)`,
    parse: oneOfOption('ensemble-training', ENSEMBLE_TRAINING),
  },
];

export interface Seq2SeqExample {
  source: string;
  target: string[];
}

interface Batch {
  source: Tensor;
  sourceLengths: number[];
  targetInput: Tensor;
  /**
   * (batch*time) ids of the next token, 0 (padding) ignored. A typed array: a pass's batches are
   * built up front, and as plain arrays their ids were 700k heap objects on the full CMUdict,
   * marked by every full garbage collection of the run.
   */
  targetOutput: Int32Array;
}

/**
 * Most test sources (words) decoded for the end-of-training metrics (decoding is step by step):
 * all of a CMUdict test part (11,748 words, about 50 CPU-seconds with a beam of 4), a sample of
 * a larger one; `recurrent evaluate` scores every row of a file.
 */
const MAX_EVALUATED = 20000;

/**
 * Validation rows whose loss is computed each round (the first ones of the shuffled validation
 * part, whole sources): a fixed subset, enough to rank checkpoints, at a fraction of the cost.
 */
export const VALIDATION_ROUND_ROWS = 2000;

/** The first sources of `items` whose rows add up to at most `rows` (at least one source). */
function firstSources(items: readonly MultiReferenceItem[], rows: number): MultiReferenceItem[] {
  let used = 0;
  let n = 0;
  while (n < items.length && (n === 0 || used + items[n]!.references.length <= rows))
    used += items[n++]!.references.length;
  return items.slice(0, n);
}

/** One source with every reference of its rows, in file order. */
export interface MultiReferenceItem {
  source: string;
  references: string[][];
}

/** Groups examples by source (first appearance order), gathering their targets as references. */
export function groupBySource(examples: readonly Seq2SeqExample[]): MultiReferenceItem[] {
  const items = new Map<string, MultiReferenceItem>();
  for (const e of examples) {
    const item = items.get(e.source);
    if (item) item.references.push(e.target);
    else items.set(e.source, { source: e.source, references: [e.target] });
  }
  return [...items.values()];
}

/** The first row of each source, in order. */
function firstOfEachSource(examples: readonly Seq2SeqExample[]): Seq2SeqExample[] {
  const seen = new Set<string>();
  return examples.filter((e) => !seen.has(e.source) && seen.add(e.source));
}

function decodeAll(
  model: Seq2SeqModel,
  sourceVocab: Vocabulary,
  targetVocab: Vocabulary,
  sources: readonly string[],
  maxLength: number,
  sourceTokens: Tokens,
  beamWidth = 1,
): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < sources.length; i += 128) {
    const chunk = sources.slice(i, i + 128);
    const { ids, lengths } = padIds(chunk.map((s) => sourceVocab.encode(tokenize(s, sourceTokens))));
    for (const seq of model.decode(ids, lengths, { maxLength, beamWidth })) out.push(targetVocab.decode(seq));
  }
  return out;
}

/** How the two sides are read, and whether inputs are lower-cased (the embedded g2p set is lower-case). */
export interface Seq2SeqReading {
  source: Tokens;
  target: Tokens;
  lowercase: boolean;
}

/**
 * Exact match, token and sequence error rates, each item scored against all its references
 * (right if it equals any; token errors against the nearest, multiReferenceErrors); for
 * letters -> symbols (g2p) also PER and WER (the same figures under their G2P names).
 */
export function seq2seqMetrics(
  predicted: readonly (readonly string[])[],
  references: readonly (readonly (readonly string[])[])[],
  g2p: boolean,
): Record<string, number> {
  const { sequenceErrorRate: wrong, tokenErrorRate: ter } = multiReferenceErrors(predicted, references);
  return {
    exactMatch: 1 - wrong,
    tokenErrorRate: ter,
    sequenceErrorRate: wrong,
    ...(g2p && { phonemeErrorRate: ter, wordErrorRate: wrong }),
  };
}

export function prepareSeq2Seq(
  splits: { train: Seq2SeqExample[]; validation: Seq2SeqExample[]; test: Seq2SeqExample[] },
  settings: TaskSettings,
  generator: Generator,
  reading: Seq2SeqReading = { source: 'chars', target: 'words', lowercase: true },
  reread?: (file: string) => Seq2SeqExample[],
  options: Seq2SeqOptions = { attention: 'luong' },
): PreparedTask<Batch> {
  const rows = options.alternates === 'first' ? firstOfEachSource(splits.train) : splits.train;
  const train = settings.maxTrainExamples > 0 ? rows.slice(0, settings.maxTrainExamples) : rows;
  const sourceVocab = Vocabulary.build(train.map((e) => tokenize(e.source, reading.source)));
  const targetVocab = Vocabulary.build(train.map((e) => e.target));
  const bos = targetVocab.indexOf('<bos>');
  const eos = targetVocab.indexOf('<eos>');
  const config: Seq2SeqConfig = {
    sourceVocabSize: sourceVocab.size,
    targetVocabSize: targetVocab.size,
    embeddingDim: 32,
    hiddenSize: settings.hiddenSize,
    numLayers: settings.numLayers,
    cell: settings.cell,
    bidirectionalEncoder: settings.bidirectional,
    attention: options.attention,
    dropout: settings.dropout,
    bosId: bos,
    eosId: eos,
  };
  const members = options.ensemble ?? 1;
  const member = settings.ensembleMember;
  const model: Seq2SeqModel =
    member !== undefined
      ? // Member k alone, with the initial weights it has in the whole ensemble.
        new Seq2SeqEnsemble({ ...config, members }, generator).members[member]!
      : members > 1
        ? new Seq2SeqEnsemble({ ...config, members }, generator)
        : new Seq2Seq(config, generator);
  const maxLength = Math.max(...train.map((e) => e.target.length)) + 5;
  const encode = (e: Seq2SeqExample) => ({
    source: sourceVocab.encode(tokenize(e.source, reading.source)),
    target: targetVocab.encode(e.target),
  });
  const toBatch = (rows: { source: ArrayLike<number>; target: ArrayLike<number> }[]): Batch => {
    const { ids: source, lengths: sourceLengths } = padIds(rows.map((r) => r.source));
    const { ids: targetInput } = padIds(rows.map((r) => [bos, ...Array.from(r.target)]));
    const { ids: targetNext } = padIds(rows.map((r) => [...Array.from(r.target), eos]));
    return { source, sourceLengths, targetInput, targetOutput: Int32Array.from(targetNext.data) };
  };
  /** Cross-entropy of logits (batch, T, targetVocab) against the batch's next tokens, padding ignored. */
  const lossOf = (logits: Tensor, batch: Batch, labelSmoothing = 0) =>
    crossEntropy(logits.reshape([-1, targetVocab.size]), batch.targetOutput, { ignoreIndex: 0, labelSmoothing });
  // Training: each member of an ensemble learns from its own loss (their mean), as if alone.
  const trainingLoss = (batch: Batch): Tensor => {
    const { source, sourceLengths, targetInput } = batch;
    const smoothing = options.labelSmoothing ?? 0;
    if (!(model instanceof Seq2SeqEnsemble))
      return lossOf(model.forward(source, sourceLengths, targetInput), batch, smoothing);
    const losses = model.memberLogits(source, sourceLengths, targetInput).map((l) => lossOf(l, batch, smoothing));
    return losses.reduce((sum, l) => sum.add(l)).div(losses.length);
  };
  // Validation: the plain cross-entropy of what decoding uses (an ensemble's mean probability).
  const batchLoss = (batch: Batch): Tensor =>
    lossOf(model.forward(batch.source, batch.sourceLengths, batch.targetInput), batch);
  const encoded = train.map(encode);
  const trainSources = new PackedSequences(encoded.map((e) => e.source));
  const trainTargets = new PackedSequences(encoded.map((e) => e.target));
  const trainLengths = encoded.map((e) => e.source.length + e.target.length);
  const trainRow = (i: number) => ({ source: trainSources.row(i), target: trainTargets.row(i) });
  const validationRows = splits.validation.slice(0, VALIDATION_ROUND_ROWS).map(encode);
  // With --select-by errors: the whole sources of the validation subset, decoded every round.
  const validationItems =
    options.selectBy === 'errors' ? firstSources(groupBySource(splits.validation), VALIDATION_ROUND_ROWS) : [];
  const validationSources = validationItems.map((e) => e.source);
  const validationReferences = validationItems.map((e) => e.references);
  const testExamples = splits.test; // the closures below keep this part only, not the raw training rows
  // Built on first use (the evaluation after training), from the packed ids, which decode to the
  // training rows' tokens (the vocabularies hold every one of them): its index is hundreds of
  // thousands of small arrays that every full garbage collection during training would mark, and
  // the rows themselves are not kept.
  let neighbourOf: ((source: readonly string[]) => string[]) | null = null;
  const neighbour = (source: readonly string[]) => {
    neighbourOf ??= trainNearestNeighbour(
      Array.from({ length: trainSources.length }, (_, i) => ({
        source: sourceVocab.decode(trainSources.row(i)),
        target: targetVocab.decode(trainTargets.row(i)),
      })),
    );
    return neighbourOf(source);
  };
  const g2p = reading.source === 'chars' && reading.target === 'words';
  const show = (tokens: readonly string[]) => joinTokens(tokens, reading.target);
  /** Scores the first `limit` sources of `examples` (all rows of a source as its references). */
  const evaluateOn = (examples: readonly Seq2SeqExample[], limit = Number.POSITIVE_INFINITY): Evaluation => {
    const test = groupBySource(examples).slice(0, limit);
    const predicted = decodeAll(
      model,
      sourceVocab,
      targetVocab,
      test.map((e) => e.source),
      maxLength,
      reading.source,
      options.beamWidth ?? 1,
    );
    const naive = test.map((e) => neighbour(tokenize(e.source, reading.source)));
    const refs = test.map((e) => e.references);
    return {
      metrics: seq2seqMetrics(predicted, refs, g2p),
      baseline: seq2seqMetrics(naive, refs, g2p),
      baselineName: 'nearest neighbour (edit distance)',
      primary: { name: 'tokenErrorRate', higherIsBetter: false },
      plots: [
        {
          kind: 'table',
          title: `Sample decodes (of ${test.length} test sources)`,
          columns: ['source', 'expected (any of)', 'predicted', 'baseline'],
          rows: test
            .slice(0, 20)
            .map((e, i) => [e.source, e.references.map(show).join(' | '), show(predicted[i]!), show(naive[i]!)]),
        },
      ],
    };
  };
  return {
    name: 'seq2seq',
    model,
    summary: `${train.length} train / ${splits.validation.length} validation / ${splits.test.length} test pairs, ${sourceVocab.size} source and ${targetVocab.size} target tokens`,
    // With length buckets, batches of similar lengths: a random batch of CMUdict words was padded to 1.85 times its letters.
    trainBatches: (g) =>
      (options.lengthBuckets
        ? lengthBucketedBatches(trainLengths, settings.batchSize, g)
        : indexBatches(trainSources.length, settings.batchSize, g)
      ).map((idx) => toBatch(idx.map(trainRow))),
    loss: trainingLoss,
    validate: () =>
      options.selectBy === 'errors'
        ? multiReferenceErrors(
            decodeAll(model, sourceVocab, targetVocab, validationSources, maxLength, reading.source),
            validationReferences,
          ).sequenceErrorRate
        : meanLoss(validationRows, toBatch, batchLoss),
    evaluate: () => evaluateOn(testExamples, MAX_EVALUATED),
    ...(reread && { evaluateFile: (file: string) => evaluateOn(reread(file)) }),
    artifacts: (): TaskArtifacts => ({
      task: 'seq2seq',
      modelConfig: members > 1 ? { ...config, members } : { ...config },
      data: {
        sourceVocabulary: sourceVocab.toJSON(),
        targetVocabulary: targetVocab.toJSON(),
        maxLength,
        tokens: { source: reading.source, target: reading.target },
        lowercase: reading.lowercase,
        ...(options.beamWidth !== undefined && { beamWidth: options.beamWidth }),
      },
    }),
  };
}

/** Wraps a rebuilt Seq2Seq model; predicts space-separated target tokens (beam search of the saved width, else 4). */
function seq2seqPredictor(model: Seq2SeqModel, artifacts: TaskArtifacts): Predictor {
  const sourceVocab = Vocabulary.fromJSON(artifacts.data['sourceVocabulary'] as ReturnType<Vocabulary['toJSON']>);
  const targetVocab = Vocabulary.fromJSON(artifacts.data['targetVocabulary'] as ReturnType<Vocabulary['toJSON']>);
  const maxLength = savedValue<number>(artifacts, 'maxLength', isPositiveInteger, 'a positive integer');
  // Models saved before token modes read characters -> words and lower-cased the input.
  const saved = (artifacts.data['tokens'] ?? { source: 'chars', target: 'words' }) as {
    source: unknown;
    target: unknown;
  };
  if (!isTokens(saved.source) || !isTokens(saved.target))
    throw new ValueError('config.json', "data.tokens must be { source, target }, each 'chars' or 'words'");
  const lowercase = artifacts.data['lowercase'] !== false;
  const beamWidth =
    artifacts.data['beamWidth'] === undefined
      ? 4
      : savedValue<number>(artifacts, 'beamWidth', isPositiveInteger, 'a positive integer');
  const predict = (inputs: string[]) =>
    decodeAll(
      model,
      sourceVocab,
      targetVocab,
      inputs.map((s) => (lowercase ? s.trim().toLowerCase() : s.trim())),
      maxLength,
      saved.source as Tokens,
      beamWidth,
    ).map((t) => joinTokens(t, saved.target as Tokens));
  return { task: 'seq2seq', predict, format: formatPerLine(predict) };
}

export const seq2seqTask: TaskDefinition<Seq2SeqModel, Seq2SeqConfig | Seq2SeqEnsembleConfig> = {
  name: 'seq2seq',
  description: 'sequence -> sequence of another length (embedded: English word -> phonemes)',
  defaults: {
    epochs: 8,
    hiddenSize: 64,
    lr: 0.01,
    batchSize: 64,
    bidirectional: false,
    maxTrainExamples: 12000,
    cell: 'gru',
  },
  options: SEQ2SEQ_OPTIONS,
  sampleInputs: ['speech', 'table'],
  load: (input, settings, generator) => {
    const loaded = loadExamples(
      'seq2seq',
      input,
      generator,
      () => loadG2P().map((e) => ({ source: e.word, target: e.phonemes })),
      undefined,
      (e) => e.source,
    );
    const reading: Seq2SeqReading = {
      source: loaded.tokens.source ?? 'chars',
      target: loaded.tokens.target ?? 'words',
      lowercase: input.data === undefined,
    };
    const options = readingOptions(input.dataOptions);
    const own: Seq2SeqOptions = {
      attention: (input.options['attention'] as AttentionKind | undefined) ?? 'luong',
      ...(typeof input.options['beamWidth'] === 'number' && { beamWidth: input.options['beamWidth'] }),
      ...(input.options['alternates'] !== undefined && { alternates: input.options['alternates'] as Alternates }),
      ...(input.options['lengthBuckets'] === true && { lengthBuckets: true }),
      ...(input.options['selectBy'] !== undefined && { selectBy: input.options['selectBy'] as SelectBy }),
      ...(typeof input.options['labelSmoothing'] === 'number' && { labelSmoothing: input.options['labelSmoothing'] }),
      ...(typeof input.options['ensemble'] === 'number' && { ensemble: input.options['ensemble'] }),
      ...(input.options['ensembleTraining'] !== undefined && {
        ensembleTraining: input.options['ensembleTraining'] as EnsembleTraining,
      }),
    };
    if (own.ensembleTraining === 'parallel' && (own.ensemble ?? 1) === 1)
      input.onNotice?.('--ensemble-training parallel: one model (--ensemble 1), so it trains as usual');
    return prepareSeq2Seq(
      loaded.splits,
      settings,
      generator,
      reading,
      (file) =>
        readOwnData(file, 'seq2seq', { ...options, tokens: { source: reading.source, target: reading.target } })
          .examples,
      own,
    );
  },
  parallelMembers: (options) =>
    options['ensembleTraining'] === 'parallel' && typeof options['ensemble'] === 'number' && options['ensemble'] > 1
      ? options['ensemble']
      : 0,
  buildModel: (config) =>
    'members' in config && config.members > 1 ? new Seq2SeqEnsemble(config) : new Seq2Seq(config),
  predictor: seq2seqPredictor,
  onnx: {
    graphs: ['encoder.onnx', 'decoder_step.onnx'],
    notes: [
      'source ids come from recurrent.data.sourceVocabulary (0 pads); run encoder.onnx once, then decoder_step.onnx from previous = bosId, feeding new_h/new_c back and the memory tensors unchanged, until eosId',
    ],
    write: (model, outDir, metadata) => {
      // An encoder-decoder is two graphs: the caller runs the decoding loop over decoder_step.
      const { encoder, decoderStep } = exportSeq2SeqOnnx(
        singleModel(model, 'ONNX'),
        new Tensor(Float32Array.of(1, 1), [1, 2]),
        [2],
        outDir,
        { metadata },
      );
      return [encoder, decoderStep];
    },
  },
  pytorch: {
    modelClass: { name: 'Seq2Seq', source: SEQ2SEQ_PY },
    trainSource: SEQ2SEQ_TRAIN_PY,
    fullConfig: (model) => ({ ...singleModel(model, 'PyTorch').config }),
  },
};
