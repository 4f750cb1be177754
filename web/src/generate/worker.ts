/**
 * The language-model worker: a character-level models.LanguageModel trained as char-rnn on the
 * bundled text (parallel streams, truncated BPTT with the state carried across chunks, Adam,
 * gradient clipping), reporting every step; every few seconds it writes a sample from the
 * page's prompt and temperature, so the page shows the samples getting better as the loss falls.
 * Training runs in slices of about 40 ms so that sample requests and pauses are answered.
 */
import {
  Adam,
  CarriedState,
  clipGradNorm,
  data,
  Generator,
  models,
  scoreStream,
  streamChunks,
  type TokenBatch,
} from '../../../src/browser.js';
import { chooseBackend } from '../train/backend-choice.js';
import { CORPUS } from './corpus.js';
import type { LmConfig, LmWorkerToPage, PageToLmWorker, SampleRequest } from './protocol.js';

interface WorkerScope {
  postMessage(message: LmWorkerToPage): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<PageToLmWorker>) => void): void;
}
const scope = self as unknown as WorkerScope;
const post = (message: LmWorkerToPage) => scope.postMessage(message);

/** Held-out characters: the end of the text, scored as 16 streams with carried state. */
const HELD_OUT = 16 * 1024;
const VALIDATE_EVERY_MS = 4000;
const SAMPLE_EVERY_MS = 2500;
const SLICE_MS = 40;
const CLIP_NORM = 5;

interface Session {
  config: LmConfig;
  model: models.LanguageModel;
  optimizer: Adam;
  tokenizer: data.TextTokenizer;
  chunks: TokenBatch[];
  heldOut: number[];
  carried: CarriedState;
  cursor: number;
  step: number;
  epoch: number;
  lastBits: number | null;
}

let session: Session | null = null;
let running = false;
let request: SampleRequest = { prompt: 'And God said', temperature: 0.8, length: 240 };
let lastSample = 0;
let lastValidation = 0;

function createSession(config: LmConfig): Session {
  const text = CORPUS.slice(0, CORPUS.length - HELD_OUT);
  const tokenizer = data.TextTokenizer.build(text, 'chars');
  const model = new models.LanguageModel(
    {
      vocabSize: tokenizer.size,
      embeddingDim: Math.min(64, config.hiddenSize),
      hiddenSize: config.hiddenSize,
      cell: config.cell,
    },
    new Generator(config.seed),
  );
  model.codec = tokenizer;
  return {
    config,
    model,
    optimizer: new Adam(model.parameters(), { lr: config.learningRate }),
    tokenizer,
    chunks: streamChunks(tokenizer.encode(text), config.batchSize, config.bptt),
    heldOut: tokenizer.encode(CORPUS.slice(CORPUS.length - HELD_OUT)),
    carried: new CarriedState(),
    cursor: 0,
    step: 0,
    epoch: 0,
    lastBits: null,
  };
}

function trainStep(s: Session): void {
  if (s.cursor >= s.chunks.length) {
    s.epoch++;
    s.cursor = 0;
  }
  const chunk = s.chunks[s.cursor++]!;
  const started = performance.now();
  s.model.train();
  s.optimizer.zeroGrad();
  const loss = s.carried.loss(s.model, chunk);
  loss.backward();
  clipGradNorm(s.model.parameters(), CLIP_NORM);
  s.optimizer.step();
  s.step++;
  const bitsPerChar = loss.item() / Math.LN2;
  post({
    type: 'step',
    step: s.step,
    epoch: s.epoch + s.cursor / s.chunks.length,
    bitsPerChar,
    milliseconds: performance.now() - started,
    characters: chunk.targets.length,
  });
}

function validate(s: Session): void {
  lastValidation = performance.now();
  s.lastBits = scoreStream(s.model, s.heldOut, { streams: 16 }).bitsPerToken;
  post({ type: 'validation', step: s.step, bitsPerChar: s.lastBits });
}

function sample(s: Session): void {
  lastSample = performance.now();
  const generation = s.model.session({ temperature: request.temperature, seed: s.step });
  generation.feed(request.prompt.length > 0 ? request.prompt : '\n');
  let text = '';
  for (let i = 0; i < request.length; i++) text += generation.step().text;
  post({
    type: 'sample',
    step: s.step,
    bitsPerChar: s.lastBits,
    prompt: request.prompt,
    temperature: request.temperature,
    text,
  });
}

const ticker = new MessageChannel();
ticker.port1.onmessage = () => runSlice();
const schedule = () => ticker.port2.postMessage(null);

function runSlice(): void {
  const s = session;
  if (!running || !s) return;
  try {
    const until = performance.now() + SLICE_MS;
    do trainStep(s);
    while (performance.now() < until);
    if (performance.now() - lastValidation > VALIDATE_EVERY_MS) validate(s);
    if (performance.now() - lastSample > SAMPLE_EVERY_MS) sample(s);
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

async function handle(message: PageToLmWorker): Promise<void> {
  await backend;
  try {
    switch (message.type) {
      case 'start': {
        request = message.sample;
        const s = createSession(message.config);
        session = s;
        post({
          type: 'ready',
          trainCharacters: CORPUS.length - HELD_OUT,
          heldOutCharacters: HELD_OUT,
          characters: s.tokenizer.size,
          parameters: s.model.parameterCount(),
          description: s.model.describe(),
        });
        validate(s);
        sample(s);
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
      case 'sample':
        request = message.sample;
        if (session) sample(session);
        break;
    }
  } catch (e) {
    running = false;
    post({ type: 'error', message: `${(e as Error).name}: ${(e as Error).message}` });
  }
}
