/**
 * `explainRecurrent`: what every output of a recurrent layer holds and how it maps to time
 * steps, found by RUNNING the real layer (random weights, random input, the given lengths) and
 * comparing its outputs, never from a separate formula, so it cannot drift from the library.
 */
import { ValueError } from '../errors.js';
import { CELL_FAMILIES, type CellFamily, FAMILIES } from '../families.js';
import { createRecurrent, runRecurrent } from '../models/recurrent-layer.js';
import { LSTM } from '../nn/recurrent/lstm.js';
import { noGrad } from '../tensor/autograd.js';
import { randn } from '../tensor/creation.js';
import { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { explainKeras } from './explain-keras.js';

export interface ExplainSpec {
  cell: CellFamily;
  inputSize: number;
  hiddenSize: number;
  numLayers?: number;
  bidirectional?: boolean;
  batchFirst?: boolean;
  /** LSTM projection size (0 = none). */
  projSize?: number;
  /** Input shape: (batch, time, features) with batchFirst, else (time, batch, features); 2-D = unbatched (time, features). */
  input: number[];
  /** Valid steps per sequence. */
  lengths?: number[];
  /** Keras view: the layer returns only the last step (false) or every step (true). */
  keras?: { returnSequences: boolean; returnState: boolean } | null;
}

export interface ExplainedTensor {
  name: string;
  shape: number[];
  /** One name per dim, e.g. ['batch', 'time', 'directions*hidden']. */
  dims: string[];
  /** What it holds, in words. */
  meaning: string[];
}

export interface ExplainedCheck {
  claim: string;
  holds: boolean;
  /** Why it does not hold, when it does not. */
  reason?: string;
}

export interface Explanation {
  layer: string;
  input: ExplainedTensor;
  lengths: number[] | null;
  outputs: ExplainedTensor[];
  checks: ExplainedCheck[];
  parameters: { name: string; shape: number[]; count: number }[];
  totalParameters: number;
}

function maxDiff(a: Tensor, b: Tensor): number {
  let m = 0;
  for (let i = 0; i < a.size; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
  return a.size === b.size ? m : Infinity;
}

const same = (a: Tensor, b: Tensor) => maxDiff(a, b) <= 1e-6;

export function explainRecurrent(spec: ExplainSpec): Explanation {
  const where = 'explain';
  if (!CELL_FAMILIES.includes(spec.cell))
    throw new ValueError(where, `--cell must be one of ${CELL_FAMILIES.join(', ')}, got ${String(spec.cell)}`);
  const projSize = spec.projSize ?? 0;
  if (projSize > 0 && spec.cell !== 'lstm')
    throw new ValueError(where, `--proj (projSize) exists only for LSTM; ${spec.cell.toUpperCase()} has no projection`);
  if (spec.keras && (spec.numLayers ?? 1) === 1 && !projSize) return explainKeras({ ...spec, keras: spec.keras });
  if (spec.keras && (spec.numLayers ?? 1) > 1)
    throw new ValueError(where, 'a Keras recurrent layer has one layer; stack layers instead of --layers');
  if (spec.keras && projSize > 0) throw new ValueError(where, 'Keras layers have no projection (--proj)');
  const numLayers = spec.numLayers ?? 1;
  const bidirectional = spec.bidirectional ?? false;
  const batchFirst = spec.batchFirst ?? Boolean(spec.keras);
  if (spec.input.length !== 2 && spec.input.length !== 3)
    throw new ValueError(where, `--input must have 2 or 3 dims (e.g. 4x20x10), got ${spec.input.join('x')}`);
  if (spec.input.some((d) => !Number.isInteger(d) || d < 1))
    throw new ValueError(where, `--input dims must be positive integers, got ${spec.input.join('x')}`);
  const options = {
    inputSize: spec.inputSize,
    hiddenSize: spec.hiddenSize,
    numLayers,
    bidirectional,
    batchFirst,
    generator: new Generator(1),
  };
  const layer = spec.cell === 'lstm' ? new LSTM({ ...options, projSize }) : createRecurrent(spec.cell, options);
  layer.eval();
  const batched = spec.input.length === 3;
  const [batch, time] = batched
    ? batchFirst
      ? [spec.input[0]!, spec.input[1]!]
      : [spec.input[1]!, spec.input[0]!]
    : [1, spec.input[0]!];
  const x = randn(spec.input, { generator: new Generator(2) });
  // The real layer validates the input, the lengths and the options and names what is wrong.
  const { output, state } = noGrad(() => runRecurrent(layer, x, spec.lengths ? { lengths: spec.lengths } : {}));
  const lengths = spec.lengths ?? null;
  const D = bidirectional ? 2 : 1;
  const H = spec.hiddenSize;
  const P = projSize || H;
  const hName = projSize ? 'proj' : 'hidden';
  const last = numLayers - 1;
  const layerName = `${FAMILIES[spec.cell].torchClass}(inputSize=${spec.inputSize}, hiddenSize=${H}${numLayers > 1 ? `, numLayers=${numLayers}` : ''}${bidirectional ? ', bidirectional' : ''}${batchFirst ? ', batchFirst' : ''}${projSize ? `, projSize=${projSize}` : ''})`;

  const inputDims = batched
    ? batchFirst
      ? ['batch', 'time', 'features']
      : ['time', 'batch', 'features']
    : ['time', 'features'];
  const stepOf = (o: Tensor, b: number, t: number) =>
    batched ? (batchFirst ? o.select(0, b).select(0, t) : o.select(1, b).select(0, t)) : o.select(0, t); // (D*P)
  const hRow = (row: number, b: number) => (batched ? state.h.select(0, row).select(0, b) : state.h.select(0, row));
  const checks: ExplainedCheck[] = [];
  const lens = lengths ?? new Array<number>(batch).fill(time);
  // Every claim is written in the layout's own indexing: output[b, t] batch-first, output[t, b] time-major.
  const at = outputIndex(batched ? (batchFirst ? 'batch-first' : 'time-major') : 'unbatched');
  const fwd = `0:${P}`;
  // Forward direction of the last layer: its final state is the output at each sequence's last valid step.
  const forwardOk = lens.every((len, b) => same(hRow(last * D, b), stepOf(output, b, len - 1).slice(0, 0, P)));
  const forwardAt = lengths ? `${at('b', 'lengths[b]-1', fwd)} for every sequence b` : at(':', '-1', fwd);
  checks.push({ claim: `h[${last * D}] (layer ${last}, forward) == ${forwardAt}`, holds: forwardOk });
  if (bidirectional) {
    const reverseOk = lens.every((_, b) => same(hRow(last * D + 1, b), stepOf(output, b, 0).slice(0, P, 2 * P)));
    checks.push({
      claim: `h[${last * D + 1}] (layer ${last}, reverse) == ${at(':', '0', `${P}:${2 * P}`)} (the reverse direction ends at step 0)`,
      holds: reverseOk,
    });
  }
  // The trap: h[-1] vs the output's last time step.
  const lastRow = state.h.shape.length === 3 ? state.h.select(0, -1) : state.h.select(0, -1).unsqueeze(0);
  const lastStep = batched
    ? batchFirst
      ? output.select(1, time - 1)
      : output.select(0, time - 1)
    : output.select(0, time - 1).unsqueeze(0);
  const trapHolds = same(lastRow, lastStep);
  const lastStepExpr = at(':', '-1');
  const padded = lens.map((len, b) => (len < time ? b : -1)).filter((b) => b >= 0);
  checks.push({
    claim: `h[-1] == ${lastStepExpr}`,
    holds: trapHolds,
    ...(!trapHolds && {
      reason: [
        bidirectional
          ? `h[-1] is the reverse direction (its final state is at step 0) and ${lastStepExpr} has ${D * P} features, h[-1] ${P}`
          : '',
        padded.length
          ? `${padded.length === 1 ? `sequence ${padded[0]} is` : `sequences ${padded.join(', ')} are`} shorter than ${time} steps: their final state is at their own last valid step, and ${lastStepExpr} is padding (0) for them`
          : '',
      ]
        .filter(Boolean)
        .join('; '),
    }),
  });
  if (lengths) {
    const zeros = lens.every((len, b) =>
      Array.from({ length: time - len }, (_, k) => stepOf(output, b, len + k)).every((v) =>
        v.data.every((e) => e === 0),
      ),
    );
    checks.push({ claim: `padded steps are exactly 0: ${at('b', 't')} == 0 for t >= lengths[b]`, holds: zeros });
  }

  const outDims = batched
    ? batchFirst
      ? ['batch', 'time', `${D > 1 ? 'directions*' : ''}${hName}`]
      : ['time', 'batch', `${D > 1 ? 'directions*' : ''}${hName}`]
    : ['time', `${D > 1 ? 'directions*' : ''}${hName}`];
  const stateDims = (n: string) => (batched ? ['layers*directions', 'batch', n] : ['layers*directions', n]);
  const directionNames = (row: number) =>
    `layer ${Math.floor(row / D)}${bidirectional ? (row % D ? ' reverse' : ' forward') : ''}`;
  const outputs: ExplainedTensor[] = [];
  const outputMeaning = [
    `${at('b', 't')} is the LAST layer's (layer ${last}) hidden state after step t: one row per time step`,
    ...(bidirectional
      ? [
          `features 0:${P} are the forward direction (read steps 0..t), ${P}:${2 * P} the reverse direction (read steps t..end)`,
        ]
      : []),
    ...(lengths ? ["steps at or past a sequence's length are 0"] : []),
  ];
  if (spec.keras) {
    const units = D * P;
    if (spec.keras.returnSequences)
      outputs.push({ name: 'output', shape: [...output.shape], dims: outDims, meaning: outputMeaning });
    else
      outputs.push({
        name: 'output',
        shape: batched ? [batch, units] : [units],
        dims: batched ? ['batch', 'units'] : ['units'],
        meaning: [
          `only the last step: the final state (returnSequences: false)${bidirectional ? ', both directions concatenated' : ''}`,
        ],
      });
    if (spec.keras.returnState) {
      outputs.push({
        name: 'state_h',
        shape: batched ? [batch, P] : [P],
        dims: batched ? ['batch', 'units'] : ['units'],
        meaning: ['the final hidden state; equals output when returnSequences is false and there is one direction'],
      });
      if (state.c)
        outputs.push({
          name: 'state_c',
          shape: batched ? [batch, H] : [H],
          dims: batched ? ['batch', 'units'] : ['units'],
          meaning: ['the final cell state (LSTM)'],
        });
    }
  } else {
    outputs.push({ name: 'output', shape: [...output.shape], dims: outDims, meaning: outputMeaning });
    outputs.push({
      name: 'h',
      shape: [...state.h.shape],
      dims: stateDims(hName),
      meaning: [
        `EVERY layer's final state; row layer*${D}+direction:`,
        ...Array.from({ length: numLayers * D }, (_, r) => `h[${r}]: ${directionNames(r)}`),
      ],
    });
    if (state.c)
      outputs.push({
        name: 'c',
        shape: [...state.c.shape],
        dims: stateDims('hidden'),
        meaning: ["every layer's final cell state, same rows as h"],
      });
  }
  const parameters = layer.namedParameters().map(([name, p]) => ({ name, shape: [...p.shape], count: p.size }));
  return {
    layer: layerName,
    input: { name: 'x', shape: spec.input, dims: inputDims, meaning: [] },
    lengths,
    outputs,
    checks,
    parameters,
    totalParameters: parameters.reduce((s, p) => s + p.count, 0),
  };
}

/** How a tensor laid out as (batch, time, ...), (time, batch, ...) or (time, ...) is indexed. */
export type ExplainLayout = 'batch-first' | 'time-major' | 'unbatched';

/**
 * Writes `output[...]` for a batch index, a time index and optionally a feature range, in the
 * layout's order: `output[b, t]` batch-first, `output[t, b]` time-major, `output[t]` unbatched.
 * A batch index of `:` over a time-major tensor is dropped where it is the last index written
 * (`output[-1]`, the whole last step).
 */
export function outputIndex(layout: ExplainLayout): (b: string, t: string, features?: string) => string {
  return (b, t, features) => {
    const idx = layout === 'batch-first' ? [b, t] : layout === 'time-major' ? [t, b] : [t];
    if (features !== undefined) idx.push(features);
    while (idx.length > 1 && idx[idx.length - 1] === ':') idx.pop();
    return `output[${idx.join(', ')}]`;
  };
}

/** The explanation as text for the terminal. */
export function formatExplanation(e: Explanation): string {
  const shape = (t: ExplainedTensor) =>
    `[${t.shape.join(', ')}]`.padEnd(16) + `(${t.dims.map((d, i) => `${d}=${t.shape[i]}`).join(', ')})`;
  const lines = [e.layer, '', `input  x       ${shape(e.input)}`];
  if (e.lengths) lines.push(`lengths        [${e.lengths.join(', ')}]`);
  lines.push('', 'outputs');
  for (const o of e.outputs) {
    lines.push(`  ${o.name.padEnd(12)} ${shape(o)}`);
    for (const m of o.meaning) lines.push(`               ${m}`);
  }
  lines.push('', 'checked by running the layer');
  for (const c of e.checks)
    lines.push(`  ${c.holds ? 'yes' : 'no '}  ${c.claim}${c.reason ? `\n       because ${c.reason}` : ''}`);
  lines.push('', 'parameters');
  for (const p of e.parameters) lines.push(`  ${p.name.padEnd(22)} [${p.shape.join(', ')}]`.padEnd(44) + `${p.count}`);
  lines.push(`  ${'total'.padEnd(42)}${e.totalParameters}`);
  return lines.join('\n');
}
