/**
 * Choosing a backend: setBackend / getBackend / RECURRENT_BACKEND, 'auto' order (native, wasm,
 * reference), and the errors when a forced backend cannot run (checked in child processes where
 * the addon or WebAssembly is made unavailable). Importing the registration modules never throws.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { backendStatus, getBackend, setBackend } from '../src/backend/backend.js';
import { ValueError } from '../src/errors.js';
import { backendCases } from './backend-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'recurrent-backend-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const moduleUrl = (p: string) => new URL(`../src/backend/${p}`, import.meta.url).href;

/** Runs a module in a child Node.js process with extra env vars; returns its JSON output. */
function child(body: string, env: Record<string, string | undefined>, prelude = ''): Record<string, unknown> {
  const file = join(dir, `child-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(
    file,
    `${prelude}
const { setBackend, getBackend, backendStatus } = await import(${JSON.stringify(moduleUrl('backend.js'))});
await import(${JSON.stringify(moduleUrl('reference/index.js'))});
await import(${JSON.stringify(moduleUrl('wasm/index.js'))});
await import(${JSON.stringify(moduleUrl('native/index.js'))});
const out = {};
const attempt = (key, fn) => { try { out[key] = fn(); } catch (e) { out[key] = { error: e.name, message: e.message }; } };
${body}
console.log(JSON.stringify(out));
`,
  );
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'RECURRENT_BACKEND') childEnv[k] = v;
  for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
  const r = spawnSync(process.execPath, [file], { env: childEnv, encoding: 'utf8' });
  assert.equal(r.status, 0, `child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

const available = new Map(backendCases().map((c) => [c.name, !c.skip && !c.missing]));

describe('backend selection', () => {
  test('setBackend returns the chosen backend and getBackend follows it', () => {
    const b = setBackend('reference');
    assert.equal(b.name, 'reference');
    assert.equal(getBackend(), b);
  });

  test('unknown names are rejected with a ValueError', () => {
    assert.throws(
      () => setBackend('gpu' as never),
      (e: unknown) => e instanceof ValueError && /unknown backend 'gpu'/.test(e.message),
    );
  });

  test('backendStatus names every backend, with a reason for those that cannot run', () => {
    const status = backendStatus();
    assert.deepEqual(
      status.map((s) => s.name),
      ['native', 'wasm', 'reference'],
    );
    for (const s of status) {
      if (!s.available) assert.ok(s.reason && s.reason.length > 10, `${s.name} has no reason`);
    }
    assert.equal(status.find((s) => s.name === 'reference')!.available, true);
  });

  test("'auto' picks native, then wasm, then reference", () => {
    const expected = available.get('native') ? 'native' : available.get('wasm') ? 'wasm' : 'reference';
    assert.equal(setBackend('auto').name, expected);
    const out = child(`attempt('default', () => getBackend().name);`, {});
    assert.equal(out['default'], expected);
  });

  test('RECURRENT_BACKEND chooses the backend on first use; a bad value is a ValueError', () => {
    for (const name of ['reference', 'wasm', 'native'] as const) {
      const out = child(`attempt('name', () => getBackend().name);`, { RECURRENT_BACKEND: name });
      if (available.get(name)) assert.equal(out['name'], name);
      else assert.equal((out['name'] as { error: string }).error, 'ValueError');
    }
    const out = child(`attempt('name', () => getBackend().name);`, { RECURRENT_BACKEND: 'fast' });
    assert.equal((out['name'] as { error: string }).error, 'ValueError');
    assert.match((out['name'] as { message: string }).message, /unknown backend 'fast'/);
  });

  test('a missing addon: native cannot be forced (ValueError saying why), auto falls back', () => {
    const out = child(
      `attempt('native', () => setBackend('native').name); attempt('auto', () => setBackend('auto').name); attempt('status', () => backendStatus());`,
      { RECURRENT_NATIVE_ADDON: join(dir, 'missing.node') },
    );
    const native = out['native'] as { error: string; message: string };
    assert.equal(native.error, 'ValueError');
    assert.match(native.message, /backend 'native' cannot run here: .*not found/);
    assert.equal(out['auto'], available.get('wasm') ? 'wasm' : 'reference');
  });

  test('no WebAssembly: wasm cannot be forced (ValueError saying why), auto falls back', () => {
    const out = child(
      `attempt('wasm', () => setBackend('wasm').name); attempt('auto', () => setBackend('auto').name);`,
      { RECURRENT_NATIVE_ADDON: join(dir, 'missing.node') },
      'delete globalThis.WebAssembly;',
    );
    const wasm = out['wasm'] as { error: string; message: string };
    assert.equal(wasm.error, 'ValueError');
    assert.match(wasm.message, /backend 'wasm' cannot run here: this runtime has no WebAssembly/);
    assert.equal(out['auto'], 'reference');
  });

  test('without relaxed SIMD (RECURRENT_WASM_RELAXED=0) the plain SIMD build runs', {
    skip: available.get('wasm') ? undefined : 'wasm not available',
  }, () => {
    const out = child(`attempt('variant', () => setBackend('wasm').info.variant);`, { RECURRENT_WASM_RELAXED: '0' });
    assert.equal(out['variant'], 'simd');
  });
});
