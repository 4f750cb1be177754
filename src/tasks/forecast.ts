/**
 * forecast: the next months of a series from its recent past, e.g. Mauna Loa CO2.
 * The model sees seasonal differences (x_t - x_{t-season}: the growth over one season, smooth
 * where the series is trending and seasonal), standardised with the training part's mean and
 * standard deviation; forecasts are turned back into levels by adding the value one season
 * earlier. The seasonal naive forecast is the special case of predicting zero growth. The last `testLength` steps
 * are held out for the test and the `testLength` before them for validation.
 * With covariates (other numeric columns of the file, `--target` naming the forecast one), every
 * column is differenced and standardised alike, read together as the window's features and
 * forecast together (the loss covers all; the metrics the target only).
 * Metrics: MAE, RMSE and MASE (MAE scaled by the in-sample MAE of the seasonal naive
 * forecast), against exponential smoothing (ETS), with the seasonal naive forecast beside it.
 */
import { loadCO2 } from '../data/datasets.js';
import { seasonFromDates } from '../data/season.js';
import { readOwnData } from '../data/user-data.js';
import { fitEts } from '../baselines/ets.js';
import { readingOptions } from './own-data.js';
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
import {
  type Evaluation,
  isPositiveInteger,
  positiveIntegerOption,
  type PreparedTask,
  type Predictor,
  savedValue,
  type TaskArtifacts,
  type TaskDefinition,
  type TaskOption,
  type TaskSettings,
} from './task.js';

export interface Series {
  dates: string[];
  /** The target. */
  values: number[];
  /** Other numeric columns (same length), read as inputs and forecast alongside the target. */
  covariates?: Record<string, number[]>;
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
  /** (batch, inputLength, F) */
  inputs: Tensor;
  /** (batch, horizon, F) */
  targets: Tensor;
}

interface Scaling {
  mean: number;
  std: number;
}

/** x_t - x_{t-lag} for t = lag..n-1. */
const differences = (values: readonly number[], lag: number) => values.slice(lag).map((v, i) => v - values[i]!);

/**
 * Forecasts `horizon` levels of every column after `history` (F columns of levels, each at least
 * inputLength + season long; column 0 is the target). Returns F columns of `horizon` levels.
 */
function forecastColumns(
  model: Forecaster,
  history: readonly (readonly number[])[],
  inputLength: number,
  horizon: number,
  scaling: readonly Scaling[],
  season: number,
): number[][] {
  const F = history.length;
  const diffs = history.map((col, f) =>
    differences(col.slice(-(inputLength + season)), season).map((d) => (d - scaling[f]!.mean) / scaling[f]!.std),
  );
  const window = new Float32Array(inputLength * F);
  for (let t = 0; t < inputLength; t++) for (let f = 0; f < F; f++) window[t * F + f] = diffs[f]![t]!;
  const predicted = noGrad(() => model.forward(new Tensor(window, [1, inputLength, F]), horizon));
  return history.map((col, f) => {
    const extended = [...col];
    for (let h = 0; h < horizon; h++)
      extended.push(
        extended[extended.length - season]! + predicted.data[h * F + f]! * scaling[f]!.std + scaling[f]!.mean,
      );
    return extended.slice(col.length);
  });
}

/** MAE of the seasonal naive forecast inside `values` (the MASE scale). */
function seasonalScale(values: readonly number[], season: number): number {
  return meanAbsoluteError(values.slice(season), values.slice(0, -season));
}

/** MASE, MAE and RMSE of a forecast (MASE scaled by `scale`). */
function forecastMetrics(
  predicted: readonly number[],
  actual: readonly number[],
  scale: number,
): Record<string, number> {
  const mae = meanAbsoluteError(predicted, actual);
  const rmse = Math.sqrt(predicted.reduce((s, p, i) => s + (p - actual[i]!) ** 2, 0) / actual.length);
  return { mase: mae / scale, mae, rmse };
}

/**
 * Model, ETS and seasonal naive forecasts of the last `horizon` steps of `columns` (column 0 the
 * target) from everything before them, scored against the actual values.
 */
