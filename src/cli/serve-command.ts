/** `recurrent serve MODEL_DIR [--port P] [--host H]`: an HTTP server for a saved model (see src/serve/server.ts). */
import type { Command } from 'commander';
import { createServer, DEFAULT_SERVE_OPTIONS, type ServeOptions } from '../serve/server.js';
import { loadPredictor } from '../tasks/model-dir.js';
import { integer } from './parse.js';

interface ServeFlags extends ServeOptions {
  port: number;
  host: string;
}

export function registerServe(program: Command): void {
  const d = DEFAULT_SERVE_OPTIONS;
  program
    .command('serve')
    .description(
      'serve a model directory over HTTP: POST /predict {"inputs": [...]}, GET /health, GET /metrics; SIGTERM drains',
    )
    .argument('<model-dir>', 'a model directory written by `recurrent train` or `recurrent import`')
    .option('--port <n>', 'port (0: any free port, printed at start)', integer('port', 0), 8080)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--max-batch <n>', 'most inputs per model call (dynamic batching)', integer('max-batch', 1), d.maxBatch)
    .option(
      '--max-wait-ms <ms>',
      'longest wait of a queued input while more keep arriving',
      integer('max-wait-ms', 0),
      d.maxWaitMs,
    )
    .option('--max-body-bytes <n>', 'largest request body (413 above)', integer('max-body-bytes', 64), d.maxBodyBytes)
    .option('--max-inputs <n>', 'most inputs per request (413 above)', integer('max-inputs', 1), d.maxInputs)
    .option(
      '--max-input-length <n>',
      'most characters (or forecast values) per input (413 above)',
      integer('max-input-length', 1),
      d.maxInputLength,
    )
    .option(
      '--request-timeout-ms <ms>',
      'a request must arrive within this time (408 after)',
      integer('request-timeout-ms', 1),
      d.requestTimeoutMs,
    )
    .option('--drain-timeout-ms <ms>', 'longest drain after SIGTERM', integer('drain-timeout-ms', 0), d.drainTimeoutMs)
    .action(async (modelDir: string, flags: ServeFlags) => {
      const predictor = loadPredictor(modelDir);
      const { port, host, ...options } = flags;
      const server = createServer(predictor, options);
      const address = await server.app.listen({ port, host });
      process.stdout.write(
        `serving ${predictor.task} model ${modelDir} at ${address} (max batch ${options.maxBatch}, max wait ${options.maxWaitMs} ms)\n`,
      );
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stdout.write(`${signal}: draining\n`);
        void server.drain().then(({ accepted, answered, finishedWhileDraining, abandoned }) => {
          process.stdout.write(
            `drained: ${finishedWhileDraining} requests finished after ${signal}; ${accepted} accepted, ${answered} answered in all${abandoned > 0 ? `, ${abandoned} abandoned at the drain timeout` : ''}\n`,
          );
          process.exitCode = abandoned > 0 ? 1 : 0;
        });
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
