/**
 * Exponential smoothing (ETS) with additive trend and season (Holt-Winters): the classical
 * baseline of forecasting, beside the seasonal naive forecast.
 *
 *   level_t  = α (y_t - s_{t-m}) + (1-α)(level_{t-1} + trend_{t-1})
 *   trend_t  = β (level_t - level_{t-1}) + (1-β) trend_{t-1}
 *   s_t      = γ (y_t - level_t) + (1-γ) s_{t-m}
 *   ŷ_{t+h}  = level_t + h·trend_t + s_{t+h-m(⌊(h-1)/m⌋+1)}
 *
 * The smoothing weights are chosen on a grid by the one-step-ahead squared error over the
 * series given (the training part only). With m <= 1 there is no seasonal term (Holt).
 */
export interface EtsModel {
  alpha: number;
  beta: number;
  gamma: number;
  /** Forecasts `horizon` values after the end of `history` (which must start like the fitted series). */
  forecast(history: readonly number[], horizon: number): number[];
}

function run(
  y: readonly number[],
  m: number,
  alpha: number,
  beta: number,
  gamma: number,
): { sse: number; level: number; trend: number; season: number[] } {
  const seasonal = m > 1 && y.length >= 2 * m;
  const period = seasonal ? m : 1;
  const first = y.slice(0, period);
  let level = first.reduce((s, v) => s + v, 0) / period;
  let trend = seasonal ? (y.slice(m, 2 * m).reduce((s, v) => s + v, 0) / m - level) / m : (y[1] ?? y[0]!) - y[0]!;
  const season = seasonal ? first.map((v) => v - level) : [0];
  let sse = 0;
  for (let t = period; t < y.length; t++) {
    const s = season[t % period]!;
    const predicted = level + trend + s;
    sse += (y[t]! - predicted) ** 2;
    const previous = level;
    level = alpha * (y[t]! - s) + (1 - alpha) * (level + trend);
    trend = beta * (level - previous) + (1 - beta) * trend;
    if (seasonal) season[t % period] = gamma * (y[t]! - level) + (1 - gamma) * s;
  }
  return { sse, level, trend, season };
}

/** Fits the weights on `train` with season length `m`. */
export function fitEts(train: readonly number[], m: number): EtsModel {
  const grid = [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9];
  const trendGrid = [0, 0.01, 0.05, 0.1, 0.2];
  let best = { alpha: 0.5, beta: 0, gamma: 0.1, sse: Infinity };
  for (const alpha of grid)
    for (const beta of trendGrid)
      for (const gamma of m > 1 ? grid : [0]) {
        const { sse } = run(train, m, alpha, beta, gamma);
        if (sse < best.sse) best = { alpha, beta, gamma, sse };
      }
  const { alpha, beta, gamma } = best;
  return {
    alpha,
    beta,
    gamma,
    forecast(history, horizon) {
      const { level, trend, season } = run(history, m, alpha, beta, gamma);
      const period = season.length;
      return Array.from(
        { length: horizon },
        (_, h) => level + (h + 1) * trend + season[(history.length + h) % period]!,
      );
    },
  };
}
