/**
 * The table of cell families (src/families.ts) is the one place that spells what makes an RNN,
 * LSTM or GRU: gate counts, gate orders per framework, kind codes, states. These tests check the
 * table against itself, the generated AssemblyScript/C++ constants against the table, and that no
 * other source file spells gate counts, gate orders or kind codes again.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CELL_FAMILIES,
  CELL_KINDS,
  FAMILIES,
  cacheWidth,
  familyOfKerasClass,
  familyOfOnnxOp,
  familyOfTorchClass,
  gateCount,
  inversePermutation,
  kindOf,
} from '../src/families.js';
import { GRU as KerasGRU } from '../src/layers/recurrent/gru.js';
import { LSTM as KerasLSTM } from '../src/layers/recurrent/lstm.js';
import { SimpleRNN } from '../src/layers/recurrent/simple-rnn.js';
import { GRU } from '../src/nn/recurrent/gru.js';
import { LSTM } from '../src/nn/recurrent/lstm.js';
import { RNN } from '../src/nn/recurrent/rnn.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface CodegenKind {
  name: string;
  code: number;
  gates: number;
  cacheBlocks: number;
}
interface Codegen {
  readKinds(source?: string): CodegenKind[];
  wasmSource(kinds: CodegenKind[]): string;
  nativeSource(kinds: CodegenKind[]): string;
}
const codegen = (): Promise<Codegen> =>
  import(pathToFileURL(join(root, 'scripts/kinds-codegen.mjs')).href) as Promise<Codegen>;

const isPermutation = (p: readonly number[], n: number) =>
  p.length === n && [...p].sort((a, b) => a - b).every((v, i) => v === i);

describe('cell-family table', () => {
  it('every order is a permutation of the gates, and the kinds are numbered 0..n-1', () => {
    for (const f of CELL_FAMILIES) {
      const row = FAMILIES[f];
      assert.equal(row.gates, row.torchGates.length, f);
      assert.ok(isPermutation(row.kerasOrder, row.gates), `${f} kerasOrder`);
      assert.ok(isPermutation(row.onnxOrder, row.gates), `${f} onnxOrder`);
      assert.equal(row.onnxActivations.length > 0, true);
      assert.equal(row.hasCell, row.states.includes('c'));
      for (const k of row.kinds) assert.equal(CELL_KINDS[k].family, f);
    }
    const codes = Object.values(CELL_KINDS)
      .map((k) => k.code)
      .sort((a, b) => a - b);
    assert.deepEqual(
      codes,
      codes.map((_, i) => i),
    );
  });

  it('states the orders PyTorch, Keras and ONNX document', () => {
    // Keras block j holds PyTorch gate order[j]: LSTM i f c o = PyTorch i f g o; GRU z r h from r z n.
    const named = (f: 'lstm' | 'gru', order: readonly number[]) => order.map((g) => FAMILIES[f].torchGates[g]).join('');
    assert.equal(named('lstm', FAMILIES.lstm.kerasOrder), 'ifgo');
    assert.equal(named('lstm', FAMILIES.lstm.onnxOrder), 'iofg');
    assert.equal(named('gru', FAMILIES.gru.kerasOrder), 'zrn');
    assert.equal(named('gru', FAMILIES.gru.onnxOrder), 'zrn');
    assert.deepEqual(inversePermutation([0, 3, 1, 2]), [0, 2, 3, 1]);
  });

  it('derives gate counts, cache widths, kinds and detection from the rows', () => {
    assert.deepEqual(
      CELL_FAMILIES.map((f) => gateCount(f)),
      [1, 4, 3],
    );
    assert.equal(cacheWidth('lstm', 7), 35);
    assert.equal(cacheWidth('gru', 7), 28);
    assert.equal(cacheWidth('rnn_relu', 7), 7);
    assert.equal(kindOf('rnn', 'relu'), 'rnn_relu');
    assert.equal(kindOf('gru'), 'gru');
    assert.throws(() => kindOf('lstm', 'relu'), /no relu kernel/);
    assert.equal(familyOfKerasClass('SimpleRNN'), 'rnn');
    assert.equal(familyOfKerasClass('Dense'), null);
    assert.equal(familyOfOnnxOp('GRU'), 'gru');
    assert.equal(familyOfTorchClass('LSTM'), 'lstm');
  });

  it('is what the layers build: weight shapes and families of nn and Keras-style layers', () => {
    const opts = { inputSize: 3, hiddenSize: 5 };
    for (const layer of [new RNN(opts), new LSTM(opts), new GRU(opts)]) {
      assert.deepEqual(layer.stateDict()['weight_hh_l0']!.shape, [FAMILIES[layer.family].gates * 5, 5], layer.family);
    }
    for (const layer of [
      new SimpleRNN({ units: 4 }),
      new KerasLSTM({ units: 4 }),
      new KerasGRU({ units: 4, resetAfter: false }),
    ]) {
      layer.ensureBuilt([null, null, 2]);
      assert.deepEqual(layer.kernel!.shape, [2, FAMILIES[layer.family].gates * 4], layer.family);
      assert.equal(layer.stateCount, FAMILIES[layer.family].states.length);
    }
  });
});

describe('generated kind constants (AssemblyScript, C++)', () => {
  it('the parsed table literal is the runtime table', async () => {
    const { readKinds } = await codegen();
    const parsed = readKinds();
    assert.deepEqual(
      parsed,
      Object.values(CELL_KINDS)
        .sort((a, b) => a.code - b.code)
        .map((k) => ({ name: k.kind, code: k.code, gates: k.gates, cacheBlocks: k.cacheBlocks })),
    );
  });

  it('the committed files are what the table generates (run node scripts/build-wasm.mjs and build-native.mjs)', async () => {
    const { readKinds, wasmSource, nativeSource } = await codegen();
    const kinds = readKinds();
    assert.equal(readFileSync(join(root, 'src/wasm/kinds.generated.as'), 'utf8'), wasmSource(kinds));
    assert.equal(readFileSync(join(root, 'native/src/kinds.generated.h'), 'utf8'), nativeSource(kinds));
  });

  it('a changed table changes the generated files, and gaps in the codes are refused', async () => {
    const { readKinds, wasmSource, nativeSource } = await codegen();
    const source = readFileSync(join(root, 'src/families.ts'), 'utf8');
    const changed = readKinds(source.replace('cacheBlocks: 5', 'cacheBlocks: 6'));
    assert.notEqual(wasmSource(changed), wasmSource(readKinds(source)));
    assert.notEqual(nativeSource(changed), nativeSource(readKinds(source)));
    assert.throws(() => readKinds(source.replace('gru: { code: 3', 'gru: { code: 4')), /without gaps/);
    assert.throws(() => readKinds('const TABLE = {};'), /table:begin/);
  });
});

/** Source files outside the table: TypeScript, AssemblyScript, C++, the build scripts and the bench. */
function sources(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|as|h|cpp|mjs)$/.test(name) && !name.includes('.generated.') && !name.endsWith('.d.ts'))
        out.push(p);
    }
  };
  for (const dir of ['src', 'native/src', 'bench', 'scripts', 'web/src']) {
    try {
      walk(join(root, dir));
    } catch {
      // a folder this checkout lacks
    }
  }
  return out.filter((p) => relative(root, p) !== join('src', 'families.ts'));
}

