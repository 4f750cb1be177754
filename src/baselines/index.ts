/**
 * Classical baselines, one per task, that a recurrent model should beat to be worth its cost:
 * character n-gram naive Bayes (classify), most frequent tag in context (tag), nearest neighbour
 * by edit distance (seq2seq), exponential smoothing (forecast, beside the seasonal naive forecast),
 * and the nearest class mean (numeric sequences).
 */
export { trainNaiveBayes, type NaiveBayesOptions } from './naive-bayes.js';
export { trainContextTagger } from './tag-context.js';
export { editDistance, trainNearestNeighbour } from './nearest-neighbour.js';
export { fitEts, type EtsModel } from './ets.js';
export { trainNearestMean } from './nearest-mean.js';
