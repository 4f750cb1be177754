/** `recurrent train`: the main job. A thin shell over `trainTask`. */
import type { Command } from 'commander';
import { join } from 'node:path';
import { CELL_FAMILIES, type CellFamily } from '../families.js';
import { LR_SCHEDULES, type LrSchedule, trainTask } from '../tasks/run.js';
import { TASK_NAMES, TASKS, type TaskName } from '../tasks/registry.js';
import { createProgress } from './progress.js';
import { formatMetrics } from './metrics-table.js';
import { TOKEN_MODES, type TokenMode } from '../data/tokens.js';
import { beatsBaseline, type DataOptions } from '../tasks/task.js';
import { choice, integer, list, number } from './parse.js';

/** `--task` help: each task's name and what it learns. */
const taskHelp = () =>
  Object.values(TASKS)
    .map((t) => `${t.name}: ${t.description}`)
    .join('; ');

export function registerTrain(program: Command): void {
  const command = program
    .command('train')
    .description('train a sequence model on an embedded real data set (default: word -> language) or your own file')
    .option('--task <task>', taskHelp(), choice('task', TASK_NAMES), 'classify')
    .option(
      '--data <file>',
      'your own CSV, TSV or JSONL file, or any text file with a tab, comma, semicolon or bar between columns (formats: data/FORMATS.md)',
    )
    .option(
      '--columns <names>',
      "the file's columns for the task's, in order (names or 1-based positions), e.g. question,answer or 1,2; for numeric classify/tag in long format: ID,STEP,LABEL (the other numeric columns are the features)",
      list,
    )
    .option('--header', 'the first row names the columns (detected by default)')
    .option('--no-header', 'the first row is data: columns are taken by position (or --columns positions)')
    .option(
      '--input-tokens <mode>',
      'classify/tag text: chars | words | auto (default auto: characters unless values contain spaces)',
      choice('input-tokens', TOKEN_MODES),
    )
    .option('--source-tokens <mode>', 'seq2seq source: chars | words | auto', choice('source-tokens', TOKEN_MODES))
    .option('--target-tokens <mode>', 'seq2seq target: chars | words | auto', choice('target-tokens', TOKEN_MODES))
    .option('--split <fractions>', 'TRAIN,VALIDATION,TEST fractions of --data (default 0.8,0.1,0.1)')
    .option('--valid <file>', 'validation examples from this file instead of a cut of --data')
    .option('--test <file>', 'test examples from this file instead of a cut of --data')
    .option('--target <column>', 'forecast: the column to forecast (the other numeric columns are covariates)')
    .option(
      '--budget <minutes>',
      'train for this wall-clock time: learning rate warmed up then annealed to the deadline, best validated model kept (epochs and early stopping then only when given)',
      number('budget', 0),
    )
    .option('--cell <cell>', 'lstm | gru | rnn (default depends on the task)', choice('cell', CELL_FAMILIES))
    .option('--hidden <n>', 'hidden size', integer('hidden', 1))
    .option('--layers <n>', 'stacked recurrent layers', integer('layers', 1))
    .option('--bidirectional', 'read sequences in both directions')
    .option('--no-bidirectional', 'read sequences forward only')
    .option('--dropout <p>', 'dropout between layers and before the head', number('dropout', 0, 1))
    .option('--epochs <n>', 'most epochs (early stopping may end sooner)', integer('epochs', 1))
    .option('--batch-size <n>', 'examples per batch', integer('batch-size', 1))
    .option('--lr <x>', 'Adam learning rate', number('lr', 0))
    .option('--clip-norm <x>', 'clip the global gradient norm (0 = off)', number('clip-norm', 0))
    .option(
      '--patience <n>',
      'early stopping: epochs without validation improvement (default 4)',
      integer('patience', 1),
    )
    .option(
      '--schedule <name>',
      'learning rate over the epochs: plateau (halved after an epoch without validation improvement) | cosine (down to 0 at the last epoch) (default plateau)',
      choice('schedule', LR_SCHEDULES),
    )
    .option('--max-train <n>', 'use at most this many training examples (0 = all)', integer('max-train', 0))
    .option('--seed <n>', 'seed: same seed, same model', integer('seed', 0), 0)
    .option('--out <dir>', 'model directory (default runs/<task>)')
    .option(
      '--resume <dir>',
      'continue the interrupted run in this model directory from its last checkpoint (bit-identical to an uninterrupted run; a budgeted run continues with the time left)',
    )
    .option('--json', 'print one JSON line with the final metrics instead of text');
  // Each task's own options, e.g. forecast's --season; trainTask refuses them for another task.
  for (const task of Object.values(TASKS)) {
    for (const option of task.options)
      command.option(`--${option.flag} <value>`, `${task.name} only: ${option.description}`, option.parse);
  }
  command.action(async (opts: Record<string, unknown>) => {
    const json = Boolean(opts['json']);
    const progress = createProgress(json ? 'silent' : process.stderr.isTTY ? 'tty' : 'plain');
    let stop = false;
    const onSigint = () => {
      if (stop) process.exit(130);
      stop = true;
      progress.stop();
      process.stderr.write(
        '\nstopping after this batch and saving the model trained so far (Ctrl-C again to quit now)\n',
      );
    };
    process.on('SIGINT', onSigint);
    const task = opts['task'] as TaskName;
    const taskOptions = Object.fromEntries(
      Object.values(TASKS)
        .flatMap((t) => t.options)
        .map((o) => [o.key, opts[o.flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())]] as const)
        .filter(([, value]) => value !== undefined),
    );
    const tokens = {
      ...(opts['inputTokens'] !== undefined && { input: opts['inputTokens'] as TokenMode }),
      ...(opts['sourceTokens'] !== undefined && { source: opts['sourceTokens'] as TokenMode }),
      ...(opts['targetTokens'] !== undefined && { target: opts['targetTokens'] as TokenMode }),
    };
    const dataOptions: DataOptions = {
      ...(opts['header'] !== undefined && { header: opts['header'] as boolean }),
      ...(opts['columns'] !== undefined && { columns: opts['columns'] as string[] }),
      ...(Object.keys(tokens).length > 0 && { tokens }),
      ...(opts['split'] !== undefined && { split: opts['split'] as string }),
      ...(opts['valid'] !== undefined && { valid: opts['valid'] as string }),
      ...(opts['test'] !== undefined && { test: opts['test'] as string }),
      ...(opts['target'] !== undefined && { target: opts['target'] as string }),
    };
    let budgeted = opts['budget'] !== undefined;
    const outcome = await trainTask(
      {
        task,
        ...(Object.keys(dataOptions).length > 0 && { dataOptions }),
        ...(opts['budget'] !== undefined && { budget: opts['budget'] as number }),
        ...(opts['data'] !== undefined && { data: opts['data'] as string }),
        ...(Object.keys(taskOptions).length > 0 && { taskOptions }),
        ...(opts['cell'] !== undefined && { cell: opts['cell'] as CellFamily }),
        ...(opts['hidden'] !== undefined && { hiddenSize: opts['hidden'] as number }),
        ...(opts['layers'] !== undefined && { numLayers: opts['layers'] as number }),
        ...(opts['bidirectional'] !== undefined && { bidirectional: opts['bidirectional'] as boolean }),
        ...(opts['dropout'] !== undefined && { dropout: opts['dropout'] as number }),
        ...(opts['epochs'] !== undefined && { epochs: opts['epochs'] as number }),
        ...(opts['batchSize'] !== undefined && { batchSize: opts['batchSize'] as number }),
        ...(opts['lr'] !== undefined && { lr: opts['lr'] as number }),
        ...(opts['clipNorm'] !== undefined && { clipNorm: opts['clipNorm'] as number }),
        ...(opts['patience'] !== undefined && { patience: opts['patience'] as number }),
        ...(opts['schedule'] !== undefined && { schedule: opts['schedule'] as LrSchedule }),
        ...(opts['maxTrain'] !== undefined && { maxTrainExamples: opts['maxTrain'] as number }),
        seed: opts['seed'] as number,
        out: (opts['resume'] as string | undefined) ?? (opts['out'] as string | undefined) ?? join('runs', task),
        resume: opts['resume'] !== undefined,
      },
      {
        onNotice: (message) => {
          if (!json) process.stderr.write(`${message}\n`);
        },
        onStart: (info) => {
          budgeted = info.budgetSeconds !== undefined; // also a resumed budgeted run
          if (json) return;
          const length =
            info.budgetSeconds !== undefined
              ? `a budget of ${(info.budgetSeconds / 60).toFixed(1)} min (passes of ${info.stepsPerEpoch} steps, validated in rounds)`
              : `up to ${info.epochs} epochs of ${info.stepsPerEpoch} steps`;
          process.stderr.write(
            `recurrent train --task ${info.task}: ${info.summary}\nmodel: ${info.parameters} parameters; ${length}\n`,
          );
          progress.start(info.budgetSeconds !== undefined ? 0 : info.epochs, info.stepsPerEpoch);
        },
        onStep: (info) => progress.step(info),
        onEpoch: (info) => progress.epoch(info),
        stopRequested: () => stop,
      },
    );
    process.off('SIGINT', onSigint);
    progress.stop();
    const { evaluation } = outcome;
    if (json) {
      process.stdout.write(
        `${JSON.stringify({ task: outcome.task, metrics: evaluation.metrics, baseline: evaluation.baseline, baselineName: evaluation.baselineName, ...(evaluation.reference && { reference: evaluation.reference }), beatsBaseline: beatsBaseline(evaluation), epochs: outcome.epochsRun, interrupted: outcome.interrupted, seconds: Number(outcome.seconds.toFixed(2)), out: outcome.out })}\n`,
      );
      return;
    }
    const lines = [
      formatMetrics(
        `\ntest metrics (${outcome.epochsRun} ${budgeted ? 'rounds' : 'epochs'}, ${outcome.seconds.toFixed(1)} s${outcome.interrupted ? ', interrupted' : ''}):`,
        evaluation,
      ),
    ];
    lines.push(
      `model saved to ${outcome.out}/ (config.json, weights.safetensors); report: ${join(outcome.out, 'report.html')}`,
    );
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}