/** What spells a family's facts again: gate counts, gate orders, kind codes, the family list. */
const SPELLINGS: { what: string; re: RegExp; unless?: RegExp }[] = [
  { what: 'a gate-count chain (lstm ? 4 : gru ? 3 : 1)', re: /\?\s*4\s*:[^;\n]*\?\s*3\s*:\s*1\b/ },
  { what: 'a gate count by family name', re: /\b(lstm|LSTM)\s*:\s*4\b|\b(gru|GRU)\s*:\s*3\b/ },
  { what: 'a gate count times the units', re: /\b[345]\s*\*\s*this\.(units|hiddenSize)\b/ },
  { what: 'a gate-count or cache-width test on a kind', re: /\bkind\s*==\s*\d\s*\?|CELL_(LSTM|GRU)\s*\?\s*\d/ },
  { what: 'a kind code literal', re: /\brnn_tanh\s*:\s*0\b|\bkind\s*[<>]=?\s*3\b|\bkind\s*==\s*[0-3]\b/ },
  {
    what: 'an LSTM gate order (PyTorch <-> ONNX)',
    re: /\[\s*0\s*,\s*3\s*,\s*1\s*,\s*2\s*\]|\[\s*0\s*,\s*2\s*,\s*3\s*,\s*1\s*\]/,
  },
  {
    what: 'a GRU gate order (PyTorch <-> Keras/ONNX)',
    re: /\[\s*1\s*,\s*0\s*,\s*2\s*\]/,
    unless: /perm|[Tt]ranspose|permute\(|sortedIndices/,
  },
  {
    what: 'the family list',
    re: /'rnn'\s*\|\s*'lstm'\s*\|\s*'gru'|'RNN'\s*\|\s*'LSTM'\s*\|\s*'GRU'|\[\s*'SimpleRNN'\s*,\s*'LSTM'\s*,\s*'GRU'\s*\]|\[\s*'rnn'\s*,\s*'lstm'\s*,\s*'gru'\s*\]/,
  },
];

/** Lines of `text` that spell a family fact (none expected outside the table). */
function spelledFacts(file: string, text: string): string[] {
  const hits: string[] = [];
  text.split('\n').forEach((line, i) => {
    for (const s of SPELLINGS) {
      if (s.re.test(line) && !(s.unless && s.unless.test(line)))
        hits.push(`${file}:${i + 1}: ${s.what}: ${line.trim().slice(0, 120)}`);
    }
  });
  return hits;
}

describe('one place for gate counts and orders', () => {
  it('no source file outside src/families.ts spells them', () => {
    const files = sources();
    assert.ok(files.length > 50, `found only ${files.length} source files under ${root}`);
    const hits = files.flatMap((f) => spelledFacts(relative(root, f), readFileSync(f, 'utf8')));
    assert.deepEqual(hits, [], `gate counts, gate orders or kind codes outside src/families.ts:\n${hits.join('\n')}`);
  });

  it('catches the spellings the table replaced', () => {
    const old = [
      "const gates = kind === 'lstm' ? 4 : kind === 'gru' ? 3 : 1;",
      'const GATES = { lstm: 4, gru: 3, rnn: 1 };',
      '  const G = kind == 2 ? 4 : kind == 3 ? 3 : 1;',
      '  const int G = A.kind == CELL_LSTM ? 4 : A.kind == CELL_GRU ? 3 : 1;',
      'const KIND_CODE: Record<CellKind, number> = { rnn_tanh: 0, rnn_relu: 1, lstm: 2, gru: 3 };',
      '  if (!A.failed && kind > 3) A.fail("kind must be 0..3");',
      '  LSTM: [0, 3, 1, 2], // i f g o -> i o f c',
      'const BLOCKS = { rnn: [0], lstm: [0, 1, 2, 3], gru: [1, 0, 2] };',
      "export type CellFamily = 'rnn' | 'lstm' | 'gru';",
      "const RECURRENT = ['SimpleRNN', 'LSTM', 'GRU'];",
      '    return [4 * this.units];',
    ];
    for (const line of old) assert.equal(spelledFacts('x.ts', line).length > 0, true, line);
    assert.deepEqual(spelledFacts('x.ts', 'x = transposeData(x, [1, 0, 2], make);\nconst G = FAMILIES[f].gates;'), []);
  });
});
