#!/usr/bin/env node
/**
 * The playground page (web/), through Vite's JavaScript API.
 *
 *   node scripts/playground.mjs              serve it with live reload; prints the URL
 *   node scripts/playground.mjs --build      write the static page to build/playground/
 *   node scripts/playground.mjs --preview    build, then serve the built files
 *   options: --port N (default 5173, the next free one if taken), --out DIR (with --build)
 *
 * Everything is served from 127.0.0.1 only; the page makes no request to any other origin.
 */
import { fileURLToPath } from 'node:url';
import { build, createServer, preview } from 'vite';

const configFile = fileURLToPath(new URL('../web/vite.config.ts', import.meta.url));

function parse(argv) {
  const options = { mode: 'dev', port: 5173, out: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--build') options.mode = 'build';
    else if (arg === '--preview') options.mode = 'preview';
    else if (arg === '--port') options.port = Number(argv[++i]);
    else if (arg === '--out') options.out = argv[++i];
    else if (arg === '--help' || arg === '-h') options.mode = 'help';
    else throw new Error(`unknown argument '${arg}' (see --help)`);
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)
    throw new Error(`--port must be an integer in [0, 65535], got ${options.port}`);
  return options;
}

async function main() {
  const options = parse(process.argv.slice(2));
  if (options.mode === 'help') {
    const text = (await import('node:fs')).readFileSync(fileURLToPath(import.meta.url), 'utf8');
    console.log(
      text
        .split('\n')
        .slice(2, 11)
        .map((l) => l.replace(/^ \*( |$)/, ''))
        .join('\n'),
    );
    return;
  }
  if (options.mode === 'dev') {
    const server = await createServer({ configFile, server: { port: options.port } });
    await server.listen();
    console.log(`recurrent playground (live reload): ${server.resolvedUrls.local[0]}`);
    console.log('press Ctrl-C to stop');
    return;
  }
  await build({ configFile, logLevel: 'warn', ...(options.out && { build: { outDir: options.out } }) });
  if (options.mode === 'build') {
    console.log(
      `built the playground into ${options.out ?? 'build/playground/'}; serve that folder over http (module workers do not run from file://)`,
    );
    return;
  }
  const server = await preview({ configFile, preview: { port: options.port } });
  console.log(`recurrent playground (built): ${server.resolvedUrls.local[0]}`);
  console.log('press Ctrl-C to stop');
}

main().catch((error) => {
  console.error(`playground: ${error.message}`);
  process.exitCode = 1;
});
