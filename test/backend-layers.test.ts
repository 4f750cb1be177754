/**
 * Whole recurrent layers under every available backend: outputs, final states and the gradients
 * of the input, initial states and every parameter agree with the reference backend within
 * 1e-5 + 1e-4·|reference| (RNN tanh/relu, LSTM with and without projection, GRU; one and two
 * layers; bidirectional; lengths; batch-first; long sequences that span several input-projection
 * blocks; the step cells), and the PyTorch fixtures (rnn-parity.v1.json) pass under each backend.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type BackendName, setBackend } from '../src/backend/backend.js';
import type { WasmBackend } from '../src/backend/wasm/index.js';
import { Generator, nn, noGrad, randn, type Tensor } from '../src/index.js';
import { assertAllClose, backendCases, requireWasmThreads, useBackend } from './backend-helpers.js';
import { checkRnnFixtureCase, rnnFixture } from './rnn-fixture.js';

interface LayerConfig {
  name: string;
  module: 'RNN' | 'LSTM' | 'GRU';
  nonlinearity?: 'tanh' | 'relu';
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  projSize?: number;
  batchFirst: boolean;
  time: number;
  batch: number;
  lengths?: number[];
  initialState: boolean;
  bias?: boolean;
  /** Parameters created with requiresGrad = false. */
  frozen?: string[];
}

