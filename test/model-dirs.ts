/**
 * Small model directories with seeded random weights (no training), for tests of what reads a
 * model directory: serve, export and import. Each task's artifacts have the form its
 * `recurrent train` writes.
 */
import { join } from 'node:path';
import { TextTokenizer, type TokenLevel } from '../src/data/text-tokenizer.js';
import { Vocabulary } from '../src/data/vocabulary.js';
import { SequenceClassifier } from '../src/models/classifier.js';
import { Forecaster } from '../src/models/forecaster.js';
import { LanguageModel } from '../src/models/language-model.js';
import { Seq2Seq, type Seq2SeqConfig } from '../src/models/seq2seq.js';
import type { CellFamily } from '../src/families.js';
import { SequenceTagger } from '../src/models/tagger.js';
import { saveModelDirectory } from '../src/tasks/model-dir.js';
import { Generator } from '../src/tensor/random.js';
import { tempDir } from './temp-dir.js';

const WORDS = ['hello', 'bonjour', 'gracias', 'danke', 'grazie', 'obrigado', 'élève', 'naïve', 'café'];

export interface ModelDirOptions {
  cell?: CellFamily;
  hiddenSize?: number;
  numLayers?: number;
  bidirectional?: boolean;
  seed?: number;
}

export function classifyModelDir(o: ModelDirOptions = {}): string {
  const dir = join(tempDir('recurrent-md-'), 'classify');
  const vocab = Vocabulary.build(WORDS.map((w) => [...w]));
  const labels = ['de', 'en', 'es', 'fr'];
  const config = {
    vocabSize: vocab.size,
    embeddingDim: 8,
    numClasses: labels.length,
    cell: o.cell ?? 'lstm',
    hiddenSize: o.hiddenSize ?? 12,
    numLayers: o.numLayers ?? 1,
    bidirectional: o.bidirectional ?? false,
    dropout: 0,
    pooling: 'last' as const,
  };
  saveModelDirectory(dir, new SequenceClassifier(config, new Generator(o.seed ?? 1)), {
    task: 'classify',
    modelConfig: config,
    data: { vocabulary: vocab.toJSON(), labels },
  });
  return dir;
}

export function tagModelDir(o: ModelDirOptions = {}): string {
  const dir = join(tempDir('recurrent-md-'), 'tag');
  const vocab = Vocabulary.build(WORDS.map((w) => [...w]));
  const tags = ['-', 'acute', 'grave', 'diaeresis'];
  const config = {
    vocabSize: vocab.size,
    embeddingDim: 8,
    numTags: tags.length,
    cell: o.cell ?? 'gru',
    hiddenSize: o.hiddenSize ?? 10,
    numLayers: o.numLayers ?? 1,
    bidirectional: o.bidirectional ?? true,
    dropout: 0,
  };
  saveModelDirectory(dir, new SequenceTagger(config, new Generator(o.seed ?? 2)), {
    task: 'tag',
    modelConfig: config,
    data: { vocabulary: vocab.toJSON(), tags, kind: 'diacritics' },
  });
  return dir;
}

/** A forecaster reading 6 steps with season 4 (so a history needs >= 10 values), horizon 3. */
export function forecastModelDir(o: ModelDirOptions = {}): string {
  const dir = join(tempDir('recurrent-md-'), 'forecast');
  const config = {
    horizon: 3,
    inputSize: 1,
    mode: 'autoregressive' as const,
    cell: o.cell ?? 'lstm',
    hiddenSize: o.hiddenSize ?? 8,
    numLayers: o.numLayers ?? 1,
    dropout: 0,
  };
  saveModelDirectory(dir, new Forecaster(config, new Generator(o.seed ?? 3)), {
    task: 'forecast',
    modelConfig: config,
    data: { scaling: { mean: 0.5, std: 2 }, inputLength: 6, horizon: 3, season: 4, lastDates: [] },
  });
  return dir;
}

/** A letters -> phonemes model; `attention` and `bidirectional` choose the decoder's variant. */
export function seq2seqModelDir(o: ModelDirOptions & { attention?: Seq2SeqConfig['attention'] } = {}): string {
  const dir = join(tempDir('recurrent-md-'), 'seq2seq');
  const source = Vocabulary.build(WORDS.map((w) => [...w]));
  const target = Vocabulary.build([
    ['HH', 'AH', 'L', 'OW'],
    ['B', 'OW', 'N', 'ZH', 'UW', 'R'],
    ['D', 'AA', 'NG', 'K', 'AH'],
  ]);
  const config = {
    sourceVocabSize: source.size,
    targetVocabSize: target.size,
    embeddingDim: 8,
    hiddenSize: o.hiddenSize ?? 10,
    numLayers: o.numLayers ?? 1,
    cell: o.cell ?? 'lstm',
    bidirectionalEncoder: o.bidirectional ?? true,
    attention: o.attention ?? 'luong',
    dropout: 0,
    bosId: target.indexOf('<bos>'),
    eosId: target.indexOf('<eos>'),
  };
  saveModelDirectory(dir, new Seq2Seq(config, new Generator(o.seed ?? 4)), {
    task: 'seq2seq',
    modelConfig: config,
    data: { sourceVocabulary: source.toJSON(), targetVocabulary: target.toJSON(), maxLength: 8 },
  });
  return dir;
}

/** The text the language model directories' tokenizers are built from. */
export const LM_TEXT =
  'In the beginning God created the heaven and the earth.\nAnd the earth was without form, and void; ' +
  'and darkness was upon the face of the deep. And God said, Let there be light: and there was light.\n' +
  "And God saw the light, that it was good (and he didn't stop). Café, naïve; o'clock!\n";

/** A language model over LM_TEXT's characters or words; `tieWeights` ties the output layer to the embedding. */
export function languageModelDir(
  o: ModelDirOptions & { tokens?: TokenLevel; tieWeights?: boolean; dropout?: number } = {},
): string {
  const dir = join(tempDir('recurrent-md-'), 'generate');
  const tokenizer = TextTokenizer.build(LM_TEXT, o.tokens ?? 'chars');
  const hiddenSize = o.hiddenSize ?? 12;
  const config = {
    vocabSize: tokenizer.size,
    embeddingDim: o.tieWeights ? hiddenSize : 8,
    cell: o.cell ?? 'lstm',
    hiddenSize,
    numLayers: o.numLayers ?? 1,
    dropout: o.dropout ?? 0,
    tieWeights: o.tieWeights ?? false,
  };
  saveModelDirectory(dir, new LanguageModel(config, new Generator(o.seed ?? 5)), {
    task: 'generate',
    modelConfig: config,
    data: { tokenizer: tokenizer.toJSON(), bptt: 8, batching: 'streams' },
  });
  return dir;
}
