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
import { ValueError } from '../errors.js';
import { Forecaster, type ForecasterConfig } from '../models/forecaster.js';
import { noGrad } from '../tensor/autograd.js';
import type { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { mseLoss } from '../train/losses.js';
import { indexBatches } from './batching.js';
import { meanAbsoluteError } from './metrics.js';
import { type Evaluation, isPositiveInteger, type PreparedTask, type Predictor, savedValue, type TaskArtifacts, type TaskSettings } from './task.js';

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

/** Rebuilds a forecaster; its input is one line of numbers (the history), the output the forecast. */
export function forecastPredictor(artifacts: TaskArtifacts, load: (model: Forecaster) => void): Predictor {
  const model = new Forecaster(artifacts.modelConfig as unknown as ForecasterConfig);
  load(model);
  model.eval();
  const scaling = savedValue<Scaling>(artifacts, 'scaling', (v) => {
    const s = v as Partial<Scaling> | null;
    return s !== null && typeof s === 'object' && Number.isFinite(s.mean) && Number.isFinite(s.std) && (s.std as number) > 0;
  }, 'an object { mean, std } of finite numbers with std > 0');
  const inputLength = savedValue<number>(artifacts, 'inputLength', isPositiveInteger, 'a positive integer');
  const horizon = savedValue<number>(artifacts, 'horizon', (v) => v === model.config.horizon, `the model's horizon (${model.config.horizon})`);
  const season = savedValue<number>(artifacts, 'season', isPositiveInteger, 'a positive integer');
  return {
    task: 'forecast',
    predict: (inputs) => {
      const history = inputs.join(' ').split(/[\s,]+/).filter((s) => s.length > 0).map(Number);
      const bad = history.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new ValueError('forecast predict', `value ${bad + 1} of the input is not a number`);
      if (history.length < inputLength + season) throw new ValueError('forecast predict', `needs at least ${inputLength + season} values of history, got ${history.length}`);
      return forecastLevels(model, history, inputLength, horizon, scaling, season).map((v) => v.toFixed(3));
    },
  };
}
