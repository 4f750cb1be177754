/**
 * The optimizer base class and the helpers that read and check saved state.
 *
 * An optimizer holds a fixed list of parameters (one "parameter group" in PyTorch's terms) and
 * updates them in place through `param.data` from their `.grad`. Its state (step counts,
 * moment buffers) is float32, like the parameters, so `stateDict()` can write it as plain
 * number arrays that `loadStateDict()` reads back bit for bit: a run stopped, saved and
 * resumed continues exactly as an uninterrupted one.
 */
import { ShapeError, StateDictError, ValueError } from '../../errors.js';
import { Tensor } from '../../tensor/tensor.js';

/** A hyperparameter value as saved in a state dict. */
export type OptionValue = number | boolean | number[];

/** A saved number: finite numbers as they are; ±Infinity and NaN as strings (JSON has none). */
export type SavedNumber = number | 'Infinity' | '-Infinity' | 'NaN';

/**
 * An optimizer's state as a JSON-friendly object (`JSON.stringify` keeps everything).
 * Written by `stateDict()`, read by `loadStateDict()`.
 */
export interface OptimizerState {
  /** The optimizer that wrote it: `'SGD'`, `'Adam'`, `'AdamW'` or `'RMSprop'`. */
  type: string;
  /** Every hyperparameter by its option name, including the current `lr`. */
  options: Record<string, OptionValue>;
  /**
   * Per parameter, in constructor order: its counters and buffers (each buffer has one number
   * per element of the parameter, row-major), or null if it has no state yet.
   */
  state: (Record<string, number | number[]> | null)[];
}

/** Base options of every optimizer. */
export interface OptimizerOptions {
  /** Learning rate, ≥ 0. */
  lr: number;
}

/** @internal Throws ValueError unless `value` is a finite number ≥ `min` (or > `min` when `open`). */
export function checkNumber(where: string, option: string, value: unknown, min = 0, open = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || (open ? value <= min : value < min)) {
    throw new ValueError(
      where,
      `option ${option} must be a finite number ${open ? '>' : '≥'} ${min}, got ${String(value)}`,
    );
  }
  return value;
}

/** @internal Throws ValueError unless `value` is an integer ≥ `min`. */
export function checkInteger(where: string, option: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ValueError(where, `option ${option} must be an integer ≥ ${min}, got ${String(value)}`);
  }
  return value;
}

/** @internal Throws ValueError unless `value` is a boolean. */
export function checkBoolean(where: string, option: string, value: unknown): boolean {
  if (typeof value !== 'boolean')
    throw new ValueError(where, `option ${option} must be true or false, got ${String(value)}`);
  return value;
}

