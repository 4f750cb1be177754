/**
 * Checks a recurrent layer's input, initial states and lengths, and brings them to the layout
 * the driver uses: time-major `(time, batch, features)` and per-row lengths.
 */
import { getBackend } from '../../backend/backend.js';
import { ShapeError, ValueError } from '../../errors.js';
import { Tensor } from '../../tensor/tensor.js';

export interface StateSpec {
  /** Description of the layer for messages. */
  where: string;
  inputSize: number;
  /** Rows of h0/c0: numLayers * numDirections. */
  stateRows: number;
  /** Features of h (projSize || hiddenSize). */
  hSize: number;
  /** Features of c (hiddenSize), LSTM only. */
  cSize: number | null;
  batchFirst: boolean;
}

export interface PreparedInput {
  /** (time, batch, features) */
  x: Tensor;
  batched: boolean;
  batch: number;
  time: number;
  lengths: Int32Array | null;
}

/** Lengths as accepted by forward: an array, typed array or a 1-D tensor of integers. */
export type Lengths = readonly number[] | Int32Array | Tensor;

/**
 * The index of the first NaN or ±Infinity in `values`, or -1: the backend's kernel where it has
 * one (the check reads every input value at every forward: about 1 ms for 800 k values in a JS
 * loop, a tenth of that in the native addon), else a plain loop.
 */
function firstNonFinite(values: Float32Array): number {
  const backend = getBackend();
  if (backend.firstNonFinite) return backend.firstNonFinite(values);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v - v !== 0) return i;
  }
  return -1;
}

function checkFinite(where: string, name: string, t: Tensor): void {
  const bad = firstNonFinite(t.data);
  if (bad >= 0) throw new ValueError(where, `${name} holds ${t.data[bad]} at flat index ${bad}; values must be finite`);
}

export function prepareInput(spec: StateSpec, x: Tensor, lengths: Lengths | undefined): PreparedInput {
  const { where } = spec;
  if (!(x instanceof Tensor)) throw new ValueError(where, 'input must be a Tensor');
  if (x.rank !== 2 && x.rank !== 3) {
    throw new ShapeError({
      where,
      what: 'input rank',
      expected: spec.batchFirst
        ? '3 (batch, time, features) or 2 (time, features)'
        : '3 (time, batch, features) or 2 (time, features)',
      actual: `${x.rank} (shape [${x.shape.join(', ')}])`,
    });
  }
  const batched = x.rank === 3;
  const featureDim = x.rank - 1;
  if (x.shape[featureDim] !== spec.inputSize) {
    throw new ShapeError({
      where,
      what: `input dim ${featureDim} (features)`,
      expected: spec.inputSize,
      actual: x.shape[featureDim]!,
    });
  }
  const bad = firstNonFinite(x.data);
  if (bad >= 0) {
    // Name the position by dimension so the user can find the bad value in their data.
    const position: number[] = [];
    let rest = bad;
    for (let d = x.rank - 1; d >= 0; d--) {
      position.unshift(rest % x.shape[d]!);
      rest = Math.floor(rest / x.shape[d]!);
    }
    const names = batched
      ? spec.batchFirst
        ? ['batch', 'time', 'feature']
        : ['time', 'batch', 'feature']
      : ['time', 'feature'];
    throw new ValueError(
      where,
      `input holds ${x.data[bad]} at [${position.join(', ')}] (${names.map((n, i) => `${n} ${position[i]}`).join(', ')}); inputs must be finite`,
    );
  }
  const timeDim = batched && spec.batchFirst ? 1 : 0;
  const time = x.shape[timeDim]!;
  if (time === 0)
    throw new ShapeError({ where, what: `input dim ${timeDim} (time)`, expected: 'at least 1', actual: 0 });
  const batch = batched ? x.shape[spec.batchFirst ? 0 : 1]! : 1;
  let timeMajor: Tensor;
  if (!batched) timeMajor = x.unsqueeze(1);
  else if (spec.batchFirst) timeMajor = x.transpose(0, 1);
  else timeMajor = x;

  let lens: Int32Array | null = null;
  if (lengths !== undefined && lengths !== null) {
    if (!batched)
      throw new ValueError(where, 'lengths need a batched (3-D) input; an unbatched sequence uses all its steps');
    const isList =
      Array.isArray(lengths) ||
      (ArrayBuffer.isView(lengths) && !(lengths instanceof DataView)) ||
      (lengths instanceof Tensor && lengths.rank === 1);
    if (!isList)
      throw new ValueError(
        where,
        `lengths must be an array or a 1-D tensor of ${batch} integers (one per sequence), got ${lengths instanceof Tensor ? `a tensor of shape [${lengths.shape.join(', ')}]` : typeof lengths}`,
      );
    const values = lengths instanceof Tensor ? lengths.data : lengths;
    if (values.length !== batch) {
      throw new ShapeError({
        where,
        what: 'lengths count',
        expected: `${batch} (the batch size)`,
        actual: values.length,
      });
    }
    lens = new Int32Array(batch);
    for (let b = 0; b < batch; b++) {
      const v = values[b]!;
      if (!Number.isInteger(v) || v < 1 || v > time) {
        throw new ValueError(where, `lengths[${b}] is ${v}, expected an integer in [1, ${time}] (time = ${time})`);
      }
      lens[b] = v;
    }
    // All sequences full length: same as no lengths, and cheaper.
    if (lens.every((v) => v === time)) lens = null;
  }
  return { x: timeMajor, batched, batch, time, lengths: lens };
}

/**
 * Checks h0 or c0: `(stateRows, batch, size)` for batched input, `(stateRows, size)` for
 * unbatched. Returns it as `(stateRows, batch, size)`.
 */
export function prepareState(spec: StateSpec, name: 'h0' | 'c0', state: Tensor, input: PreparedInput): Tensor {
  const { where } = spec;
  const size = name === 'h0' ? spec.hSize : spec.cSize!;
  const expected = input.batched ? [spec.stateRows, input.batch, size] : [spec.stateRows, size];
  const dims = input.batched
    ? ['layers*directions', 'batch', name === 'h0' ? 'hidden' : 'cell']
    : ['layers*directions', name === 'h0' ? 'hidden' : 'cell'];
  if (!(state instanceof Tensor)) throw new ValueError(where, `${name} must be a Tensor`);
  if (state.rank !== expected.length) {
    throw new ShapeError({
      where,
      what: `${name} rank`,
      expected: `${expected.length} (${dims.join(', ')})`,
      actual: `${state.rank} (shape [${state.shape.join(', ')}])`,
    });
  }
  expected.forEach((e, i) => {
    if (state.shape[i] !== e)
      throw new ShapeError({ where, what: `${name} dim ${i} (${dims[i]})`, expected: e, actual: state.shape[i]! });
  });
  checkFinite(where, name, state);
  return input.batched ? state : state.unsqueeze(1);
}
