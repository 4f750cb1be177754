/**
 * The HTTP server of `recurrent serve` (fastify):
 *   POST /predict   {"inputs": [...]} -> {"outputs": [...]}, same order; inputs of concurrent
 *                   requests run together (dynamic batching, see batcher.ts)
 *   POST /generate  {"input": "..."} -> server-sent events, for a predictor that streams
 *   GET  /health    {"status": "ok", "task": ...}; 503 {"status": "draining"} while draining
 *   GET  /metrics   Prometheus text
 * Every refusal is JSON: {"error": {"code", "message"}} with a 4xx status (503 while draining).
 * `drain()` (on SIGTERM): new requests get 503, accepted ones finish, then the server closes.
 */
import { createServer as createHttpServer, type RequestListener } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { RecurrentError, RequestError, ValueError } from '../errors.js';
import { isTaskName, TASKS } from '../tasks/registry.js';
import type { Predictor } from '../tasks/task.js';
import { DynamicBatcher } from './batcher.js';
import { checkPredictBody, type InputLimits, inputForm } from './inputs.js';
import { ServeMetrics } from './metrics.js';
import { isStreaming, streamTokens } from './streaming.js';

export interface ServeOptions extends InputLimits {
  /** Most inputs per model call (default 32). */
  maxBatch: number;
  /** Longest wait of the first queued input while more keep arriving (ms, default 2; see batcher.ts). */
  maxWaitMs: number;
  /** Largest request body in bytes (default 1 MiB); larger gets 413. */
  maxBodyBytes: number;
  /** A request (headers and body) must arrive within this time (ms, default 10 s), else 408. */
  requestTimeoutMs: number;
  /** Longest drain after SIGTERM before the server closes anyway (ms, default 30 s). */
  drainTimeoutMs: number;
}

export const DEFAULT_SERVE_OPTIONS: ServeOptions = {
  maxBatch: 32,
  maxWaitMs: 2,
  maxBodyBytes: 1 << 20,
  maxInputs: 256,
  maxInputLength: 1000,
  requestTimeoutMs: 10_000,
  drainTimeoutMs: 30_000,
};

export interface ServeApp {
  app: FastifyInstance;
  metrics: ServeMetrics;
  /**
   * Refuses new requests with 503, waits for accepted ones (at most drainTimeoutMs), closes.
   * Returns how many requests were accepted and answered in the server's life, how many of
   * them finished while draining, and how many were abandoned at the drain timeout.
   */
  drain(): Promise<DrainReport>;
}

export interface DrainReport {
  accepted: number;
  answered: number;
  finishedWhileDraining: number;
  abandoned: number;
}

const errorBody = (code: string, message: string) => ({ error: { code, message } });

