/**
 * generate (language model): the next character or word of a plain text, trained as char-rnn
 * (truncated BPTT over parallel streams, the state carried across chunks) or on random windows.
 * Model: LanguageModel. The text's last 10% is held out, read as streams with carried state:
 * 5% for validation, then 5% for the test. Metrics: bits per character (chars) or perplexity and
 * bits per word (words), against an interpolated Kneser-Ney n-gram of the same tokens (5-gram for
 * characters, 3-gram for words) and an add-one unigram. `recurrent generate MODEL_DIR` samples.
 */
import { loadTextCorpus, loadTextFile } from '../data/text-corpus.js';
import { TextTokenizer, TOKEN_LEVELS, type TokenLevel } from '../data/text-tokenizer.js';
import { ValueError } from '../errors.js';
import { LanguageModel, type LanguageModelConfig } from '../models/language-model.js';
import { KneserNey, unigramScore } from '../models/ngram.js';
import { exportLanguageModelOnnx } from '../onnx/export-language-model.js';
import { GENERATE_TRAIN_PY, LANGUAGE_MODEL_PY } from './pytorch/language-model-py.js';
import type { Generator } from '../tensor/random.js';
import { scoreStream, type StreamScore, streamScore } from '../train/lm-score.js';
import { CarriedState, randomWindows, streamChunks, type TokenBatch } from '../train/streams.js';
import {
  type Evaluation,
  oneOfOption,
  positiveIntegerOption,
  type PreparedTask,
  type Predictor,
  type TaskArtifacts,
  type TaskDefinition,
  type TaskOption,
  type TaskSettings,
} from './task.js';

export type Batching = 'streams' | 'windows';

export interface GenerateSettings {
  tokens: TokenLevel;
  /** Use the embedding table as the output layer's weight (the embedding then has the hidden size). */
  tieWeights?: boolean;
  /** Steps per chunk (truncated BPTT length). */
  bptt: number;
  batching: Batching;
}

/** Parallel streams used to read held-out text (more is faster; each stream's first token is not scored). */
const HELD_OUT_STREAMS = 16;
const NGRAM_ORDER: Record<TokenLevel, number> = { chars: 5, words: 3 };

/** The metrics of a score: bits per character, or perplexity and bits per word. */
export function lmMetrics(score: StreamScore, level: TokenLevel): Record<string, number> {
  return level === 'chars'
    ? { bitsPerChar: score.bitsPerToken }
    : { perplexity: score.perplexity, bitsPerWord: score.bitsPerToken };
}

