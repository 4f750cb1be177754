/**
 * The Keras view of `explainRecurrent`: runs a real Keras-style layer (`layers.lstm`, `gru`,
 * `simpleRNN`, optionally inside `bidirectional`) with returnSequences/returnState, the lengths
 * given as a mask, and derives what each output holds by comparing the outputs' values.
 * Keras's traps differ from PyTorch's: masked steps of `output` repeat the last valid step, so
 * `output[:, -1]` equals the final state even with right padding, and a bidirectional layer
 * returns four (LSTM) or two states, forward first.
 */
import { ValueError } from '../errors.js';
import { FAMILIES } from '../families.js';
import { bidirectional } from '../layers/wrappers.js';
import { gru } from '../layers/recurrent/gru.js';
import { lstm } from '../layers/recurrent/lstm.js';
import { simpleRNN } from '../layers/recurrent/simple-rnn.js';
import type { RecurrentLayer } from '../layers/recurrent/base.js';
import { noGrad } from '../tensor/autograd.js';
import { randn } from '../tensor/creation.js';
import { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import type { ExplainedCheck, ExplainedTensor, Explanation, ExplainSpec } from './explain.js';

const same = (a: Tensor, b: Tensor) => a.size === b.size && a.data.every((v, i) => Math.abs(v - b.data[i]!) <= 1e-6);

export function explainKeras(
  spec: ExplainSpec & { keras: { returnSequences: boolean; returnState: boolean } },
): Explanation {
  const where = 'explain';
  if (spec.input.length !== 3)
    throw new ValueError(
      where,
      `Keras layers take (batch, time, features); --input must have 3 dims, got ${spec.input.join('x')}`,
    );
  const [batch, time, features] = spec.input as [number, number, number];
  if (features !== spec.inputSize)
    throw new ValueError(where, `--input-size ${spec.inputSize} differs from the input's features (${features})`);
  const units = spec.hiddenSize;
  const { returnSequences, returnState } = spec.keras;
  // A fixed generator: the same weights on every run, and the global generator is left alone.
  const options = { units, returnSequences, returnState, generator: new Generator(1) };
  const make = (): RecurrentLayer =>
    spec.cell === 'lstm' ? lstm(options) : spec.cell === 'gru' ? gru(options) : simpleRNN(options);
  const bi = spec.bidirectional ?? false;
  const layer = bi ? bidirectional(make()) : make();
  const x = randn(spec.input, { generator: new Generator(2) });
  let mask: Tensor | null = null;
  const lengths = spec.lengths ?? null;
  if (lengths) {
    if (lengths.length !== batch)
      throw new ValueError(where, `--lengths has ${lengths.length} values for a batch of ${batch}`);
    const m = new Float32Array(batch * time);
    lengths.forEach((len, b) => {
      if (!Number.isInteger(len) || len < 1 || len > time)
        throw new ValueError(where, `lengths[${b}] is ${len}, expected an integer in [1, ${time}]`);
      m.fill(1, b * time, b * time + len);
    });
    mask = new Tensor(m, [batch, time]);
  }
  const result = noGrad(() => (layer.apply as (x: Tensor, o: object) => Tensor | Tensor[])(x, mask ? { mask } : {}));
  const outputs = Array.isArray(result) ? result : [result];
  const output = outputs[0]!;
  const stateNames = FAMILIES[spec.cell].states;
  const names = [
    'output',
    ...(returnState
      ? bi
        ? [...stateNames.map((s) => `forward_${s}`), ...stateNames.map((s) => `backward_${s}`)]
        : stateNames.map((s) => `state_${s}`)
      : []),
  ];
  const lens = lengths ?? new Array<number>(batch).fill(time);
  const forwardH = returnState ? outputs[1]! : null;
  const backwardH = returnState && bi ? outputs[1 + stateNames.length]! : null;
  const stepOf = (b: number, t: number) => output.select(0, b).select(0, t);
  const checks: ExplainedCheck[] = [];
  if (returnSequences) {
    if (forwardH) {
      if (lengths)
        checks.push({
          claim: `${names[1]} == output[b, lengths[b]-1, 0:${units}] for every sequence b`,
          holds: lens.every((len, b) => same(forwardH.select(0, b), stepOf(b, len - 1).slice(0, 0, units))),
        });
      checks.push({
        claim: `${names[1]} == output[:, -1, 0:${units}]`,
        holds: same(forwardH, output.select(1, time - 1).slice(1, 0, units)),
      });
    }
    if (backwardH)
      checks.push({
        claim: `${names[1 + stateNames.length]} == output[:, 0, ${units}:${2 * units}] (the backward layer ends at step 0)`,
        holds: same(backwardH, output.select(1, 0).slice(1, units, 2 * units)),
      });
    if (lengths) {
      const repeats = lens.every((len, b) =>
        Array.from({ length: time - len }, (_, k) =>
          same(stepOf(b, len + k).slice(0, 0, units), stepOf(b, len - 1).slice(0, 0, units)),
        ).every(Boolean),
      );
      const zeros = lens.every((len, b) =>
        Array.from({ length: time - len }, (_, k) => stepOf(b, len + k).data.every((v) => v === 0)).every(Boolean),
      );
      checks.push({
        claim: 'masked steps of output repeat the last valid step (Keras), rather than being 0 (PyTorch)',
        holds: repeats && !(zeros && lens.some((l) => l < time)),
      });
    }
  } else if (forwardH) {
    const last = bi
      ? new Tensor(
          Float32Array.from(
            [...Array(batch).keys()].flatMap((b) => [...forwardH.select(0, b).data, ...backwardH!.select(0, b).data]),
          ),
          [batch, 2 * units],
        )
      : forwardH;
    checks.push({
      claim: bi
        ? 'output == concat(forward_h, backward_h): the last step of each direction'
        : 'output == state_h: returnSequences false returns the final state',
      holds: same(output, last),
    });
  }
  const described: ExplainedTensor[] = outputs.map((t, i) => {
    const name = names[i]!;
    if (i === 0) {
      return returnSequences
        ? {
            name,
            shape: [...t.shape],
            dims: ['batch', 'time', bi ? 'directions*units' : 'units'],
            meaning: [
              `output[:, t] is the layer's state after step t${bi ? `; features 0:${units} forward, ${units}:${2 * units} backward` : ''}`,
              ...(lengths ? ['masked steps repeat the last valid step'] : []),
            ],
          }
        : {
            name,
            shape: [...t.shape],
            dims: ['batch', bi ? 'directions*units' : 'units'],
            meaning: ['only the final state (returnSequences: false)' + (bi ? ', both directions concatenated' : '')],
          };
    }
    return {
      name,
      shape: [...t.shape],
      dims: ['batch', 'units'],
      meaning: [
        name.startsWith('backward')
          ? "the backward layer's final state (after reading step 0)"
          : "the final state after each sequence's last valid step",
      ],
    };
  });
  const weightNames = layer.weightNames();
  const parameters = layer.getWeights().map((w, i) => ({ name: weightNames[i]!, shape: [...w.shape], count: w.size }));
  return {
    layer: `${bi ? 'bidirectional(' : ''}${FAMILIES[spec.cell].kerasFactory}({ units: ${units}, returnSequences: ${returnSequences}, returnState: ${returnState} })${bi ? ')' : ''}`,
    input: { name: 'x', shape: spec.input, dims: ['batch', 'time', 'features'], meaning: [] },
    lengths,
    outputs: described,
    checks,
    parameters,
    totalParameters: parameters.reduce((s, p) => s + p.count, 0),
  };
}
