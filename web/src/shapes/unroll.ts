/**
 * The numbers behind the shapes view. It RUNS the library's layers on a random input and reads
 * everything off the resulting tensors: every shape is a real tensor's shape, and which time step
 * each final state comes from is found by comparing values (output step vs. state row), never
 * derived from a formula. `explainRecurrent` (the same code as `recurrent explain`) supplies the
 * named outputs and its own checks.
 *
 * To show the states of every layer (the full layer only returns the last layer's outputs), each
 * layer is also run alone, with the full layer's weights, on the output of the layer below; the
 * page checks that these runs reproduce the full layer's output and h exactly.
 */
import {
  explainRecurrent,
  type Explanation,
  Generator,
  models,
  nn,
  noGrad,
  randn,
  type Tensor,
} from '../../../src/browser.js';

export type Api = 'pytorch' | 'keras';
export type CellFamily = models.CellFamily;

/** What the visitor chose. */
export interface UnrollSpec {
  /** PyTorch module (output, h, c) or the Keras-style layer (returnSequences/returnState). */
  api: Api;
  cell: CellFamily;
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  /** LSTM projection (0: none). */
  projSize: number;
  bidirectional: boolean;
  batchFirst: boolean;
  returnSequences: boolean;
  returnState: boolean;
  batch: number;
  time: number;
  /** Valid steps per sequence, or null for all `time`. */
  lengths: number[] | null;
}

/** One layer and direction of the unrolled network. */
export interface DirectionRun {
  layer: number;
  /** 0 forward, 1 reverse. */
  direction: number;
  /** Its row in h (and c): layer * D + direction. */
  row: number;
  /** Per sequence b: the step t whose output (this layer, this direction) equals h[row][b]; -1 if none does. */
  finalStep: number[];
  /** Per sequence b: max |h[row][b] - output of that step|. */
  difference: number[];
  /** Per sequence b and step t: the first feature of this direction's state after step t. */
  firstFeature: number[][];
  /** Per sequence b: the first values of h[row][b] (and c[row][b] for LSTM). */
  hPreview: number[][];
  cPreview: number[][] | null;
}

export interface LayerRun {
  layer: number;
  /** Features per step of this layer's input: inputSize, or D*H_out of the layer below. */
  inputFeatures: number;
  /** Shape of this layer's output over all steps when run alone. */
  outputShape: number[];
  directions: DirectionRun[];
}

export interface Check {
  claim: string;
  holds: boolean;
  reason?: string;
}

export interface Unrolled {
  spec: UnrollSpec;
  explanation: Explanation;
  /** Effective lengths: the given ones, or `time` for every sequence. */
  lengths: number[];
  directions: number;
  /** H_out: projSize || hiddenSize. */
  hOut: number;
  /** Shapes of the real tensors: whole tensors and one time step of them. */
  shapes: {
    x: number[];
    output: number[];
    h: number[];
    c: number[] | null;
    xStep: number[];
    outputStep: number[];
    stateStep: number[];
  };
  layers: LayerRun[];
  /** Per sequence b, step t: whether every output feature is exactly 0 (padding). */
  outputZero: boolean[][];
  /** explainRecurrent's checks, then the page's own (each layer run alone reproduces the full layer). */
  checks: Check[];
}

/** Same seeds as `recurrent explain`, so the page shows the numbers the CLI would. */
const WEIGHT_SEED = 1;
const INPUT_SEED = 2;
const EQUAL = 1e-6;
const PREVIEW = 3;

/** Layer `layer`'s parameters renamed to a one-layer module's names (`_l2_reverse` -> `_l0_reverse`). */
function layerStateDict(full: Record<string, Tensor>, layer: number): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, value] of Object.entries(full)) {
    const match = /^(.*)_l(\d+)(_reverse)?$/.exec(name);
    if (match && Number(match[2]) === layer) out[`${match[1]}_l0${match[3] ?? ''}`] = value;
  }
  return out;
}

function createLayer(spec: UnrollSpec, inputSize: number, numLayers: number): models.RecurrentLayer {
  const options = {
    inputSize,
    hiddenSize: spec.hiddenSize,
    numLayers,
    bidirectional: spec.bidirectional,
    batchFirst: spec.batchFirst,
    generator: new Generator(WEIGHT_SEED),
  };
  return spec.cell === 'lstm'
    ? new nn.LSTM({ ...options, projSize: spec.projSize })
    : models.createRecurrent(spec.cell, options);
}

/** Reads a (batch, time, features) or (time, batch, features) tensor by sequence and step. */
function stepReader(t: Tensor, batchFirst: boolean): (b: number, step: number, feature: number) => number {
  const [, d1, F] = t.shape as [number, number, number];
  return batchFirst
    ? (b, step, f) => t.data[(b * d1 + step) * F + f]!
    : (b, step, f) => t.data[(step * d1 + b) * F + f]!;
}

