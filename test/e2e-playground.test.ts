/**
 * The playground page (web/) end to end, in a real browser: built with Vite's API into a temp
 * folder, served from 127.0.0.1 by a tiny static server, driven in Debian's chromium with
 * playwright-core. The drawn shapes and time-step mappings are compared with what the library
 * computes here in Node (explainRecurrent); training must lower the loss within seconds; the page
 * must log no error and send no request outside its origin.
 *
 * Needs /usr/bin/chromium (or CHROMIUM_PATH); skipped with a message when it is missing, except
 * in CI (CI set, or RECURRENT_REQUIRE_BROWSER=1, which .ci/run exports), where that fails.
 * The first test (the browser entry imports nothing from node:*) needs no browser.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { explainRecurrent, type ExplainSpec } from '../src/browser.js';

const repository = fileURLToPath(new URL('../../', import.meta.url));
const chromiumPath = process.env['CHROMIUM_PATH'] || '/usr/bin/chromium';
const noBrowser = existsSync(chromiumPath)
  ? false
  : `chromium not found at ${chromiumPath}: apt-get install chromium (or set CHROMIUM_PATH)`;
const browserRequired = process.env['RECURRENT_REQUIRE_BROWSER'] === '1' || Boolean(process.env['CI']);
/*
 * The callbacks given to page.evaluate run in the page. These module-local declarations type them
 * without adding the DOM library to the Node tests' compilation.
 */
interface PageElement {
  readonly dataset: Record<string, string | undefined>;
  readonly textContent: string | null;
  readonly hidden: boolean;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
}
declare const document: {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
};
declare function requestAnimationFrame(callback: () => void): number;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

test('the browser entry (src/browser.ts) imports nothing from node:* or any package, transitively', () => {
  // The compiled JavaScript: type-only imports are gone, so this is what a bundler would load.
  const entry = fileURLToPath(new URL('../src/browser.js', import.meta.url));
  const seen = new Set<string>();
  const problems: string[] = [];
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    // Static imports and re-exports (tsc writes them at the start of a line), then dynamic ones.
    for (const match of code.matchAll(/^(?:import|export)\s(?:[^;'"]*?\sfrom\s*)?['"]([^'"]+)['"]/gm)) {
      const specifier = match[1]!;
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier));
      else problems.push(`${file.slice(repository.length)} imports '${specifier}'`);
    }
    for (const match of code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]/g))
      problems.push(`${file.slice(repository.length)} dynamically imports '${match[1]}'`);
  };
  visit(entry);
  assert.deepEqual(problems, []);
  assert.ok(seen.size > 30, `the walk found only ${seen.size} modules`);
});

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

/**
 * Serves `root` read-only on 127.0.0.1 at a free port, cross-origin isolated like Vite's server
 * and preview for this page (web/vite.config.ts), so its workers may share wasm memory.
 */
async function serveStatic(root: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    let file = resolve(root, `.${path}`);
    if (file !== root && !file.startsWith(root + sep)) {
      response.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    });
    response.end(readFileSync(file));
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Waits until the option changes made so far are drawn (the page redraws on the next frame). */
async function settled(page: Page): Promise<void> {
  await page.evaluate(
    () => new Promise<void>((done) => requestAnimationFrame(() => requestAnimationFrame(() => done()))),
  );
}

interface Drawn {
  error: string | null;
  tensors: { name: string; shape: number[] }[];
  time: number;
  layers: number;
  directions: number;
  sequence: number;
  length: number;
  states: { row: number; finalStep: number; shape: number[] }[];
  paddedStateCells: number;
  outputCells: number;
  kerasLastOutput: boolean;
  /** mapping table: per h row, the step found for each sequence */
  mapping: Record<number, number[]>;
  checks: { claim: string; holds: boolean }[];
}

