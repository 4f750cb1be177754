/**
 * The installed `recurrent` command (src/cli/bin.ts): `train` runs in a second node started with
 * --single-threaded-gc, its output and exit status passed through; the other commands run in the
 * launcher's own process. Which processes had the flag is read from a preload script that each
 * node process loads (NODE_OPTIONS --require) and that appends its execArgv to a file.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { tempDir } from './temp-dir.js';

const bin = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url));

/** Runs bin.js; returns the result and the execArgv of every node process it involved. */
function runBin(args: string[]) {
  const dir = tempDir('recurrent-bin-');
  const log = join(dir, 'execargv.jsonl');
  const preload = join(dir, 'log-execargv.cjs');
  writeFileSync(
    preload,
    `require('node:fs').appendFileSync(${JSON.stringify(log)}, JSON.stringify(process.execArgv) + '\\n');\n`,
  );
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    cwd: dir,
    env: { ...process.env, NODE_OPTIONS: `--require=${preload}` },
  });
  const processes = readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as string[]);
  return { ...r, processes, dir };
}

describe('the recurrent command as installed (bin.js)', () => {
  test('train runs in a second node with --single-threaded-gc; its JSON output comes through', () => {
    const r = runBin(['train', '--task', 'forecast', '--epochs', '1', '--hidden', '8', '--json', '--out', 'm']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.processes.length, 2, JSON.stringify(r.processes));
    assert.ok(!r.processes[0]!.includes('--single-threaded-gc'));
    assert.ok(r.processes[1]!.includes('--single-threaded-gc'));
    assert.equal((JSON.parse(r.stdout.trim()) as { task: string }).task, 'forecast');
  });

  test("the training process's exit status and error message are the command's", () => {
    const r = runBin(['train', '--task', 'forecast', '--epochs', 'two']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /epochs/);
    assert.equal(r.processes.length, 2);
  });

  test('Ctrl-C at the terminal (SIGINT to the process group): training stops, saves its model, and the command exits 0', async () => {
    const dir = tempDir('recurrent-bin-');
    // detached: a process group of its own, as a terminal gives the foreground job.
    const child = spawn(
      process.execPath,
      [bin, 'train', '--task', 'forecast', '--epochs', '500', '--hidden', '8', '--out', 'm'],
      {
        cwd: dir,
        detached: true,
      },
    );
    let stderr = '';
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d;
        if (/epoch 2\//.test(stderr) && !child.killed) {
          process.kill(-child.pid!, 'SIGINT');
          resolve();
        }
      });
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, stderr);
    assert.match(stderr, /stopping after this batch/);
    assert.equal(stderr.match(/stopping after this batch/g)!.length, 1, 'one SIGINT reached the training, not two');
    assert.ok(existsSync(join(dir, 'm', 'config.json')));
  });

  test('other commands run in the launching process, without a second node', () => {
    const r = runBin(['--version']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^\d+\.\d+\.\d+/);
    assert.equal(r.processes.length, 1);
  });
});
