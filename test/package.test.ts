/**
 * The published package, as a user gets it: `npm pack` (which runs `prepack`, the build), then
 * `npm install --offline` of the tarball into a fresh project (dependencies come from npm's
 * cache, which the repository's own install filled). From that project: ESM import, CJS
 * require, the CLI (`npx recurrent --help` and a tiny `train`), and a Vite build of
 * `import * as r from 'recurrent'` for the browser, which must resolve to the browser entry and
 * keep no `node:` import. The install skips install scripts (`--ignore-scripts`), as npm does
 * for packages whose scripts are not approved, so the native backend's hint is checked too.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import ts from 'typescript';

const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'recurrent-package-'));
const app = join(work, 'app');

/** The environment without an enclosing `npm run`'s variables (they would steer the child npm) or the library's. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|RECURRENT_)/i.test(k)) env[k] = v;
  return env;
}

function sh(command: string, args: string[], options: SpawnSyncOptions = {}): { stdout: string; stderr: string } {
  const r = spawnSync(command, args, { encoding: 'utf8', env: cleanEnv(), timeout: 180_000, ...options });
  const out = { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  assert.equal(
    r.status,
    0,
    `${command} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${out.stdout}\n${out.stderr}\n${r.error?.message ?? ''}`,
  );
  return out;
}

/**
 * A project depending on the tarball, with a lockfile: npm's cache holds the dependencies'
 * tarballs (from the repository's install) but not their registry metadata, so offline they
 * are found through the lockfile's versions and integrity, copied from the repository's.
 */
