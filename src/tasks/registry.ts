/**
 * The task registry: every task `recurrent train`/`predict`/`export` knows, listed once.
 * `TaskName` and `TASK_NAMES` derive from it; the CLI, the model directory, the report and the
 * ONNX export look tasks up here. A new task: its file with one `TaskDefinition` (see task.ts)
 * and one line below.
 */
import { ValueError } from '../errors.js';
import { classifyTask } from './classify.js';
import { forecastTask } from './forecast.js';
import { generateTask } from './generate.js';
import { seq2seqTask } from './seq2seq.js';
import { tagTask } from './tag.js';
import type { TaskDefinition } from './task.js';

export const TASKS = {
  classify: classifyTask,
  tag: tagTask,
  seq2seq: seq2seqTask,
  forecast: forecastTask,
  generate: generateTask,
} as const satisfies Record<string, TaskDefinition>;

export type TaskName = keyof typeof TASKS;
export const TASK_NAMES = Object.keys(TASKS) as TaskName[];

/** Whether `name` names a registered task. */
export function isTaskName(name: unknown): name is TaskName {
  return typeof name === 'string' && Object.hasOwn(TASKS, name);
}

/** The task called `name`; throws a ValueError naming `where` and the known tasks. */
export function getTask(name: unknown, where = 'train'): TaskDefinition {
  if (!isTaskName(name))
    throw new ValueError(where, `--task must be one of ${TASK_NAMES.join(', ')}, got ${String(name)}`);
  return TASKS[name];
}