function evaluateLast(
  model: Forecaster,
  columns: readonly (readonly number[])[],
  dates: readonly string[],
  inputLength: number,
  horizon: number,
  scaling: readonly Scaling[],
  season: number,
  label: string,
): Evaluation {
  const values = columns[0]!;
  const end = values.length - horizon;
  if (end < inputLength + 2 * season)
    throw new ValueError(
      'forecast',
      `${label}: ${values.length} values leave ${end} of history before the last ${horizon}; need at least ${inputLength + 2 * season}`,
    );
  const history = columns.map((c) => c.slice(0, end));
  const actual = values.slice(end);
  const predicted = forecastColumns(model, history, inputLength, horizon, scaling, season)[0]!;
  const naive = actual.map((_, i) => values[end + i - season * (Math.floor(i / season) + 1)]!);
  const ets = fitEts(values.slice(0, end), season).forecast(values.slice(0, end), horizon);
  const scale = seasonalScale(values.slice(0, end), season) || 1;
  const shown = Math.min(values.length, 6 * season + horizon);
  const offset = values.length - shown;
  const pad = (arr: number[]) => [...new Array<number | null>(shown - horizon).fill(null), ...arr];
  return {
    metrics: forecastMetrics(predicted, actual, scale),
    baseline: forecastMetrics(ets, actual, scale),
    baselineName: `ETS (additive Holt-Winters, season ${season})`,
    reference: { name: `seasonal naive (season ${season})`, metrics: forecastMetrics(naive, actual, scale) },
    primary: { name: 'mase', higherIsBetter: false },
    plots: [
      {
        kind: 'series',
        title: `Forecast of the last ${horizon} steps (${label})`,
        x: dates.slice(offset),
        lines: [
          { name: 'actual', values: values.slice(offset) },
          { name: 'forecast', values: pad(predicted) },
          { name: 'ETS', values: pad(ets) },
          { name: 'seasonal naive', values: pad(naive) },
        ],
      },
    ],
  };
}

export function prepareForecast(
  series: Series,
  settings: TaskSettings,
  generator: Generator,
  options: Partial<ForecastSettings> = {},
  reread?: (file: string) => Series,
): PreparedTask<Batch> {
  const { inputLength = 36, testLength = 24, season = 12 } = options;
  const values = series.values;
  const covariateNames = Object.keys(series.covariates ?? {});
  const columns = [values, ...covariateNames.map((c) => series.covariates![c]!)];
  const F = columns.length;
  const needed = inputLength + season + 3 * testLength + 1;
  if (values.length < needed) {
    // The longest input window that would fit, or else which of the other two to lower.
    const longestInput = values.length - (needed - inputLength);
    const hint =
      longestInput >= 1
        ? `--input-length ${longestInput} or less fits`
        : `lower --horizon (validation and test each hold ${testLength} steps) or --season`;
    throw new ValueError(
      'forecast',
      `the series has ${values.length} values; need at least ${needed} for input ${inputLength}, season ${season} and ${testLength} validation + test steps: ${hint}`,
    );
  }
  const trainEnd = values.length - 2 * testLength; // exclusive
  const scaling: Scaling[] = columns.map((col) => {
    const d = differences(col.slice(0, trainEnd), season);
    const mean = d.reduce((s, v) => s + v, 0) / d.length;
    const std = Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / d.length) || 1;
    return { mean, std };
  });
  const scaled = columns.map((col, f) =>
    differences(col.slice(0, trainEnd), season).map((d) => (d - scaling[f]!.mean) / scaling[f]!.std),
  );
  const steps = scaled[0]!.length;
  const windows: { start: number }[] = [];
  for (let start = 0; start + inputLength + testLength <= steps; start++) windows.push({ start });
  const limited = settings.maxTrainExamples > 0 ? windows.slice(-settings.maxTrainExamples) : windows;
  const config: ForecasterConfig = {
    horizon: testLength,
    inputSize: F,
    mode: 'autoregressive',
    cell: settings.cell,
    hiddenSize: settings.hiddenSize,
    numLayers: settings.numLayers,
    dropout: settings.dropout,
  };
  const model = new Forecaster(config, generator);
  const slab = (from: number, length: number) => {
    const out: number[] = [];
    for (let t = from; t < from + length; t++) for (let f = 0; f < F; f++) out.push(scaled[f]![t]!);
    return out;
  };
  const toBatch = (rows: typeof windows): Batch => ({
    inputs: new Tensor(Float32Array.from(rows.flatMap((r) => slab(r.start, inputLength))), [
      rows.length,
      inputLength,
      F,
    ]),
    targets: new Tensor(Float32Array.from(rows.flatMap((r) => slab(r.start + inputLength, testLength))), [
      rows.length,
      testLength,
      F,
    ]),
  });
  return {
    name: 'forecast',
    model,
    summary: `${values.length} steps (${series.dates[0] ?? '?'} to ${series.dates[values.length - 1] ?? '?'})${F > 1 ? ` of ${F} columns (target first; covariates ${covariateNames.join(', ')})` : ''}: ${limited.length} training windows of ${inputLength} -> ${testLength}; last ${testLength} held out for test, ${testLength} before for validation`,
    trainBatches: (g) =>
      indexBatches(limited.length, settings.batchSize, g).map((idx) => toBatch(idx.map((i) => limited[i]!))),
    loss: (batch) => mseLoss(model.forward(batch.inputs), batch.targets),
    validate: () => {
      const actual = values.slice(trainEnd, trainEnd + testLength);
      const predicted = forecastColumns(
        model,
        columns.map((c) => c.slice(0, trainEnd)),
        inputLength,
        testLength,
        scaling,
        season,
      )[0]!;
      return meanAbsoluteError(predicted, actual);
    },
    evaluate: () =>
      evaluateLast(
        model,
        columns.map((c) => c.slice(0, values.length)),
        series.dates,
        inputLength,
        testLength,
        scaling,
        season,
        'test',
      ),
    ...(reread && {
      evaluateFile: (file: string) => {
        const other = reread(file);
        const cols = [
          other.values,
          ...covariateNames.map((c) => {
            const col = other.covariates?.[c];
            if (!col) throw new ValueError('forecast', `${file} has no column '${c}' (a covariate of this model)`);
            return col;
          }),
        ];
        return evaluateLast(model, cols, other.dates, inputLength, testLength, scaling, season, file);
      },
    }),
    artifacts: (): TaskArtifacts => ({
      task: 'forecast',
      modelConfig: { ...config },
      data: {
        scaling: scaling[0]!,
        inputLength,
        horizon: testLength,
        season,
        lastDates: series.dates.slice(-3),
        ...(F > 1 && { covariates: covariateNames, covariateScaling: scaling.slice(1) }),
      },
    }),
  };
}