export function prepareGenerate(
  text: string,
  source: string,
  settings: TaskSettings,
  generator: Generator,
  options: GenerateSettings,
): PreparedTask<TokenBatch> {
  if (settings.bidirectional)
    throw new ValueError(
      'train',
      '--task generate predicts the next token from the past only: --bidirectional does not apply',
    );
  const { tokens: level, bptt, batching } = options;
  const pieces = TextTokenizer.split(text, level);
  const trainEnd = Math.floor(pieces.length * 0.9);
  const validationEnd = Math.floor(pieces.length * 0.95);
  if (pieces.length - validationEnd < 2 * HELD_OUT_STREAMS || trainEnd < settings.batchSize * 2) {
    throw new ValueError(
      'train',
      `${source} has ${pieces.length} ${level === 'chars' ? 'characters' : 'words'}: too few for a language model (need at least ${Math.max(40 * HELD_OUT_STREAMS, settings.batchSize * 3)})`,
    );
  }
  const tokenizer = TextTokenizer.build(pieces.slice(0, trainEnd).join(level === 'words' ? ' ' : ''), level);
  const ids = tokenizer.encode(text);
  let train = ids.slice(0, trainEnd);
  if (settings.maxTrainExamples > 0) train = train.slice(0, settings.maxTrainExamples);
  const validation = ids.slice(trainEnd, validationEnd);
  const test = ids.slice(validationEnd);
  const config: LanguageModelConfig = {
    vocabSize: tokenizer.size,
    embeddingDim: level === 'chars' && !options.tieWeights ? Math.min(64, settings.hiddenSize) : settings.hiddenSize,
    cell: settings.cell,
    hiddenSize: settings.hiddenSize,
    numLayers: settings.numLayers,
    dropout: settings.dropout,
    tieWeights: options.tieWeights ?? false,
  };
  const model = new LanguageModel(config, generator);
  model.codec = tokenizer;
  const carried = new CarriedState();
  const windowsPerEpoch = Math.max(1, Math.floor(train.length / (settings.batchSize * bptt)));
  const unit = level === 'chars' ? 'characters' : 'words';
  const order = NGRAM_ORDER[level];
  let ngram: KneserNey | null = null; // fitted once, when first needed
  /** The model against the n-gram and unigram baselines on held-out ids, with a sample after their first 40 tokens. */
  const evaluateIds = (ids: readonly number[], what: string, streams: number): Evaluation => {
    const score = scoreStream(model, ids, { streams });
    ngram ??= KneserNey.fit(train, { order, vocabSize: tokenizer.size });
    const kn = ngram.score(ids);
    const unigram = unigramScore(train, ids, tokenizer.size);
    const rows: [string, StreamScore][] = [
      [model.describe(), score],
      [`interpolated Kneser-Ney ${order}-gram`, streamScore(kn.nll, kn.count)],
      ['add-one unigram', streamScore(unigram.nll, unigram.count)],
    ];
    const prompt = tokenizer.decodeAll(ids.slice(0, 40));
    const session = model.session({ temperature: 0.8, seed: 0 });
    session.feed(prompt);
    const sample = Array.from({ length: level === 'chars' ? 300 : 60 }, () => session.step().text).join('');
    return {
      metrics: lmMetrics(score, level),
      baseline: lmMetrics(streamScore(kn.nll, kn.count), level),
      baselineName: `interpolated Kneser-Ney ${order}-gram`,
      primary: { name: level === 'chars' ? 'bitsPerChar' : 'perplexity', higherIsBetter: false },
      plots: [
        {
          kind: 'table',
          title: what,
          columns: ['model', `bits per ${level === 'chars' ? 'character' : 'word'}`, 'perplexity'],
          rows: rows.map(([name, s]) => [name, s.bitsPerToken.toFixed(3), s.perplexity.toFixed(2)]),
        },
        {
          kind: 'table',
          title: 'Sample (temperature 0.8, seed 0), after the first 40 held-out tokens',
          columns: ['prompt', 'generated'],
          rows: [[prompt, sample]],
        },
      ],
    };
  };
  return {
    name: 'generate',
    model,
    summary: `${source}: ${train.length} training / ${validation.length} validation / ${test.length} test ${unit}, ${tokenizer.size} tokens in the vocabulary; ${batching === 'streams' ? `${settings.batchSize} streams` : `${settings.batchSize} random windows`} of ${bptt} steps`,
    trainBatches: (g) =>
      batching === 'streams'
        ? streamChunks(train, settings.batchSize, bptt)
        : randomWindows(train, settings.batchSize, bptt, windowsPerEpoch, g),
    loss: (batch) => carried.loss(model, batch),
    validate: () => scoreStream(model, validation, { streams: HELD_OUT_STREAMS }).bitsPerToken,
    evaluate: () => evaluateIds(test, `Held-out ${unit} (the last 5% of the text)`, HELD_OUT_STREAMS),
    evaluateFile: (file) =>
      evaluateIds(tokenizer.encode(loadTextFile(file)), `${file} (${unit}, read as one stream)`, 1),
    artifacts: (): TaskArtifacts => ({
      task: 'generate',
      modelConfig: { ...config },
      data: { tokenizer: tokenizer.toJSON(), bptt, batching },
    }),
  };
}

