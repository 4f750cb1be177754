/**
 * Forecaster: a window of a series in, the next `horizon` steps out.
 *
 *   window (batch, inputLength, features) --RNN/LSTM/GRU--> final state of the top layer (batch, H)
 *   'direct':         Linear(H -> horizon*features) -> (batch, horizon, features), all steps at once
 *   'autoregressive': Linear(H -> features) gives step 1; that prediction is fed back as the next
 *                     input, carrying the RNN state (h, c), for steps 2..horizon -> (batch, horizon, features)
 * (Seed 003's forecaster fed the prediction to the Linear instead of the RNN; this is the fix.)
 * `forwardSequence` predicts the next step at every step, for truncated backprop through time.
 */
import { ShapeError, ValueError } from '../errors.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { stack } from '../tensor/ops/layout.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { CELL_FAMILIES, type CellFamily } from '../families.js';
import { createRecurrent, type RecurrentLayer, type RecurrentState, runRecurrent } from './recurrent-layer.js';

export type ForecastMode = 'autoregressive' | 'direct';

export interface ForecasterConfig {
  /** Steps to forecast. */
  horizon: number;
  /** Features per step (default 1: a univariate series). */
  inputSize?: number;
  /** Default 'autoregressive'. */
  mode?: ForecastMode;
  /** Default 'lstm'. */
  cell?: CellFamily;
  /** Default 64. */
  hiddenSize?: number;
  /** Default 1. */
  numLayers?: number;
  /** Between layers, in training only (default 0). */
  dropout?: number;
}

export class Forecaster extends Module {
  readonly config: Required<ForecasterConfig>;
  readonly rnn: RecurrentLayer;
  readonly head: Linear;

  constructor(config: ForecasterConfig, generator?: Generator) {
    super();
    const c: Required<ForecasterConfig> = {
      horizon: config.horizon,
      inputSize: config.inputSize ?? 1,
      mode: config.mode ?? 'autoregressive',
      cell: config.cell ?? 'lstm',
      hiddenSize: config.hiddenSize ?? 64,
      numLayers: config.numLayers ?? 1,
      dropout: config.dropout ?? 0,
    };
    if (!Number.isInteger(c.horizon) || c.horizon < 1)
      throw new ValueError('Forecaster', `horizon must be a positive integer, got ${c.horizon}`);
    if (c.mode !== 'autoregressive' && c.mode !== 'direct')
      throw new ValueError('Forecaster', `mode must be 'autoregressive' or 'direct', got ${String(c.mode)}`);
    if (!CELL_FAMILIES.includes(c.cell))
      throw new ValueError('Forecaster', `cell must be one of ${CELL_FAMILIES.join(', ')}, got ${String(c.cell)}`);
    this.config = c;
    const g = generator ? { generator } : {};
    this.rnn = this.registerModule(
      'rnn',
      createRecurrent(c.cell, {
        inputSize: c.inputSize,
        hiddenSize: c.hiddenSize,
        numLayers: c.numLayers,
        dropout: c.dropout,
        batchFirst: true,
        ...g,
      }),
    );
    const outputs = c.mode === 'direct' ? c.horizon * c.inputSize : c.inputSize;
    this.head = this.registerModule('head', new Linear({ inFeatures: c.hiddenSize, outFeatures: outputs, ...g }));
  }

  override describe(): string {
    return `Forecaster(${this.config.cell}, ${this.config.mode}, hiddenSize=${this.config.hiddenSize}, horizon=${this.config.horizon})`;
  }

  private checkWindow(window: Tensor): void {
    if (window.rank !== 3)
      throw new ShapeError({
        where: this.describe(),
        what: 'window rank',
        expected: '3 (batch, time, features)',
        actual: window.rank,
      });
    if (window.shape[2] !== this.config.inputSize)
      throw new ShapeError({
        where: this.describe(),
        what: 'window dim 2 (features)',
        expected: this.config.inputSize,
        actual: window.shape[2]!,
      });
  }

  /** window (batch, inputLength, features) -> forecast (batch, horizon, features). */
  forward(window: Tensor, horizon = this.config.horizon): Tensor {
    this.checkWindow(window);
    const batch = window.shape[0]!;
    const F = this.config.inputSize;
    let { state } = runRecurrent(this.rnn, window);
    const top = (s: RecurrentState) => s.h.select(0, -1); // (batch, H)
    if (this.config.mode === 'direct') {
      if (horizon !== this.config.horizon)
        throw new ValueError(
          this.describe(),
          `a direct forecaster predicts exactly ${this.config.horizon} steps, asked for ${horizon}`,
        );
      return this.head.forward(top(state)).reshape([batch, horizon, F]);
    }
    const steps: Tensor[] = [];
    let prediction = this.head.forward(top(state)); // (batch, F)
    steps.push(prediction);
    for (let t = 1; t < horizon; t++) {
      ({ state } = runRecurrent(this.rnn, prediction.unsqueeze(1), { state }));
      prediction = this.head.forward(top(state));
      steps.push(prediction);
    }
    return stack(steps, 1);
  }

  /**
   * Next-step predictions at every step, carrying `state` in and out (truncated BPTT: detach
   * the returned state before the next chunk). x (batch, time, features) -> (batch, time, features).
   */
  forwardSequence(x: Tensor, state?: RecurrentState | null): { predictions: Tensor; state: RecurrentState } {
    this.checkWindow(x);
    if (this.config.mode !== 'autoregressive')
      throw new ValueError(this.describe(), 'forwardSequence needs an autoregressive forecaster');
    const { output, state: next } = runRecurrent(this.rnn, x, { state: state ?? null });
    return { predictions: this.head.forward(output), state: next };
  }
}
