/** Option parsers for commander that fail with a clear message naming the flag. */
import { InvalidArgumentError } from 'commander';

export function integer(name: string, min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`--${name} must be an integer >= ${min}, got '${value}'`);
    return n;
  };
}

export function number(name: string, min: number, max = Infinity): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max)
      throw new InvalidArgumentError(`--${name} must be a number in [${min}, ${max}], got '${value}'`);
    return n;
  };
}

export function choice<T extends string>(name: string, allowed: readonly T[]): (value: string) => T {
  return (value) => {
    if (!allowed.includes(value as T))
      throw new InvalidArgumentError(`--${name} must be one of ${allowed.join(', ')}, got '${value}'`);
    return value as T;
  };
}

/** A comma-separated list of non-empty names (trimmed). */
export function list(value: string): string[] {
  const items = value.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new InvalidArgumentError(`expected names separated by commas, got '${value}'`);
  return items;
}
