/**
 * Batch-first recurrent nodes read X and write Y in place (the layout nodes of PyTorch's
 * batch_first export folded into the node, or layout = 1): on every backend, each case against
 *   - the same graph with the layout nodes kept (an intermediate value made a graph output, so
 *     nothing folds: the node reads and writes time-major), bit for bit, and
 *   - the general reference path (useGeneralRecurrentPath), within 1e-5 abs / 1e-4 rel;
 * for RNN, LSTM and GRU, forward, reverse and bidirectional, with and without initial states and
 * sequence lengths, at one row, a few rows (the native kernel then takes GX from a projection
 * GEMM) and a register tile of rows or more (it projects each step itself). And
 * `recurrentInference(args, true)` against the time-major call and copies around it, bit for bit.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type CellKind, FAMILIES } from '../src/families.js';
import { Generator, randn, Tensor } from '../src/index.js';
import type { NpyArray } from '../src/io/npy.js';
import { swapLeadingDims } from '../src/nn/recurrent/batch-first.js';
import { recurrentInference } from '../src/nn/recurrent/fused.js';
import { LARGE_FLOATS, uninitializedFloats } from '../src/tensor/uninitialized.js';
import { type AttrValue, GraphBuilder } from '../src/onnx/builder.js';
import { parseOnnx } from '../src/onnx/index.js';
import { useGeneralRecurrentPath } from '../src/onnx/ops/recurrent.js';
import { int64s, makeArray } from '../src/onnx/values.js';
import { backendCases, useBackend } from './backend-helpers.js';
import { assertClose } from './helpers.js';

type Op = 'RNN' | 'LSTM' | 'GRU';
type Direction = 'forward' | 'reverse' | 'bidirectional';

interface Case {
  op: Op;
  direction: Direction;
  B: number;
  state: boolean;
  lengths: boolean;
  /** 'folded': Transpose -> node -> layout nodes (PyTorch's export); 'layout1': the node's layout attribute. */
  form: 'folded' | 'layout1';
}

const T = 5;
const I = 6;
const H = 16;
const gates = (op: Op) => (op === 'LSTM' ? 4 : op === 'GRU' ? 3 : 1);

function values(n: number, seed: number): Float32Array {
  return Float32Array.from(randn([n], { generator: new Generator(seed) }).data, (v) => v * 0.4);
}

/**
 * The case's graph; with `expose`, the node's X (or its Y) is also a graph output, which keeps
 * the layout nodes (nothing is folded) while computing the same outputs.
 */
function model(c: Case, expose: boolean): Uint8Array {
  const D = c.direction === 'bidirectional' ? 2 : 1;
  const G = gates(c.op);
  const b = new GraphBuilder();
  b.input('x', 'float32', ['batch', 'time', I]);
  const inputs = ['', '', '', '', '', '', ''];
  inputs[1] = b.constant('W', makeArray('float32', [D, G * H, I], values(D * G * H * I, 1)));
  inputs[2] = b.constant('R', makeArray('float32', [D, G * H, H], values(D * G * H * H, 2)));
  inputs[3] = b.constant('B', makeArray('float32', [D, 2 * G * H], values(D * 2 * G * H, 3)));
  if (c.lengths) inputs[4] = b.input('lens', 'int32', ['batch']);
  const stateShape = c.form === 'layout1' ? ['batch', D, H] : [D, 'batch', H];
  if (c.state) {
    inputs[5] = b.input('h0', 'float32', stateShape);
    if (c.op === 'LSTM') inputs[6] = b.input('c0', 'float32', stateShape);
  }
  const attrs: Record<string, AttrValue> = { hidden_size: { i: H }, direction: { s: c.direction } };
  if (c.op === 'GRU') attrs['linear_before_reset'] = { i: 1 };
  const outputs = c.op === 'LSTM' ? 3 : 2;
  let y: string;
  let states: string[];
  if (c.form === 'layout1') {
    inputs[0] = 'x';
    [y, ...states] = b.node(c.op, inputs, 'rnn', { ...attrs, layout: { i: 1 } }, outputs) as [string, ...string[]];
    if (expose) {
      // layout 1 reads and writes batch-first in any case: the twin runs the time-major node.
      const xt = b.op('Transpose', ['x'], 'xt', { perm: { ints: [1, 0, 2] } });
      const tm = [...inputs];
      tm[0] = xt;
      const swap = (v: string) => (v ? b.op('Transpose', [v], 'st', { perm: { ints: [1, 0, 2] } }) : v);
      tm[5] = swap(tm[5]!);
      tm[6] = swap(tm[6]!);
      const [yt, ...st] = b.node(c.op, tm, 'tm', attrs, outputs) as [string, ...string[]];
      y = b.op('Transpose', [yt], 'yb', { perm: { ints: [2, 0, 1, 3] } });
      states = st.map((s) => b.op('Transpose', [s], 'sb', { perm: { ints: [1, 0, 2] } }));
    }
  } else {
    inputs[0] = b.op('Transpose', ['x'], 'xt', { perm: { ints: [1, 0, 2] } });
    const [raw, ...st] = b.node(c.op, inputs, 'rnn', attrs, outputs) as [string, ...string[]];
    states = st;
    if (D === 1) {
      const squeezed = b.op('Squeeze', [raw, b.constant('axes', int64s([1]))], 'sq');
      y = b.op('Transpose', [squeezed], 'y', { perm: { ints: [1, 0, 2] } });
    } else {
      const swapped = b.op('Transpose', [raw], 'sw', { perm: { ints: [0, 2, 1, 3] } });
      const merged = b.op('Reshape', [swapped, b.constant('shape', int64s([0, 0, -1]))], 'mg');
      y = b.op('Transpose', [merged], 'y', { perm: { ints: [1, 0, 2] } });
    }
    if (expose) b.output('x_time_major', inputs[0], 'float32', null);
  }
  b.output('output', y, 'float32', null);
  b.output('h', states[0]!, 'float32', null);
  if (c.op === 'LSTM') b.output('c', states[1]!, 'float32', null);
  return b.encode({ graphName: 'batch-first', opset: 14 });
}