const isScaling = (v: unknown): boolean => {
  const s = v as Partial<Scaling> | null;
  return (
    s !== null && typeof s === 'object' && Number.isFinite(s.mean) && Number.isFinite(s.std) && (s.std as number) > 0
  );
};

/**
 * Wraps a rebuilt forecaster. Its input is the history: for one column, numbers over any lines;
 * with covariates, one line per step holding the target and then each covariate (commas or spaces).
 * The output is the forecast of the target.
 */
function forecastPredictor(model: Forecaster, artifacts: TaskArtifacts): Predictor {
  const scaling = savedValue<Scaling>(
    artifacts,
    'scaling',
    isScaling,
    'an object { mean, std } of finite numbers with std > 0',
  );
  const inputLength = savedValue<number>(artifacts, 'inputLength', isPositiveInteger, 'a positive integer');
  const horizon = savedValue<number>(
    artifacts,
    'horizon',
    (v) => v === model.config.horizon,
    `the model's horizon (${model.config.horizon})`,
  );
  const season = savedValue<number>(artifacts, 'season', isPositiveInteger, 'a positive integer');
  const F = model.config.inputSize;
  const covariateScaling =
    F > 1
      ? savedValue<Scaling[]>(
          artifacts,
          'covariateScaling',
          (v) => Array.isArray(v) && v.length === F - 1 && v.every(isScaling),
          `${F - 1} { mean, std } objects`,
        )
      : [];
  const predict = (inputs: string[]) => {
    const rows =
      F === 1
        ? inputs
            .join(' ')
            .split(/[\s,]+/)
            .filter((s) => s.length > 0)
            .map((v) => [v])
        : inputs.map((l) => l.split(/[\s,]+/).filter((s) => s.length > 0));
    const columns: number[][] = Array.from({ length: F }, () => []);
    rows.forEach((row, i) => {
      if (row.length !== F)
        throw new ValueError(
          'forecast predict',
          `line ${i + 1} has ${row.length} values, expected ${F} (the target, then ${(artifacts.data['covariates'] as string[] | undefined)?.join(', ')})`,
        );
      row.forEach((v, f) => {
        const x = Number(v);
        if (!Number.isFinite(x))
          throw new ValueError(
            'forecast predict',
            `value ${F === 1 ? i + 1 : `${f + 1} of line ${i + 1}`} of the input is not a number`,
          );
        columns[f]!.push(x);
      });
    });
    if (columns[0]!.length < inputLength + season)
      throw new ValueError(
        'forecast predict',
        `needs at least ${inputLength + season} ${F === 1 ? 'values' : 'lines'} of history, got ${columns[0]!.length}`,
      );
    return forecastColumns(model, columns, inputLength, horizon, [scaling, ...covariateScaling], season)[0]!.map((v) =>
      v.toFixed(3),
    );
  };
  return {
    task: 'forecast',
    predict,
    // All lines together are one history; the forecast is one value per line (or one JSON line).
    format: (lines, json) => {
      const forecast = F === 1 ? predict([lines.join(' ')]) : predict(lines);
      return json ? `${JSON.stringify({ forecast: forecast.map(Number) })}\n` : `${forecast.join('\n')}\n`;
    },
  };
}

