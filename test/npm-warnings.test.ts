/**
 * No npm warnings when the CLI runs through npx from this project (the installed package's
 * side is in package.test.ts). npm warns, for instance, about keys it does not know in the
 * project's .npmrc, on every command.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('npx from the project runs the CLI without an npm warning', () => {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  const r = spawnSync('npx', ['--no-install', '--', 'node', 'build/src/cli/main.js', '--help'], {
    cwd: root,
    encoding: 'utf8',
    env,
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /explain/);
  assert.doesNotMatch(r.stderr, /npm warn/i);
});
