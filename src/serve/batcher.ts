/**
 * Dynamic batching: waiting items run together in one call of `run`, at most `maxBatch` at a
 * time. The batch gathers turn by turn of the event loop: it runs as soon as a turn brings no new
 * item, or it is full, or its first item has waited `maxWaitMs`. So a lone request waits one turn
 * (no timer), and under load batches grow with the arrivals. If a batch fails, its items are
 * retried one by one, so one bad input fails alone.
 */
export interface BatcherOptions {
  /** Most items per call of `run` (>= 1). */
  maxBatch: number;
  /** Longest time the first waiting item waits while more keep arriving (ms, >= 0; 0: one turn). */
  maxWaitMs: number;
  /** Called with the size of every batch that runs (for metrics). */
  onBatch?: (size: number) => void;
}

interface Waiting<I, O> {
  item: I;
  resolve: (output: O) => void;
  reject: (error: unknown) => void;
}

export class DynamicBatcher<I, O> {
  private queue: Waiting<I, O>[] = [];
  private timer: NodeJS.Immediate | null = null;
  private idleWaiters: (() => void)[] = [];

  /** `run(items)` returns one output per item, in order. */
  constructor(
    private readonly run: (items: I[]) => O[],
    private readonly options: BatcherOptions,
  ) {}

  /** Items waiting for a batch. */
  get pending(): number {
    return this.queue.length;
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.queue.length >= this.options.maxBatch) this.flush();
      else if (this.timer === null) this.schedule();
    });
  }

  /** Runs every waiting item now, in batches of at most maxBatch. */
  flush(): void {
    this.cancelTimer();
    while (this.queue.length > 0) this.runBatch(this.queue.splice(0, this.options.maxBatch));
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** Resolves once nothing waits (after a flush if need be). */
  idle(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    const first = performance.now();
    let seen = this.queue.length;
    const check = () => {
      // Between two immediates the event loop polls for I/O, i.e. reads the requests that arrived.
      if (this.queue.length > seen && performance.now() - first < this.options.maxWaitMs) {
        seen = this.queue.length;
        this.timer = setImmediate(check);
        return;
      }
      this.timer = null;
      this.flush();
    };
    this.timer = setImmediate(check);
  }

  private cancelTimer(): void {
    if (this.timer === null) return;
    clearImmediate(this.timer);
    this.timer = null;
  }

  private runBatch(batch: Waiting<I, O>[]): void {
    this.options.onBatch?.(batch.length);
    try {
      const outputs = this.run(batch.map((w) => w.item));
      if (outputs.length !== batch.length)
        throw new Error(`the model gave ${outputs.length} outputs for ${batch.length} inputs`);
      batch.forEach((w, i) => w.resolve(outputs[i]!));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      for (const w of batch) this.runBatch([w]);
    }
  }
}
