#!/usr/bin/env node
/**
 * Builds the `native` backend (native/binding.gyp: a C++17 N-API addon) with node-gyp.
 * Meant for npm's `install` script: when the build cannot be done (no C++ compiler, no Python or
 * make for node-gyp, no Node headers, a compile error) it prints one line, records the reason in
 * native/build-status.json (the backend reports it) and exits 0, so installation still succeeds
 * and the library falls back to the wasm/reference backends.
 *
 *   node scripts/build-native.mjs [--force] [--strict] [--quiet]
 *     --force   rebuild even when the addon is newer than its sources
 *     --strict  exit 1 when the build fails (CI)
 *   RECURRENT_SKIP_NATIVE=1 skips the build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const addon = join(nativeDir, 'build/Release/recurrent_native.node');
const statusFile = join(nativeDir, 'build-status.json');
const logFile = join(nativeDir, 'build-native.log');
const args = new Set(process.argv.slice(2));
const strict = args.has('--strict');
const require = createRequire(import.meta.url);

function finish(ok, reason, extra = {}) {
  try {
    writeFileSync(
      statusFile,
      JSON.stringify({ ok, reason: reason ?? null, at: new Date().toISOString(), ...extra }, null, 2) + '\n',
    );
  } catch {
    // read-only install location: the backend then just says the addon is missing
  }
  if (!ok) {
    console.log(
      `recurrent: native addon not built (${reason}); the wasm/reference backends will be used; after fixing it, \`npm rebuild recurrent\``,
    );
    process.exit(strict ? 1 : 0);
  }
  process.exit(0);
}

function works(command, versionArgs = ['--version']) {
  const r = spawnSync(command, versionArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return r.status === 0;
}

function newestSource() {
  let newest = statSync(join(nativeDir, 'binding.gyp')).mtimeMs;
  for (const f of readdirSync(join(nativeDir, 'src')))
    newest = Math.max(newest, statSync(join(nativeDir, 'src', f)).mtimeMs);
  return newest;
}

// The kind constants (native/src/kinds.generated.h) come from the cell-family table
// (src/families.ts); an installed package has no src/ and builds from the committed header.
if (existsSync(join(root, 'src/families.ts'))) {
  const { writeKinds } = await import('./kinds-codegen.mjs');
  if (writeKinds('native')) console.log('recurrent: wrote native/src/kinds.generated.h from src/families.ts');
}

if (process.env['RECURRENT_SKIP_NATIVE'] === '1') {
  try {
    writeFileSync(
      statusFile,
      JSON.stringify(
        { ok: false, reason: 'skipped (RECURRENT_SKIP_NATIVE=1)', at: new Date().toISOString() },
        null,
        2,
      ) + '\n',
    );
  } catch {
    // read-only install location
  }
  console.log('recurrent: native addon build skipped (RECURRENT_SKIP_NATIVE=1)');
  process.exit(0);
}
if (!existsSync(join(nativeDir, 'binding.gyp'))) finish(false, 'native/binding.gyp is missing from this package');
if (!args.has('--force') && existsSync(addon) && statSync(addon).mtimeMs >= newestSource()) {
  if (!args.has('--quiet')) console.log('recurrent: native addon is up to date');
  finish(true, null, { addon: 'native/build/Release/recurrent_native.node' });
}

// node-addon-api (headers only)
try {
  require.resolve('node-addon-api');
} catch {
  finish(false, 'node-addon-api is not installed');
}

// A C++ compiler, Python (gyp) and make (on Unix).
const cxx = [process.env['CXX'], 'c++', 'g++', 'clang++'].filter(Boolean).find((c) => works(c));
if (!cxx) finish(false, 'no C++ compiler found (install g++ or clang++, or set CXX)');
const python = [process.env['PYTHON'], 'python3', 'python'].filter(Boolean).find((p) => works(p));
if (!python) finish(false, 'no Python found (node-gyp needs python3)');
if (process.platform !== 'win32' && !works('make')) finish(false, 'no make found (node-gyp needs make)');

// node-gyp: npm's own (npm_config_node_gyp is set in npm scripts), a local one, or npm's bundled one.
const gypCandidates = [
  process.env['npm_config_node_gyp'],
  (() => {
    try {
      return require.resolve('node-gyp/bin/node-gyp.js');
    } catch {
      return undefined;
    }
  })(),
  process.env['npm_execpath']
    ? join(dirname(process.env['npm_execpath']), '../node_modules/node-gyp/bin/node-gyp.js')
    : undefined,
  join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  join(dirname(process.execPath), 'node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
].filter(Boolean);
const gyp = gypCandidates.find((p) => existsSync(p));
if (!gyp) finish(false, 'node-gyp was not found (it ships with npm)');

// Node headers: npm's nodedir setting, else the headers installed next to this node binary
// (nothing can be downloaded offline).
const gypArgs = [gyp, 'rebuild', `--directory=${nativeDir}`, '--jobs=max'];
const prefix = dirname(dirname(process.execPath));
const nodedir =
  process.env['npm_config_nodedir'] || (existsSync(join(prefix, 'include/node/node_api.h')) ? prefix : undefined);
if (nodedir) gypArgs.push(`--nodedir=${nodedir}`);
if (python) gypArgs.push(`--python=${python}`);

console.log(`recurrent: building the native addon (${cxx}, node-gyp)...`);
mkdirSync(nativeDir, { recursive: true });
const env = { ...process.env, CXX: cxx };
const r = spawnSync(process.execPath, gypArgs, {
  cwd: nativeDir,
  env,
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'pipe'],
  timeout: 10 * 60 * 1000,
});
const log = `$ node ${gypArgs.join(' ')}\n${r.stdout ?? ''}\n${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}`;
try {
  writeFileSync(logFile, log);
} catch {
  // ignore
}
if (r.status !== 0 || !existsSync(addon)) {
  const firstError = log
    .split('\n')
    .find((l) => /error/i.test(l) && !/gyp ERR! (stack|System|command|cwd|node -v|node-gyp -v|not ok)/.test(l));
  finish(
    false,
    `node-gyp failed${firstError ? `: ${firstError.trim().slice(0, 200)}` : ''}; see native/build-native.log`,
  );
}

// Check that it loads.
const check = spawnSync(
  process.execPath,
  ['-e', `const a = require(${JSON.stringify(addon)}); console.log(a.info().isa)`],
  { encoding: 'utf8' },
);
if (check.status !== 0) finish(false, `the built addon does not load: ${(check.stderr || '').trim().split('\n')[0]}`);
console.log(`recurrent: native addon built (${check.stdout.trim()} kernels)`);
finish(true, null, { addon: 'native/build/Release/recurrent_native.node', isa: check.stdout.trim() });
