/**
 * Op tracing: a listener that sees every public tensor op once, with its arguments and result.
 * `exportOnnx` uses it to turn a forward pass into an ONNX graph (src/onnx/trace-*.ts).
 *
 * Each public op is wrapped once with `traced(name, fn)`. Without a listener the wrapper only
 * checks one variable. With one, the outermost op is reported after it ran; ops it calls
 * internally (`select` runs `slice` and `reshape`) are not, so every event is one op as the
 * caller wrote it.
 */

/** One op call: the op's name, its arguments as passed, and what it returned. */
export interface TraceEvent {
  readonly op: string;
  readonly args: readonly unknown[];
  readonly result: unknown;
}

export type TraceListener = (event: TraceEvent) => void;

let listener: TraceListener | null = null;
/** How many traced ops (or untraced blocks) are running; events are reported at depth 0 only. */
let depth = 0;

/** Wraps an op so that a trace listener sees its calls. Types and behaviour are unchanged. */
export function traced<F extends (...args: never[]) => unknown>(op: string, fn: F): F {
  const wrapper = (...args: never[]): unknown => {
    if (listener === null || depth > 0) return fn(...args);
    depth++;
    let result: unknown;
    try {
      result = fn(...args);
    } finally {
      depth--;
    }
    listener({ op, args, result });
    return result;
  };
  return wrapper as F;
}

/** Whether an op called now would be reported to a trace listener (an outermost op while tracing). */
export function tracing(): boolean {
  return listener !== null && depth === 0;
}

/** Runs `f` with `l` receiving the op events (not re-entrant: one trace at a time). */
export function withTraceListener<T>(l: TraceListener, f: () => T): T {
  if (listener !== null) throw new Error('withTraceListener: a trace is already running');
  listener = l;
  const saved = depth;
  depth = 0;
  try {
    return f();
  } finally {
    listener = null;
    depth = saved;
  }
}

/**
 * Runs `f` as one op named `op`: the ops inside are not reported, and the listener (if any)
 * sees `{ op, args, result }` instead. For operations that are not a wrapped function.
 */
export function traceAsOne<T>(op: string, args: readonly unknown[], f: () => T): T {
  if (listener === null || depth > 0) return f();
  depth++;
  let result: T;
  try {
    result = f();
  } finally {
    depth--;
  }
  listener({ op, args, result });
  return result;
}
