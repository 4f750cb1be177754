/**
 * Module: the base of every layer. It owns named parameters and child modules, so
 * `namedParameters()`, `stateDict()` and `loadStateDict()` use PyTorch's dotted names
 * (`encoder.weight_ih_l0`), and weights move to and from PyTorch state dicts unchanged.
 */
import { StateDictError } from '../errors.js';
import { formatShape, shapesEqual } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/** A state dict: parameter name to tensor, as a plain object or a Map. */
export type StateDict = Record<string, Tensor> | ReadonlyMap<string, Tensor>;

export interface LoadStateDictOptions {
  /** Fail on missing or unexpected keys (default true). Shapes and finiteness are always checked. */
  strict?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export abstract class Module {
  /** Training mode (dropout active). Set with `train()` / `eval()`. */
  training = true;
  private readonly ownParameters = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  /** Short description used in error messages, e.g. `LSTM(inputSize=10, hiddenSize=20)`. */
  describe(): string {
    return this.constructor.name;
  }

  /** Registers a trainable tensor under `name`; it gets `requiresGrad = true`. */
  protected registerParameter(name: string, value: Tensor): Tensor {
    value.requiresGrad = true;
    this.ownParameters.set(name, value);
    return value;
  }

  /** Registers a child module; its parameters appear as `name.param`. */
  protected registerModule<M extends Module>(name: string, module: M): M {
    this.children.set(name, module);
    return module;
  }

  /** Every parameter with its dotted name, in registration order (depth first). */
  namedParameters(prefix = ''): [string, Tensor][] {
    const result: [string, Tensor][] = [];
    for (const [name, p] of this.ownParameters) result.push([prefix + name, p]);
    for (const [name, child] of this.children) result.push(...child.namedParameters(`${prefix}${name}.`));
    return result;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Child modules with their names, depth first, this module first with name ''. */
  namedModules(prefix = ''): [string, Module][] {
    const result: [string, Module][] = [[prefix.replace(/\.$/, ''), this]];
    for (const [name, child] of this.children) result.push(...child.namedModules(`${prefix}${name}.`));
    return result;
  }

  /** Number of trainable scalars. */
  parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** A copy of every parameter by name (safe to keep: later training does not change it). */
  stateDict(): Record<string, Tensor> {
    const dict: Record<string, Tensor> = {};
    for (const [name, p] of this.namedParameters()) dict[name] = new Tensor(Float32Array.from(p.data), p.shape);
    return dict;
  }

  /**
   * Copies values into the parameters. Every entry is validated before any parameter changes,
   * so a failed load leaves the module as it was. Throws StateDictError naming the key when a
   * key is missing or unexpected (strict mode), a shape differs, or a value is NaN/Infinity.
   */
  loadStateDict(dict: StateDict, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const strict = options.strict ?? true;
    const entries = dict instanceof Map ? new Map(dict) : new Map(Object.entries(dict));
    const own = new Map(this.namedParameters());
    const where = `${this.describe()}.loadStateDict`;
    const missingKeys = [...own.keys()].filter((k) => !entries.has(k));
    const unexpectedKeys = [...entries.keys()].filter((k) => !own.has(k));
    if (strict && missingKeys.length > 0) {
      throw new StateDictError(where, missingKeys[0]!, 'missing', `is missing (missing: ${missingKeys.join(', ')})`);
    }
    if (strict && unexpectedKeys.length > 0) {
      throw new StateDictError(
        where,
        unexpectedKeys[0]!,
        'unexpected',
        `is unexpected (expected keys: ${[...own.keys()].join(', ')})`,
      );
    }
    for (const [key, param] of own) {
      const value = entries.get(key);
      if (!value) continue;
      if (!shapesEqual(value.shape, param.shape)) {
        throw new StateDictError(
          where,
          key,
          'shape',
          `has shape ${formatShape(value.shape)}, expected ${formatShape(param.shape)}`,
        );
      }
      const bad = value.data.findIndex((v: number) => !Number.isFinite(v));
      if (bad >= 0) {
        throw new StateDictError(where, key, 'non-finite', `holds ${value.data[bad]} at flat index ${bad}`);
      }
    }
    for (const [key, param] of own) {
      const value = entries.get(key);
      if (value) param.data.set(value.data);
    }
    return { missingKeys, unexpectedKeys };
  }

  /** Sets training mode on this module and its children. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Evaluation mode: dropout off. */
  eval(): this {
    return this.train(false);
  }

  /** Clears the gradients of every parameter. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }
}
