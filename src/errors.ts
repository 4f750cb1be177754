/**
 * Error classes. Every error says what was wrong, where (layer, dimension, key, file),
 * what was expected and what was received, so a user can fix the call without a debugger.
 */

/** Base class of every error this library throws on purpose. */
export class RecurrentError extends Error {
  // Explicit names: class names do not survive minified browser bundles.
  override name = 'RecurrentError';
}

/** Fields of a {@link ShapeError}: what was checked and what was found. */
export interface ShapeErrorDetails {
  /** Who checked: a layer description such as `LSTM(inputSize=10, hiddenSize=20)` or an op name. */
  where: string;
  /** What was checked, e.g. `input dim 2 (features)` or `h0`. */
  what: string;
  /** The expected value (a size, a rank or a shape). */
  expected: number | string | readonly number[];
  /** The value received. */
  actual: number | string | readonly number[];
  /** Optional advice appended to the message. */
  hint?: string;
}

const show = (v: number | string | readonly number[]): string =>
  typeof v === 'number' || typeof v === 'string' ? String(v) : `[${v.join(', ')}]`;

/**
 * A tensor had the wrong rank, size or shape.
 * Message: `LSTM(inputSize=10): input dim 2 (features) is 12, expected 10`.
 */
export class ShapeError extends RecurrentError {
  override name = 'ShapeError';
  readonly where: string;
  readonly what: string;
  readonly expected: number | string | readonly number[];
  readonly actual: number | string | readonly number[];
  constructor(details: ShapeErrorDetails) {
    super(
      `${details.where}: ${details.what} is ${show(details.actual)}, expected ${show(details.expected)}` +
        (details.hint ? `. ${details.hint}` : ''),
    );
    this.where = details.where;
    this.what = details.what;
    this.expected = details.expected;
    this.actual = details.actual;
  }
}

/** An argument had an invalid value (not a shape problem): a length out of range, a bad option. */
export class ValueError extends RecurrentError {
  override name = 'ValueError';
  readonly where: string;
  constructor(where: string, message: string) {
    super(`${where}: ${message}`);
    this.where = where;
  }
}

/** Why a state dict could not be loaded. */
export type StateDictProblem = 'missing' | 'unexpected' | 'shape' | 'non-finite';

/** `loadStateDict` found a missing, unexpected, misshaped or non-finite entry. */
export class StateDictError extends RecurrentError {
  override name = 'StateDictError';
  readonly key: string;
  readonly problem: StateDictProblem;
  constructor(where: string, key: string, problem: StateDictProblem, detail: string) {
    super(`${where}: state dict key '${key}' ${detail}`);
    this.key = key;
    this.problem = problem;
  }
}

/** Autograd was used in a way it cannot support (backward of a non-scalar without a gradient, ...). */
export class GradientError extends RecurrentError {
  override name = 'GradientError';
}

/** A data file (CSV, TSV, JSONL, a dataset) could not be read: names the file and the line. */
export class DataError extends RecurrentError {
  override name = 'DataError';
  readonly file: string;
  readonly line: number | null;
  constructor(file: string, line: number | null, message: string) {
    super(`${file}${line !== null ? `:${line}` : ''}: ${message}`);
    this.file = file;
    this.line = line;
  }
}

/** A file in a binary or structured format (npy, safetensors, ONNX, a model directory) is malformed. */
export class FormatError extends RecurrentError {
  override name = 'FormatError';
  readonly file: string;
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.file = file;
  }
}

/**
 * `exportOnnx` met something in a model's forward pass that has no ONNX form. `modulePath` is
 * the dotted path of the module that ran it (`model` for the root, `model.encoder.2`), `op` the
 * tensor op (`argmax`, `recurrent`, ...). Message: `exportOnnx: model.encoder.2: op 'argmax' ...`.
 */
export class ExportError extends RecurrentError {
  override name = 'ExportError';
  readonly modulePath: string;
  readonly op: string;
  constructor(modulePath: string, op: string, reason: string) {
    super(`exportOnnx: ${modulePath}: op '${op}' cannot be exported: ${reason}`);
    this.modulePath = modulePath;
    this.op = op;
  }
}

/** Training could not go on (a NaN loss, an exploding gradient). The last good checkpoint is kept. */
export class TrainingError extends RecurrentError {
  override name = 'TrainingError';
}

/**
 * An HTTP request to `recurrent serve` was refused: `status` is the HTTP status (4xx, or 503
 * while draining), `code` a stable machine-readable name, `where` the part of the request at fault
 * (e.g. `inputs[3]`).
 */
export class RequestError extends RecurrentError {
  override name = 'RequestError';
  readonly status: number;
  readonly code: string;
  readonly where: string;
  constructor(status: number, code: string, where: string, message: string) {
    super(`${where}: ${message}`);
    this.status = status;
    this.code = code;
    this.where = where;
  }
}
