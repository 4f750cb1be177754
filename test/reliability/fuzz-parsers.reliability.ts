/**
 * Fuzzed parsers: 10,000+ generated inputs per parser and kind of fault (random bytes,
 * truncations, bit flips of valid files, forged headers). The only acceptable outcomes are a
 * successful parse (safetensors and config.json: it must round-trip) or a typed error of the
 * class expected for that parser and kind of fault: never an uncaught crash, another error
 * class, a hang (test timeout) or a huge allocation (sizes are checked first).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { nn, parseSafetensors, serializeSafetensors } from '../../src/index.js';
import {
  type ClassifyExample,
  parseUserData,
  type Seq2SeqExample,
  type TagExample,
  type TaskKind,
  type UserData,
} from '../../src/data/user-data.js';
import { loadPredictor, parseModelConfig, saveModelDirectory } from '../../src/tasks/model-dir.js';
import { models } from '../../src/index.js';
import { fuzz } from './outcomes.js';
import { tempDir } from '../temp-dir.js';

const safetensorsHeader = (header: unknown, dataBytes: number, lengthField?: bigint) => {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, lengthField ?? BigInt(json.length), true);
  out.set(json, 8);
  return out;
};

describe('fuzzed parsers', { timeout: 600_000 }, () => {
  test('safetensors', () => {
    const valid = serializeSafetensors(new nn.LSTM({ inputSize: 3, hiddenSize: 4 }).stateDict(), { format: 'pt' });
    const size = fc.oneof(fc.integer({ min: -10, max: 64 }), fc.constantFrom(2 ** 31, 2 ** 53, -(2 ** 40), 1e300));
    const forged = fc
      .record({
        dtype: fc.constantFrom('F32', 'F16', 'I64', 'X9', 7),
        shape: fc.array(size, { maxLength: 4 }),
        begin: size,
        end: size,
        second: fc.boolean(),
        dataBytes: fc.nat(256),
        lengthField: fc.option(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })),
      })
      .map((f) =>
        safetensorsHeader(
          {
            a: { dtype: f.dtype, shape: f.shape, data_offsets: [f.begin, f.end] },
            ...(f.second && { b: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }),
          },
          f.dataBytes,
          f.lengthField ?? undefined,
        ),
      );
    fuzz('safetensors', valid, (bytes) => parseSafetensors(bytes, 'fuzz.safetensors'), forged, 1, {
      errors: { other: ['FormatError'] },
      // What parses is written again by our writer and read back with the same names, shapes and bits.
      roundTrip: (parsed) => {
        const { tensors } = parsed as ReturnType<typeof parseSafetensors>;
        const again = parseSafetensors(serializeSafetensors(tensors), 'again.safetensors').tensors;
        assert.deepEqual(Object.keys(again).sort(), Object.keys(tensors).sort());
        for (const [name, t] of Object.entries(tensors)) {
          assert.deepEqual(again[name]!.shape, t.shape, name);
          assert.ok(
            Buffer.from(again[name]!.data.buffer, again[name]!.data.byteOffset, again[name]!.data.byteLength).equals(
              Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
            ),
            `${name}: the same bits`,
          );
        }
      },
    });
  });

  for (const format of ['csv', 'tsv', 'jsonl'] as const) {
    test(`user data: ${format}`, () => {
      const tasks: TaskKind[] = ['classify', 'tag', 'seq2seq', 'forecast'];
      const samples: Record<TaskKind, string> = {
        classify:
          format === 'jsonl'
            ? '{"text":"hola","label":"es"}\n{"text":"hello","label":"en"}\n'
            : `text${format === 'csv' ? ',' : '\t'}label\nhola${format === 'csv' ? ',' : '\t'}es\n"a ""b"""${format === 'csv' ? ',' : '\t'}en\n`,
        tag:
          format === 'jsonl'
            ? '{"input":"abc","tags":"X Y Z"}\n'
            : `input${format === 'csv' ? ',' : '\t'}tags\nab${format === 'csv' ? ',' : '\t'}X Y\n`,
        seq2seq:
          format === 'jsonl'
            ? '{"source":"ab","target":"A B"}\n'
            : `source${format === 'csv' ? ',' : '\t'}target\nab${format === 'csv' ? ',' : '\t'}A B\n`,
        forecast:
          format === 'jsonl'
            ? '{"date":"2020-01","value":1.5}\n{"value":2}\n'
            : `date${format === 'csv' ? ',' : '\t'}value\n2020-01${format === 'csv' ? ',' : '\t'}1.5\n`,
      };
      const encoder = new TextEncoder();
      const decoder = new TextDecoder();
      const parse = (bytes: Uint8Array, task: TaskKind) =>
        parseUserData(decoder.decode(bytes), task, { format, file: `fuzz.${format}` });
      const forged = fc
        .array(
          fc.oneof(
            fc.string(),
            fc.constantFrom(
              '"',
              '""',
              ',',
              '\t',
              '\n',
              '\r\n',
              '{',
              '}',
              '"value":',
              'NaN',
              '1e999',
              '-',
              '\u00e9',
              '\u0301',
            ),
          ),
          { maxLength: 60 },
        )
        .map((parts) => encoder.encode(parts.join('')));
      // What parses is written again as JSONL and must parse to the same examples.
      const asJsonl = (task: TaskKind, parsed: unknown): string => {
        if (task === 'forecast') {
          const { dates, values } = parsed as UserData['forecast'];
          return values.map((value, i) => JSON.stringify({ ...(dates && { date: dates[i] }), value })).join('\n');
        }
        const rows = parsed as (ClassifyExample | TagExample | Seq2SeqExample)[];
        return rows
          .map((e) =>
            JSON.stringify(
              'tags' in e ? { ...e, tags: e.tags.join(' ') } : 'target' in e ? { ...e, target: e.target.join(' ') } : e,
            ),
          )
          .join('\n');
      };
      tasks.forEach((task, k) =>
        fuzz(
          `user data (${format}, ${task})`,
          encoder.encode(samples[task]),
          (bytes) => parse(bytes, task),
          forged,
          10 + k,
          {
            errors: { other: ['DataError'] },
            roundTrip: (parsed) =>
              assert.deepEqual(
                parseUserData(asJsonl(task, parsed), task, { format: 'jsonl', file: 'again.jsonl' }),
                parsed,
              ),
          },
        ),
      );
    });
  }

  test('model directory', () => {
    const dir = tempDir('recurrent-fuzz-model-');
    const model = new models.SequenceClassifier({
      vocabSize: 6,
      embeddingDim: 4,
      numClasses: 2,
      hiddenSize: 5,
      cell: 'gru',
    });
    saveModelDirectory(dir, model, {
      task: 'classify',
      modelConfig: { ...model.config },
      data: {
        vocabulary: { tokens: ['<pad>', '<unk>', '<bos>', '<eos>', 'a', 'b'], specials: 4, unkToken: '<unk>' },
        labels: ['x', 'y'],
      },
    });
    const validConfig = new TextEncoder().encode(
      JSON.stringify({
        format: 'recurrent-model',
        version: 1,
        task: 'classify',
        modelConfig: { ...model.config },
        data: {
          vocabulary: { tokens: ['<pad>', '<unk>', '<bos>', '<eos>', 'a', 'b'], specials: 4, unkToken: '<unk>' },
          labels: ['x', 'y'],
        },
      }),
    );
    const validWeights = serializeSafetensors(model.stateDict());
    const decoder = new TextDecoder();
    // config.json alone, through the parser.
    const forgedConfig = fc
      .record({
        hiddenSize: fc.oneof(fc.integer({ min: -5, max: 40 }), fc.constantFrom(1e6, 1e9, Number.MAX_SAFE_INTEGER)),
        vocabSize: fc.oneof(fc.integer({ min: -5, max: 40 }), fc.constantFrom(1e7, 2 ** 31)),
        task: fc.constantFrom('classify', 'tag', 'seq2seq', 'forecast', 'nope'),
        cell: fc.constantFrom('gru', 'lstm', 'rnn', 'xyz'),
      })
      .map((f) =>
        new TextEncoder().encode(
          JSON.stringify({
            format: 'recurrent-model',
            version: 1,
            task: f.task,
            modelConfig: { ...model.config, hiddenSize: f.hiddenSize, vocabSize: f.vocabSize, cell: f.cell },
            data: {},
          }),
        ),
      );
    fuzz(
      'model directory (config.json)',
      validConfig,
      (bytes) => parseModelConfig(decoder.decode(bytes), 'config.json'),
      forgedConfig,
      30,
      {
        errors: { other: ['FormatError'] },
        roundTrip: (parsed) => assert.deepEqual(parseModelConfig(JSON.stringify(parsed), 'again.json'), parsed),
      },
    );
    // The whole directory: corrupt config.json or weights.safetensors, then load and predict.
    const loadAndPredict = (config: Uint8Array, weights: Uint8Array) => {
      writeFileSync(join(dir, 'config.json'), config);
      writeFileSync(join(dir, 'weights.safetensors'), weights);
      return loadPredictor(dir).predict(['ab', 'ba']);
    };
    // Damage that still parses can leave weights that do not fit the model: a StateDictError.
    const loaded = {
      'random bytes': ['FormatError'],
      truncations: ['FormatError'],
      other: ['FormatError', 'StateDictError'],
    } as const;
    fuzz(
      'model directory (config.json, loaded)',
      validConfig,
      (bytes) => loadAndPredict(bytes, validWeights),
      forgedConfig,
      31,
      { errors: loaded },
    );
    fuzz(
      'model directory (weights, loaded)',
      validWeights,
      (bytes) => loadAndPredict(validConfig, bytes),
      fc.uint8Array({ maxLength: 64 }).map((b) => Uint8Array.from([...validWeights.subarray(0, 8), ...b])),
      32,
      { errors: loaded },
    );
    // A valid directory still works after all that.
    assert.equal(loadAndPredict(validConfig, validWeights).length, 2);
  });
});
