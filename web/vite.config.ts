/**
 * Vite configuration of the playground page (web/). Used by `vite web`, by
 * scripts/playground.mjs and by test/e2e-playground.test.ts (which pass this file to Vite's API).
 * Everything the page needs is bundled: no CDN, no web fonts, the data files inlined as text.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
/**
 * Cross-origin isolation: with these two headers the page may use SharedArrayBuffer, so the
 * training worker's wasm backend can run its larger GEMMs on helper threads over a shared
 * memory. Everything the page loads is its own, so requiring CORP costs nothing.
 */
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
const repository = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  root,
  // Relative asset paths: the built page works from any folder it is served from.
  base: './',
  publicDir: false,
  clearScreen: false,
  build: {
    outDir: fileURLToPath(new URL('../build/playground', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // One self-contained folder; no source maps pointing at the repository.
    sourcemap: false,
    chunkSizeWarningLimit: 2048,
    // The library's error classes take their name from the class (`new.target.name`): keep the
    // names so that a ShapeError still reads "ShapeError: ..." after minification.
    rolldownOptions: { output: { keepNames: true } },
  },
  worker: { format: 'es', rolldownOptions: { output: { keepNames: true } } },
  server: {
    host: '127.0.0.1',
    // The page imports the library from ../src and the data from ../data.
    fs: { allow: [repository] },
    headers: isolation,
  },
  preview: { host: '127.0.0.1', headers: isolation },
});
