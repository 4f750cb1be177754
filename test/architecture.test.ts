/**
 * The layering stated in ARCHITECTURE.md, checked: the `src/` tree there lists the top-level
 * folders and files in order, and a module may import only from its own entry and the entries
 * listed above it. Reads the TypeScript sources (type-only imports count too).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const repository = fileURLToPath(new URL('../../', import.meta.url));
const src = join(repository, 'src');

/** The top-level entries of the `src/` tree in ARCHITECTURE.md, in order ('errors', 'backend', ...). */
export function statedOrder(markdown: string): string[] {
  const block = /```\n(src\/\n[\s\S]*?)```/.exec(markdown);
  if (!block) throw new Error('ARCHITECTURE.md has no ``` block starting with src/');
  return [...block[1]!.matchAll(/^ {2}([\w-]+)(?:\/|\.ts)\s/gm)].map((m) => m[1]!);
}

/** Relative specifiers a TypeScript source imports or re-exports (static, side-effect and dynamic). */
export function importsOf(code: string): string[] {
  const patterns = [
    /\bfrom\s*['"](\.[^'"]*)['"]/g,
    /^\s*import\s*['"](\.[^'"]*)['"]/gm,
    /\bimport\(\s*['"](\.[^'"]*)['"]\s*\)/g,
  ];
  return patterns.flatMap((p) => [...code.matchAll(p)].map((m) => m[1]!));
}

/** The top-level entry of a path under src/: 'tensor' for src/tensor/ops/x.ts, 'errors' for src/errors.ts. */
const entryOf = (file: string) =>
  relative(src, file)
    .split(sep)[0]!
    .replace(/\.(ts|js)$/, '');

/** Every import from an entry to one listed below it, as 'from -> to (file)'. */
export function upwardImports(files: Record<string, string>, order: readonly string[]): string[] {
  const rank = new Map(order.map((name, i) => [name, i]));
  const problems: string[] = [];
  for (const [file, code] of Object.entries(files)) {
    const from = entryOf(file);
    for (const specifier of importsOf(code)) {
      const to = entryOf(resolve(dirname(file), specifier));
      if (from === to) continue;
      if (!rank.has(from) || !rank.has(to))
        problems.push(`${relative(src, file)}: ${from} or ${to} is not in the stated order`);
      else if (rank.get(to)! > rank.get(from)!)
        problems.push(`${from} -> ${to} (${relative(src, file)} imports ${specifier})`);
    }
  }
  return problems;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

describe('layering (ARCHITECTURE.md)', () => {
  const order = statedOrder(readFileSync(join(repository, 'ARCHITECTURE.md'), 'utf8'));
  const files = Object.fromEntries(sources(src).map((f) => [f, readFileSync(f, 'utf8')]));

  test('the stated order lists every top-level entry of src/ that holds TypeScript, and nothing else', () => {
    const actual = [...new Set(Object.keys(files).map(entryOf))].sort();
    assert.deepEqual([...order].sort(), actual);
    assert.equal(new Set(order).size, order.length, 'no entry twice');
    assert.deepEqual(order.slice(0, 3), ['errors', 'families', 'backend'], 'the order read is the one written');
  });

  test('no module imports from a layer above it', () => {
    const imports = Object.values(files).reduce((n, code) => n + importsOf(code).length, 0);
    assert.ok(imports > 500, `found only ${imports} imports: is the parser broken?`);
    assert.deepEqual(upwardImports(files, order), []);
  });

  test('the check finds upward, side-effect, re-export and dynamic imports', () => {
    const at = (path: string) => join(src, path);
    const fake = {
      [at('tensor/a.ts')]: "import type { X } from '../tasks/task.js';\n",
      [at('nn/b.ts')]: "import '../cli/main.js';\nexport { y } from '../nn/other.js';\n",
      [at('errors.ts')]: "const m = await import('./index.js');\n",
      [at('index.ts')]: "export * from './browser.js';\nimport {\n  z,\n} from './tasks/registry.js';\n",
    };
    const order = ['errors', 'tensor', 'nn', 'tasks', 'cli', 'browser', 'index'];
    assert.deepEqual(
      upwardImports(fake, order).map((p) => p.split(' (')[0]),
      ['tensor -> tasks', 'nn -> cli', 'errors -> index'],
    );
  });
});
