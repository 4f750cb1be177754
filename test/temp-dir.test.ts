/** tempDir: the directories a test file makes are removed once that file's tests have run. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';

test('directories from tempDir, with their files, are gone after the tests of the file', () => {
  const helper = new URL('./temp-dir.js', import.meta.url).href;
  // A tiny test file run in its own process: it makes two directories, writes into one and
  // checks that both exist while its test runs, then prints their paths.
  const script = [
    "import assert from 'node:assert/strict';",
    "import { existsSync, writeFileSync } from 'node:fs';",
    "import { join } from 'node:path';",
    "import { test } from 'node:test';",
    `import { tempDir } from ${JSON.stringify(helper)};`,
    "test('makes two directories', () => {",
    "  const dirs = [tempDir('recurrent-tempdir-check-'), tempDir('recurrent-tempdir-check-')];",
    "  writeFileSync(join(dirs[0], 'file.txt'), 'x');",
    '  for (const d of dirs) assert.ok(existsSync(d));',
    "  console.log('DIRS ' + JSON.stringify(dirs));",
    '});',
  ].join('\n');
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stdout + child.stderr);
  const line = child.stdout.split('\n').find((l) => l.includes('DIRS '));
  assert.ok(line, `no DIRS line in ${child.stdout}`);
  const dirs = JSON.parse(line.slice(line.indexOf('DIRS ') + 5)) as string[];
  assert.equal(dirs.length, 2);
  for (const d of dirs) assert.equal(existsSync(d), false, `${d} was left behind`);
});