function readDrawn(page: Page): Promise<Drawn> {
  return page.evaluate(() => {
    const numbers = (s: string | undefined) => (s ? s.split(',').map(Number) : []);
    const svg = document.querySelector('#unrolled')!;
    const error = document.querySelector('#shape-error')!;
    const mapping: Record<number, number[]> = {};
    for (const tr of document.querySelectorAll('#mapping tr[data-row]')) {
      mapping[Number(tr.dataset['row'])] = [...tr.querySelectorAll('td[data-step]')].map((td) =>
        Number(td.dataset['step']),
      );
    }
    return {
      error: error.hidden ? null : error.textContent,
      tensors: [...document.querySelectorAll('#tensors [data-tensor]')].map((e) => ({
        name: e.dataset['tensor']!,
        shape: numbers(e.dataset['shape']),
      })),
      time: Number(svg.dataset['time']),
      layers: Number(svg.dataset['layers']),
      directions: Number(svg.dataset['directions']),
      sequence: Number(svg.dataset['sequence']),
      length: Number(svg.dataset['length']),
      states: [...svg.querySelectorAll('[data-state="h"]')].map((e) => ({
        row: Number(e.dataset['row']),
        finalStep: Number(e.dataset['finalStep']),
        shape: numbers(e.dataset['shape']),
      })),
      paddedStateCells: svg.querySelectorAll('[data-cell="state"][data-padded="true"]').length,
      outputCells: svg.querySelectorAll('[data-cell="output"][data-step]').length,
      kerasLastOutput: svg.querySelector('[data-keras-last]') !== null,
      mapping,
      checks: [...document.querySelectorAll('#checks li')].map((li) => ({
        claim: li.textContent ?? '',
        holds: li.dataset['holds'] === 'true',
      })),
    };
  });
}

/**
 * The page must agree with the library run here: the tensors explainRecurrent names, the state
 * shapes, and for every layer and direction the step each sequence's final state comes from
 * (forward: its last valid step; reverse: step 0; explainRecurrent checks this for the top layer).
 */
function assertMatchesLibrary(drawn: Drawn, spec: ExplainSpec, lengths: number[]): void {
  const e = explainRecurrent(spec);
  assert.equal(drawn.error, null);
  assert.deepEqual(drawn.tensors, [
    { name: 'x', shape: e.input.shape },
    ...e.outputs.map((o) => ({ name: o.name, shape: o.shape })),
  ]);
  for (const c of e.checks.filter((c) => /forward|reverse/.test(c.claim))) assert.equal(c.holds, true, c.claim);
  const D = spec.bidirectional ? 2 : 1;
  const L = spec.numLayers ?? 1;
  const batched = spec.input.length === 3;
  const batchFirst = spec.batchFirst ?? Boolean(spec.keras); // a Keras layer is always batch-first
  const time = batched ? spec.input[batchFirst ? 1 : 0]! : spec.input[0]!;
  assert.deepEqual([drawn.time, drawn.layers, drawn.directions], [time, L, D]);
  const hOut = spec.projSize || spec.hiddenSize;
  const batch = lengths.length;
  assert.deepEqual(
    drawn.states.map((s) => s.row).sort((a, b) => a - b),
    Array.from({ length: L * D }, (_, r) => r),
  );
  for (const state of drawn.states) {
    assert.deepEqual(state.shape, [batch, hOut], `shape of h[${state.row}]`);
    const expected = lengths.map((len) => (state.row % D === 0 ? len - 1 : 0));
    assert.deepEqual(drawn.mapping[state.row], expected, `steps of h[${state.row}] per sequence`);
    assert.equal(state.finalStep, expected[drawn.sequence], `arrow of h[${state.row}]`);
  }
  assert.equal(drawn.length, lengths[drawn.sequence]);
  assert.equal(drawn.paddedStateCells, L * D * (time - lengths[drawn.sequence]!));
  // Every claim explainRecurrent checked is shown with the same verdict (the Keras view has
  // Keras's claims, e.g. forward_h == output[:, -1], instead of PyTorch's h[-1] trap).
  for (const c of e.checks) {
    const shown = drawn.checks.find((d) => d.claim.includes(c.claim));
    assert.ok(shown, `claim shown: ${c.claim}`);
    assert.equal(shown.holds, c.holds, c.claim);
  }
}

