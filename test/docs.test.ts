/**
 * The API reference (`npm run docs`, TypeDoc) builds without warnings from both entry points,
 * and the shapes of the doc comments reach it as written: `(numLayers*D, N, H_out)` must not
 * become emphasis.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'recurrent-docs-'));
after(() => rmSync(out, { recursive: true, force: true }));

/** The text of a generated page, without tags. */
const text = (file: string) =>
  readFileSync(file, 'utf8')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&gt;/g, '>')
    .replace(/&lt;/g, '<')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');

test("npm run docs: TypeDoc builds the reference with the doc comments' shapes", () => {
  const r = spawnSync(process.execPath, [join(root, 'node_modules/typedoc/bin/typedoc'), '--out', out], {
    cwd: root,
    encoding: 'utf8',
    timeout: 240_000,
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.doesNotMatch(r.stdout + r.stderr, /warning|error/i);
  const lstm = join(out, 'classes/index.nn.LSTM.html');
  assert.ok(existsSync(lstm), 'no page for nn.LSTM');
  const page = text(lstm);
  assert.match(page, /h \(numLayers\*D, N, H_out\)/, 'the forward shapes are missing or mangled');
  assert.ok(existsSync(join(out, 'modules/browser.html')), 'no page for the browser entry');
  assert.match(text(join(out, 'functions/index.exportOnnx.html')), /exampleInput/);
});
