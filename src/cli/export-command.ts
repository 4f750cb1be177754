/** `recurrent export MODEL_DIR --format onnx [--out FILE]`: a saved model as an ONNX file. */
import type { Command } from 'commander';
import { exportModelDirectory } from '../onnx/model-dir.js';
import type { OnnxValueSpec } from '../onnx/export.js';
import { choice } from './parse.js';

const describe = (v: OnnxValueSpec) => `${v.name} ${v.type} [${v.dims.join(', ')}]`;

export function registerExport(program: Command, write: (text: string) => void = (t) => process.stdout.write(t)): void {
  program
    .command('export')
    .description('export a model directory written by `recurrent train` to another format (ONNX, opset 14)')
    .argument('<model-dir>', 'the model directory')
    .requiredOption('--format <format>', 'output format: onnx', choice('format', ['onnx'] as const))
    .option('--out <file>', 'output file (default: MODEL_DIR/model.onnx)')
    .option('--json', 'print one JSON line describing the exported model')
    .action((modelDir: string, opts: { format: 'onnx'; out?: string; json?: boolean }) => {
      const result = exportModelDirectory(modelDir, opts.out);
      if (opts.json) {
        write(`${JSON.stringify(result)}\n`);
        return;
      }
      write(`wrote ${result.file} (${result.bytes} bytes, ONNX opset 14, task ${result.task})\n`);
      write(`  inputs:  ${result.inputs.map(describe).join(', ')}\n`);
      write(`  outputs: ${result.outputs.map(describe).join(', ')}\n`);
      for (const note of result.notes) write(`  note: ${note}\n`);
    });
}
