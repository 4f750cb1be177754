#!/usr/bin/env node
/**
 * Screenshots of the playground for the README, taken with Debian's chromium:
 *   docs/playground.png        the shapes view (a 2-layer bidirectional LSTM with lengths)
 *   docs/playground-train.png  the training view after some seconds of training
 *
 *   node scripts/playground-screenshot.mjs [--seconds N] [--out DIR]
 * CHROMIUM_PATH overrides /usr/bin/chromium.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { build, preview } from 'vite';

const repository = fileURLToPath(new URL('..', import.meta.url));
const configFile = join(repository, 'web/vite.config.ts');
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const seconds = Number(option('--seconds', '12'));
const out = option('--out', join(repository, 'docs'));

if (!existsSync(executablePath)) {
  console.error(`chromium not found at ${executablePath}: apt-get install chromium, or set CHROMIUM_PATH`);
  process.exit(1);
}

const outDir = mkdtempSync(join(tmpdir(), 'recurrent-playground-'));
await build({ configFile, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
const server = await preview({ configFile, logLevel: 'warn', build: { outDir }, preview: { port: 0 } });
const url = server.resolvedUrls.local[0];
const browser = await chromium.launch({
  executablePath,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  page.on('console', (m) => {
    if (m.type() === 'error') console.error(`page: ${m.text()}`);
  });
  await page.goto(url);
  await page.waitForSelector('#unrolled');
  // A 2-layer bidirectional LSTM, batch 4, 7 steps, lengths 7, 3, 5, 1; sequence 1 selected.
  await page.click('#sequences button[data-sequence="1"]');
  mkdirSync(out, { recursive: true });
  // The page from its header to the end of the shapes view.
  const bottom = await page
    .locator('#shapes .panels')
    .evaluate((el) => el.getBoundingClientRect().bottom + window.scrollY + 16);
  await page.screenshot({
    path: join(out, 'playground.png'),
    fullPage: true,
    clip: { x: 0, y: 0, width: 1440, height: Math.ceil(bottom) },
  });
  console.log(`wrote ${join(out, 'playground.png')}`);

  await page.click('#train-start');
  await page.waitForTimeout(seconds * 1000);
  await page.fill('#word', 'przepraszam');
  await page.waitForFunction(() => document.querySelector('#probabilities')?.dataset.text === 'przepraszam');
  await page.click('#train-pause');
  await page.locator('#train').screenshot({ path: join(out, 'playground-train.png') });
  console.log(`wrote ${join(out, 'playground-train.png')}`);
} finally {
  await browser.close();
  await server.close();
  rmSync(outDir, { recursive: true, force: true });
}
