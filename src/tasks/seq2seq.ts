/**
 * seq2seq (encoder-decoder, different lengths): characters -> tokens, e.g. a word -> its
 * phonemes ("speech" -> S P IY CH). Model: Seq2Seq with attention, teacher forcing in training,
 * greedy decoding in evaluation. Metrics: token error rate (the phoneme error rate) and
 * sequence error rate, against a character-level baseline.
 */
import { loadG2P } from '../data/datasets.js';
import { loadUserData } from '../data/user-data.js';
import { Vocabulary } from '../data/vocabulary.js';
import { Seq2Seq, type Seq2SeqConfig } from '../models/seq2seq.js';
import { exportSeq2SeqOnnx } from '../onnx/export-seq2seq.js';
import type { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { crossEntropy } from '../train/losses.js';
import { indexBatches, meanLoss, padIds } from './batching.js';
import { mostFrequent, tokenErrorRate } from './metrics.js';

import { SEQ2SEQ_PY } from './pytorch/model-py.js';
import { SEQ2SEQ_TRAIN_PY } from './pytorch/train-py.js';
import { type Evaluation, formatPerLine, isPositiveInteger, type PreparedTask, type Predictor, savedValue, splitExamples, type TaskArtifacts, type TaskDefinition, type TaskSettings } from './task.js';

export interface Seq2SeqExample {
  source: string;
  target: string[];
}

interface Batch {
  source: Tensor;
  sourceLengths: number[];
  targetInput: Tensor;
  /** (batch*time) ids of the next token, 0 (padding) ignored */
  targetOutput: number[];
}

/** Most test examples decoded for the metrics (decoding is step by step). */
const MAX_EVALUATED = 1500;

function decodeAll(model: Seq2Seq, sourceVocab: Vocabulary, targetVocab: Vocabulary, sources: readonly string[], maxLength: number, beamWidth = 1): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < sources.length; i += 128) {
    const chunk = sources.slice(i, i + 128);
    const { ids, lengths } = padIds(chunk.map((s) => sourceVocab.encode([...s])));
    for (const seq of model.decode(ids, lengths, { maxLength, beamWidth })) out.push(targetVocab.decode(seq));
  }
  return out;
}

/**
 * Baseline: align letters to tokens proportionally (letter i of L to token floor(i*T/L)),
 * learn each letter's most frequent token, and predict one token per letter with repeats merged.
 */
function letterBaseline(train: readonly Seq2SeqExample[]): (source: string) => string[] {
  const votes = new Map<string, string[]>();
  for (const e of train) {
    const letters = [...e.source];
    letters.forEach((ch, i) => {
      const token = e.target[Math.floor((i * e.target.length) / letters.length)];
      if (token !== undefined) (votes.get(ch) ?? votes.set(ch, []).get(ch)!).push(token);
    });
  }
  const best = new Map([...votes].map(([ch, tokens]) => [ch, mostFrequent(tokens)!]));
  return (source) => [...source].map((ch) => best.get(ch)).filter((t): t is string => t !== undefined).filter((t, i, all) => i === 0 || t !== all[i - 1]);
}

