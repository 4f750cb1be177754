/**
 * The training worker: a character-level language classifier (models.SequenceClassifier) trained
 * with Adam on the bundled word lists, one mini-batch at a time, reporting every step to the page.
 * Training runs in slices of about 40 ms so that predictions and pause requests are answered
 * while it trains.
 */
import {
  Adam,
  clipGradNorm,
  crossEntropy,
  data,
  Generator,
  models,
  noGrad,
  type Tensor,
} from '../../../src/browser.js';
import { chooseBackend } from './backend-choice.js';
import { LANGUAGES, wordsOf } from './language-data.js';
import type { PageToWorker, Probability, TrainConfig, WorkerToPage } from './protocol.js';

interface WorkerScope {
  postMessage(message: WorkerToPage): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<PageToWorker>) => void): void;
}
const scope = self as unknown as WorkerScope;
const post = (message: WorkerToPage) => scope.postMessage(message);

/** Held-out words per language, never trained on. */
const VALIDATION_WORDS = 60;
/** Validate every 40 steps, but at most twice a second (fast backends make many steps). */
const VALIDATE_EVERY = 40;
const VALIDATE_GAP_MS = 500;
const PREDICT_EVERY_MS = 250;
const SLICE_MS = 40;
const MAX_EPOCHS = 50;
const CLIP_NORM = 5;

interface Example {
  ids: number[];
  target: number;
}

interface Session {
  config: TrainConfig;
  model: models.SequenceClassifier;
  optimizer: Adam;
  vocabulary: data.Vocabulary;
  train: Example[];
  validation: Example[];
  generator: Generator;
  order: number[];
  cursor: number;
  step: number;
  epoch: number;
}

let session: Session | null = null;
let running = false;
let lastText = '';
let lastPrediction = 0;
let lastValidation = 0;

const encode = (vocabulary: data.Vocabulary, text: string): number[] =>
  vocabulary.encode([...text.normalize('NFC').toLowerCase()]);

function shuffled(count: number, generator: Generator): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  generator.shuffle(order);
  return order;
}

function createSession(config: TrainConfig): Session {
  const generator = new Generator(config.seed);
  const trainWords: { text: string; target: number }[] = [];
  const validationWords: { text: string; target: number }[] = [];
  LANGUAGES.forEach((label, target) => {
    const words = wordsOf(label);
    const order = shuffled(words.length, generator);
    order.slice(0, VALIDATION_WORDS).forEach((i) => validationWords.push({ text: words[i]!, target }));
    order
      .slice(VALIDATION_WORDS, VALIDATION_WORDS + config.wordsPerLanguage)
      .forEach((i) => trainWords.push({ text: words[i]!, target }));
  });
  const vocabulary = data.Vocabulary.build(trainWords.map((w) => [...w.text]));
  const toExample = (w: { text: string; target: number }): Example => ({
    ids: encode(vocabulary, w.text),
    target: w.target,
  });
  const model = new models.SequenceClassifier(
    {
      vocabSize: vocabulary.size,
      embeddingDim: config.embeddingDim,
      numClasses: LANGUAGES.length,
      cell: config.cell,
      hiddenSize: config.hiddenSize,
      bidirectional: config.bidirectional,
    },
    generator,
  );
  const train = trainWords.map(toExample);
  return {
    config,
    model,
    optimizer: new Adam(model.parameters(), { lr: config.learningRate }),
    vocabulary,
    train,
    validation: validationWords.map(toExample),
    generator,
    order: shuffled(train.length, generator),
    cursor: 0,
    step: 0,
    epoch: 0,
  };
}

/** Logits (batch, classes) for a list of examples. */
function logitsOf(s: Session, examples: readonly Example[]): Tensor {
  const { tensor, lengths } = data.padSequences(examples.map((e) => (e.ids.length > 0 ? e.ids : [0])));
  return s.model.forward(tensor, lengths);
}

