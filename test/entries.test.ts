/**
 * The two front doors: `src/browser.ts` (runs anywhere) and `src/index.ts` (browser + Node-only).
 * Every name of the browser entry is in the Node entry with the same value (a namespace: every
 * member the same), and a thing has one name: no namespace member is also exported at the top
 * level as something else.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as browser from '../src/browser.js';
import * as node from '../src/index.js';

type Entry = Record<string, unknown>;
const isNamespace = (v: unknown): v is Entry =>
  typeof v === 'object' && v !== null && Object.prototype.toString.call(v) === '[object Module]';

test('the browser entry is a subset of the Node entry, name for name and value for value', () => {
  const b = browser as Entry;
  const n = node as Entry;
  const problems: string[] = [];
  for (const [name, value] of Object.entries(b)) {
    if (!(name in n)) problems.push(`${name} is missing from src/index.ts`);
    else if (isNamespace(value)) {
      const full = n[name];
      if (!isNamespace(full)) problems.push(`${name} is a namespace in the browser entry only`);
      else
        for (const [member, v] of Object.entries(value))
          if (full[member] !== v) problems.push(`${name}.${member} differs`);
    } else if (n[name] !== value) problems.push(`${name} differs`);
  }
  assert.deepEqual(problems, []);
  for (const name of ['layers', 'fit', 'data', 'nn', 'models']) assert.ok(name in b, `the browser entry has ${name}`);
  assert.ok(isNamespace(b['data']) && 'Vocabulary' in b['data']);
});

test('one name per thing: no namespace member is exported at the top level with another value', () => {
  for (const entry of [browser as Entry, node as Entry]) {
    const clashes: string[] = [];
    for (const [ns, value] of Object.entries(entry)) {
      if (!isNamespace(value)) continue;
      for (const [member, v] of Object.entries(value))
        if (member in entry && entry[member] !== v) clashes.push(`${ns}.${member} vs ${member}`);
    }
    assert.deepEqual(clashes, []);
  }
  assert.ok(!('Vocabulary' in browser) && !('Vocabulary' in node), 'Vocabulary lives in data');
});

test('the Node entry adds the Node-only parts', () => {
  const n = node as Entry;
  for (const name of ['trainTask', 'loadPredictor', 'saveSafetensors', 'exportOnnx', 'exportTaskModel', 'TASKS'])
    assert.ok(name in n && !(name in browser), name);
  assert.ok(isNamespace(n['data']) && 'loadLanguageId' in n['data'] && !('loadLanguageId' in (browser.data as Entry)));
});
