/**
 * A saved language model read back for `recurrent generate` and the API: the model directory of
 * the generate task, with its tokenizer attached as the model's codec.
 */
import { TextTokenizer } from '../data/text-tokenizer.js';
import { ValueError } from '../errors.js';
import { LanguageModel } from '../models/language-model.js';
import { loadModelDirectory } from './model-dir.js';

/** A model directory of the generate task, with its tokenizer attached as the codec. */
export function loadLanguageModel(dir: string): { model: LanguageModel; tokenizer: TextTokenizer } {
  const { config, model } = loadModelDirectory(dir);
  if (config.task !== 'generate' || !(model instanceof LanguageModel))
    throw new ValueError(
      'recurrent generate',
      `${dir} holds a ${config.task} model, not a language model (train one with --task generate)`,
    );
  const tokenizer = TextTokenizer.fromJSON(config.data['tokenizer']);
  if (tokenizer.size !== model.config.vocabSize)
    throw new ValueError(
      'recurrent generate',
      `${dir}: the tokenizer has ${tokenizer.size} tokens, the model ${model.config.vocabSize}`,
    );
  model.codec = tokenizer;
  return { model, tokenizer };
}