const CONFIGS: LayerConfig[] = [
  {
    name: 'RNN tanh',
    module: 'RNN',
    nonlinearity: 'tanh',
    inputSize: 5,
    hiddenSize: 7,
    numLayers: 1,
    bidirectional: false,
    batchFirst: false,
    time: 6,
    batch: 3,
    initialState: true,
  },
  {
    name: 'RNN relu 2 layers bidirectional lengths',
    module: 'RNN',
    nonlinearity: 'relu',
    inputSize: 4,
    hiddenSize: 6,
    numLayers: 2,
    bidirectional: true,
    batchFirst: true,
    time: 5,
    batch: 3,
    lengths: [5, 2, 4],
    initialState: false,
  },
  {
    name: 'LSTM',
    module: 'LSTM',
    inputSize: 6,
    hiddenSize: 9,
    numLayers: 1,
    bidirectional: false,
    batchFirst: false,
    time: 7,
    batch: 4,
    initialState: true,
  },
  {
    name: 'LSTM 2 layers bidirectional lengths batch-first',
    module: 'LSTM',
    inputSize: 5,
    hiddenSize: 8,
    numLayers: 2,
    bidirectional: true,
    batchFirst: true,
    time: 6,
    batch: 3,
    lengths: [6, 1, 3],
    initialState: true,
  },
  {
    name: 'LSTM projection bidirectional',
    module: 'LSTM',
    inputSize: 4,
    hiddenSize: 10,
    projSize: 3,
    numLayers: 2,
    bidirectional: true,
    batchFirst: false,
    time: 5,
    batch: 2,
    lengths: [5, 3],
    initialState: true,
  },
  {
    name: 'LSTM no bias',
    module: 'LSTM',
    inputSize: 3,
    hiddenSize: 5,
    numLayers: 1,
    bidirectional: false,
    batchFirst: false,
    time: 4,
    batch: 2,
    initialState: false,
    bias: false,
  },
  {
    name: 'GRU',
    module: 'GRU',
    inputSize: 5,
    hiddenSize: 11,
    numLayers: 1,
    bidirectional: false,
    batchFirst: false,
    time: 6,
    batch: 4,
    initialState: true,
  },
  {
    name: 'LSTM batch 1, odd hidden size',
    module: 'LSTM',
    inputSize: 3,
    hiddenSize: 13,
    numLayers: 1,
    bidirectional: true,
    batchFirst: false,
    time: 9,
    batch: 1,
    initialState: true,
  },
  {
    name: 'GRU batch 1, odd hidden size, lengths',
    module: 'GRU',
    inputSize: 5,
    hiddenSize: 9,
    numLayers: 2,
    bidirectional: false,
    batchFirst: true,
    time: 7,
    batch: 1,
    lengths: [5],
    initialState: false,
  },
  {
    name: 'RNN batch 17, odd hidden size, lengths',
    module: 'RNN',
    nonlinearity: 'tanh',
    inputSize: 6,
    hiddenSize: 21,
    numLayers: 1,
    bidirectional: true,
    batchFirst: false,
    time: 8,
    batch: 17,
    lengths: [8, 1, 3, 8, 5, 2, 7, 8, 4, 6, 8, 8, 1, 2, 3, 4, 5],
    initialState: true,
  },
  {
    name: 'GRU 2 layers bidirectional lengths',
    module: 'GRU',
    inputSize: 3,
    hiddenSize: 6,
    numLayers: 2,
    bidirectional: true,
    batchFirst: true,
    time: 5,
    batch: 3,
    lengths: [2, 5, 4],
    initialState: true,
  },
  {
    name: 'GRU long sequence (several projection blocks)',
    module: 'GRU',
    inputSize: 4,
    hiddenSize: 5,
    numLayers: 1,
    bidirectional: true,
    batchFirst: false,
    time: 1100,
    batch: 2,
    lengths: [1100, 700],
    initialState: false,
  },
  {
    name: 'LSTM with frozen bias_hh and weight_ih (layer 0)',
    module: 'LSTM',
    inputSize: 4,
    hiddenSize: 6,
    numLayers: 2,
    bidirectional: true,
    batchFirst: false,
    time: 5,
    batch: 3,
    initialState: true,
    frozen: ['bias_hh_l0', 'weight_ih_l0_reverse', 'bias_ih_l1'],
  },
  {
    name: 'GRU with frozen bias_ih',
    module: 'GRU',
    inputSize: 4,
    hiddenSize: 6,
    numLayers: 1,
    bidirectional: false,
    batchFirst: false,
    time: 5,
    batch: 3,
    initialState: true,
    frozen: ['bias_ih_l0'],
  },
  {
    name: 'LSTM 2 layers bidirectional, batch 16, hidden 64, 20 steps, lengths',
    module: 'LSTM',
    inputSize: 32,
    hiddenSize: 64,
    numLayers: 2,
    bidirectional: true,
    batchFirst: true,
    time: 20,
    batch: 16,
    lengths: [20, 19, 3, 20, 7, 20, 1, 15, 20, 20, 11, 2, 20, 9, 20, 16],
    initialState: true,
  },
  {
    name: 'GRU batch 16, hidden 64, 20 steps',
    module: 'GRU',
    inputSize: 32,
    hiddenSize: 64,
    numLayers: 1,
    bidirectional: false,
    batchFirst: false,
    time: 20,
    batch: 16,
    initialState: true,
  },
  {
    name: 'LSTM batch 40 hidden 33',
    module: 'LSTM',
    inputSize: 17,
    hiddenSize: 33,
    numLayers: 1,
    bidirectional: false,
    batchFirst: false,
    time: 9,
    batch: 40,
    initialState: true,
  },
];

interface LayerResult {
  values: Record<string, Float32Array>;
}

function build(c: LayerConfig, seed: number): nn.RNN | nn.LSTM | nn.GRU {
  const common = {
    inputSize: c.inputSize,
    hiddenSize: c.hiddenSize,
    numLayers: c.numLayers,
    bidirectional: c.bidirectional,
    batchFirst: c.batchFirst,
    bias: c.bias ?? true,
    generator: new Generator(seed),
  };
  if (c.module === 'RNN') return new nn.RNN({ ...common, nonlinearity: c.nonlinearity ?? 'tanh' });
  if (c.module === 'LSTM') return new nn.LSTM({ ...common, projSize: c.projSize ?? 0 });
  return new nn.GRU(common);
}