function maxDifference(a: Tensor, b: Tensor): number {
  if (a.size !== b.size) return Infinity;
  let m = 0;
  for (let i = 0; i < a.size; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
  return m;
}

/** Runs everything; throws the library's own error (ShapeError, ValueError) for an invalid choice. */
export function unroll(spec: UnrollSpec): Unrolled {
  const keras = spec.api === 'keras';
  const D = spec.bidirectional ? 2 : 1;
  const hOut = spec.projSize || spec.hiddenSize;
  const inputShape = spec.batchFirst
    ? [spec.batch, spec.time, spec.inputSize]
    : [spec.time, spec.batch, spec.inputSize];

  // The CLI's explanation: named outputs, and the claims it checked by running the layer.
  const explanation = explainRecurrent({
    cell: spec.cell,
    inputSize: spec.inputSize,
    hiddenSize: spec.hiddenSize,
    numLayers: spec.numLayers,
    bidirectional: spec.bidirectional,
    batchFirst: spec.batchFirst,
    projSize: spec.projSize,
    input: inputShape,
    ...(spec.lengths && { lengths: spec.lengths }),
    keras: keras ? { returnSequences: spec.returnSequences, returnState: spec.returnState } : null,
  });

  return noGrad(() => {
    const full = createLayer(spec, spec.inputSize, spec.numLayers);
    full.eval();
    const x = randn(inputShape, { generator: new Generator(INPUT_SEED) });
    const forwardOptions = spec.lengths ? { lengths: spec.lengths } : {};
    const { output, state } = models.runRecurrent(full, x, forwardOptions);
    const weights = full.stateDict();
    const lengths = spec.lengths ? [...spec.lengths] : new Array<number>(spec.batch).fill(spec.time);
    const readH = (row: number, b: number, f: number) => state.h.data[(row * spec.batch + b) * hOut + f]!;
    const readC = (row: number, b: number, f: number) => state.c!.data[(row * spec.batch + b) * spec.hiddenSize + f]!;
    const checks: Check[] = explanation.checks.map((c) => ({ ...c }));

    const layers: LayerRun[] = [];
    let layerInput = x;
    let layerOutput = x;
    for (let layer = 0; layer < spec.numLayers; layer++) {
      const inputFeatures = layerInput.shape[2]!;
      const alone = createLayer(spec, inputFeatures, 1);
      alone.loadStateDict(layerStateDict(weights, layer));
      alone.eval();
      const run = models.runRecurrent(alone, layerInput, forwardOptions);
      layerOutput = run.output;
      const read = stepReader(layerOutput, spec.batchFirst);
      const rows = state.h.slice(0, layer * D, (layer + 1) * D);
      const same = maxDifference(rows, run.state.h);
      checks.push({
        claim: `layer ${layer} run alone (same weights, the layer below's output as input) gives h[${layer * D}${D > 1 ? `:${layer * D + D}` : ''}] of the full layer`,
        holds: same <= EQUAL,
        ...(same > EQUAL && { reason: `max |difference| ${same.toExponential(2)}` }),
      });
      const directions: DirectionRun[] = [];
      for (let direction = 0; direction < D; direction++) {
        const row = layer * D + direction;
        const finalStep: number[] = [];
        const difference: number[] = [];
        const firstFeature: number[][] = [];
        const hPreview: number[][] = [];
        const cPreview: number[][] | null = state.c ? [] : null;
        for (let b = 0; b < spec.batch; b++) {
          // Which step's output is this row's final state? Compare every step, keep the closest.
          let best = -1;
          let bestDifference = Infinity;
          for (let t = 0; t < spec.time; t++) {
            let m = 0;
            for (let f = 0; f < hOut; f++)
              m = Math.max(m, Math.abs(readH(row, b, f) - read(b, t, direction * hOut + f)));
            if (m < bestDifference) {
              bestDifference = m;
              best = t;
            }
          }
          finalStep.push(bestDifference <= EQUAL ? best : -1);
          difference.push(bestDifference);
          firstFeature.push(Array.from({ length: spec.time }, (_, t) => read(b, t, direction * hOut)));
          hPreview.push(Array.from({ length: Math.min(PREVIEW, hOut) }, (_, f) => readH(row, b, f)));
          cPreview?.push(Array.from({ length: Math.min(PREVIEW, spec.hiddenSize) }, (_, f) => readC(row, b, f)));
        }
        directions.push({ layer, direction, row, finalStep, difference, firstFeature, hPreview, cPreview });
      }
      layers.push({ layer, inputFeatures, outputShape: [...layerOutput.shape], directions });
      layerInput = layerOutput;
    }
    const top = maxDifference(layerOutput, output);
    checks.push({
      claim: `the top layer run alone gives output exactly`,
      holds: top <= EQUAL,
      ...(top > EQUAL && { reason: `max |difference| ${top.toExponential(2)}` }),
    });

    const readOut = stepReader(output, spec.batchFirst);
    const features = output.shape[2]!;
    const outputZero = lengths.map((_, b) =>
      Array.from({ length: spec.time }, (__, t) => {
        for (let f = 0; f < features; f++) if (readOut(b, t, f) !== 0) return false;
        return true;
      }),
    );
    const timeDim = spec.batchFirst ? 1 : 0;
    return {
      spec,
      explanation,
      lengths,
      directions: D,
      hOut,
      shapes: {
        x: [...x.shape],
        output: [...output.shape],
        h: [...state.h.shape],
        c: state.c ? [...state.c.shape] : null,
        xStep: [...x.select(timeDim, 0).shape],
        outputStep: [...output.select(timeDim, 0).shape],
        stateStep: [...state.h.select(0, 0).shape],
      },
      layers,
      outputZero,
      checks,
    };
  });
}
