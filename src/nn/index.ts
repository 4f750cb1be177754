/** Neural network modules (PyTorch-style): `import { nn } from 'recurrent'`. */
export { Module, type StateDict, type LoadStateDictOptions, type LoadStateDictResult } from './module.js';
export { Linear, type LinearOptions } from './linear.js';
export { Embedding, type EmbeddingOptions } from './embedding.js';
export { Dropout, dropout, type DropoutOptions } from './dropout.js';
export { RNN, RNNCell, type RNNOptions, type Nonlinearity } from './recurrent/rnn.js';
export { LSTM, LSTMCell, type LSTMOptions } from './recurrent/lstm.js';
export { GRU, GRUCell } from './recurrent/gru.js';
export type { RecurrentOptions } from './recurrent/options.js';
export type { RecurrentForwardOptions, RecurrentStateOptions } from './recurrent/base.js';
export type { CellOptions } from './recurrent/cell-base.js';
export type { Lengths } from './recurrent/inputs.js';
export type { RecurrentInput, RecurrentOptionsFor, RecurrentOutputFor, RecurrentStateFor } from './recurrent/base.js';
export type { EmbeddingShape } from './embedding.js';