function runLayer(backend: BackendName, c: LayerConfig): LayerResult {
  setBackend(backend);
  const module = build(c, 42);
  for (const [name, p] of module.namedParameters()) if (c.frozen?.includes(name)) p.requiresGrad = false;
  const gen = new Generator(7);
  const dirs = c.bidirectional ? 2 : 1;
  const P = c.projSize || c.hiddenSize;
  const x = randn(c.batchFirst ? [c.batch, c.time, c.inputSize] : [c.time, c.batch, c.inputSize], {
    generator: gen,
    requiresGrad: true,
  });
  const h0 = c.initialState
    ? randn([c.numLayers * dirs, c.batch, P], { generator: gen, requiresGrad: true })
    : undefined;
  const c0 =
    c.initialState && c.module === 'LSTM'
      ? randn([c.numLayers * dirs, c.batch, c.hiddenSize], { generator: gen, requiresGrad: true })
      : undefined;
  const options = { ...(h0 && { h: h0 }), ...(c0 && { c: c0 }), ...(c.lengths && { lengths: c.lengths }) };
  const r = module.forward(x, options) as { output: Tensor; h: Tensor; c?: Tensor };
  const wOut = randn(r.output.shape, { generator: gen });
  const wH = randn(r.h.shape, { generator: gen });
  let loss = r.output.mul(wOut).sum().add(r.h.mul(wH).sum());
  if (r.c) loss = loss.add(r.c.mul(randn(r.c.shape, { generator: gen })).sum());
  loss.backward();
  const values: Record<string, Float32Array> = { output: r.output.data, h: r.h.data, 'grad x': x.grad!.data };
  if (r.c) values['c'] = r.c.data;
  if (h0) values['grad h0'] = h0.grad!.data;
  if (c0) values['grad c0'] = c0.grad!.data;
  for (const [name, p] of module.namedParameters()) {
    if (c.frozen?.includes(name)) {
      if (p.grad !== null) throw new Error(`${name} is frozen but got a gradient`);
    } else {
      values[`grad ${name}`] = p.grad!.data;
    }
  }
  // Inference (no graph) takes a different path in the driver: it must give the same output.
  const inference = noGrad(() => module.forward(x.detach(), options)) as { output: Tensor; h: Tensor };
  values['output (noGrad)'] = inference.output.data;
  values['h (noGrad)'] = inference.h.data;
  return { values };
}

function runCells(backend: BackendName): Record<string, Float32Array> {
  setBackend(backend);
  const gen = new Generator(3);
  const out: Record<string, Float32Array> = {};
  for (const kind of ['RNNCell', 'LSTMCell', 'GRUCell'] as const) {
    const cell =
      kind === 'RNNCell'
        ? new nn.RNNCell({ inputSize: 4, hiddenSize: 6, generator: new Generator(1) })
        : kind === 'LSTMCell'
          ? new nn.LSTMCell({ inputSize: 4, hiddenSize: 6, generator: new Generator(1) })
          : new nn.GRUCell({ inputSize: 4, hiddenSize: 6, generator: new Generator(1) });
    const x = randn([3, 4], { generator: gen, requiresGrad: true });
    let h: Tensor = randn([3, 6], { generator: gen });
    let c: Tensor = randn([3, 6], { generator: gen });
    let loss: Tensor | null = null;
    for (let t = 0; t < 3; t++) {
      if (cell instanceof nn.LSTMCell) {
        const r = cell.forward(x.mul(t + 1), { h, c });
        h = r.h;
        c = r.c;
      } else {
        h = (cell as nn.RNNCell | nn.GRUCell).forward(x.mul(t + 1), h);
      }
      loss = loss ? loss.add(h.sum()) : h.sum();
    }
    loss!.backward();
    out[`${kind} h`] = h.data;
    out[`${kind} grad x`] = x.grad!.data;
    for (const [name, p] of cell.namedParameters()) out[`${kind} grad ${name}`] = p.grad!.data;
  }
  return out;
}

