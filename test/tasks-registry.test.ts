/**
 * The task registry: names derive from it, the CLI lists every task and its own options, and
 * every registered task keeps the task contract end to end (load, save, rebuild from config.json,
 * predict, ONNX export), so a new entry is tested by adding it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { Command } from 'commander';
import { registerTrain } from '../src/cli/train-command.js';
import { ValueError } from '../src/errors.js';
import { loadOnnx } from '../src/onnx/graph.js';
import { exportTaskModel } from '../src/tasks/export-onnx.js';
import { loadPredictor, saveModelDirectory } from '../src/tasks/model-dir.js';
import { getTask, isTaskName, TASK_NAMES, TASKS } from '../src/tasks/registry.js';
import { trainTask } from '../src/tasks/run.js';
import type { TaskDefinition, TaskSettings } from '../src/tasks/task.js';
import { Generator } from '../src/tensor/random.js';
import { tempDir } from './temp-dir.js';

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const tasks: TaskDefinition[] = Object.values(TASKS);

describe('task registry', () => {
  test('TASK_NAMES are the registry keys, and each entry is registered under its own name', () => {
    assert.deepEqual(TASK_NAMES, Object.keys(TASKS));
    for (const name of TASK_NAMES) {
      assert.equal(TASKS[name].name, name);
      assert.ok(isTaskName(name));
    }
    assert.equal(isTaskName('toString'), false, 'inherited properties are not tasks');
    assert.throws(
      () => getTask('nope'),
      (e: unknown) =>
        e instanceof ValueError && TASK_NAMES.every((n) => e.message.includes(n)) && e.message.includes('nope'),
    );
  });

  test('`recurrent train` offers every task in its help and every task option once', () => {
    const program = new Command('recurrent');
    registerTrain(program);
    const train = program.commands.find((c) => c.name() === 'train')!;
    const help = train.helpInformation().replace(/\s+/g, ' ');
    for (const task of tasks) assert.ok(help.includes(`${task.name}: ${task.description}`), task.name);
    const flags = train.options.map((o) => o.long);
    assert.equal(new Set(flags).size, flags.length, `duplicate flags: ${flags.join(' ')}`);
    for (const option of tasks.flatMap((t) => t.options)) assert.ok(flags.includes(`--${option.flag}`), option.flag);
  });

  for (const task of tasks) {
    test(`${task.name}: load, save, rebuild from config.json, predict and export to ONNX`, () => {
      const settings: TaskSettings = {
        cell: 'gru',
        hiddenSize: 6,
        numLayers: 1,
        bidirectional: false,
        dropout: 0,
        batchSize: 16,
        maxTrainExamples: 200,
      };
      const prepared = task.load({ options: {} }, settings, new Generator(3));
      assert.equal(prepared.name, task.name);
      const artifacts = prepared.artifacts();
      assert.equal(artifacts.task, task.name);
      const dir = join(tempDir(`recurrent-task-${task.name}-`), 'model');
      saveModelDirectory(dir, prepared.model, artifacts);
      prepared.model.eval();
      const direct = task.predictor(prepared.model, artifacts);
      const restored = loadPredictor(dir);
      const lines = [...task.sampleInputs];
      const expected = direct.predict(lines);
      assert.ok(expected.length > 0);
      assert.deepEqual(
        restored.predict(lines),
        expected,
        'the model rebuilt by buildModel predicts as the trained one',
      );
      const text = restored.format(lines, false);
      assert.ok(text.endsWith('\n'));
      for (const line of restored.format(lines, true).trimEnd().split('\n'))
        assert.doesNotThrow(() => JSON.parse(line), line);

      const onnx = task.onnx;
      if ('unsupported' in onnx) return;
      const result = exportTaskModel(dir, onnx.graphs.length === 1 ? join(dir, 'out.onnx') : join(dir, 'onnx'));
      assert.equal(result.task, task.name);
      assert.equal(result.files.length, onnx.graphs.length);
      result.files.forEach((f, i) => {
        if (onnx.graphs.length > 1) assert.equal(basename(f.file), onnx.graphs[i]);
        assert.ok(existsSync(f.file) && f.bytes > 0, f.file);
        const graph = loadOnnx(f.file);
        assert.deepEqual(
          graph.inputs.map((v) => v.name),
          f.inputs.map((v) => v.name),
        );
      });
    });
  }

  test('a task option reaches its task through the CLI (forecast --input-length --horizon --season)', () => {
    const out = join(tempDir('recurrent-task-options-'), 'model');
    const r = spawnSync(
      process.execPath,
      [
        cli,
        'train',
        '--task',
        'forecast',
        '--input-length',
        '12',
        '--horizon',
        '6',
        '--season',
        '6',
        '--epochs',
        '1',
        '--hidden',
        '4',
        '--json',
        '--out',
        out,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as {
      modelConfig: { horizon: number };
      data: { inputLength: number; horizon: number; season: number };
    };
    assert.deepEqual(
      [config.data.inputLength, config.data.horizon, config.data.season, config.modelConfig.horizon],
      [12, 6, 6, 6],
    );
    const report = readFileSync(join(out, 'report.html'), 'utf8');
    assert.ok(report.includes(TASKS.forecast.description), 'the report names the task as the registry describes it');
    assert.match(report, /<td>season<\/td><td>6<\/td>/, "the task options are among the report's settings");
    assert.equal(
      loadPredictor(out).predict([Array.from({ length: 18 }, (_, i) => String(300 + i)).join(' ')]).length,
      6,
    );
  });

  test('a task option given to another task, or a bad value, is refused, naming it', async () => {
    const out = join(tempDir('recurrent-task-options-'), 'model');
    await assert.rejects(
      trainTask({ task: 'forecast', taskOptions: { season: 'twelve' }, epochs: 1, out }),
      (e: unknown) => e instanceof ValueError && /--season/.test(e.message),
    );
    await assert.rejects(
      trainTask({ task: 'classify', taskOptions: { season: 6 }, epochs: 1, out }),
      (e: unknown) => e instanceof ValueError && /season/.test(e.message) && /classify/.test(e.message),
    );
    const r = spawnSync(process.execPath, [cli, 'train', '--task', 'tag', '--season', '6', '--out', out], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /season/);
  });
});
