/** `recurrent predict MODEL_DIR [INPUT...]`: predictions from a saved model, one line per input. */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { ValueError } from '../errors.js';
import { loadPredictor } from '../tasks/model-dir.js';
import { addOnnxPredictOptions, isOnnxModelPath, type OnnxPredictOptions, predictOnnx } from './predict-onnx.js';

export function registerPredict(program: Command): void {
  addOnnxPredictOptions(
    program
      .command('predict')
      .description(
        'predict with a model directory written by `recurrent train` (inputs from the arguments or stdin, one per line), or run an ONNX model on .npy inputs',
      )
      .argument('<model>', 'a model directory, or a .onnx file')
      .argument('[inputs...]', 'inputs (words, or for forecast the recent values); read from stdin when omitted')
      .option('--json', 'print a JSON line per input: {"input", "prediction"}'),
  ).action((modelDir: string, inputs: string[], opts: { json?: boolean } & OnnxPredictOptions) => {
    if (isOnnxModelPath(modelDir)) {
      if (inputs.length > 0)
        throw new ValueError('recurrent predict', 'an ONNX model takes its inputs as --input NAME=FILE.npy');
      predictOnnx(modelDir, opts);
      return;
    }
    const predictor = loadPredictor(modelDir);
    let lines = inputs;
    if (lines.length === 0)
      lines = readFileSync(0, 'utf8')
        .split(/\r?\n/)
        .filter((l) => l.trim().length > 0);
    process.stdout.write(predictor.format(lines, Boolean(opts.json)));
  });
}