const fixture = rnnFixture();
const expected = new Map<string, LayerResult>();
const expectedFor = (c: LayerConfig) => {
  let e = expected.get(c.name);
  if (!e) {
    e = runLayer('reference', c);
    expected.set(c.name, e);
  }
  return e;
};

describe('backend layers against reference', () => {
  for (const bc of backendCases()) {
    if (bc.name === 'reference') continue;
    describe(bc.name, () => {
      for (const c of CONFIGS) {
        test(c.name, { skip: bc.skip }, () => {
          useBackend(bc);
          const want = expectedFor(c).values;
          const got = runLayer(bc.name, c).values;
          for (const key of Object.keys(want)) assertAllClose(got[key]!, want[key]!, `${bc.name} ${c.name}: ${key}`);
        });
      }
      test('step cells (RNNCell, LSTMCell, GRUCell), three steps with backward', { skip: bc.skip }, () => {
        useBackend(bc);
        const want = runCells('reference');
        const got = runCells(bc.name);
        for (const key of Object.keys(want)) assertAllClose(got[key]!, want[key]!, `${bc.name}: ${key}`);
      });
    });
  }
});

for (const name of ['native', 'wasm'] as const) {
  describe(`${name}: a block of inference steps in one call (recurrentSteps) equals the per-step calls`, () => {
    const bcase = backendCases().find((c) => c.name === name)!;
    for (const c of CONFIGS) {
      test(c.name, { skip: bcase.skip }, () => {
        const backend = useBackend(bcase);
        assert.ok(backend.recurrentSteps, `the ${name} backend has recurrentSteps`);
        const run = () => {
          const module = build(c, 42);
          const gen = new Generator(7);
          const dirs = c.bidirectional ? 2 : 1;
          const x = randn(c.batchFirst ? [c.batch, c.time, c.inputSize] : [c.time, c.batch, c.inputSize], {
            generator: gen,
          });
          const h0 = c.initialState
            ? randn([c.numLayers * dirs, c.batch, c.projSize || c.hiddenSize], { generator: gen })
            : undefined;
          const c0 =
            c.initialState && c.module === 'LSTM'
              ? randn([c.numLayers * dirs, c.batch, c.hiddenSize], { generator: gen })
              : undefined;
          const options = { ...(h0 && { h: h0 }), ...(c0 && { c: c0 }), ...(c.lengths && { lengths: c.lengths }) };
          const r = noGrad(() => module.forward(x, options)) as { output: Tensor; h: Tensor; c?: Tensor };
          return [r.output.data, r.h.data, r.c?.data ?? null];
        };
        const blocks = run();
        const saved = backend.recurrentSteps;
        backend.recurrentSteps = undefined;
        try {
          assert.deepEqual(blocks, run(), `${c.name}: block kernel vs per-step calls`);
        } finally {
          backend.recurrentSteps = saved;
        }
      });
    }
  });
}

describe('native: recurrentSteps argument checks', () => {
  const native = backendCases().find((c) => c.name === 'native')!;
  test('bad arguments throw instead of touching memory', { skip: native.skip }, () => {
    const backend = useBackend(native);
    const H = 4;
    const packedHh = backend.packB({ k: H, n: 4 * H, b: new Float32Array(16 * H), ldb: H, transB: true });
    const args = {
      rows: 2,
      hidden: H,
      tStart: 0,
      count: 3,
      reverse: false,
      blockFirst: 0,
      gx: new Float32Array(3 * 2 * 4 * H),
      packedHh,
      bHh: null,
      h: new Float32Array(2 * H),
      c: new Float32Array(2 * H),
      output: new Float32Array(3 * 2 * H),
      lengths: null,
      gh: new Float32Array(2 * 4 * H),
      hRaw: new Float32Array(2 * H),
      cNew: new Float32Array(2 * H),
    };
    backend.recurrentSteps!('lstm', args);
    assert.throws(() => backend.recurrentSteps!('lstm', { ...args, count: 4 }), /gx does not fit|output does not fit/);
    assert.throws(
      () => backend.recurrentSteps!('lstm', { ...args, tStart: 2, reverse: true, count: 4 }),
      /outside the gx block/,
    );
    assert.throws(() => backend.recurrentSteps!('lstm', { ...args, lengths: new Int32Array(3) }), /one entry per row/);
    assert.throws(() => backend.recurrentSteps!('lstm', { ...args, c: null }), /LSTM needs c/);
    assert.throws(() => backend.recurrentSteps!('gru', args), /W_hh transposed/);
    packedHh.release();
    assert.throws(() => backend.recurrentSteps!('lstm', args), /packB/);
  });
});

