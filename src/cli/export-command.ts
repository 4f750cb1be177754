/** `recurrent export MODEL_DIR --format onnx [--out FILE]`: a saved model as an ONNX file. */
import type { Command } from 'commander';
import { exportSeq2SeqModelDirectory } from '../onnx/export-seq2seq.js';
import { exportModelDirectory } from '../onnx/model-dir.js';
import { readModelConfig } from '../tasks/model-dir.js';
import type { OnnxValueSpec } from '../onnx/export.js';
import { choice } from './parse.js';

const describe = (v: OnnxValueSpec) => `${v.name} ${v.type} [${v.dims.join(', ')}]`;

export function registerExport(program: Command, write: (text: string) => void = (t) => process.stdout.write(t)): void {
  program
    .command('export')
    .description('export a model directory written by `recurrent train` to another format (ONNX, opset 14)')
    .argument('<model-dir>', 'the model directory')
    .requiredOption('--format <format>', 'output format: onnx', choice('format', ['onnx'] as const))
    .option('--out <path>', 'output file (default: MODEL_DIR/model.onnx); for seq2seq a directory that gets encoder.onnx and decoder_step.onnx (default: MODEL_DIR)')
    .option('--json', 'print one JSON line describing the exported model')
    .action((modelDir: string, opts: { format: 'onnx'; out?: string; json?: boolean }) => {
      if (readModelConfig(modelDir).task === 'seq2seq') {
        // An encoder-decoder is two graphs: the caller runs the decoding loop over decoder_step.
        const outDir = opts.out ?? modelDir;
        const s2s = exportSeq2SeqModelDirectory(modelDir, outDir);
        const graphs = [s2s.encoder, s2s.decoderStep];
        if (opts.json) {
          write(`${JSON.stringify({ task: 'seq2seq', files: graphs, notes: s2s.notes })}\n`);
          return;
        }
        for (const g of graphs) {
          write(`wrote ${g.file} (${g.bytes} bytes, ONNX opset 14, task seq2seq)\n`);
          write(`  inputs:  ${g.inputs.map(describe).join(', ')}\n`);
          write(`  outputs: ${g.outputs.map(describe).join(', ')}\n`);
        }
        for (const note of s2s.notes) write(`  note: ${note}\n`);
        return;
      }
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
