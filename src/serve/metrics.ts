/**
 * The server's Prometheus metrics (prom-client, on a registry of its own so that two servers in
 * one process do not share counters): requests by route and status, request latency, the size
 * of every batch the model ran, inputs predicted, and the queue depth. Also prom-client's default
 * process metrics (CPU seconds, memory, GC, and the event loop's delay: nodejs_eventloop_lag_p99_seconds
 * covers the time since the previous scrape), so that a slow percentile seen by clients can be
 * told apart from a blocked event loop (`npm run bench:serve` reads both).
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export class ServeMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'recurrent_requests_total',
    help: 'HTTP requests answered, by route and status',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'recurrent_request_duration_seconds',
    help: 'Time from request to response, by route',
    labelNames: ['route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'recurrent_batch_size',
    help: 'Inputs per model call (dynamic batching)',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  });
  readonly inputs = new Counter({
    name: 'recurrent_inputs_total',
    help: 'Inputs predicted',
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'recurrent_queue_depth',
    help: 'Inputs waiting for a batch',
    registers: [this.registry],
  });
  readonly draining = new Gauge({
    name: 'recurrent_draining',
    help: '1 while the server drains after SIGTERM',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** The Prometheus text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
