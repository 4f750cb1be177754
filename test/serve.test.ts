/**
 * `recurrent serve`: predictions equal `predict`'s for every input form, dynamic batching, the
 * JSON errors (malformed JSON, wrong types, oversized bodies, 10,000-character inputs), the
 * metrics, the streaming hook, slow clients, and SIGTERM under load (nothing accepted is lost).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import '../src/index.js';
import { DynamicBatcher } from '../src/serve/batcher.js';
import { createServer } from '../src/serve/server.js';
import type { StreamingPredictor } from '../src/serve/streaming.js';
import { loadPredictor } from '../src/tasks/model-dir.js';
import { classifyModelDir, forecastModelDir, tagModelDir } from './model-dirs.js';
import { tempDir } from './temp-dir.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const json = { 'content-type': 'application/json' };
const WORDS = ['hello', 'bonjour', 'eleve', 'zzz', 'café', 'a'];

type ErrorBody = { error: { code: string; message: string } };

describe('serve: POST /predict', () => {
  const classify = classifyModelDir();

  test("classify and tag outputs equal the predictor's, in order", async () => {
    for (const dir of [classify, tagModelDir()]) {
      const predictor = loadPredictor(dir);
      const { app } = createServer(predictor);
      const r = await app.inject({ method: 'POST', url: '/predict', headers: json, payload: { inputs: WORDS } });
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(r.json(), { outputs: predictor.predict(WORDS) });
      await app.close();
    }
  });

  test('forecast takes arrays of numbers and answers arrays of numbers', async () => {
    const predictor = loadPredictor(forecastModelDir());
    const { app } = createServer(predictor);
    const histories = [
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      [5, 3, 2, 8, 1, 0, -1, 4, 6, 2, 9],
    ];
    const r = await app.inject({ method: 'POST', url: '/predict', headers: json, payload: { inputs: histories } });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json(), { outputs: histories.map((h) => predictor.predict([h.join(' ')]).map(Number)) });
    const bad = await app.inject({
      method: 'POST',
      url: '/predict',
      headers: json,
      payload: { inputs: [[1, 2, 'x']] },
    });
    assert.equal(bad.statusCode, 400);
    assert.match((bad.json() as ErrorBody).error.message, /^inputs\[0\]\[2\]: expected a finite number, got a string/);
    const short = await app.inject({
      method: 'POST',
      url: '/predict',
      headers: json,
      payload: { inputs: [[1, 2, 3]] },
    });
    assert.equal(short.statusCode, 422);
    assert.match((short.json() as ErrorBody).error.message, /at least 10 values/);
    await app.close();
  });

  test('concurrent requests share batches (at most --max-batch), each gets its own outputs', async () => {
    const predictor = loadPredictor(classify);
    const sizes: number[] = [];
    const server = createServer(predictor, { maxBatch: 8, maxWaitMs: 50 });
    server.metrics.batchSize.observe = ((n: number) => void sizes.push(n)) as typeof server.metrics.batchSize.observe;
    const answers = await Promise.all(
      WORDS.concat(WORDS, WORDS).map((w) =>
        server.app.inject({ method: 'POST', url: '/predict', headers: json, payload: { inputs: [w] } }),
      ),
    );
    answers.forEach((r, i) => assert.deepEqual(r.json(), { outputs: predictor.predict([WORDS[i % WORDS.length]!]) }));
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      18,
    );
    assert.ok(
      sizes.every((n) => n <= 8),
      `batch sizes ${sizes.join(',')}`,
    );
    assert.ok(sizes.length <= 4, `18 concurrent inputs ran in ${sizes.length} batches: ${sizes.join(',')}`);
    await server.app.close();
  });

  test('refusals are JSON with a 4xx status, a code and the place at fault; the server keeps serving', async () => {
    const { app } = createServer(loadPredictor(classify), { maxBodyBytes: 4096, maxInputs: 4, maxInputLength: 100 });
    const cases: {
      payload: string;
      headers?: Record<string, string>;
      status: number;
      code: string;
      message?: RegExp;
    }[] = [
      { payload: '{"inputs": ["hello",', status: 400, code: 'invalid_body', message: /JSON/ },
      { payload: '[1, 2]', status: 400, code: 'invalid_body', message: /^body: expected a JSON object/ },
      { payload: '{"input": ["hello"]}', status: 400, code: 'invalid_body', message: /^inputs: expected an array/ },
      { payload: '{"inputs": "hello"}', status: 400, code: 'invalid_body', message: /got a string/ },
      { payload: '{"inputs": []}', status: 400, code: 'invalid_body', message: /empty/ },
      {
        payload: '{"inputs": ["ok", 3]}',
        status: 400,
        code: 'invalid_input',
        message: /^inputs\[1\]: expected a string, got a number/,
      },
      { payload: '{"inputs": [null]}', status: 400, code: 'invalid_input', message: /got null/ },
      { payload: '{"inputs": ["  "]}', status: 400, code: 'invalid_input', message: /empty/ },
      { payload: JSON.stringify({ inputs: ['x'.repeat(10_000)] }).slice(0, 4000), status: 400, code: 'invalid_body' },
      {
        payload: JSON.stringify({ inputs: ['a', 'b', 'c', 'd', 'e'] }),
        status: 413,
        code: 'too_many_inputs',
        message: /limit is 4/,
      },
      {
        payload: JSON.stringify({ inputs: ['x'.repeat(101)] }),
        status: 413,
        code: 'input_too_long',
        message: /^inputs\[0\]: has 101 characters; the limit is 100/,
      },
      {
        payload: JSON.stringify({ inputs: ['x'.repeat(10_000)] }),
        status: 413,
        code: 'body_too_large',
        message: /4096 bytes/,
      },
      {
        payload: '{"inputs": ["hello"]}',
        headers: { 'content-type': 'text/plain' },
        status: 415,
        code: 'unsupported_media_type',
      },
    ];
    for (const c of cases) {
      const r = await app.inject({ method: 'POST', url: '/predict', headers: c.headers ?? json, payload: c.payload });
      assert.equal(r.statusCode, c.status, `${c.payload.slice(0, 40)}: ${r.body}`);
      const body = r.json() as ErrorBody;
      assert.equal(body.error.code, c.code, r.body);
      if (c.message) assert.match(body.error.message, c.message);
    }
    const missing = await app.inject({ method: 'GET', url: '/nope' });
    assert.equal(missing.statusCode, 404);
    assert.equal((missing.json() as ErrorBody).error.code, 'not_found');
    const ok = await app.inject({ method: 'POST', url: '/predict', headers: json, payload: { inputs: ['hello'] } });
    assert.equal(ok.statusCode, 200);
    await app.close();
  });

  test('a 10,000-character input is predicted when the limit allows it', async () => {
    const predictor = loadPredictor(classify);
    const { app } = createServer(predictor, { maxInputLength: 20_000 });
    const long = 'bonjour'.repeat(1429).slice(0, 10_000);
    const r = await app.inject({
      method: 'POST',
      url: '/predict',
      headers: json,
      payload: { inputs: [long, 'hello'] },
    });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json(), { outputs: predictor.predict([long, 'hello']) });
    await app.close();
  });
});

describe('serve: health, metrics, streaming', () => {
  test('GET /health and GET /metrics (request counts, latency histogram, batch sizes)', async () => {
    const { app } = createServer(loadPredictor(classifyModelDir()));
    assert.deepEqual((await app.inject({ method: 'GET', url: '/health' })).json(), {
      status: 'ok',
      task: 'classify',
      inFlight: 0,
    });
    await app.inject({ method: 'POST', url: '/predict', headers: json, payload: { inputs: ['hello', 'danke'] } });
    await app.inject({ method: 'POST', url: '/predict', headers: json, payload: '{' });
    const m = await app.inject({ method: 'GET', url: '/metrics' });
    assert.match(m.headers['content-type'] as string, /^text\/plain/);
    assert.match(m.body, /^recurrent_requests_total\{route="\/predict",status="200"\} 1$/m);
    assert.match(m.body, /^recurrent_requests_total\{route="\/predict",status="400"\} 1$/m);
    assert.match(m.body, /^recurrent_request_duration_seconds_count\{route="\/predict"\} 2$/m);
    assert.match(m.body, /^recurrent_batch_size_sum 2$/m);
    assert.match(m.body, /^recurrent_inputs_total 2$/m);
    // The process's own figures, which bench:serve reads to tell a blocked event loop from a busy machine.
    assert.match(m.body, /^process_cpu_seconds_total \d/m);
    assert.match(m.body, /^nodejs_eventloop_lag_p99_seconds \d/m);
    await app.close();
  });

  test('a streaming predictor streams tokens as server-sent events; others answer 404 on /generate', async () => {
    const stub: StreamingPredictor = {
      task: 'classify',
      predict: (inputs) => inputs.map((s) => s.toUpperCase()),
      format: (lines) => lines.join('\n'),
      *stream(prompt) {
        for (const ch of prompt.split('').reverse()) yield ch;
      },
    };
    const { app } = createServer(stub);
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const r = await fetch(`${address}/generate`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ input: 'abc' }),
    });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type')!, /^text\/event-stream/);
    assert.equal(
      await r.text(),
      'data: {"token":"c"}\n\ndata: {"token":"b"}\n\ndata: {"token":"a"}\n\nevent: done\ndata: {"text":"cba"}\n\n',
    );
    assert.match(
      await (await fetch(`${address}/metrics`)).text(),
      /^recurrent_requests_total\{route="\/generate",status="200"\} 1$/m,
    );
    const bad = await fetch(`${address}/generate`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ input: 7 }),
    });
    assert.equal(bad.status, 400);
    await app.close();
    const plain = createServer(loadPredictor(classifyModelDir()));
    const none = await plain.app.inject({
      method: 'POST',
      url: '/generate',
      headers: json,
      payload: { input: 'hello' },
    });
    assert.equal(none.statusCode, 404);
    assert.equal((none.json() as ErrorBody).error.code, 'not_streaming');
    await plain.app.close();
  });
});

describe('serve: slow clients and draining', () => {
  test('a client that stalls mid-body gets 408 after --request-timeout-ms; others are served meanwhile', async () => {
    const { app } = createServer(loadPredictor(classifyModelDir()), { requestTimeoutMs: 400 });
    const address = new URL(await app.listen({ port: 0, host: '127.0.0.1' }));
    const slow = connect(Number(address.port), address.hostname);
    let slowAnswer = '';
    slow.on('data', (d) => (slowAnswer += String(d)));
    const slowClosed = new Promise((resolve) => slow.on('close', resolve));
    slow.write(
      'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"inputs": [',
    );
    const started = Date.now();
    for (let i = 0; i < 20; i++) {
      const r = await fetch(`${address.origin}/predict`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ inputs: ['hello'] }),
      });
      assert.equal(r.status, 200);
    }
    assert.ok(Date.now() - started < 2000, 'fast clients are not held up by the slow one');
    await slowClosed;
    assert.match(slowAnswer, /^HTTP\/1\.1 408/);
    assert.equal((await fetch(`${address.origin}/health`)).status, 200);
    await app.close();
  });

  test('drain: a request in progress (a token stream) finishes, a new one gets 503, then the server closes', async () => {
    const slow: StreamingPredictor = {
      task: 'classify',
      predict: (inputs) => inputs.map((s) => s.toUpperCase()),
      format: (lines) => lines.join('\n'),
      async *stream(prompt) {
        for (const ch of prompt) {
          await new Promise((resolve) => setTimeout(resolve, 40));
          yield ch;
        }
      },
    };
    const server = createServer(slow);
    const address = await server.app.listen({ port: 0, host: '127.0.0.1' });
    const streaming = fetch(`${address}/generate`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ input: 'abcde' }),
    }).then((r) => r.text());
    while (!/inFlight":1/.test(await (await fetch(`${address}/health`)).text()))
      await new Promise((resolve) => setTimeout(resolve, 10));
    const drained = server.drain();
    const late = await fetch(`${address}/predict`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ inputs: ['hello'] }),
    });
    assert.equal(late.status, 503);
    assert.equal(((await late.json()) as ErrorBody).error.code, 'draining');
    assert.match(await streaming, /event: done\ndata: \{"text":"abcde"\}\n\n$/);
    assert.deepEqual(await drained, { accepted: 1, answered: 1, finishedWhileDraining: 1, abandoned: 0 });
  });

  test('SIGTERM under load: every answer is a correct 200 or a 503, the process exits 0 after draining', async () => {
    const dir = classifyModelDir();
    const expected = new Map(WORDS.map((w) => [w, loadPredictor(dir).predict([w])[0]]));
    const child = spawn(process.execPath, [cli, 'serve', dir, '--port', '0', '--max-wait-ms', '5', '--threads', '2'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    while (!/at http:/.test(stdout)) await new Promise((resolve) => setTimeout(resolve, 20));
    const url = /at (http:\/\/[\d.:]+)/.exec(stdout)![1]!;
    // The start line names the kernels: with the native addon, the --threads given (default 1).
    assert.match(stdout, /max wait 5 ms, (native backend, 2 kernel threads|wasm backend|reference backend)\)/);
    const outcomes = { ok: 0, wrong: 0, draining: 0, refused: 0, otherError: [] as string[] };
    let stop = false;
    const client = async (k: number) => {
      for (let i = k; !stop; i++) {
        const word = WORDS[i % WORDS.length]!;
        try {
          const r = await fetch(`${url}/predict`, {
            method: 'POST',
            headers: { ...json, connection: 'close' },
            body: JSON.stringify({ inputs: [word] }),
          });
          const body = (await r.json()) as { outputs?: string[] };
          if (r.status === 200) {
            if (body.outputs?.[0] === expected.get(word)) outcomes.ok++;
            else outcomes.wrong++;
            if (outcomes.ok === 30) child.kill('SIGTERM');
          } else if (r.status === 503) outcomes.draining++;
          else outcomes.otherError.push(`${r.status} ${JSON.stringify(body)}`);
        } catch (error) {
          const code = ((error as Error).cause as { code?: string } | undefined)?.code;
          if (code === 'ECONNREFUSED') {
            outcomes.refused++;
            stop = true;
          } else outcomes.otherError.push(String(code ?? error));
        }
      }
    };
    const clients = Array.from({ length: 16 }, (_, k) => client(k));
    const deadline = setTimeout(() => (stop = true), 20_000);
    await Promise.all(clients);
    clearTimeout(deadline);
    assert.equal(await exited, 0, stdout);
    // Every request the server accepted was answered, and the clients got every answer: a
    // connection reset can only be one opened as the listener closed, before its request was read.
    const [, accepted, answered] =
      /drained: \d+ requests finished after SIGTERM; (\d+) accepted, (\d+) answered in all\n/.exec(stdout) ?? [];
    assert.equal(Number(answered), Number(accepted), stdout);
    assert.equal(Number(accepted), outcomes.ok, `${stdout} ${JSON.stringify(outcomes)}`);
    assert.ok(outcomes.ok >= 30 && outcomes.draining + outcomes.refused > 0, JSON.stringify(outcomes));
    assert.equal(outcomes.wrong, 0, JSON.stringify(outcomes));
    assert.deepEqual(
      outcomes.otherError.filter((e) => e !== 'ECONNRESET'),
      [],
      JSON.stringify(outcomes),
    );
  });
});

describe('recurrent serve (CLI)', () => {
  test('a bad flag names the flag; a folder that is not a model directory is refused before listening', () => {
    const bad = spawnSync(process.execPath, [cli, 'serve', classifyModelDir(), '--max-batch', '0'], {
      encoding: 'utf8',
    });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /--max-batch must be an integer >= 1, got '0'/);
    const threads = spawnSync(process.execPath, [cli, 'serve', classifyModelDir(), '--threads', '0'], {
      encoding: 'utf8',
    });
    assert.notEqual(threads.status, 0);
    assert.match(threads.stderr, /--threads must be an integer >= 1, got '0'/);
    const missing = spawnSync(process.execPath, [cli, 'serve', tempDir('recurrent-serve-empty-'), '--port', '0'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /config\.json: not found/);
  });
});

describe('DynamicBatcher', () => {
  test('a failing input fails alone; the rest of its batch is answered', async () => {
    const batches: number[][] = [];
    const batcher = new DynamicBatcher<number, number>(
      (items) => {
        batches.push(items);
        if (items.includes(3)) throw new Error('three');
        return items.map((x) => x * 10);
      },
      { maxBatch: 4, maxWaitMs: 10 },
    );
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((x) => batcher.submit(x)));
    assert.deepEqual(
      results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
      [10, 20, 'three', 40, 50],
    );
    assert.deepEqual(batches[0], [1, 2, 3, 4]);
    assert.deepEqual(batches.slice(1), [[1], [2], [3], [4], [5]]);
  });
});