/** @internal Throws ValueError unless `value` is one of `choices`. */
export function checkChoice<T extends string>(where: string, option: string, value: unknown, choices: readonly T[]): T {
  if (!choices.includes(value as T)) {
    throw new ValueError(
      where,
      `option ${option} must be ${choices.map((c) => `'${c}'`).join(' or ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value as T;
}

/** @internal Encodes a number for a JSON state dict (non-finite values as strings). */
export function saveNumber(value: number): SavedNumber {
  if (Number.isFinite(value)) return value;
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
}

/** @internal Decodes {@link saveNumber}'s output; throws StateDictError for anything else. */
export function loadNumber(where: string, key: string, value: unknown): number {
  if (typeof value === 'number') return value;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  if (value === 'NaN') return NaN;
  throw new StateDictError(
    where,
    key,
    value === undefined ? 'missing' : 'shape',
    value === undefined ? 'is missing' : `is ${JSON.stringify(value)}, expected a number`,
  );
}

/**
 * @internal Checks that a saved object has exactly the keys `expected` (StateDictError naming
 * the first missing or unexpected key).
 */
export function checkKeys(
  where: string,
  prefix: string,
  value: unknown,
  expected: readonly string[],
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new StateDictError(
      where,
      prefix || '(root)',
      'shape',
      `is ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}, expected an object`,
    );
  }
  const record = value as Record<string, unknown>;
  const missing = expected.filter((k) => !(k in record));
  if (missing.length > 0) {
    throw new StateDictError(
      where,
      prefix + missing[0]!,
      'missing',
      `is missing (expected keys: ${expected.join(', ')})`,
    );
  }
  const unexpected = Object.keys(record).filter((k) => !expected.includes(k));
  if (unexpected.length > 0) {
    throw new StateDictError(
      where,
      prefix + unexpected[0]!,
      'unexpected',
      `is unexpected (expected keys: ${expected.join(', ')})`,
    );
  }
  return record;
}

/** @internal Reads a finite number from a saved object (StateDictError otherwise). */
export function loadFinite(where: string, key: string, value: unknown): number {
  if (typeof value !== 'number') {
    throw new StateDictError(where, key, 'shape', `is ${JSON.stringify(value)}, expected a number`);
  }
  if (!Number.isFinite(value)) throw new StateDictError(where, key, 'non-finite', `holds ${value}`);
  return value;
}

/** @internal Reads a non-negative integer counter from a saved object. */
export function loadCounter(where: string, key: string, value: unknown): number {
  const v = loadFinite(where, key, value);
  if (!Number.isInteger(v) || v < 0)
    throw new StateDictError(where, key, 'shape', `is ${v}, expected a non-negative integer`);
  return v;
}

/** @internal Reads a float32 buffer of `size` finite numbers from a saved object. */
export function loadBuffer(where: string, key: string, value: unknown, size: number): Float32Array {
  if (!Array.isArray(value) && !(value instanceof Float32Array)) {
    throw new StateDictError(where, key, 'shape', `is ${JSON.stringify(value)}, expected an array of ${size} numbers`);
  }
  const list = value as ArrayLike<unknown>;
  if (list.length !== size)
    throw new StateDictError(
      where,
      key,
      'shape',
      `has ${list.length} values, expected ${size} (one per parameter element)`,
    );
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const v = list[i];
    if (typeof v !== 'number')
      throw new StateDictError(where, key, 'shape', `holds ${JSON.stringify(v)} at index ${i}, expected a number`);
    if (!Number.isFinite(v)) throw new StateDictError(where, key, 'non-finite', `holds ${v} at index ${i}`);
    out[i] = v;
  }
  return out;
}

/** Per-parameter state: counters (numbers) and float32 buffers. */
export type ParamState = Record<string, number | Float32Array>;

/**
 * The base of every optimizer. Subclasses define the per-parameter update and which state
 * entries exist for given options.
 *
 * Usage, once per batch:
 * ```ts
 * optimizer.zeroGrad();
 * loss.backward();
 * optimizer.step();
 * ```
 */
export abstract class Optimizer<O extends OptimizerOptions = OptimizerOptions> {
  /** The parameters, in the order given to the constructor. */
  readonly params: readonly Tensor[];
  /** The resolved hyperparameters (defaults filled in, validated). */
  protected options: O;
  /** Per parameter, its state, or null before its first update. */
  protected state: (ParamState | null)[];
  /**
   * The optimizer's name, used in error messages and saved as the state dict's `type`.
   * Subclasses implement it as a getter (it is read during construction).
   */
  protected abstract get name(): string;

  /**
   * @param params the tensors to optimize: leaf tensors, each at most once, at least one.
   * @param options the subclass's options, already validated with defaults filled in.
   */
  protected constructor(params: Iterable<Tensor>, options: O) {
    // `name` is a getter on the subclass's prototype, so it is already readable here.
    const name = (this as unknown as { readonly name: string }).name;
    const list = [...params];
    if (list.length === 0) throw new ValueError(name, 'got an empty parameter list');
    const seen = new Set<Tensor>();
    list.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new ValueError(name, `parameter ${i} is not a Tensor`);
      if (!p.isLeaf)
        throw new ValueError(
          name,
          `parameter ${i} is not a leaf tensor (it was computed by an op); optimize the tensors you created`,
        );
      if (seen.has(p)) throw new ValueError(name, `parameter ${i} appears more than once`);
      seen.add(p);
    });
    this.params = Object.freeze(list);
    this.options = options;
    this.state = list.map(() => null);
  }

  /** The learning rate used by the next `step()`. Schedulers change it through the setter. */
  get lr(): number {
    return this.options.lr;
  }

  /** Sets the learning rate (a finite number ≥ 0, else ValueError). */
  set lr(value: number) {
    this.options.lr = checkNumber(this.name, 'lr', value);
  }

  /**
   * Updates every parameter that has a gradient, in place (`param.data`); parameters whose
   * `.grad` is null are skipped and keep their state.
   */
  step(): void {
    for (const { index, param, grad } of this.withGradients())
      this.state[index] = this.updateParam(param, grad, this.state[index]!);
  }

  /** The parameters that have a gradient (checked to match their size), with their index. */
  protected withGradients(): { index: number; param: Float32Array; grad: Float32Array }[] {
    const out: { index: number; param: Float32Array; grad: Float32Array }[] = [];
    this.params.forEach((p, i) => {
      if (p.grad === null) return;
      if (p.grad.size !== p.size) {
        throw new ShapeError({
          where: `${this.name}.step`,
          what: `gradient of parameter ${i}`,
          expected: p.shape,
          actual: p.grad.shape,
        });
      }
      out.push({ index: i, param: p.data, grad: p.grad.data });
    });
    return out;
  }

  /** Sets every parameter's `.grad` to null (the next `backward()` starts from zero). */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  /** A copy of the hyperparameters and per-parameter state (JSON-friendly; safe to keep). */
  stateDict(): OptimizerState {
    const options: Record<string, OptionValue> = {};
    for (const [k, v] of Object.entries(this.options))
      options[k] = Array.isArray(v) ? [...(v as number[])] : (v as number | boolean);
    const state = this.state.map((s) => {
      if (s === null) return null;
      const out: Record<string, number | number[]> = {};
      for (const [k, v] of Object.entries(s)) out[k] = typeof v === 'number' ? v : Array.from(v);
      return out;
    });
    return { type: this.name, options, state };
  }

  /**
   * Restores hyperparameters (including `lr`) and per-parameter state from `stateDict()`'s
   * output, for an optimizer over parameters of the same sizes in the same order. Everything
   * is checked before anything changes: StateDictError names a missing, unexpected, misshaped
   * or non-finite entry (or a `type` other than this optimizer's); ValueError reports an
   * invalid option value.
   */
  loadStateDict(saved: OptimizerState): void {
    const where = `${this.name}.loadStateDict`;
    const root = checkKeys(where, '', saved, ['type', 'options', 'state']);
    if (root.type !== this.name) {
      throw new StateDictError(
        where,
        'type',
        'unexpected',
        `is ${JSON.stringify(root.type)}, expected '${this.name}' (a state saved by another optimizer)`,
      );
    }
    const rawOptions = checkKeys(where, 'options.', root.options, Object.keys(this.options));
    const options = this.resolveOptions(rawOptions as unknown as O);
    if (!Array.isArray(root.state)) throw new StateDictError(where, 'state', 'shape', 'is not an array');
    if (root.state.length !== this.params.length) {
      throw new StateDictError(
        where,
        'state',
        'shape',
        `has ${root.state.length} entries, expected ${this.params.length} (one per parameter)`,
      );
    }
    const keys = this.stateKeys(options);
    const state = root.state.map((entry: unknown, i: number): ParamState | null => {
      if (entry === null) return null;
      const prefix = `state.${i}.`;
      const record = checkKeys(where, prefix, entry, [...keys.counters, ...keys.buffers]);
      const s: ParamState = {};
      for (const k of keys.counters) s[k] = loadCounter(where, prefix + k, record[k]);
      for (const k of keys.buffers) s[k] = loadBuffer(where, prefix + k, record[k], this.params[i]!.size);
      return s;
    });
    this.options = options;
    this.state = state;
  }

  /** Validates options and fills in defaults (ValueError naming the optimizer and option). */
  protected abstract resolveOptions(options: O): O;

  /** The counters and buffers a parameter's state holds under `options`. */
  protected abstract stateKeys(options: O): { counters: readonly string[]; buffers: readonly string[] };

  /**
   * Updates one parameter in place from its gradient and returns its new state (`state` is
   * null on the first update). All arrays have the parameter's size.
   */
  protected abstract updateParam(param: Float32Array, grad: Float32Array, state: ParamState | null): ParamState | null;
}
