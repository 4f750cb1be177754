/**
 * `recurrent export MODEL_DIR --format onnx [--out FILE]`: a saved model as an ONNX file.
 * `recurrent export MODEL_DIR --format pytorch --out DIR`: model.py, weights.safetensors, config.json, train.py.
 */
import type { Command } from 'commander';
import { join } from 'node:path';
import type { OnnxValueSpec } from '../onnx/export.js';
import { exportTaskModel } from '../tasks/export-onnx.js';
import { exportPytorch } from '../tasks/pytorch/export.js';
import { choice } from './parse.js';

const describe = (v: OnnxValueSpec) => `${v.name} ${v.type} [${v.dims.join(', ')}]`;

export function registerExport(program: Command, write: (text: string) => void = (t) => process.stdout.write(t)): void {
  program
    .command('export')
    .description(
      'export a model directory written by `recurrent train` to ONNX (opset 14), or to PyTorch (model.py, weights, train.py for DDP)',
    )
    .argument('<model-dir>', 'the model directory')
    .requiredOption(
      '--format <format>',
      'output format: onnx or pytorch',
      choice('format', ['onnx', 'pytorch'] as const),
    )
    .option(
      '--out <path>',
      'onnx: output file (default: MODEL_DIR/model.onnx); for seq2seq a directory that gets encoder.onnx and decoder_step.onnx (default: MODEL_DIR). pytorch: the output directory (default: MODEL_DIR/pytorch)',
    )
    .option('--json', 'print one JSON line describing the exported model')
    .action((modelDir: string, opts: { format: 'onnx' | 'pytorch'; out?: string; json?: boolean }) => {
      if (opts.format === 'pytorch') {
        const result = exportPytorch(modelDir, opts.out ?? join(modelDir, 'pytorch'));
        if (opts.json) write(`${JSON.stringify(result)}\n`);
        else {
          write(`wrote ${result.files.join(', ')} (task ${result.task})\n`);
          write(
            `  train: torchrun --nproc_per_node=N ${join(result.dir, 'train.py')} --data FILE --epochs N --out DIR\n`,
          );
          write(`  then:  recurrent import --format pytorch DIR --out MODEL_DIR\n`);
        }
        return;
      }
      const result = exportTaskModel(modelDir, opts.out);
      if (opts.json) {
        // One graph: its description flat, as before; several: { task, files, notes }.
        const [only] = result.files;
        write(
          `${JSON.stringify(result.files.length === 1 && only ? { file: only.file, task: result.task, bytes: only.bytes, inputs: only.inputs, outputs: only.outputs, notes: result.notes } : result)}\n`,
        );
        return;
      }
      for (const g of result.files) {
        write(`wrote ${g.file} (${g.bytes} bytes, ONNX opset 14, task ${result.task})\n`);
        write(`  inputs:  ${g.inputs.map(describe).join(', ')}\n`);
        write(`  outputs: ${g.outputs.map(describe).join(', ')}\n`);
      }
      for (const note of result.notes) write(`  note: ${note}\n`);
    });
}