describe('wasm: recurrentSteps argument checks', () => {
  const wasm = backendCases().find((c) => c.name === 'wasm')!;
  test('bad arguments throw instead of touching memory', { skip: wasm.skip }, () => {
    const backend = useBackend(wasm);
    const H = 4;
    const packedHh = backend.packB({ k: H, n: 4 * H, b: new Float32Array(16 * H), ldb: H, transB: true });
    const args = {
      rows: 2,
      hidden: H,
      tStart: 0,
      count: 3,
      reverse: false,
      blockFirst: 0,
      gx: new Float32Array(3 * 2 * 4 * H),
      packedHh,
      bHh: null,
      h: new Float32Array(2 * H),
      c: new Float32Array(2 * H),
      output: new Float32Array(3 * 2 * H),
      lengths: null,
      gh: new Float32Array(2 * 4 * H),
      hRaw: new Float32Array(2 * H),
      cNew: new Float32Array(2 * H),
      cache: new Float32Array(2 * 5 * H),
    };
    backend.recurrentSteps!('lstm', args);
    assert.throws(() => backend.recurrentSteps!('lstm', { ...args, count: 4 }), /gx needs elements/);
    assert.throws(
      () => backend.recurrentSteps!('lstm', { ...args, tStart: 2, reverse: true, count: 4 }),
      /outside the gx block/,
    );
    assert.throws(() => backend.recurrentSteps!('lstm', { ...args, lengths: new Int32Array(1) }), /lengths has 1 rows/);
    assert.throws(() => backend.recurrentSteps!('lstm', { ...args, c: null }), /LSTM needs c/);
    assert.throws(() => backend.recurrentSteps!('gru', args), /expected \[4, 12\]/);
    packedHh.release();
    assert.throws(() => backend.recurrentSteps!('lstm', args), /not packed by the wasm backend/);
  });
});

describe('wasm with helper threads: every GEMM split across threads', () => {
  const wasm = backendCases().find((c) => c.name === 'wasm')!;
  for (const c of CONFIGS) {
    test(c.name, { skip: wasm.skip }, (t) => {
      const backend = useBackend(wasm) as WasmBackend;
      if (requireWasmThreads(backend, t) < 2) return;
      const saved = backend.parallelMinFlops;
      try {
        backend.parallelMinFlops = Infinity;
        const single = runLayer('wasm', c).values;
        backend.parallelMinFlops = 0;
        const split = runLayer('wasm', c).values;
        const want = expectedFor(c).values;
        for (const key of Object.keys(want)) {
          assertAllClose(split[key]!, want[key]!, `wasm threads ${c.name}: ${key}`);
          assert.deepEqual(split[key], single[key], `wasm threads ${c.name}: ${key} differs from one thread`);
        }
      } finally {
        backend.parallelMinFlops = saved;
      }
    });
  }
});

describe('PyTorch parity fixtures under each backend', () => {
  for (const bc of backendCases()) {
    describe(bc.name, () => {
      for (const c of fixture.cases) {
        test(c.name, { skip: bc.skip }, () => {
          useBackend(bc);
          checkRnnFixtureCase(c);
        });
      }
    });
  }
});
