/**
 * An ensemble trained in parallel (seq2seq `--ensemble N --ensemble-training parallel`): each
 * member trains alone on its own worker thread (member-worker.ts runs `trainMember`, which builds
 * member k with the initial weights it has in the whole ensemble), checkpointing in
 * `<out>/member-<k>/checkpoint` so that `--resume` continues every member; their best weights are
 * then put into the whole model, which the run evaluates and saves as usual.
 *
 * The native kernels run on one thread per member while the members train: on 2 cores, two
 * members each with a second kernel thread only contend for the cores.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { getBackend } from '../backend/backend.js';
import { activeNativeAddon } from '../backend/native/index.js';
import { TrainingError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { Tensor } from '../tensor/tensor.js';
import type { EpochInfo, FitResult, StepInfo } from '../train/loop.js';
import type { TrainCallbacks, TrainOptions } from './run.js';

/** Where member k of an ensemble trained in parallel keeps its checkpoints. */
export function memberDirectory(out: string, member: number): string {
  return join(out, `member-${member}`);
}

/** What a member's worker posts: progress, and at the end its best weights and curves. */
export type MemberMessage =
  | { kind: 'step'; info: StepInfo }
  | { kind: 'epoch'; info: Omit<EpochInfo, 'state'> }
  | { kind: 'done'; weights: Record<string, { data: Float32Array; shape: number[] }>; result: FitResult };

/** The data a member's worker starts with. */
export interface MemberWorkerData {
  options: TrainOptions;
  /** The backend the run uses (the worker selects the same). */
  backend: string;
  /** A SharedArrayBuffer of one Int32: 1 asks the member to stop after its current step (Ctrl-C). */
  stop: SharedArrayBuffer;
  /** Whether the member posts its steps (member 0 only: they drive the progress bar). */
  steps: boolean;
}

/**
 * Trains `members` members of `model` (a whole ensemble, whose parameters are named
 * `member<k>.<name>`, as Seq2SeqEnsemble's) in parallel and loads their best weights into it.
 * Member 0's steps and rounds reach `onStep`/`onEpoch`; the others' rounds are notices. The
 * curves returned are the members' means over the rounds that all of them reached.
 */
export async function trainMembersInParallel(
  model: Module,
  members: number,
  options: TrainOptions & { out: string },
  callbacks: TrainCallbacks,
): Promise<FitResult> {
  const stop = new SharedArrayBuffer(4);
  const flag = new Int32Array(stop);
  const native = activeNativeAddon();
  const savedThreads = native?.configure({}).threads;
  native?.configure({ threads: 1 });
  const poll = setInterval(() => {
    if (callbacks.stopRequested?.()) Atomics.store(flag, 0, 1);
  }, 100);
  const workers: Worker[] = [];
  try {
    const trained = await Promise.all(
      Array.from({ length: members }, (_, k) => {
        const data: MemberWorkerData = {
          options: { ...options, member: k, out: memberDirectory(options.out, k) },
          backend: getBackend().name,
          stop,
          steps: k === 0,
        };
        const worker = new Worker(new URL('./member-worker.js', import.meta.url), { workerData: data });
        workers.push(worker);
        return new Promise<{ weights: Record<string, Tensor>; result: FitResult }>((resolve, reject) => {
          let finished = false;
          worker.on('message', (message: MemberMessage) => {
            if (message.kind === 'step') callbacks.onStep?.(message.info);
            else if (message.kind === 'epoch') {
              const info = message.info;
              if (k === 0) callbacks.onEpoch?.(info as EpochInfo);
              else
                callbacks.onNotice?.(
                  `member ${k + 1} of ${members}: ${options.budget === undefined ? 'epoch' : 'round'} ${info.epoch}  train loss ${info.trainLoss.toFixed(4)}  validation ${info.validation === null ? '-' : info.validation.toFixed(4)}${info.improved ? ' *' : ''}`,
                );
            } else {
              finished = true;
              const weights = Object.fromEntries(
                Object.entries(message.weights).map(([name, w]) => [name, new Tensor(w.data, w.shape)]),
              );
              resolve({ weights, result: message.result });
            }
          });
          worker.on('error', (error) => {
            finished = true;
            reject(error instanceof Error ? withMember(error, k, members) : new TrainingError(String(error)));
          });
          worker.on('exit', (code) => {
            if (!finished)
              reject(new TrainingError(`ensemble member ${k + 1} of ${members} stopped (exit code ${code})`));
          });
        });
      }),
    );
    const whole: Record<string, Tensor> = {};
    trained.forEach(({ weights }, k) => {
      for (const [name, value] of Object.entries(weights)) whole[`member${k}.${name}`] = value;
    });
    model.loadStateDict(whole);
    return meanCurves(trained.map((t) => t.result));
  } finally {
    clearInterval(poll);
    for (const worker of workers) void worker.terminate();
    if (savedThreads !== undefined) native?.configure({ threads: savedThreads });
  }
}

/** The error of member k, its message saying which member (the class is kept where it has one). */
function withMember(error: Error, k: number, members: number): Error {
  error.message = `ensemble member ${k + 1} of ${members}: ${error.message}`;
  return error;
}

/** The members' curves as one: the mean of each round that all of them reached. */
function meanCurves(results: readonly FitResult[]): FitResult {
  const mean = (pick: (r: FitResult) => number[]) => {
    const rounds = Math.min(...results.map((r) => pick(r).length));
    return Array.from({ length: rounds }, (_, i) => results.reduce((s, r) => s + pick(r)[i]!, 0) / results.length);
  };
  return {
    trainLoss: mean((r) => r.trainLoss),
    validation: mean((r) => r.validation),
    bestEpoch: null,
    stoppedEarly: results.every((r) => r.stoppedEarly),
    interrupted: results.some((r) => r.interrupted),
    epochsRun: Math.max(...results.map((r) => r.epochsRun)),
  };
}