function trainStep(s: Session): void {
  if (s.cursor >= s.order.length) {
    s.epoch++;
    s.order = shuffled(s.train.length, s.generator);
    s.cursor = 0;
  }
  const batch = s.order.slice(s.cursor, s.cursor + s.config.batchSize).map((i) => s.train[i]!);
  s.cursor += batch.length;
  const started = performance.now();
  s.model.train();
  const loss = crossEntropy(
    logitsOf(s, batch),
    batch.map((e) => e.target),
  );
  s.optimizer.zeroGrad();
  loss.backward();
  clipGradNorm(s.model.parameters(), CLIP_NORM);
  s.optimizer.step();
  const milliseconds = performance.now() - started;
  s.step++;
  post({
    type: 'step',
    step: s.step,
    epoch: s.epoch + s.cursor / s.order.length,
    loss: loss.item(),
    milliseconds,
    words: batch.length,
  });
}

function validate(s: Session): void {
  lastValidation = performance.now();
  s.model.eval();
  const { loss, accuracy } = noGrad(() => {
    const logits = logitsOf(s, s.validation);
    const targets = s.validation.map((e) => e.target);
    const predicted = logits.argmax(1);
    return {
      loss: crossEntropy(logits, targets).item(),
      accuracy: targets.filter((t, i) => predicted[i] === t).length / targets.length,
    };
  });
  post({ type: 'validation', step: s.step, loss, accuracy });
}

function predict(s: Session, text: string): void {
  lastText = text;
  lastPrediction = performance.now();
  const ids = encode(s.vocabulary, text.trim());
  if (ids.length === 0) {
    post({ type: 'prediction', text, probabilities: [] });
    return;
  }
  s.model.eval();
  const probabilities = noGrad(() => logitsOf(s, [{ ids, target: 0 }]).softmax(-1).data);
  const result: Probability[] = LANGUAGES.map((label, i) => ({ label, probability: probabilities[i]! }));
  post({ type: 'prediction', text, probabilities: result });
}

// Slices of training, yielding to the message queue in between (a MessageChannel is not throttled like setTimeout).
const ticker = new MessageChannel();
ticker.port1.onmessage = () => runSlice();
const schedule = () => ticker.port2.postMessage(null);

function runSlice(): void {
  const s = session;
  if (!running || !s) return;
  try {
    const until = performance.now() + SLICE_MS;
    do {
      trainStep(s);
      if (s.step % VALIDATE_EVERY === 0 && performance.now() - lastValidation > VALIDATE_GAP_MS) validate(s);
    } while (performance.now() < until);
    if (performance.now() - lastPrediction > PREDICT_EVERY_MS) predict(s, lastText);
    if (s.epoch >= MAX_EPOCHS) {
      running = false;
      validate(s);
      post({ type: 'stopped', reason: `${MAX_EPOCHS} epochs done` });
      return;
    }
  } catch (e) {
    running = false;
    post({ type: 'error', message: `${(e as Error).name}: ${(e as Error).message}` });
    return;
  }
  schedule();
}

const backend = chooseBackend().then((choice) => {
  post({ type: 'backend', name: choice.name, note: choice.note });
  return choice;
});

scope.addEventListener('message', (event) => {
  void handle(event.data);
});

async function handle(message: PageToWorker): Promise<void> {
  await backend;
  try {
    switch (message.type) {
      case 'start': {
        const s = createSession(message.config);
        session = s;
        post({
          type: 'ready',
          labels: [...LANGUAGES],
          trainWords: s.train.length,
          validationWords: s.validation.length,
          characters: s.vocabulary.size,
          parameters: s.model.parameterCount(),
          description: s.model.describe(),
        });
        validate(s);
        predict(s, lastText);
        running = true;
        schedule();
        break;
      }
      case 'pause':
        running = false;
        break;
      case 'resume':
        if (session && !running) {
          running = true;
          schedule();
        }
        break;
      case 'predict':
        if (session) predict(session, message.text);
        else lastText = message.text;
        break;
    }
  } catch (e) {
    running = false;
    post({ type: 'error', message: `${(e as Error).name}: ${(e as Error).message}` });
  }
}