function writeAppProject(dir: string, tgz: string): void {
  const spec = `file:${relative(dir, tgz)}`;
  const repoLock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    version: string;
    license: string;
    dependencies: Record<string, string>;
    bin: Record<string, string>;
    engines: Record<string, string>;
  };
  const packages: Record<string, unknown> = {
    '': { name: 'recurrent-package-test-app', version: '1.0.0', dependencies: { recurrent: spec } },
    'node_modules/recurrent': {
      version: manifest.version,
      resolved: spec,
      integrity: `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`,
      hasInstallScript: true,
      license: manifest.license,
      dependencies: manifest.dependencies,
      bin: Object.fromEntries(Object.entries(manifest.bin).map(([k, v]) => [k, v.replace(/^\.\//, '')])),
      engines: manifest.engines,
    },
  };
  // The runtime dependencies' closure: every entry of the repository's lock not marked dev.
  for (const [key, entry] of Object.entries(repoLock.packages)) if (key !== '' && !entry.dev) packages[key] = entry;
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      { name: 'recurrent-package-test-app', version: '1.0.0', private: true, dependencies: { recurrent: spec } },
      null,
      2,
    ),
  );
  writeFileSync(
    join(dir, 'package-lock.json'),
    JSON.stringify(
      { name: 'recurrent-package-test-app', version: '1.0.0', lockfileVersion: 3, requires: true, packages },
      null,
      2,
    ),
  );
}

let tarball = '';
let packed: { path: string }[] = [];
/** What `npm install` of the tarball printed on stderr. */
let installLog = '';

/** The package.json of every package under `modules`, nested ones included. */
function installedManifests(modules: string): { name: string; version: string; engines?: { node?: string } }[] {
  if (!existsSync(modules)) return [];
  const found: { name: string; version: string; engines?: { node?: string } }[] = [];
  for (const entry of readdirSync(modules)) {
    if (entry.startsWith('.')) continue;
    const dirs = entry.startsWith('@') ? readdirSync(join(modules, entry)).map((e) => join(entry, e)) : [entry];
    for (const d of dirs) {
      const manifest = join(modules, d, 'package.json');
      if (!existsSync(manifest)) continue;
      found.push(JSON.parse(readFileSync(manifest, 'utf8')));
      found.push(...installedManifests(join(modules, d, 'node_modules')));
    }
  }
  return found;
}

describe('the packed package, installed offline into a fresh project', () => {
  before(() => {
    const pack = sh('npm', ['pack', '--json', '--pack-destination', work], { cwd: root });
    assert.doesNotMatch(pack.stderr, /npm warn/i, 'npm pack warned');
    const info = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as {
      filename: string;
      files: { path: string }[];
    }[];
    tarball = join(work, info[0]!.filename);
    packed = info[0]!.files;
    mkdirSync(app);
    writeAppProject(app, tarball);
    installLog = sh('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], {
      cwd: app,
    }).stderr;
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('npm install prints no warning, and every installed package supports the Node versions we support', () => {
    assert.doesNotMatch(installLog, /npm warn/i, `npm install warned:\n${installLog}`);
    // npm warns EBADENGINE for a package whose engines exclude the running Node; check the whole
    // range we declare (not only this Node): e.g. cookie@2 (through fastify's light-my-request@6.8)
    // wants Node >= 22, and package.json pins light-my-request ~6.6.0 (cookie@1) for that reason.
    const ours = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } }).engines
      .node;
    const lowest = semver.minVersion(ours)!.version;
    const manifests = installedManifests(join(app, 'node_modules'));
    assert.ok(
      manifests.some((m) => m.name === 'fastify'),
      'the tree holds the runtime dependencies',
    );
    for (const m of manifests) {
      const wants = m.engines?.node;
      if (wants === undefined) continue;
      for (const node of [lowest, process.versions.node])
        assert.ok(
          semver.satisfies(node, wants),
          `${m.name}@${m.version} wants Node ${wants}; we support ${ours} (${node})`,
        );
    }
  });

  test('the tarball: LICENSE, no prepare script, self-contained source maps, README links that resolve', () => {
    const files = new Set(packed.map((f) => f.path));
    for (const f of [
      'LICENSE',
      'README.md',
      'package.json',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/browser.js',
      'dist/cli/main.js',
      'scripts/build-native.mjs',
      'native/binding.gyp',
      'data/datasets.json',
    ]) {
      assert.ok(files.has(f), `${f} is not in the tarball`);
    }
    assert.ok(
      ![...files].some((f) => f.startsWith('src/') || f.startsWith('test/') || f.startsWith('native/build/')),
      'sources, tests or build outputs are in the tarball',
    );
    const installed = join(app, 'node_modules/recurrent');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
      repository?: unknown;
      bugs?: unknown;
      homepage?: string;
    };
    assert.equal(manifest.scripts['prepare'], undefined, 'prepare is in the published manifest');
    assert.ok(manifest.repository && manifest.bugs && manifest.homepage, 'repository/bugs/homepage missing');
    const maps = [...files].filter((f) => f.endsWith('.map'));
    for (const map of maps) {
      const m = JSON.parse(readFileSync(join(installed, map), 'utf8')) as {
        sources: string[];
        sourcesContent?: (string | null)[];
      };
      assert.equal(m.sourcesContent?.length, m.sources.length, `${map} points at sources it does not carry`);
      assert.ok(
        m.sourcesContent!.every((s) => typeof s === 'string' && s.length > 0),
        `${map} has empty sourcesContent`,
      );
    }
    // Every relative link of the README resolves inside the package (others are absolute URLs).
    const readme = readFileSync(join(installed, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)]
      .map((m) => m[1]!)
      .filter((l) => !/^[a-z]+:/.test(l));
    for (const link of links)
      assert.ok(existsSync(join(installed, link)), `README links to ${link}, which the package lacks`);
  });

  test("ESM import runs a layer; the native hint is right from a user's project", () => {
    const script = `
      import { nn, randn, backendStatus } from 'recurrent';
      const lstm = new nn.LSTM({ inputSize: 3, hiddenSize: 5, batchFirst: true });
      const { output, h } = lstm.forward(randn([2, 4, 3]));
      console.log(JSON.stringify({ output: output.shape, h: h.shape, native: backendStatus().find((b) => b.name === 'native') }));`;
    const r = sh(process.execPath, ['--input-type=module', '-e', script], { cwd: app });
    const got = JSON.parse(r.stdout) as {
      output: number[];
      h: number[];
      native: { available: boolean; reason?: string };
    };
    assert.deepEqual(
      [got.output, got.h],
      [
        [2, 4, 5],
        [1, 2, 5],
      ],
    );
    // Installed with --ignore-scripts, so the addon was not built: the hint must work from here.
    assert.equal(got.native.available, false);
    assert.match(got.native.reason!, /npm rebuild recurrent/);
    assert.match(got.native.reason!, /npm install-scripts approve recurrent/);
    assert.ok(
      got.native.reason!.includes(join(app, 'node_modules/recurrent/scripts/build-native.mjs')),
      got.native.reason,
    );
    assert.doesNotMatch(got.native.reason!, /`node scripts\//, 'a hint with a path relative to the repository');
  });

  test('CJS require (Node >= 20.19 loads the ESM build) gives the same API', () => {
    writeFileSync(
      join(app, 'use.cjs'),
      `
      const r = require('recurrent');
      const gru = new r.nn.GRU({ inputSize: 2, hiddenSize: 3 });
      const { output } = gru.forward(r.randn([6, 1, 2]));
      const browser = require('recurrent/browser');
      console.log(JSON.stringify({ shape: output.shape, fit: typeof r.fit, browserNn: typeof browser.nn.LSTM }));`,
    );
    const r = sh(process.execPath, ['use.cjs'], { cwd: app });
    assert.deepEqual(JSON.parse(r.stdout), { shape: [6, 1, 3], fit: 'function', browserNn: 'function' });
    assert.doesNotMatch(r.stderr, /Warning|ERR_/);
  });

  test('the CLI: npx recurrent --help (no npm warning) and a tiny train', () => {
    const help = sh('npx', ['--no-install', 'recurrent', '--help'], { cwd: app });
    assert.match(help.stdout, /train/);
    assert.match(help.stdout, /explain/);
    assert.doesNotMatch(help.stderr, /npm warn/i);
    const out = join(app, 'runs/forecast');
    const train = sh(
      'npx',
      [
        '--no-install',
        'recurrent',
        'train',
        '--task',
        'forecast',
        '--epochs',
        '1',
        '--hidden',
        '8',
        '--out',
        out,
        '--json',
      ],
      { cwd: app },
    );
    assert.doesNotMatch(train.stderr, /npm warn/i);
    const metrics = JSON.parse(train.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    assert.ok(Object.keys(metrics).length > 0, train.stdout);
    assert.ok(readdirSync(out).length > 0, 'train wrote no model directory');
  });

  test("the README's ts snippets type-check and run against the installed package", () => {
    const readme = readFileSync(join(app, 'node_modules/recurrent/README.md'), 'utf8');
    const snippets = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
    assert.ok(snippets.length >= 6, `only ${snippets.length} ts snippets in the README`);
    const dir = join(app, 'readme');
    mkdirSync(dir);
    snippets.forEach((code, i) => writeFileSync(join(dir, `snippet${i}.mts`), code));
    // console comes from the DOM lib: the snippets need no Node types.
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2022', 'DOM'],
          types: [],
          strict: true,
          noEmit: true,
          skipLibCheck: true,
        },
        include: ['*.mts'],
      }),
    );
    sh(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], { cwd: dir });
    snippets.forEach((code, i) => {
      const js = ts.transpileModule(code, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText;
      writeFileSync(join(dir, `snippet${i}.mjs`), js);
      const r = spawnSync(process.execPath, [join(dir, `snippet${i}.mjs`)], {
        cwd: dir,
        encoding: 'utf8',
        env: cleanEnv(),
        timeout: 60_000,
      });
      assert.equal(r.status, 0, `README snippet ${i} failed:\n${code}\n${r.stderr}`);
    });
  });

  test('a bundler importing `recurrent` gets the browser entry: no node: imports remain', async () => {
    writeFileSync(
      join(app, 'entry.js'),
      `import * as r from 'recurrent';
      export function run() {
        const lstm = new r.nn.LSTM({ inputSize: 3, hiddenSize: 4 });
        return lstm.forward(r.randn([5, 2, 3])).output.shape;
      }
      export const names = Object.keys(r);
      export const status = r.backendStatus();`,
    );
    const { build } = (await import('vite')) as typeof import('vite');
    await build({
      root: app,
      configFile: false,
      logLevel: 'silent',
      build: {
        lib: { entry: join(app, 'entry.js'), formats: ['es'], fileName: 'bundle' },
        outDir: join(app, 'bundle'),
        minify: false,
        emptyOutDir: true,
      },
    });
    const files = readdirSync(join(app, 'bundle')).filter((f) => /\.m?js$/.test(f));
    assert.ok(files.length > 0);
    const code = files.map((f) => readFileSync(join(app, 'bundle', f), 'utf8')).join('\n');
    // Node built-ins would stay as imports, or become Vite's empty browser stub. (Feature checks
    // such as process.getBuiltinModule?.('node:os') are strings, not imports.)
    assert.doesNotMatch(
      code,
      /(\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["'](node:)?(fs|path|os|url|child_process|worker_threads|crypto|module)(\/[a-z]+)?["']/m,
      'the browser bundle imports Node built-ins',
    );
    assert.doesNotMatch(code, /__vite-browser-external/, 'Vite stubbed out a Node built-in');
    // The bundle runs (Node has what a browser has for it: WebAssembly, typed arrays).
    const bundle = (await import(join(app, 'bundle', files.find((f) => f.startsWith('bundle'))!))) as {
      run(): number[];
      names: string[];
      status: { name: string; available: boolean; reason?: string }[];
    };
    assert.deepEqual(bundle.run(), [5, 2, 4]);
    assert.ok(
      !bundle.names.includes('trainTask'),
      'the Node entry (trainTask) was bundled instead of the browser entry',
    );
    // The browser build's word on the native backend: Node-only, nothing about registering or building it.
    const native = bundle.status.find((b) => b.name === 'native')!;
    assert.equal(native.available, false);
    assert.match(native.reason!, /Node\.js addon/);
    assert.doesNotMatch(native.reason!, /regist|build-native|npm rebuild/);
  });
});
