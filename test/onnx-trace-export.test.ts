/**
 * Traced ONNX export (src/onnx/export-traced.ts): Keras-style sequential and functional models,
 * custom nn Modules and recurrent stacks run in onnxruntime-node and in our own ONNX runtime at
 * batch and time sizes other than the example's (the axes are symbolic), and agree with the
 * module's own forward (1e-5 abs + 1e-4 rel). Ops without an ONNX form fail with an ExportError
 * naming the module path and the op.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import ort from 'onnxruntime-node';
import { concat, ExportError, Generator, layers, nn, noGrad, randn, Tensor, tensor, ValueError } from '../src/index.js';
import { exportOnnxModel, type OnnxExportOptions, parseOnnx } from '../src/onnx/index.js';
import { assertClose } from './helpers.js';

/** Runs `module` as export does: Keras-style layers through apply (eval), nn modules through forward. */
function forward(module: nn.Module, inputs: Tensor[]): Record<string, Tensor> {
  return noGrad(() => {
    const result =
      module instanceof layers.Layer
        ? module.apply(inputs.length === 1 ? inputs[0]! : inputs)
        : (module as unknown as { forward(...x: Tensor[]): unknown }).forward(...inputs);
    if (result instanceof Tensor) return { output: result };
    if (Array.isArray(result)) return Object.fromEntries(result.map((t: Tensor, i) => [`output_${i}`, t]));
    return Object.fromEntries(Object.entries(result as object).filter(([, v]) => v instanceof Tensor));
  });
}

function ids(g: Generator, batch: number, time: number, vocab: number): Tensor {
  return new Tensor(
    Float32Array.from({ length: batch * time }, () => Math.floor(g.random() * vocab)),
    [batch, time],
  );
}

type MakeInputs = (batch: number, time: number) => Tensor[];

/**
 * Exports with inputs of (batch 2, time 5), then runs the ONNX model in onnxruntime-node and in
 * our runtime at two other batch sizes and sequence lengths, against the module's forward.
 */
async function check(label: string, module: nn.Module, make: MakeInputs, options: OnnxExportOptions = {}) {
  module.eval();
  const { bytes, inputs, outputs } = exportOnnxModel(module, make(2, 5), options);
  assert.ok(
    inputs.every((i) => i.dims[0] === 'batch' && i.dims[1] === 'time'),
    `${label}: symbolic batch and time on every input, got ${JSON.stringify(inputs)}`,
  );
  const session = await ort.InferenceSession.create(bytes);
  const ours = parseOnnx(bytes, `${label}.onnx`);
  for (const [batch, time] of [
    [3, 4],
    [1, 7],
  ] as const) {
    const data = make(batch, time);
    const expected = forward(module, data);
    assert.deepEqual(outputs.map((o) => o.name).sort(), Object.keys(expected).sort(), `${label}: outputs`);
    const feeds: Record<string, ort.Tensor> = {};
    const ourFeeds: Record<string, Tensor | { dtype: 'int64'; shape: number[]; data: BigInt64Array }> = {};
    inputs.forEach((spec, i) => {
      const x = data[i]!;
      if (spec.type === 'int64') {
        const values = BigInt64Array.from(Array.from(x.data, (v) => BigInt(v)));
        feeds[spec.name] = new ort.Tensor('int64', values, [...x.shape]);
        ourFeeds[spec.name] = { dtype: 'int64', shape: [...x.shape], data: values };
      } else {
        feeds[spec.name] = new ort.Tensor('float32', x.data, [...x.shape]);
        ourFeeds[spec.name] = x;
      }
    });
    const fromOrt = await session.run(feeds);
    const fromOurs = ours.run(ourFeeds);
    for (const [name, want] of Object.entries(expected)) {
      const got = fromOrt[name]!;
      assert.deepEqual([...got.dims], [...want.shape], `${label} ${name} shape at batch ${batch}, time ${time}`);
      const gotTensor = new Tensor(Float32Array.from(got.data as Float32Array), [...got.dims]);
      assertClose(gotTensor, want, `${label} ${name} (onnxruntime, batch ${batch}, time ${time})`);
      assertClose(fromOurs[name]!, want, `${label} ${name} (our runtime, batch ${batch}, time ${time})`);
    }
  }
  return { bytes, inputs, outputs };
}