export function createServer(predictor: Predictor, options: Partial<ServeOptions> = {}): ServeApp {
  const opts: ServeOptions = { ...DEFAULT_SERVE_OPTIONS, ...options };
  const metrics = new ServeMetrics();
  const form = inputForm(isTaskName(predictor.task) ? TASKS[predictor.task].serveInput : 'text');
  const batcher = new DynamicBatcher<unknown, unknown>(
    (items) => {
      metrics.inputs.inc(items.length);
      return form.run(predictor, items);
    },
    { maxBatch: opts.maxBatch, maxWaitMs: opts.maxWaitMs, onBatch: (n) => metrics.batchSize.observe(n) },
  );

  // Node checks request timeouts every connectionsCheckingInterval (30 s by default): check often enough for the timeout to mean what it says.
  const serverFactory = (handler: RequestListener) =>
    createHttpServer(
      {
        requestTimeout: opts.requestTimeoutMs,
        connectionsCheckingInterval: Math.min(1000, Math.ceil(opts.requestTimeoutMs / 4)),
      },
      handler,
    );
  const app = Fastify({
    bodyLimit: opts.maxBodyBytes,
    requestTimeout: opts.requestTimeoutMs,
    return503OnClosing: true,
    logger: false,
    serverFactory,
  });
  app.removeContentTypeParser('text/plain');
  let draining = false;
  let inFlight = 0;
  let acceptedCount = 0;
  let answeredCount = 0;
  let finishedWhileDraining = 0;
  let wakeDrain: (() => void) | null = null;

  app.addHook('onRequest', async (request, reply) => {
    if (draining && request.url !== '/metrics') {
      reply.header('connection', 'close');
      return reply.code(503).send(errorBody('draining', 'the server is shutting down; retry on another instance'));
    }
    return undefined;
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, status: String(reply.statusCode) });
    metrics.latency.observe({ route }, reply.elapsedTime / 1000);
  });

  /** Counts a request as accepted until `work` settles, so that a drain waits for it. */
  const accepted = async <T>(work: () => Promise<T>): Promise<T> => {
    inFlight++;
    acceptedCount++;
    try {
      return await work();
    } finally {
      answeredCount++;
      inFlight--;
      if (draining) finishedWhileDraining++;
      if (inFlight === 0) wakeDrain?.();
    }
  };

  app.setErrorHandler(
    (error: Error & { statusCode?: number; code?: string }, _request: FastifyRequest, reply: FastifyReply) => {
      if (error instanceof RequestError) return reply.code(error.status).send(errorBody(error.code, error.message));
      if (error instanceof ValueError) return reply.code(422).send(errorBody('prediction_failed', error.message));
      const status = error.statusCode ?? 500;
      if (status >= 400 && status < 500) {
        const code =
          status === 413
            ? 'body_too_large'
            : status === 415
              ? 'unsupported_media_type'
              : status === 408
                ? 'request_timeout'
                : 'invalid_body';
        return reply
          .code(status)
          .send(
            errorBody(
              code,
              status === 413 ? `the body is larger than ${opts.maxBodyBytes} bytes (--max-body-bytes)` : error.message,
            ),
          );
      }
      const known = error instanceof RecurrentError;
      return reply.code(500).send(errorBody('internal', known ? error.message : 'the model failed on this request'));
    },
  );
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(
        errorBody(
          'not_found',
          `no route ${request.method} ${request.url}; try POST /predict, GET /health or GET /metrics`,
        ),
      ),
  );

  app.post('/predict', (request) =>
    accepted(async () => {
      const inputs = checkPredictBody(request.body, form, opts);
      metrics.queueDepth.set(batcher.pending + inputs.length);
      const outputs = await Promise.all(inputs.map((input) => batcher.submit(input)));
      return { outputs };
    }),
  );

  app.post('/generate', (request, reply) =>
    accepted(async () => {
      if (!isStreaming(predictor))
        throw new RequestError(
          404,
          'not_streaming',
          'POST /generate',
          `the ${predictor.task} task does not generate text; use POST /predict`,
        );
      const body = request.body as { input?: unknown } | null;
      const input = form.check(
        body !== null && typeof body === 'object' ? body.input : undefined,
        'input',
        opts,
      ) as string;
      reply.hijack();
      await streamTokens(predictor, input, reply.raw);
    }),
  );

  app.get('/health', async (_request, reply) =>
    reply.code(draining ? 503 : 200).send({ status: draining ? 'draining' : 'ok', task: predictor.task, inFlight }),
  );
  app.get('/metrics', async (_request, reply) => {
    metrics.queueDepth.set(batcher.pending);
    return reply.type(metrics.contentType).send(await metrics.text());
  });

  const drain = async () => {
    draining = true;
    metrics.draining.set(1);
    batcher.flush();
    if (inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, opts.drainTimeoutMs);
        wakeDrain = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const abandoned = inFlight;
    await app.close();
    return { accepted: acceptedCount, answered: answeredCount, finishedWhileDraining, abandoned };
  };
  return { app, metrics, drain };
}