test('chromium is present where the browser tests are required (CI, RECURRENT_REQUIRE_BROWSER=1)', {
  skip: !browserRequired && 'not required here',
}, () => {
  assert.equal(noBrowser, false, 'the playground e2e tests would be skipped');
});

describe('playground page in chromium', { skip: noBrowser }, () => {
  let outDir = '';
  let server: Server | null = null;
  let origin = '';
  let browser: Browser | null = null;
  let page: Page;
  const consoleErrors: string[] = [];
  const foreignRequests: string[] = [];
  const ownRequests: string[] = [];

  before(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'recurrent-playground-'));
    await build({
      configFile: join(repository, 'web/vite.config.ts'),
      logLevel: 'silent',
      build: { outDir, emptyOutDir: true },
    });
    ({ server, origin } = await serveStatic(outDir));
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    // Every request, the worker's included: record it; anything not from our origin is refused.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(`${origin}/`) || url === origin) {
        ownRequests.push(url);
        return route.continue();
      }
      if (url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
      foreignRequests.push(url);
      return route.abort();
    });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning')
        consoleErrors.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => consoleErrors.push(`uncaught: ${error.message}`));
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:')) foreignRequests.push(url);
    });
    await page.goto(origin);
    await page.waitForSelector('#unrolled');
  });

  after(async () => {
    await browser?.close();
    await new Promise((done) => (server ? server.close(done) : done(undefined)));
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  test('the default drawing: a 2-layer bidirectional LSTM with lengths 7, 3, 5, 1', async () => {
    const drawn = await readDrawn(page);
    assertMatchesLibrary(
      drawn,
      {
        cell: 'lstm',
        inputSize: 10,
        hiddenSize: 20,
        numLayers: 2,
        bidirectional: true,
        batchFirst: true,
        input: [4, 7, 10],
        lengths: [7, 3, 5, 1],
      },
      [7, 3, 5, 1],
    );
    assert.equal(drawn.outputCells, 7);
  });

  test('selecting another sequence moves the arrows and greys its padded steps', async () => {
    await page.click('#sequences button[data-sequence="3"]');
    await settled(page);
    const drawn = await readDrawn(page);
    assert.equal(drawn.sequence, 3);
    assertMatchesLibrary(
      drawn,
      {
        cell: 'lstm',
        inputSize: 10,
        hiddenSize: 20,
        numLayers: 2,
        bidirectional: true,
        batchFirst: true,
        input: [4, 7, 10],
        lengths: [7, 3, 5, 1],
      },
      [7, 3, 5, 1],
    );
  });

  test('changed options: 3-layer GRU, time-major, projection-free, new lengths', async () => {
    await page.selectOption('#cell', 'gru');
    await page.fill('#layers', '3');
    await page.setChecked('#batch-first', false);
    await page.fill('#input-size', '3');
    await page.fill('#hidden-size', '6');
    await page.fill('#batch', '3');
    await page.fill('#time', '5');
    await page.fill('#lengths', '2, 5, 4');
    await settled(page);
    const drawn = await readDrawn(page);
    assertMatchesLibrary(
      drawn,
      {
        cell: 'gru',
        inputSize: 3,
        hiddenSize: 6,
        numLayers: 3,
        bidirectional: true,
        batchFirst: false,
        input: [5, 3, 3],
        lengths: [2, 5, 4],
      },
      [2, 5, 4],
    );
  });

  test('one direction without lengths: h[-1] == output[:, -1] holds, nothing is padded', async () => {
    await page.selectOption('#cell', 'rnn');
    await page.setChecked('#bidirectional', false);
    await page.setChecked('#use-lengths', false);
    await page.fill('#layers', '2');
    await settled(page);
    const drawn = await readDrawn(page);
    assertMatchesLibrary(
      drawn,
      {
        cell: 'rnn',
        inputSize: 3,
        hiddenSize: 6,
        numLayers: 2,
        bidirectional: false,
        batchFirst: false,
        input: [5, 3, 3],
      },
      [5, 5, 5],
    );
    assert.equal(drawn.checks.find((c) => c.claim.includes('h[-1] == output'))?.holds, true);
  });

  test('LSTM with a projection: h has projSize features, c hiddenSize', async () => {
    await page.selectOption('#cell', 'lstm');
    await page.fill('#proj-size', '4');
    await settled(page);
    const drawn = await readDrawn(page);
    assertMatchesLibrary(
      drawn,
      { cell: 'lstm', inputSize: 3, hiddenSize: 6, numLayers: 2, projSize: 4, batchFirst: false, input: [5, 3, 3] },
      [5, 5, 5],
    );
    await page.fill('#proj-size', '0');
  });

  test('Keras view: returnSequences false, returnState, bidirectional', async () => {
    await page.click('#api-keras');
    await page.selectOption('#cell', 'lstm');
    await page.setChecked('#bidirectional', true);
    await page.setChecked('#return-sequences', false);
    await page.setChecked('#return-state', true);
    await page.fill('#batch', '4');
    await page.fill('#time', '6');
    await page.setChecked('#use-lengths', true);
    await page.fill('#lengths', '6, 2, 4, 1');
    await settled(page);
    const drawn = await readDrawn(page);
    assertMatchesLibrary(
      drawn,
      {
        cell: 'lstm',
        inputSize: 3,
        hiddenSize: 6,
        bidirectional: true,
        input: [4, 6, 3],
        lengths: [6, 2, 4, 1],
        keras: { returnSequences: false, returnState: true },
      },
      [6, 2, 4, 1],
    );
    assert.equal(drawn.kerasLastOutput, true);
    assert.equal(drawn.outputCells, 0);
    await page.setChecked('#return-sequences', true);
    await settled(page);
    const sequences = await readDrawn(page);
    assert.equal(sequences.outputCells, 6);
    assert.deepEqual(sequences.tensors.find((t) => t.name === 'output')?.shape, [4, 6, 12]);
    await page.click('#api-pytorch');
  });

  test("an invalid choice shows the library's own error", async () => {
    await page.fill('#lengths', '6, 2, 9, 1');
    await settled(page);
    const drawn = await readDrawn(page);
    let expected = '';
    try {
      explainRecurrent({
        cell: 'lstm',
        inputSize: 3,
        hiddenSize: 6,
        numLayers: 2,
        bidirectional: true,
        batchFirst: false,
        input: [6, 4, 3],
        lengths: [6, 2, 9, 1],
      });
    } catch (e) {
      expected = `${(e as Error).name}: ${(e as Error).message}`;
    }
    assert.match(expected, /^ValueError: .*lengths\[2\] is 9/);
    assert.equal(drawn.error, expected);
    await page.fill('#lengths', '6, 2, 4, 1');
    await settled(page);
    assert.equal((await readDrawn(page)).error, null);
  });

  test('training in the worker lowers the loss within seconds, and predicts a typed word', async (t) => {
    await page.click('#train-start');
    await page.waitForFunction(
      () => Number(document.querySelector('.loss-chart')?.dataset['steps'] ?? 0) >= 80,
      undefined,
      { timeout: 20_000, polling: 200 },
    );
    const chart = await page.evaluate(() => {
      const d = document.querySelector('.loss-chart')!.dataset;
      return { first: Number(d['firstLoss']), recent: Number(d['recentLoss']), steps: Number(d['steps']) };
    });
    // Untrained, the loss of 8 balanced classes is about ln 8 = 2.08.
    assert.ok(Math.abs(chart.first - Math.log(8)) < 0.3, `first losses average ${chart.first}`);
    assert.ok(
      chart.recent < chart.first - 0.4,
      `the loss went from ${chart.first} to ${chart.recent} in ${chart.steps} steps`,
    );
    // The worker must train with the wasm kernels (the page falls back to the reference backend
    // only when they are not built or cannot run; Chromium runs them).
    const backend = await page.locator('#backend').getAttribute('data-backend');
    // Served with COOP/COEP, the page is cross-origin isolated: its worker gets the shared-memory
    // kernels, whose larger GEMMs run on helper threads.
    assert.equal(
      await page.evaluate(() => (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated),
      true,
      'the page is not cross-origin isolated',
    );
    assert.equal(
      backend,
      'wasm',
      `the worker trained on '${backend}', not wasm: ${await page.locator('#backend').textContent()}`,
    );
    const milliseconds = Number(await page.locator('#step-time').getAttribute('data-milliseconds'));
    assert.ok(milliseconds > 0 && milliseconds < 1000, `step time ${milliseconds} ms`);
    t.diagnostic(
      `backend ${await page.locator('#backend').textContent()}; median step ${milliseconds} ms; loss ${chart.first.toFixed(3)} -> ${chart.recent.toFixed(3)} in ${chart.steps} steps`,
    );

    await page.fill('#word', 'przepraszam');
    await page.waitForFunction(
      () => document.querySelector('#probabilities')?.dataset['text'] === 'przepraszam',
      undefined,
      { timeout: 5_000 },
    );
    const probabilities = await page.evaluate(() =>
      [...document.querySelectorAll('#probabilities .bar-row')].map((r) => ({
        label: r.dataset['label']!,
        p: Number(r.dataset['probability']),
      })),
    );
    assert.deepEqual(probabilities.map((p) => p.label).sort(), ['de', 'en', 'es', 'fr', 'it', 'nl', 'pl', 'pt']);
    assert.ok(Math.abs(probabilities.reduce((s, p) => s + p.p, 0) - 1) < 1e-3);
    await page.click('#train-pause');
  });

  test('the language model trains in its worker: bits per character fall and samples continue the prompt', async (t) => {
    await page.fill('#lm-hidden', '32');
    await page.fill('#lm-batch', '8');
    await page.fill('#lm-bptt', '32');
    await page.fill('#lm-prompt', 'And Moses');
    await page.click('#lm-start');
    await page.waitForFunction(
      () => Number(document.querySelector('#lm-chart .loss-chart')?.dataset['steps'] ?? 0) >= 150,
      undefined,
      { timeout: 60_000, polling: 250 },
    );
    const chart = await page.evaluate(() => {
      const d = document.querySelector('#lm-chart .loss-chart')!.dataset;
      return { first: Number(d['firstLoss']), recent: Number(d['recentLoss']), steps: Number(d['steps']) };
    });
    // Untrained, a uniform guess over the 73 characters costs log2 73 = 6.19 bits.
    assert.ok(Math.abs(chart.first - Math.log2(73)) < 0.5, `first bits per character average ${chart.first}`);
    assert.ok(
      chart.recent < chart.first - 1.5,
      `bits per character went from ${chart.first} to ${chart.recent} in ${chart.steps} steps`,
    );
    await page.waitForFunction(() => document.querySelectorAll('#lm-samples li').length >= 2, undefined, {
      timeout: 20_000,
      polling: 250,
    });
    const sample = await page.evaluate(() => document.querySelector('#lm-samples li .sample-text')?.textContent ?? '');
    assert.ok(sample.startsWith('And Moses') && sample.length > 'And Moses'.length + 100, `sample: ${sample}`);
    t.diagnostic(
      `bits per character ${chart.first.toFixed(2)} -> ${chart.recent.toFixed(2)} in ${chart.steps} steps; sample: ${JSON.stringify(sample.slice(0, 80))}`,
    );
    await page.click('#lm-pause');
  });

  test('no console errors, and no request left the origin', () => {
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(foreignRequests, []);
    assert.ok(
      ownRequests.some((u) => /worker[^/]*\.js$/.test(u)),
      `the worker script was loaded from the origin: ${ownRequests.join(', ')}`,
    );
  });
});
