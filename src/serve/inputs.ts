/**
 * What one input of `POST /predict` is, as a task's registry entry declares (`serveInput`),
 * checked against the server's limits: 'text' is a string (one line of `recurrent predict`:
 * classify, tag, seq2seq), 'series' an array of numbers (forecast: the recent history).
 * `run` turns a batch of checked inputs into one output each.
 */
import { RequestError } from '../errors.js';
import type { Predictor } from '../tasks/task.js';

export interface InputLimits {
  /** Most inputs in one request. */
  maxInputs: number;
  /** Most characters in a text input, or values in a forecast history. */
  maxInputLength: number;
}

/** One task's input form: `check` validates a JSON value, `run` predicts a batch. */
export interface ServeInputForm<I = unknown> {
  /** For error messages: what an input must be. */
  expected: string;
  check(value: unknown, where: string, limits: InputLimits): I;
  run(predictor: Predictor, items: I[]): unknown[];
}

const text: ServeInputForm<string> = {
  expected: 'a non-empty string',
  check(value, where, limits) {
    if (typeof value !== 'string')
      throw new RequestError(400, 'invalid_input', where, `expected a string, got ${describe(value)}`);
    if (value.trim().length === 0) throw new RequestError(400, 'invalid_input', where, 'is empty');
    if (value.length > limits.maxInputLength) {
      throw new RequestError(
        413,
        'input_too_long',
        where,
        `has ${value.length} characters; the limit is ${limits.maxInputLength} (--max-input-length)`,
      );
    }
    return value;
  },
  run: (predictor, items) => predictor.predict(items),
};

const series: ServeInputForm<number[]> = {
  expected: 'an array of numbers (the recent history)',
  check(value, where, limits) {
    if (!Array.isArray(value))
      throw new RequestError(400, 'invalid_input', where, `expected an array of numbers, got ${describe(value)}`);
    if (value.length > limits.maxInputLength) {
      throw new RequestError(
        413,
        'input_too_long',
        where,
        `has ${value.length} values; the limit is ${limits.maxInputLength} (--max-input-length)`,
      );
    }
    const bad = value.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
    if (bad >= 0)
      throw new RequestError(
        400,
        'invalid_input',
        `${where}[${bad}]`,
        `expected a finite number, got ${describe(value[bad])}`,
      );
    return value as number[];
  },
  // One history per call: the forecaster's predict reads a single series.
  run: (predictor, items) => items.map((history) => predictor.predict([history.join(' ')]).map(Number)),
};

/** The input form a task declares in its registry entry (`serveInput`, default 'text'). */
export function inputForm(kind: 'text' | 'series' = 'text'): ServeInputForm {
  return (kind === 'series' ? series : text) as ServeInputForm;
}

/** Checks a request body `{"inputs": [...]}` and each input in it. */
export function checkPredictBody(body: unknown, form: ServeInputForm, limits: InputLimits): unknown[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new RequestError(
      400,
      'invalid_body',
      'body',
      `expected a JSON object {"inputs": [...]}, got ${describe(body)}`,
    );
  const inputs = (body as { inputs?: unknown }).inputs;
  if (!Array.isArray(inputs))
    throw new RequestError(
      400,
      'invalid_body',
      'inputs',
      `expected an array of inputs (each ${form.expected}), got ${describe(inputs)}`,
    );
  if (inputs.length === 0) throw new RequestError(400, 'invalid_body', 'inputs', 'is empty');
  if (inputs.length > limits.maxInputs)
    throw new RequestError(
      413,
      'too_many_inputs',
      'inputs',
      `has ${inputs.length} inputs; the limit is ${limits.maxInputs} (--max-inputs)`,
    );
  return inputs.map((value, i) => form.check(value, `inputs[${i}]`, limits));
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
