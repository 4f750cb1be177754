/** Messages between the page and the training worker. */
import type { CellFamily } from '../shapes/unroll.js';

/** The languages of data/language-id by their ISO 639-1 code. */
export const LANGUAGE_NAMES: Readonly<Record<string, string>> = {
  de: 'German',
  en: 'English',
  es: 'Spanish',
  fr: 'French',
  it: 'Italian',
  nl: 'Dutch',
  pl: 'Polish',
  pt: 'Portuguese',
};

export interface TrainConfig {
  cell: CellFamily;
  hiddenSize: number;
  embeddingDim: number;
  bidirectional: boolean;
  batchSize: number;
  learningRate: number;
  /** Training words per language (the validation words are separate). */
  wordsPerLanguage: number;
  seed: number;
}

export type PageToWorker =
  | { type: 'start'; config: TrainConfig }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'predict'; text: string };

export interface Probability {
  label: string;
  probability: number;
}

export type WorkerToPage =
  | { type: 'backend'; name: string; note: string }
  | {
      type: 'ready';
      labels: string[];
      trainWords: number;
      validationWords: number;
      characters: number;
      parameters: number;
      description: string;
    }
  | { type: 'step'; step: number; epoch: number; loss: number; milliseconds: number; words: number }
  | { type: 'validation'; step: number; loss: number; accuracy: number }
  | { type: 'prediction'; text: string; probabilities: Probability[] }
  | { type: 'stopped'; reason: string }
  | { type: 'error'; message: string };
