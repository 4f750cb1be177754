/**
 * `recurrent predict MODEL.onnx --input NAME=FILE.npy [...] --out DIR [--repeat N]`: runs an ONNX
 * model on .npy inputs and writes each output as DIR/NAME.npy. Optional inputs (see
 * `OnnxInputInfo.optional`) may be left out; they are then absent. With --repeat N the model runs N
 * times and the timings are printed. Wired into the `predict` command: when its first argument
 * ends in `.onnx`, the command hands over to `predictOnnx`.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ValueError } from '../errors.js';
import { loadNpy, saveNpy } from '../io/npy-file.js';
import type { NpyArray } from '../io/npy.js';
import { loadOnnx, type OnnxInputInfo } from '../onnx/graph.js';
import { integer } from './parse.js';

export interface OnnxPredictOptions {
  /** `NAME=FILE.npy` specs (a bare `FILE.npy` when the model has one input). */
  input?: string[];
  /** Folder for the outputs (created when missing). */
  out?: string;
  /** Run this many times and print timings (default 1). */
  repeat?: number;
  /** Print one JSON line instead of text. */
  json?: boolean;
}

/** Whether `predict`'s first argument names an ONNX model rather than a model directory. */
export function isOnnxModelPath(path: string): boolean {
  return /\.onnx$/i.test(path);
}

const collect = (value: string, previous: string[] | undefined): string[] => {
  if (!value.includes('=') && !/\.npy$/i.test(value))
    throw new InvalidArgumentError(`--input takes NAME=FILE.npy, got '${value}'`);
  return [...(previous ?? []), value];
};

/** Adds `--input` (repeatable), `--out` and `--repeat` to a command (the ONNX options of `predict`). */
export function addOnnxPredictOptions(command: Command): Command {
  return command
    .option('--input <name=file.npy>', 'ONNX models: an input from an .npy file (repeat for each input)', collect)
    .option('--out <dir>', 'ONNX models: folder for the outputs, written as NAME.npy')
    .option('--repeat <n>', 'ONNX models: run N times and print timings', integer('repeat', 1));
}

const describeInfo = (v: OnnxInputInfo) =>
  `${v.name} ${v.type ?? '?'} [${(v.dims ?? []).map((d) => d ?? '?').join(', ')}]${v.optional ? ' (optional)' : ''}`;

/** A file name for an output name such as `onnx::Gather_12` (characters outside [A-Za-z0-9._-] become _). */
export function outputFileName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return `${safe || 'output'}.npy`;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Runs the ONNX model at `modelPath` as the CLI does; prints with `write`. */
export function predictOnnx(
  modelPath: string,
  options: OnnxPredictOptions,
  write: (text: string) => void = (t) => process.stdout.write(t),
): void {
  const where = 'recurrent predict';
  const model = loadOnnx(modelPath);
  const expected = model.inputs.map(describeInfo).join(', ');
  if (!options.out)
    throw new ValueError(where, `--out DIR is needed for an ONNX model (its outputs are written as DIR/NAME.npy)`);
  const specs = options.input ?? [];
  if (specs.length === 0 && model.inputs.some((i) => !i.optional))
    throw new ValueError(where, `give each input as --input NAME=FILE.npy; the model's inputs: ${expected}`);
  const feeds: Record<string, NpyArray> = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    let name: string;
    let file: string;
    if (eq < 0) {
      if (model.inputs.length !== 1)
        throw new ValueError(where, `--input ${spec}: name the input (NAME=FILE.npy); the model's inputs: ${expected}`);
      name = model.inputs[0]!.name;
      file = spec;
    } else {
      name = spec.slice(0, eq);
      file = spec.slice(eq + 1);
    }
    if (!model.inputs.some((i) => i.name === name))
      throw new ValueError(where, `--input ${spec}: the model has no input '${name}'; its inputs: ${expected}`);
    if (name in feeds) throw new ValueError(where, `--input ${name} is given twice`);
    feeds[name] = loadNpy(file);
  }
  const missing = model.inputs.filter((i) => !i.optional && !(i.name in feeds));
  if (missing.length > 0)
    throw new ValueError(
      where,
      `missing --input for ${missing.map((m) => m.name).join(', ')}; the model's inputs: ${expected}`,
    );

  const repeat = options.repeat ?? 1;
  const times: number[] = [];
  let outputs: Record<string, NpyArray> = {};
  for (let k = 0; k < repeat; k++) {
    const start = performance.now();
    outputs = model.runArrays(feeds);
    times.push(performance.now() - start);
  }
  const written: { name: string; file: string; dtype: string; shape: number[] }[] = [];
  const used = new Set<string>();
  for (const [name, value] of Object.entries(outputs)) {
    let fileName = outputFileName(name);
    for (let n = 2; used.has(fileName); n++) fileName = outputFileName(`${name}_${n}`);
    used.add(fileName);
    const file = join(options.out, fileName);
    saveNpy(file, value);
    written.push({ name, file, dtype: value.dtype, shape: value.shape });
  }
  const timing =
    options.repeat !== undefined
      ? {
          runs: repeat,
          minMs: Math.min(...times),
          medianMs: median(times),
          meanMs: times.reduce((a, b) => a + b, 0) / repeat,
        }
      : null;
  if (options.json) {
    write(`${JSON.stringify({ model: modelPath, outputs: written, ...(timing && { timing }) })}\n`);
    return;
  }
  for (const w of written) write(`${w.name}\t${w.dtype} [${w.shape.join(', ')}]\t${w.file}\n`);
  if (timing) {
    write(
      `timing: ${timing.runs} runs, min ${timing.minMs.toFixed(3)} ms, median ${timing.medianMs.toFixed(3)} ms, mean ${timing.meanMs.toFixed(3)} ms\n`,
    );
    write(`predict median ms: ${timing.medianMs.toFixed(3)}\n`);
  }
}
