/**
 * Text generation with a LanguageModel: a stateful session that reads a prompt and then samples
 * one token at a time, and `generate` as an async iterator over it.
 *
 *   const session = lm.session({ temperature: 0.8, seed: 1 });
 *   session.feed('ROMEO:');          // reads the prompt into the state
 *   session.step();                  // { id, text }: draws the next token and reads it
 *   for await (const token of lm.generate('ROMEO:', { length: 200, seed: 1 })) write(token.text);
 *
 * The same model, prompt, options and seed always give the same tokens (one uniform draw per
 * token from a Generator seeded with `seed`). Runs in eval mode (no dropout) without gradients;
 * the model's training mode is restored after each call.
 */
import { ValueError } from '../errors.js';
import { noGrad } from '../tensor/autograd.js';
import { Generator } from '../tensor/random.js';
import type { LanguageModel, TokenCodec } from './language-model.js';
import type { RecurrentState } from './recurrent-layer.js';
import { checkSamplingOptions, sampleToken, type SamplingOptions } from './sampling.js';

export interface SessionOptions extends SamplingOptions {
  /** Seed of the draws (default 0). */
  seed?: number;
}

export interface GenerateOptions extends SessionOptions {
  /** Tokens to generate after the prompt (default 200). */
  length?: number;
}

/** One generated token: its id and its text (spacing included; '' without a codec). */
export interface GeneratedToken {
  id: number;
  text: string;
}

function needCodec(model: LanguageModel): TokenCodec {
  if (!model.codec)
    throw new ValueError(
      'LanguageModel',
      'text needs a codec (model.codec): attach the vocabulary the model was trained with, or pass token ids',
    );
  return model.codec;
}

/** A stream being generated: the recurrent state, the logits for the next token, the last token. */
export class GenerationSession {
  /** The recurrent state after everything read so far (null before anything). Keep it to continue later. */
  state: RecurrentState | null = null;
  private logits: Float32Array | null = null;
  private previous: number | null = null;
  private readonly generator: Generator;
  private readonly sampling: SamplingOptions;

  constructor(
    private readonly model: LanguageModel,
    options: SessionOptions = {},
  ) {
    this.generator = new Generator(options.seed ?? 0);
    const exclude = [...(options.exclude ?? []), ...(model.codec?.excluded ?? [])];
    this.sampling = { ...options, exclude };
    checkSamplingOptions(this.sampling);
  }

  private run<T>(f: () => T): T {
    const wasTraining = this.model.training;
    this.model.eval();
    try {
      return noGrad(f);
    } finally {
      this.model.train(wasTraining);
    }
  }

  /** Reads tokens (ids, or text through the model's codec) into the state. */
  feed(input: string | readonly number[]): void {
    const ids = typeof input === 'string' ? needCodec(this.model).encode(input) : input;
    this.run(() => {
      for (const id of ids) {
        if (!Number.isInteger(id) || id < 0 || id >= this.model.config.vocabSize) {
          throw new ValueError(
            'GenerationSession.feed',
            `token id ${id} is out of range [0, ${this.model.config.vocabSize})`,
          );
        }
        const { logits, state } = this.model.step([id], this.state);
        this.state = state;
        this.logits = logits.data;
        this.previous = id;
      }
    });
  }

  /** The logits (V) for the next token, or null before anything was read. */
  get nextLogits(): Float32Array | null {
    return this.logits;
  }

  /** Draws the next token, reads it into the state and returns it. Needs something read first (`feed`). */
  step(): GeneratedToken {
    if (!this.logits)
      throw new ValueError('GenerationSession.step', 'nothing read yet: feed a prompt (text or ids) first');
    const id = sampleToken(this.logits, this.generator, this.sampling);
    const text = this.model.codec ? this.model.codec.decode(id, this.previous) : '';
    this.feed([id]);
    return { id, text };
  }
}

/**
 * `length` tokens after `prompt` (text through the model's codec, or ids); an empty prompt starts
 * from a newline. Yields each token as soon as it is drawn.
 */
export async function* generateTokens(
  model: LanguageModel,
  prompt: string | readonly number[],
  options: GenerateOptions = {},
): AsyncGenerator<GeneratedToken> {
  const length = options.length ?? 200;
  if (!Number.isInteger(length) || length < 0)
    throw new ValueError('generate', `length must be an integer >= 0, got ${length}`);
  const session = new GenerationSession(model, options);
  session.feed(prompt.length === 0 ? needCodec(model).encode('\n') : prompt);
  for (let i = 0; i < length; i++) {
    yield session.step();
    if (i % 32 === 31) await new Promise<void>((resolve) => setTimeout(resolve, 0));
  }
}
