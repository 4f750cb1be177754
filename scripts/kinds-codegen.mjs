/**
 * The kernels' kind constants, written from the one table of cell families (src/families.ts):
 * the literal between its `table:begin` and `table:end` markers is plain data, read here without
 * compiling TypeScript. Used by scripts/build-wasm.mjs (src/wasm/kinds.generated.as) and
 * scripts/build-native.mjs (native/src/kinds.generated.h); both files are committed, so an
 * installed package (which has no src/) builds from them as they are.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const TABLE_FILE = join(root, 'src/families.ts');
export const WASM_FILE = join(root, 'src/wasm/kinds.generated.as');
export const NATIVE_FILE = join(root, 'native/src/kinds.generated.h');

/** The table's kinds: [{ name, code, gates, cacheBlocks }] in code order. */
export function readKinds(source = readFileSync(TABLE_FILE, 'utf8')) {
  const m = /\/\* table:begin \*\/\s*const TABLE = ([\s\S]*?) as const;\s*\/\* table:end \*\//.exec(source);
  if (!m) throw new Error('src/families.ts: no table between /* table:begin */ and /* table:end */');
  const table = new Function(`return (${m[1]});`)();
  const kinds = [];
  for (const row of Object.values(table)) {
    for (const [name, k] of Object.entries(row.kinds))
      kinds.push({ name, code: k.code, gates: row.torchGates.length, cacheBlocks: row.cacheBlocks });
  }
  kinds.sort((a, b) => a.code - b.code);
  kinds.forEach((k, i) => {
    if (k.code !== i)
      throw new Error(
        `src/families.ts: kind codes must be 0..${kinds.length - 1} without gaps; ${k.name} has ${k.code}`,
      );
  });
  return kinds;
}

const HEADER = 'Generated from the cell-family table (src/families.ts) by scripts/kinds-codegen.mjs. Do not edit.';

/** AssemblyScript constants and the per-kind sizes. */
export function wasmSource(kinds) {
  const ternary = (field) =>
    kinds.reduceRight(
      (rest, k, i) => (i === kinds.length - 1 ? `${k[field]}` : `kind == ${k.code} ? ${k[field]} : ${rest}`),
      '',
    );
  return `// ${HEADER}

${kinds.map((k) => `export const KIND_${k.name.toUpperCase()}: i32 = ${k.code};`).join('\n')}

/** Gate blocks G of a kind (weights are (G*H, ·)). */
@inline export function gatesOf(kind: i32): i32 {
  return ${ternary('gates')};
}

/** Floats cached per row and step for backward, in units of H. */
@inline export function cacheBlocksOf(kind: i32): i32 {
  return ${ternary('cacheBlocks')};
}
`;
}

/** The C++ header. */
export function nativeSource(kinds) {
  const cases = (field) => kinds.map((k) => `    case ${k.code}: return ${k[field]};`).join('\n');
  return `// ${HEADER}
#pragma once

namespace rn {

enum CellCode { ${kinds.map((k) => `CELL_${k.name.toUpperCase()} = ${k.code}`).join(', ')} };
constexpr int CELL_KIND_COUNT = ${kinds.length};

// Gate blocks G of a kind (weights are (G*H, ·)).
inline int gates_of(int kind) {
  switch (kind) {
${cases('gates')}
    default: return 0;
  }
}

// Floats cached per row and step for backward.
inline int cache_width_of(int kind, int h) {
  switch (kind) {
${cases('cacheBlocks').replace(/return (\d+);/g, 'return $1 * h;')}
    default: return 0;
  }
}

}  // namespace rn
`;
}

function writeIfChanged(file, content) {
  if (existsSync(file) && readFileSync(file, 'utf8') === content) return false;
  writeFileSync(file, content);
  return true;
}

/** Rewrites one generated file from the table when the table is here (a git checkout). */
export function writeKinds(target) {
  if (!existsSync(TABLE_FILE)) return false;
  const kinds = readKinds();
  return target === 'wasm'
    ? writeIfChanged(WASM_FILE, wasmSource(kinds))
    : writeIfChanged(NATIVE_FILE, nativeSource(kinds));
}
