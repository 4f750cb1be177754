/** Training primitives: losses, optimizers, learning-rate schedulers, clipping, early stopping. */
export {
  crossEntropy,
  nllLoss,
  mseLoss,
  l1Loss,
  huberLoss,
  type Reduction,
  type ReductionOptions,
  type NllLossOptions,
  type CrossEntropyOptions,
  type HuberLossOptions,
} from './losses.js';
export {
  Optimizer,
  type OptimizerOptions,
  type OptimizerState,
  type OptionValue,
  type SavedNumber,
  type ParamState,
} from './optimizers/optimizer.js';
export { SGD, type SGDOptions } from './optimizers/sgd.js';
export { Adam, AdamW, type AdamOptions, type AdamWOptions, type ResolvedAdamOptions } from './optimizers/adam.js';
export { RMSprop, type RMSpropOptions } from './optimizers/rmsprop.js';
export {
  StepLR,
  CosineAnnealingLR,
  ReduceLROnPlateau,
  type StepLROptions,
  type CosineAnnealingLROptions,
  type ReduceLROnPlateauOptions,
  type StepLRState,
  type CosineAnnealingLRState,
  type ReduceLROnPlateauState,
} from './schedulers.js';
export { clipGradNorm, clipGradValue } from './clip.js';
export { EarlyStopping, type EarlyStoppingOptions, type EarlyStoppingState } from './early-stopping.js';
export { timeChunks, detachState, truncatedBptt, type TbpttStep } from './tbptt.js';
export { streamChunks, randomWindows, CarriedState, type TokenBatch } from './streams.js';
export { scoreStream, streamScore, type StreamScore, type ScoreOptions } from './lm-score.js';
export {
  Budget,
  budgetLr,
  BatchStream,
  roundSeconds,
  type BudgetScheduleOptions,
  type BatchStreamState,
} from './budget.js';
