/**
 * Serving a predictor that generates text token by token (the `generate` task): one whose
 * `stream` is set (see Predictor in tasks/task.ts). `POST /generate` answers it with server-sent events:
 *   data: {"token":"h"}        one event per token, as it is produced
 *   event: done
 *   data: {"text":"hello"}     the whole text, last
 * or `event: error` with {"error": {...}} if generation fails midway.
 */
import type { ServerResponse } from 'node:http';
import type { Predictor } from '../tasks/task.js';

export type StreamingPredictor = Predictor & Required<Pick<Predictor, 'stream'>>;

export function isStreaming(predictor: Predictor): predictor is StreamingPredictor {
  return typeof (predictor as Partial<StreamingPredictor>).stream === 'function';
}

const event = (data: unknown, name?: string) => `${name ? `event: ${name}\n` : ''}data: ${JSON.stringify(data)}\n\n`;

/**
 * Writes the tokens of `predictor.stream(prompt)` to `res` as server-sent events, yielding to
 * the event loop between tokens so that other requests go on. Resolves when the stream ends or
 * the client goes away.
 */
export async function streamTokens(predictor: StreamingPredictor, prompt: string, res: ServerResponse): Promise<void> {
  const abort = new AbortController();
  const onClose = () => abort.abort();
  res.on('close', onClose);
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  let text = '';
  try {
    for await (const token of predictor.stream(prompt, abort.signal)) {
      if (abort.signal.aborted) break;
      text += token;
      res.write(event({ token }));
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (!abort.signal.aborted) res.write(event({ text }, 'done'));
  } catch (error) {
    if (!abort.signal.aborted)
      res.write(event({ error: { code: 'generation_failed', message: (error as Error).message } }, 'error'));
  } finally {
    res.off('close', onClose);
    res.end();
  }
}