export function prepareSeq2Seq(splits: { train: Seq2SeqExample[]; validation: Seq2SeqExample[]; test: Seq2SeqExample[] }, settings: TaskSettings, generator: Generator): PreparedTask<Batch> {
  const train = settings.maxTrainExamples > 0 ? splits.train.slice(0, settings.maxTrainExamples) : splits.train;
  const sourceVocab = Vocabulary.build(train.map((e) => [...e.source]));
  const targetVocab = Vocabulary.build(train.map((e) => e.target));
  const bos = targetVocab.indexOf('<bos>');
  const eos = targetVocab.indexOf('<eos>');
  const config: Seq2SeqConfig = {
    sourceVocabSize: sourceVocab.size, targetVocabSize: targetVocab.size, embeddingDim: 32, hiddenSize: settings.hiddenSize,
    numLayers: settings.numLayers, cell: settings.cell, bidirectionalEncoder: settings.bidirectional, attention: 'luong',
    dropout: settings.dropout, bosId: bos, eosId: eos,
  };
  const model = new Seq2Seq(config, generator);
  const maxLength = Math.max(...train.map((e) => e.target.length)) + 5;
  const encode = (e: Seq2SeqExample) => ({ source: sourceVocab.encode([...e.source]), target: targetVocab.encode(e.target) });
  const toBatch = (rows: { source: number[]; target: number[] }[]): Batch => {
    const { ids: source, lengths: sourceLengths } = padIds(rows.map((r) => r.source));
    const { ids: targetInput } = padIds(rows.map((r) => [bos, ...r.target]));
    const { ids: targetNext } = padIds(rows.map((r) => [...r.target, eos]));
    return { source, sourceLengths, targetInput, targetOutput: [...targetNext.data] };
  };
  const batchLoss = (batch: Batch) => {
    const logits = model.forward(batch.source, batch.sourceLengths, batch.targetInput);
    return crossEntropy(logits.reshape([-1, targetVocab.size]), batch.targetOutput, { ignoreIndex: 0 });
  };
  const encodedTrain = train.map(encode);
  const baseline = letterBaseline(train);
  return {
    name: 'seq2seq',
    model,
    summary: `${train.length} train / ${splits.validation.length} validation / ${splits.test.length} test pairs, ${sourceVocab.size} source and ${targetVocab.size} target tokens`,
    trainBatches: (g) => indexBatches(encodedTrain.length, settings.batchSize, g).map((idx) => toBatch(idx.map((i) => encodedTrain[i]!))),
    loss: batchLoss,
    validate: () => meanLoss(splits.validation.map(encode), toBatch, batchLoss),
    evaluate: (): Evaluation => {
      const test = splits.test.slice(0, MAX_EVALUATED);
      const predicted = decodeAll(model, sourceVocab, targetVocab, test.map((e) => e.source), maxLength);
      const naive = test.map((e) => baseline(e.source));
      const refs = test.map((e) => e.target);
      const sequenceError = (p: string[][]) => p.filter((seq, i) => seq.join(' ') !== refs[i]!.join(' ')).length / Math.max(p.length, 1);
      return {
        metrics: { tokenErrorRate: tokenErrorRate(predicted, refs), sequenceErrorRate: sequenceError(predicted) },
        baseline: { tokenErrorRate: tokenErrorRate(naive, refs), sequenceErrorRate: sequenceError(naive) },
        baselineName: 'letter-to-token majority',
        primary: { name: 'tokenErrorRate', higherIsBetter: false },
        plots: [{
          kind: 'table', title: `Sample decodes (of ${test.length} test examples)`, columns: ['source', 'expected', 'predicted', 'baseline'],
          rows: test.slice(0, 20).map((e, i) => [e.source, e.target.join(' '), predicted[i]!.join(' '), naive[i]!.join(' ')]),
        }],
      };
    },
    artifacts: (): TaskArtifacts => ({ task: 'seq2seq', modelConfig: { ...config }, data: { sourceVocabulary: sourceVocab.toJSON(), targetVocabulary: targetVocab.toJSON(), maxLength } }),
  };
}

/** Wraps a rebuilt Seq2Seq model; predicts space-separated target tokens (beam search of width 4). */
function seq2seqPredictor(model: Seq2Seq, artifacts: TaskArtifacts): Predictor {
  const sourceVocab = Vocabulary.fromJSON(artifacts.data['sourceVocabulary'] as ReturnType<Vocabulary['toJSON']>);
  const targetVocab = Vocabulary.fromJSON(artifacts.data['targetVocabulary'] as ReturnType<Vocabulary['toJSON']>);
  const maxLength = savedValue<number>(artifacts, 'maxLength', isPositiveInteger, 'a positive integer');
  const predict = (inputs: string[]) => decodeAll(model, sourceVocab, targetVocab, inputs.map((s) => s.trim().toLowerCase()), maxLength, 4).map((t) => t.join(' '));
  return { task: 'seq2seq', predict, format: formatPerLine(predict) };
}

export const seq2seqTask: TaskDefinition<Seq2Seq, Seq2SeqConfig> = {
  name: 'seq2seq',
  description: 'sequence -> sequence of another length (embedded: English word -> phonemes)',
  defaults: { epochs: 8, hiddenSize: 64, lr: 0.01, batchSize: 64, bidirectional: false, maxTrainExamples: 12000, cell: 'gru' },
  options: [],
  sampleInputs: ['speech', 'table'],
  load: (input, settings, generator) => {
    const examples = input.data ? loadUserData(input.data, 'seq2seq') : loadG2P().map((e) => ({ source: e.word, target: e.phonemes }));
    return prepareSeq2Seq(splitExamples(examples, generator), settings, generator);
  },
  buildModel: (config) => new Seq2Seq(config),
  predictor: seq2seqPredictor,
  onnx: {
    graphs: ['encoder.onnx', 'decoder_step.onnx'],
    notes: [
      'source ids come from recurrent.data.sourceVocabulary (0 pads); run encoder.onnx once, then decoder_step.onnx from previous = bosId, feeding new_h/new_c back and the memory tensors unchanged, until eosId',
    ],
    write: (model, outDir, metadata) => {
      // An encoder-decoder is two graphs: the caller runs the decoding loop over decoder_step.
      const { encoder, decoderStep } = exportSeq2SeqOnnx(model, new Tensor(Float32Array.of(1, 1), [1, 2]), [2], outDir, { metadata });
      return [encoder, decoderStep];
    },
  },
  pytorch: { modelClass: { name: 'Seq2Seq', source: SEQ2SEQ_PY }, trainSource: SEQ2SEQ_TRAIN_PY, fullConfig: (model) => ({ ...model.config }) },
};