function feeds(c: Case): Record<string, NpyArray> {
  const D = c.direction === 'bidirectional' ? 2 : 1;
  const f: Record<string, NpyArray> = { x: { dtype: 'float32', shape: [c.B, T, I], data: values(c.B * T * I, 4) } };
  if (c.lengths)
    f['lens'] = { dtype: 'int32', shape: [c.B], data: Int32Array.from({ length: c.B }, (_, k) => 1 + ((k * 3) % T)) };
  const shape = c.form === 'layout1' ? [c.B, D, H] : [D, c.B, H];
  if (c.state) {
    f['h0'] = { dtype: 'float32', shape, data: values(D * c.B * H, 5) };
    if (c.op === 'LSTM') f['c0'] = { dtype: 'float32', shape, data: values(D * c.B * H, 6) };
  }
  return f;
}

const CASES: Case[] = [];
for (const op of ['RNN', 'LSTM', 'GRU'] as const)
  for (const direction of ['forward', 'reverse', 'bidirectional'] as const)
    for (const B of [1, 3, 16])
      for (const [state, lengths] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ] as const)
        CASES.push({ op, direction, B, state, lengths, form: 'folded' });
for (const op of ['RNN', 'LSTM', 'GRU'] as const)
  for (const direction of ['forward', 'bidirectional'] as const)
    for (const B of [3, 16]) CASES.push({ op, direction, B, state: true, lengths: true, form: 'layout1' });

const label = (c: Case) =>
  `${c.op} ${c.direction} B=${c.B}${c.state ? ' initial state' : ''}${c.lengths ? ' lengths' : ''} ${c.form}`;

describe('ONNX batch-first recurrent nodes read X and write Y in place', () => {
  for (const backend of backendCases()) {
    test(`${backend.name}: folded equals unfolded bit for bit, and the general path within tolerance`, {
      skip: backend.skip,
    }, () => {
      useBackend(backend);
      let inPlace = 0;
      for (const c of CASES) {
        const folded = parseOnnx(model(c, false), `${label(c)}.onnx`);
        const unfolded = parseOnnx(model(c, true), `${label(c)} (unfolded).onnx`);
        if (c.form === 'folded') {
          assert.ok(!folded.operatorsPerRun.includes('Transpose'), `${label(c)}: layout nodes folded`);
          assert.ok(unfolded.operatorsPerRun.includes('Transpose'), `${label(c)}: twin keeps them`);
        }
        const f = feeds(c);
        const fast = folded.runArrays(f);
        const plain = unfolded.runArrays(f);
        for (const k of ['output', 'h', 'c'].filter((k) => k in fast)) {
          assert.deepEqual(fast[k]!.shape, plain[k]!.shape, `${label(c)} ${k}: shape`);
          assert.ok(
            (fast[k]!.data as Float32Array).some((v) => v !== 0),
            `${label(c)} ${k}: not all zeros`,
          );
          assert.deepEqual(fast[k]!.data, plain[k]!.data, `${label(c)} ${k}: folded vs unfolded`);
        }
        useGeneralRecurrentPath(true);
        let general: ReturnType<typeof folded.runArrays>;
        try {
          general = folded.runArrays(f);
        } finally {
          useGeneralRecurrentPath(false);
        }
        for (const k of Object.keys(fast))
          assertClose(fast[k]!.data as Float32Array, Array.from(general[k]!.data as Float32Array), `${label(c)} ${k}`);
        inPlace++;
      }
      assert.equal(inPlace, CASES.length);
    });
  }
});