const FORECAST_OPTIONS: readonly TaskOption[] = [
  {
    flag: 'input-length',
    key: 'inputLength',
    description: 'steps of history the model reads (default 36)',
    parse: positiveIntegerOption('input-length'),
  },
  {
    flag: 'horizon',
    key: 'testLength',
    description: 'steps forecast at once, and held out for validation and for the test (default 24)',
    parse: positiveIntegerOption('horizon'),
  },
  {
    flag: 'season',
    key: 'season',
    description:
      'season length of the differences and the baseline (default: from ISO dates, daily 7, monthly 12, ...; else 12)',
    parse: positiveIntegerOption('season'),
  },
];

export const forecastTask: TaskDefinition<Forecaster, ForecasterConfig> = {
  name: 'forecast',
  description: 'the next steps of a series (embedded: monthly Mauna Loa CO2)',
  defaults: {
    epochs: 40,
    hiddenSize: 32,
    lr: 0.005,
    batchSize: 32,
    bidirectional: false,
    maxTrainExamples: 0,
    cell: 'gru',
  },
  options: FORECAST_OPTIONS,
  sampleInputs: [
    Array.from({ length: 60 }, (_, i) => (400 + i / 5 + 3 * Math.sin((i * Math.PI) / 6)).toFixed(2)).join(' '),
  ],
  load: (input, settings, generator) => {
    const reading = readingOptions(input.dataOptions, input.onNotice);
    const read = (file: string): Series => {
      const s = readOwnData(file, 'forecast', reading).examples;
      return {
        dates: s.dates ?? s.values.map((_, i) => String(i + 1)),
        values: s.values,
        ...(s.covariates && { covariates: s.covariates }),
      };
    };
    const series = input.data ? read(input.data) : loadCO2();
    const dates = series.dates ?? series.values.map((_, i) => String(i + 1));
    const options: Partial<ForecastSettings> = {};
    for (const key of ['inputLength', 'testLength', 'season'] as const) {
      const value = input.options[key];
      if (typeof value === 'number') options[key] = value;
    }
    if (options.season === undefined && series.dates !== null && input.data) {
      const found = seasonFromDates(series.dates);
      if (found) {
        options.season = found.season;
        input.onNotice?.(`forecast: season ${found.season} (${found.unit} dates; --season to choose)`);
      }
    }
    const covariates = (series as Series).covariates;
    return prepareForecast(
      { dates, values: series.values, ...(covariates && { covariates }) },
      settings,
      generator,
      options,
      (file) => read(file),
    );
  },
  buildModel: (config) => new Forecaster(config),
  predictor: forecastPredictor,
  onnx: singleGraphOnnx(
    (model) => new Tensor(new Float32Array(2 * model.config.inputSize), [1, 2, model.config.inputSize]),
    [
      "the window and the forecast are in the model's scaled (and seasonally differenced) units: see recurrent.data (scaling, season, inputLength)",
    ],
  ),
  pytorch: {
    modelClass: { name: 'Forecaster', source: FORECASTER_PY },
    trainSource: FORECAST_TRAIN_PY,
    fullConfig: (model) => ({ ...model.config }),
  },
  serveInput: 'series',
};
