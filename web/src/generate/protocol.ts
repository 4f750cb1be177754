/** Messages between the page and the language-model worker. */
import type { CellFamily } from '../shapes/unroll.js';

export interface LmConfig {
  cell: CellFamily;
  hiddenSize: number;
  /** Parallel streams per batch. */
  batchSize: number;
  /** Steps per chunk of truncated BPTT. */
  bptt: number;
  learningRate: number;
  seed: number;
}

export interface SampleRequest {
  prompt: string;
  temperature: number;
  length: number;
}

export type PageToLmWorker =
  | { type: 'start'; config: LmConfig; sample: SampleRequest }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'sample'; sample: SampleRequest };

export type LmWorkerToPage =
  | { type: 'backend'; name: string; note: string }
  | {
      type: 'ready';
      trainCharacters: number;
      heldOutCharacters: number;
      characters: number;
      parameters: number;
      description: string;
    }
  | { type: 'step'; step: number; epoch: number; bitsPerChar: number; milliseconds: number; characters: number }
  | { type: 'validation'; step: number; bitsPerChar: number }
  | { type: 'sample'; step: number; bitsPerChar: number | null; prompt: string; temperature: number; text: string }
  | { type: 'error'; message: string };