describe('recurrentInference(args, batchFirst) equals the time-major call with copies around it', () => {
  for (const backend of backendCases()) {
    test(`${backend.name}: bit for bit`, { skip: backend.skip }, () => {
      useBackend(backend);
      for (const kind of ['lstm', 'gru', 'rnn_tanh', 'rnn_relu'] as CellKind[]) {
        for (const B of [1, 2, 9, 24]) {
          for (const reverse of [false, true]) {
            const family = kind.startsWith('rnn') ? 'rnn' : (kind as 'lstm' | 'gru');
            const G = FAMILIES[family].gates;
            const Tn = 7;
            const xb = values(B * Tn * I, 7 + B);
            const lengths = B > 1 ? Int32Array.from({ length: B }, (_, k) => 1 + ((k * 5) % Tn)) : null;
            const args = (x: Float32Array, shape: number[]) => ({
              kind,
              x: new Tensor(x, shape),
              h0: new Tensor(values(B * H, 8), [B, H]),
              c0: FAMILIES[family].hasCell ? new Tensor(values(B * H, 9), [B, H]) : null,
              wIh: new Tensor(values(G * H * I, 10), [G * H, I]),
              wHh: new Tensor(values(G * H * H, 11), [G * H, H]),
              bIh: new Tensor(values(G * H, 12), [G * H]),
              bHh: new Tensor(values(G * H, 13), [G * H]),
              wHr: null,
              lengths,
              reverse,
            });
            const fast = recurrentInference(args(xb, [B, Tn, I]), true);
            const plain = recurrentInference(args(swapLeadingDims(xb, B, Tn, I), [Tn, B, I]));
            const what = `${kind} B=${B}${reverse ? ' reverse' : ''}`;
            assert.ok(
              fast.output.some((v) => v !== 0),
              `${what}: output not all zeros`,
            );
            assert.deepEqual(fast.output, swapLeadingDims(plain.output, Tn, B, H), `${what}: output`);
            assert.deepEqual(fast.h, plain.h, `${what}: h`);
            assert.deepEqual(fast.c, plain.c, `${what}: c`);
          }
        }
      }
    });
  }
});

test('swapLeadingDims moves element (i, j, k) to (j, i, k)', () => {
  for (const width of [1, 3, 64, 70]) {
    const src = Float32Array.from({ length: 2 * 3 * width }, (_, n) => n);
    const out = swapLeadingDims(src, 2, 3, width);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++)
        for (let k = 0; k < width; k++) assert.equal(out[(j * 2 + i) * width + k], src[(i * 3 + j) * width + k]);
  }
});

describe('large inference outputs come from uninitialized memory', () => {
  for (const backend of backendCases()) {
    test(`${backend.name}: rows past their length are zeros, the others equal the run without lengths`, {
      skip: backend.skip,
    }, () => {
      useBackend(backend);
      const [B, Tn, Hn, In] = [32, 40, 64, 3]; // output (32, 40, 64): above LARGE_FLOATS
      assert.ok(B * Tn * Hn >= LARGE_FLOATS);
      const lengths = Int32Array.from({ length: B }, (_, k) => (k % 2 ? Tn : 1 + (k % Tn)));
      const args = (withLengths: boolean, batchFirst: boolean) => ({
        kind: 'gru' as CellKind,
        x: new Tensor(values(B * Tn * In, 21), batchFirst ? [B, Tn, In] : [Tn, B, In]),
        h0: new Tensor(new Float32Array(B * Hn), [B, Hn]),
        c0: null,
        wIh: new Tensor(values(3 * Hn * In, 22), [3 * Hn, In]),
        wHh: new Tensor(values(3 * Hn * Hn, 23), [3 * Hn, Hn]),
        bIh: null,
        bHh: null,
        wHr: null,
        lengths: withLengths ? lengths : null,
        reverse: false,
      });
      for (const batchFirst of [false, true]) {
        // Memory freed with non-zero contents, for the allocator to hand back: enough large arrays
        // for the garbage collector to free some (the C library then keeps freed chunks of that
        // size for reuse instead of returning them to the system).
        for (let k = 0; k < 40; k++) uninitializedFloats(1 << 21).fill(Number.NaN);
        for (let k = 0; k < 8; k++) uninitializedFloats(B * Tn * Hn).fill(Number.NaN);
        const masked = recurrentInference(args(true, batchFirst), batchFirst).output;
        const full = recurrentInference(args(false, batchFirst), batchFirst).output;
        for (let b = 0; b < B; b++) {
          for (let t = 0; t < Tn; t++) {
            const at = (batchFirst ? b * Tn + t : t * B + b) * Hn;
            const row = masked.subarray(at, at + Hn);
            if (t >= lengths[b]!)
              assert.ok(
                row.every((v) => v === 0),
                `row ${b} step ${t}: zeros past its length`,
              );
            else if (lengths[b] === Tn) assert.deepEqual(row, full.subarray(at, at + Hn), `row ${b} step ${t}`);
          }
        }
        assert.ok(full.every(Number.isFinite), 'every element written (no NaN left from the freed memory)');
      }
    });
  }
});
