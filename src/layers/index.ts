/**
 * Keras-style layers and models: `import { layers } from 'recurrent'`.
 *
 *   const x = layers.input({ shape: [10, 20] });                        // (None, 10, 20)
 *   const h = layers.simpleRNN({ units: 32, returnSequences: true }).apply(x);   // (None, 10, 32)
 *   const y = layers.timeDistributed(layers.dense({ units: 16 })).apply(h);     // (None, 10, 16)
 *   const m = layers.model({ inputs: x, outputs: y });
 *   m.summary();
 *   m.predict(randn([2, 10, 20]));                                      // Tensor (2, 10, 16)
 *
 * Weights use Keras's names, layouts and gate orders (kernel (inputDim, gates*units),
 * recurrent_kernel (units, gates*units), bias; LSTM i,f,c,o; GRU z,r,h), so `setWeights` takes
 * what Keras's or TF.js's `get_weights()` returns. Custom layers: see `Layer` in layer.ts.
 */
export {
  Layer,
  clearSession,
  type Arity,
  type CallContext,
  type LayerOptions,
  type ApplyOptions,
  type Mask,
  type LayerResult,
  type SymbolicOutput,
  type EagerOutput,
} from './layer.js';
export { SymbolicTensor, LayerNode, maskOf } from './symbolic.js';
export { formatSymbolicShape, type Dim, type SymbolicShape, type InputSpec } from './shape.js';
export type { Activation, ActivationName } from './activations.js';
export type { Initializer } from './initializers.js';
export {
  input,
  InputLayer,
  dense,
  Dense,
  dropout,
  Dropout,
  masking,
  Masking,
  type InputOptions,
  type DenseOptions,
  type DropoutOptions,
  type MaskingOptions,
} from './core.js';
export { embedding, Embedding, type EmbeddingOptions } from './embedding.js';
export { globalAveragePooling1D, GlobalAveragePooling1D, globalMaxPooling1D, GlobalMaxPooling1D } from './pooling.js';
export { RecurrentLayer, type RecurrentLayerOptions, type Implementation } from './recurrent/base.js';
export { simpleRNN, SimpleRNN, type SimpleRNNOptions } from './recurrent/simple-rnn.js';
export { lstm, LSTM, type LSTMOptions } from './recurrent/lstm.js';
export { gru, GRU, type GRUOptions } from './recurrent/gru.js';
export {
  bidirectional,
  Bidirectional,
  timeDistributed,
  TimeDistributed,
  type MergeMode,
  type BidirectionalOptions,
} from './wrappers.js';
export { model, Model, sequential, Sequential, type ModelOptions, type SequentialOptions, type Data } from './model.js';
export type { SummaryOptions } from './summary.js';
export {
  losses,
  type CompileOptions,
  type ModelFitOptions,
  type PredictOptions,
  type EvaluateOptions,
  type History,
  type LossFunction,
  type LossName,
  type OptimizerName,
  type MetricName,
  type MetricFunction,
} from './training.js';
