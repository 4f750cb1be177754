/**
 * Dynamic batching: items submitted while the model is busy or within `maxWaitMs` of the first
 * waiting item run together in one call of `run`, at most `maxBatch` at a time. A full batch
 * runs at once; `maxWaitMs: 0` still gathers the items that arrive in the same turn of the
 * event loop. If a batch fails, its items are retried one by one, so one bad input fails alone.
 */
export interface BatcherOptions {
  /** Most items per call of `run` (>= 1). */
  maxBatch: number;
  /** Longest time the first waiting item waits for others (ms, >= 0). */
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
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private idleWaiters: (() => void)[] = [];

  /** `run(items)` returns one output per item, in order. */
  constructor(private readonly run: (items: I[]) => O[], private readonly options: BatcherOptions) {}

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
    const fire = () => {
      this.timer = null;
      this.flush();
    };
    this.timer = this.options.maxWaitMs > 0 ? setTimeout(fire, this.options.maxWaitMs) : setImmediate(fire);
  }

  private cancelTimer(): void {
    if (this.timer === null) return;
    clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = null;
  }

  private runBatch(batch: Waiting<I, O>[]): void {
    this.options.onBatch?.(batch.length);
    try {
      const outputs = this.run(batch.map((w) => w.item));
      if (outputs.length !== batch.length) throw new Error(`the model gave ${outputs.length} outputs for ${batch.length} inputs`);
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