/** A Keras-style merge layer written by the user: concatenates its inputs on the last axis. */
class Concatenate extends layers.Layer {
  override call(inputs: Tensor | Tensor[]): Tensor {
    return concat(inputs as Tensor[], -1);
  }
}

/** GRU, then a Linear with a residual add, then the last step (a custom nn Module). */
class ResidualGru extends nn.Module {
  readonly gru: nn.GRU;
  readonly proj: nn.Linear;
  constructor(g: Generator) {
    super();
    this.gru = this.registerModule('gru', new nn.GRU({ inputSize: 6, hiddenSize: 6, batchFirst: true, generator: g }));
    this.proj = this.registerModule('proj', new nn.Linear({ inFeatures: 6, outFeatures: 6, generator: g }));
  }
  forward(x: Tensor): { output: Tensor; last: Tensor } {
    const { output } = this.gru.forward(x); // (N, T, 6)
    const y = this.proj.forward(output).tanh().add(x); // residual
    return { output: y, last: y.select(1, y.shape[1]! - 1).softmax(-1) };
  }
}

describe('traced ONNX export', () => {
  test('Keras-style sequential Embedding -> LSTM -> Dense (int64 ids, softmax)', async () => {
    const g = new Generator(11);
    layers.clearSession();
    const model = layers.sequential([
      layers.input({ shape: [null] }),
      layers.embedding({ inputDim: 20, outputDim: 8, generator: g }),
      layers.lstm({ units: 12, generator: g }),
      layers.dense({ units: 5, activation: 'softmax', generator: g }),
    ]);
    const { inputs, outputs } = await check('sequential', model, (b, t) => [ids(g, b, t, 20)]);
    assert.equal(inputs[0]!.type, 'int64');
    assert.deepEqual(outputs[0]!.dims, ['batch', 5]);
  });

  test('Keras-style stacks: LSTM sequences -> dropout -> GRU sequences -> TimeDistributed(Dense), SimpleRNN relu', async () => {
    const g = new Generator(12);
    layers.clearSession();
    const model = layers.sequential([
      layers.input({ shape: [null, 4] }),
      layers.lstm({ units: 6, returnSequences: true, generator: g }),
      layers.dropout({ rate: 0.3 }),
      layers.gru({ units: 5, returnSequences: true, generator: g }),
      layers.simpleRNN({ units: 4, activation: 'relu', returnSequences: true, generator: g }),
      layers.timeDistributed(layers.dense({ units: 3, activation: 'tanh', generator: g })),
    ]);
    const { outputs } = await check('stacks', model, (b, t) => [randn([b, t, 4], { generator: g })]);
    assert.deepEqual(outputs[0]!.dims, ['batch', 'time', 3]);
  });

  test('Keras-style functional: bidirectional GRU and a backwards LSTM branch merged by a custom layer', async () => {
    const g = new Generator(13);
    layers.clearSession();
    const x = layers.input({ shape: [null, 6] });
    const seq = layers.bidirectional(layers.gru({ units: 5, returnSequences: true, generator: g })).apply(x);
    const pooled = layers.globalAveragePooling1D().apply(seq); // (N, 10)
    const last = layers.lstm({ units: 7, goBackwards: true, generator: g }).apply(x); // (N, 7)
    const merged = new Concatenate().apply([pooled, last]);
    const y = layers.dense({ units: 3, activation: 'softmax', generator: g }).apply(merged);
    const model = layers.model({ inputs: x, outputs: [y, seq] });
    const { outputs } = await check('functional', model, (b, t) => [randn([b, t, 6], { generator: g })]);
    assert.deepEqual(
      outputs.map((o) => o.dims),
      [
        ['batch', 3],
        ['batch', 'time', 10],
      ],
    );
  });

  test('Keras-style functional with two inputs (input_0, input_1), each through its own recurrent layer', async () => {
    const g = new Generator(17);
    layers.clearSession();
    const words = layers.input({ shape: [null, 5] });
    const marks = layers.input({ shape: [null, 2] });
    const a = layers.gru({ units: 4, returnSequences: true, generator: g }).apply(words);
    const b = layers.simpleRNN({ units: 3, returnSequences: true, generator: g }).apply(marks);
    const y = layers.timeDistributed(layers.dense({ units: 2, generator: g })).apply(new Concatenate().apply([a, b]));
    const model = layers.model({ inputs: [words, marks], outputs: y });
    const { inputs } = await check('two inputs', model, (n, t) => [
      randn([n, t, 5], { generator: g }),
      randn([n, t, 2], { generator: g }),
    ]);
    assert.deepEqual(
      inputs.map((i) => i.name),
      ['input_0', 'input_1'],
    );
  });

  test('custom Module: GRU + Linear with a residual add, last step and softmax (two outputs)', async () => {
    const g = new Generator(14);
    const { outputs } = await check('residual', new ResidualGru(g), (b, t) => [randn([b, t, 6], { generator: g })]);
    assert.deepEqual(outputs.map((o) => o.name).sort(), ['last', 'output']);
  });

  test('custom Module: Embedding -> 2-layer bidirectional LSTM -> mean over time -> Linear; time-major RNN stack', async () => {
    const g = new Generator(15);
    class Encoder extends nn.Module {
      readonly embed = this.registerModule(
        'embed',
        new nn.Embedding({ numEmbeddings: 30, embeddingDim: 8, generator: g }),
      );
      readonly rnn = this.registerModule(
        'rnn',
        new nn.LSTM({
          inputSize: 8,
          hiddenSize: 6,
          numLayers: 2,
          bidirectional: true,
          batchFirst: true,
          dropout: 0.2,
          generator: g,
        }),
      );
      readonly drop = this.registerModule('drop', new nn.Dropout({ p: 0.5 }));
      readonly head = this.registerModule('head', new nn.Linear({ inFeatures: 12, outFeatures: 4, generator: g }));
      forward(tokens: Tensor): Tensor {
        const { output } = this.rnn.forward(this.embed.forward(tokens));
        return this.head.forward(this.drop.forward(output.mean(1))).logSoftmax(-1);
      }
    }
    const { inputs } = await check('encoder', new Encoder(), (b, t) => [ids(g, b, t, 30)]);
    assert.equal(inputs[0]!.type, 'int64');

    // A time-major 3-layer relu RNN in a module: (time, batch, F) with the dims named by inputDims.
    class TimeMajor extends nn.Module {
      readonly rnn = this.registerModule(
        'rnn',
        new nn.RNN({
          inputSize: 3,
          hiddenSize: 5,
          numLayers: 3,
          nonlinearity: 'relu',
          bidirectional: true,
          generator: g,
        }),
      );
      forward(x: Tensor): { output: Tensor; h: Tensor } {
        const { output, h } = this.rnn.forward(x);
        return { output, h };
      }
    }
    const module = new TimeMajor();
    module.eval();
    const {
      bytes,
      inputs: tmInputs,
      outputs,
    } = exportOnnxModel(module, randn([5, 2, 3], { generator: g }), {
      inputDims: [['time', 'batch', 3]],
    });
    assert.deepEqual(tmInputs[0]!.dims, ['time', 'batch', 3]);
    assert.deepEqual(
      outputs.map((o) => o.dims),
      [
        ['time', 'batch', 10],
        [6, 'batch', 5],
      ],
    );
    const session = await ort.InferenceSession.create(bytes);
    for (const [time, batch] of [
      [4, 3],
      [7, 1],
    ]) {
      const x = randn([time!, batch!, 3], { generator: g });
      const want = forward(module, [x]);
      const got = await session.run({ input: new ort.Tensor('float32', x.data, [...x.shape]) });
      for (const name of ['output', 'h'])
        assertClose(
          new Tensor(Float32Array.from(got[name]!.data as Float32Array), [...got[name]!.dims]),
          want[name]!,
          `time-major ${name} at time ${time}, batch ${batch}`,
        );
    }
  });

  test('an op without an ONNX form fails with the module path and the op named', () => {
    const g = new Generator(16);
    class PickArgmax extends nn.Module {
      forward(x: Tensor): Tensor {
        const picked = x.argmax(-1); // leaves the tensor graph
        return new Tensor(Float32Array.from(picked), [picked.length]);
      }
    }
    class Outer extends nn.Module {
      readonly encoder = this.registerModule(
        'encoder',
        new nn.GRU({ inputSize: 3, hiddenSize: 4, batchFirst: true, generator: g }),
      );
      readonly pick = this.registerModule('pick', new PickArgmax());
      forward(x: Tensor): Tensor {
        return this.pick.forward(this.encoder.forward(x).h.select(0, 0));
      }
    }
    assert.throws(
      () => exportOnnxModel(new Outer(), randn([2, 5, 3], { generator: g })),
      (e: unknown) =>
        e instanceof ExportError && e.modulePath === 'model.pick' && e.op === 'argmax' && /model\.pick/.test(e.message),
    );

    // An LSTM with a projection, two levels down.
    class Wrapper extends nn.Module {
      readonly inner = this.registerModule(
        'inner',
        new (class Inner extends nn.Module {
          readonly lstm = this.registerModule(
            'lstm',
            new nn.LSTM({ inputSize: 3, hiddenSize: 6, projSize: 2, batchFirst: true, generator: g }),
          );
          forward(x: Tensor): Tensor {
            return this.lstm.forward(x).output;
          }
        })(),
      );
      forward(x: Tensor): Tensor {
        return (this.inner as unknown as { forward(x: Tensor): Tensor }).forward(x);
      }
    }
    assert.throws(
      () => exportOnnxModel(new Wrapper(), randn([2, 5, 3], { generator: g })),
      (e: unknown) =>
        e instanceof ExportError &&
        e.modulePath === 'model.inner.lstm' &&
        e.op === 'recurrent' &&
        /projection/.test(e.message),
    );

    // A Keras-style layer that runs its per-step loop (hardSigmoid gates) is refused by name.
    layers.clearSession();
    const model = layers.sequential([
      layers.input({ shape: [null, 3] }),
      layers.gru({ units: 4, recurrentActivation: 'hardSigmoid', name: 'slow_gru', generator: g }),
    ]);
    assert.throws(
      () => exportOnnxModel(model, randn([2, 5, 3], { generator: g })),
      (e: unknown) => e instanceof ExportError && e.modulePath === 'model.slow_gru' && e.op === 'recurrent',
    );

    // inputDims must fit the example.
    assert.throws(
      () => exportOnnxModel(new Outer(), randn([2, 5, 3], { generator: g }), { inputDims: [['batch', 'time', 4]] }),
      (e: unknown) => e instanceof ValueError && /inputDims\[0\] is \[batch, time, 4\]/.test(e.message),
    );

    // A stateful layer would need state inputs (and tracing would advance its state).
    layers.clearSession();
    const stateful = layers.sequential([
      layers.input({ shape: [null, 3], batchSize: 2 }),
      layers.lstm({ units: 4, stateful: true, name: 'carry', generator: g }),
    ]);
    assert.throws(
      () => exportOnnxModel(stateful, randn([2, 5, 3], { generator: g })),
      (e: unknown) => e instanceof ExportError && e.modulePath === 'model.carry' && /stateful/.test(e.message),
    );

    // A mask (here from maskZero) is refused at the layer that reads it, padded example or not.
    layers.clearSession();
    const masked = layers.sequential([
      layers.input({ shape: [null] }),
      layers.embedding({ inputDim: 9, outputDim: 4, maskZero: true, generator: g }),
      layers.lstm({ units: 3, name: 'masked_lstm', generator: g }),
    ]);
    for (const example of [tensor([[1, 2, 0]]), tensor([[1, 2, 3]])])
      assert.throws(
        () => exportOnnxModel(masked, example),
        (e: unknown) => e instanceof ExportError && e.modulePath === 'model.masked_lstm' && e.op === 'mask',
      );
  });
});