function generatePredictor(model: LanguageModel, artifacts: TaskArtifacts): Predictor {
  const tokenizer = TextTokenizer.fromJSON(artifacts.data['tokenizer']);
  model.codec = tokenizer;
  const predict = (prompts: string[]) =>
    prompts.map((prompt) => {
      const session = model.session({ temperature: 0.8, seed: 0 });
      session.feed(prompt.length > 0 ? prompt : '\n');
      return Array.from({ length: tokenizer.level === 'chars' ? 200 : 40 }, () => session.step().text).join('');
    });
  return {
    task: 'generate',
    predict,
    // `recurrent serve`'s POST /generate: the tokens of one prompt as they are drawn.
    async *stream(prompt, signal) {
      for await (const token of model.generate(prompt.length > 0 ? prompt : '\n', {
        length: tokenizer.level === 'chars' ? 200 : 40,
        temperature: 0.8,
        seed: 0,
      })) {
        if (signal.aborted) return;
        yield token.text;
      }
    },
    format: (lines, json) =>
      predict(lines)
        .map((p, i) => (json ? JSON.stringify({ input: lines[i], prediction: p }) : `${lines[i]}${p}`))
        .join('\n')
        .concat('\n'),
  };
}

const GENERATE_OPTIONS: readonly TaskOption[] = [
  {
    flag: 'tokens',
    key: 'tokens',
    description: 'chars | words: what a token is (default chars)',
    parse: oneOfOption('tokens', TOKEN_LEVELS),
  },
  {
    flag: 'bptt',
    key: 'bptt',
    description: 'steps per chunk of truncated backpropagation through time (default 64)',
    parse: positiveIntegerOption('bptt'),
  },
  {
    flag: 'batching',
    key: 'batching',
    description:
      'streams (char-rnn: batch-size parallel streams, state carried across chunks) | windows (random windows, state reset) (default streams)',
    parse: (value) => {
      if (value !== 'streams' && value !== 'windows')
        throw new ValueError('train', `--batching must be streams or windows, got '${value}'`);
      return value;
    },
  },
  {
    flag: 'tie-weights',
    key: 'tieWeights',
    description: 'yes | no: the output layer uses the embedding table as its weight (default no)',
    parse: (value) => {
      // Also the parsed value written back as text ('true'/'false'): options given through the API are parsed too.
      if (value === 'yes' || value === 'true') return true;
      if (value === 'no' || value === 'false') return false;
      throw new ValueError('train', `--tie-weights must be yes or no, got '${value}'`);
    },
  },
];

export const generateTask: TaskDefinition<LanguageModel, LanguageModelConfig> = {
  name: 'generate',
  description:
    'the next character or word of a text, then `recurrent generate` (embedded: King James Version, Genesis to Judges, 1 MB)',
  defaults: {
    epochs: 1,
    hiddenSize: 128,
    lr: 0.003,
    batchSize: 32,
    bidirectional: false,
    maxTrainExamples: 0,
    cell: 'lstm',
  },
  options: GENERATE_OPTIONS,
  sampleInputs: ['And God said', 'In the beginning'],
  load: (input, settings, generator) => {
    const level = (input.options['tokens'] as TokenLevel | undefined) ?? 'chars';
    const text = input.data ? loadTextFile(input.data) : loadTextCorpus();
    return prepareGenerate(text, input.data ?? 'King James Version, Genesis to Judges', settings, generator, {
      tokens: level,
      bptt: (input.options['bptt'] as number | undefined) ?? 64,
      batching: (input.options['batching'] as Batching | undefined) ?? 'streams',
      tieWeights: input.options['tieWeights'] === true,
    });
  },
  buildModel: (config) => new LanguageModel(config),
  predictor: generatePredictor,
  pytorch: {
    modelClass: { name: 'LanguageModel', source: LANGUAGE_MODEL_PY },
    trainSource: GENERATE_TRAIN_PY,
    fullConfig: (model) => ({ ...model.config }),
  },
  onnx: {
    graphs: ['model.onnx'],
    notes: [
      'the step graph: token int64 (batch) and h [, c] float (layers, batch, hidden) in; logits (batch, vocabulary) and new_h [, new_c] out',
      'start each stream with zeros for h and c and feed back new_h / new_c; draw the next token from softmax(logits) outside the graph',
      'token ids come from the tokenizer in metadata recurrent.data (tokenizer.vocabulary.tokens, in id order)',
    ],
    write: (model, file, metadata) => [{ file, ...exportLanguageModelOnnx(model, file, { metadata }) }],
  },
};
