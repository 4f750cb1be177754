/**
 * forecast: the next months of a series from its recent past, e.g. Mauna Loa CO2.
 * The model sees seasonal differences (x_t - x_{t-season}: the growth over one season, smooth
 * where the series is trending and seasonal), standardised with the training part's mean and
 * standard deviation; forecasts are turned back into levels by adding the value one season
 * earlier. The seasonal naive forecast is the special case of predicting zero growth. The last `testLength` steps
 * are held out for the test and the `testLength` before them for validation.
 * Metrics: MAE, RMSE and MASE (MAE scaled by the in-sample MAE of the seasonal naive
 * forecast), against the seasonal naive forecast (the value one season earlier).
 */
import { loadCO2 } from '../data/datasets.js';
import { loadUserData } from '../data/user-data.js';
import { ValueError } from '../errors.js';
import { Forecaster, type ForecasterConfig } from '../models/forecaster.js';
import { noGrad } from '../tensor/autograd.js';
import type { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { mseLoss } from '../train/losses.js';
import { indexBatches } from './batching.js';
import { meanAbsoluteError } from './metrics.js';
import { singleGraphOnnx } from './onnx-graph.js';
import { FORECASTER_PY } from './pytorch/model-py.js';
import { FORECAST_TRAIN_PY } from './pytorch/train-py.js';
import { type Evaluation, isPositiveInteger, type PreparedTask, type Predictor, savedValue, type TaskArtifacts, type TaskDefinition, type TaskOption, type TaskSettings } from './task.js';

export interface Series {
  dates: string[];
  values: number[];
}

export interface ForecastSettings {
  /** Steps of history the model reads (default 36). */
  inputLength: number;
  /** Steps held out for the test, and forecast at once (default 24). */
  testLength: number;
  /** Season length for the baseline (default 12, months). */
  season: number;
}

interface Batch {
  /** (batch, inputLength, 1) */
  inputs: Tensor;
  /** (batch, horizon, 1) */
  targets: Tensor;
}

interface Scaling {
  mean: number;
  std: number;
}

/** x_t - x_{t-lag} for t = lag..n-1. */
const differences = (values: readonly number[], lag: number) => values.slice(lag).map((v, i) => v - values[i]!);

/** Forecasts `horizon` levels after `history` (levels, at least inputLength + season values). */
function forecastLevels(model: Forecaster, history: readonly number[], inputLength: number, horizon: number, scaling: Scaling, season: number): number[] {
  const diffs = differences(history.slice(-(inputLength + season)), season).map((d) => (d - scaling.mean) / scaling.std);
  const predicted = noGrad(() => model.forward(new Tensor(Float32Array.from(diffs), [1, inputLength, 1]), horizon));
  const extended = [...history];
  for (const d of predicted.data) extended.push(extended[extended.length - season]! + d * scaling.std + scaling.mean);
  return extended.slice(history.length);
}

/** MAE of the seasonal naive forecast inside `values` (the MASE scale). */
function seasonalScale(values: readonly number[], season: number): number {
  return meanAbsoluteError(values.slice(season), values.slice(0, -season));
}

export function prepareForecast(series: Series, settings: TaskSettings, generator: Generator, options: Partial<ForecastSettings> = {}): PreparedTask<Batch> {
  const { inputLength = 36, testLength = 24, season = 12 } = options;
  const values = series.values;
  const needed = inputLength + season + 3 * testLength + 1;
  if (values.length < needed) {
    throw new ValueError('forecast', `the series has ${values.length} values; need at least ${needed} for input ${inputLength}, season ${season} and ${testLength} validation + test steps`);
  }
  const trainEnd = values.length - 2 * testLength; // exclusive
  const validationEnd = values.length - testLength;
  const trainDiffs = differences(values.slice(0, trainEnd), season);
  const mean = trainDiffs.reduce((s, v) => s + v, 0) / trainDiffs.length;
  const std = Math.sqrt(trainDiffs.reduce((s, v) => s + (v - mean) ** 2, 0) / trainDiffs.length) || 1;
  const scaling: Scaling = { mean, std };
  const scaled = trainDiffs.map((d) => (d - mean) / std);
  const windows: { input: number[]; target: number[] }[] = [];
  for (let start = 0; start + inputLength + testLength <= scaled.length; start++) {
    windows.push({ input: scaled.slice(start, start + inputLength), target: scaled.slice(start + inputLength, start + inputLength + testLength) });
  }
  const limited = settings.maxTrainExamples > 0 ? windows.slice(-settings.maxTrainExamples) : windows;
  const config: ForecasterConfig = { horizon: testLength, inputSize: 1, mode: 'autoregressive', cell: settings.cell, hiddenSize: settings.hiddenSize, numLayers: settings.numLayers, dropout: settings.dropout };
  const model = new Forecaster(config, generator);
  const toBatch = (rows: typeof windows): Batch => ({
    inputs: new Tensor(Float32Array.from(rows.flatMap((r) => r.input)), [rows.length, inputLength, 1]),
    targets: new Tensor(Float32Array.from(rows.flatMap((r) => r.target)), [rows.length, testLength, 1]),
  });
  const scale = seasonalScale(values.slice(0, validationEnd), season);
  const evaluatePeriod = (end: number) => {
    const actual = values.slice(end, end + testLength);
    const predicted = forecastLevels(model, values.slice(0, end), inputLength, testLength, scaling, season);
    const naive = actual.map((_, i) => values[end + i - season]!);
    return { actual, predicted, naive };
  };
  const summarize = (predicted: number[], actual: number[]) => {
    const mae = meanAbsoluteError(predicted, actual);
    const rmse = Math.sqrt(predicted.reduce((s, p, i) => s + (p - actual[i]!) ** 2, 0) / actual.length);
    return { mase: mae / scale, mae, rmse };
  };
  return {
    name: 'forecast',
    model,
    summary: `${values.length} steps (${series.dates[0] ?? '?'} to ${series.dates[values.length - 1] ?? '?'}): ${limited.length} training windows of ${inputLength} -> ${testLength}; last ${testLength} held out for test, ${testLength} before for validation`,
    trainBatches: (g) => indexBatches(limited.length, settings.batchSize, g).map((idx) => toBatch(idx.map((i) => limited[i]!))),
    loss: (batch) => mseLoss(model.forward(batch.inputs), batch.targets),
    validate: () => {
      const { actual, predicted } = evaluatePeriod(trainEnd);
      return meanAbsoluteError(predicted, actual);
    },
    evaluate: (): Evaluation => {
      const { actual, predicted, naive } = evaluatePeriod(validationEnd);
      const shown = Math.min(values.length, 6 * season + testLength);
      const offset = values.length - shown;
      const pad = (arr: number[]) => [...new Array<number | null>(shown - testLength).fill(null), ...arr];
      return {
        metrics: summarize(predicted, actual),
        baseline: summarize(naive, actual),
        baselineName: `seasonal naive (season ${season})`,
        primary: { name: 'mase', higherIsBetter: false },
        plots: [{
          kind: 'series', title: `Forecast of the last ${testLength} steps`, x: series.dates.slice(offset),
          lines: [{ name: 'actual', values: values.slice(offset) }, { name: 'forecast', values: pad(predicted) }, { name: 'seasonal naive', values: pad(naive) }],
        }],
      };
    },
    artifacts: (): TaskArtifacts => ({ task: 'forecast', modelConfig: { ...config }, data: { scaling, inputLength, horizon: testLength, season, lastDates: series.dates.slice(-3) } }),
  };
}

/** Wraps a rebuilt forecaster; its input is the history (numbers over any lines), the output the forecast. */
function forecastPredictor(model: Forecaster, artifacts: TaskArtifacts): Predictor {
  const scaling = savedValue<Scaling>(artifacts, 'scaling', (v) => {
    const s = v as Partial<Scaling> | null;
    return s !== null && typeof s === 'object' && Number.isFinite(s.mean) && Number.isFinite(s.std) && (s.std as number) > 0;
  }, 'an object { mean, std } of finite numbers with std > 0');
  const inputLength = savedValue<number>(artifacts, 'inputLength', isPositiveInteger, 'a positive integer');
  const horizon = savedValue<number>(artifacts, 'horizon', (v) => v === model.config.horizon, `the model's horizon (${model.config.horizon})`);
  const season = savedValue<number>(artifacts, 'season', isPositiveInteger, 'a positive integer');
  const predict = (inputs: string[]) => {
    const history = inputs.join(' ').split(/[\s,]+/).filter((s) => s.length > 0).map(Number);
    const bad = history.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new ValueError('forecast predict', `value ${bad + 1} of the input is not a number`);
    if (history.length < inputLength + season) throw new ValueError('forecast predict', `needs at least ${inputLength + season} values of history, got ${history.length}`);
    return forecastLevels(model, history, inputLength, horizon, scaling, season).map((v) => v.toFixed(3));
  };
  return {
    task: 'forecast',
    predict,
    // All lines together are one history; the forecast is one value per line (or one JSON line).
    format: (lines, json) => {
      const forecast = predict([lines.join(' ')]);
      return json ? `${JSON.stringify({ forecast: forecast.map(Number) })}\n` : `${forecast.join('\n')}\n`;
    },
  };
}

const positive = (flag: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new ValueError('train', `--${flag} must be an integer >= 1, got '${value}'`);
  return n;
};

const FORECAST_OPTIONS: readonly TaskOption[] = [
  { flag: 'input-length', key: 'inputLength', description: 'steps of history the model reads (default 36)', parse: positive('input-length') },
  { flag: 'horizon', key: 'testLength', description: 'steps forecast at once, and held out for validation and for the test (default 24)', parse: positive('horizon') },
  { flag: 'season', key: 'season', description: 'season length of the differences and the baseline (default 12)', parse: positive('season') },
];

export const forecastTask: TaskDefinition<Forecaster, ForecasterConfig> = {
  name: 'forecast',
  description: 'the next steps of a series (embedded: monthly Mauna Loa CO2)',
  defaults: { epochs: 40, hiddenSize: 32, lr: 0.005, batchSize: 32, bidirectional: false, maxTrainExamples: 0, cell: 'gru' },
  options: FORECAST_OPTIONS,
  sampleInputs: [Array.from({ length: 60 }, (_, i) => (400 + i / 5 + 3 * Math.sin((i * Math.PI) / 6)).toFixed(2)).join(' ')],
  load: (input, settings, generator) => {
    const series = input.data ? loadUserData(input.data, 'forecast') : loadCO2();
    const dates = series.dates ?? series.values.map((_, i) => String(i + 1));
    const options: Partial<ForecastSettings> = {};
    for (const key of ['inputLength', 'testLength', 'season'] as const) {
      const value = input.options[key];
      if (typeof value === 'number') options[key] = value;
    }
    return prepareForecast({ dates, values: series.values }, settings, generator, options);
  },
  buildModel: (config) => new Forecaster(config),
  predictor: forecastPredictor,
  onnx: singleGraphOnnx((model) => new Tensor(new Float32Array(2 * model.config.inputSize), [1, 2, model.config.inputSize]), [
    'the window and the forecast are in the model\'s scaled (and seasonally differenced) units: see recurrent.data (scaling, season, inputLength)',
  ]),
  pytorch: { modelClass: { name: 'Forecaster', source: FORECASTER_PY }, trainSource: FORECAST_TRAIN_PY, fullConfig: (model) => ({ ...model.config }) },
  serveInput: 'series',
};
