/** `recurrent serve MODEL_DIR [--port P] [--host H]`: an HTTP server for a saved model (see src/serve/server.ts). */
import type { Command } from 'commander';
import { getBackend } from '../backend/backend.js';
import { activeNativeAddon } from '../backend/native/index.js';
import { createServer, DEFAULT_SERVE_OPTIONS, type ServeOptions } from '../serve/server.js';
import { loadPredictor } from '../tasks/model-dir.js';
import { integer } from './parse.js';

interface ServeFlags extends ServeOptions {
  port: number;
  host: string;
  threads: number;
}

/**
 * Threads per model call for the native backend; returns what the start line says of the kernels.
 * One by default: throughput comes from dynamic batching, and a batch of a few dozen short
 * sequences split over threads waits for the slowest, which on a busy machine may be descheduled
 * for milliseconds (measured at 32 connections on 2 shared cores: p99 27-68 ms with 1 thread
 * against 47-84 ms with 2, in 4 alternating runs).
 */
function configureKernels(threads: number): string {
  const addon = activeNativeAddon();
  if (!addon) return `${getBackend().name} backend`;
  const info = addon.configure({ threads });
  return `native backend, ${info.threads} kernel thread${info.threads === 1 ? '' : 's'}`;
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
    .option(
      '--threads <n>',
      'native backend: threads per model call (batching gives the throughput; more threads help big batches on idle cores)',
      integer('threads', 1),
      1,
    )
    .action(async (modelDir: string, flags: ServeFlags) => {
      const predictor = loadPredictor(modelDir);
      const { port, host, threads, ...options } = flags;
      const kernels = configureKernels(threads);
      const server = createServer(predictor, options);
      const address = await server.app.listen({ port, host });
      process.stdout.write(
        `serving ${predictor.task} model ${modelDir} at ${address} (max batch ${options.maxBatch}, max wait ${options.maxWaitMs} ms, ${kernels})\n`,
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
