/**
 * Training progress on the terminal: a live bar (epoch, step, loss, ETA) on a TTY, plain lines
 * otherwise (logs, CI), and nothing with --json. Plain mode writes a line per epoch, and within a
 * long epoch a line with the step, loss and ETA every `plainInterval` milliseconds (default 10 s).
 */
import cliProgress from 'cli-progress';
import type { EpochInfo, StepInfo } from '../train/loop.js';

export interface Progress {
  start(epochs: number, stepsPerEpoch: number): void;
  step(info: StepInfo): void;
  epoch(info: EpochInfo): void;
  stop(): void;
}

const fmt = (v: number | null) => (v === null ? '-' : v.toFixed(4));

/** `4m05s` */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** `epoch 3/8`, or for a budgeted run (no epoch count) `round 3`. */
const epochOf = (epoch: number, epochs: number) => (epochs > 0 ? `epoch ${epoch}/${epochs}` : `round ${epoch}`);
/** `  left 4m05s` when a budget is running. */
const leftOf = (info: { secondsLeft?: number }) =>
  info.secondsLeft !== undefined ? `  left ${formatDuration(info.secondsLeft)}` : '';

export interface ProgressOptions {
  /** Where lines go (default: stderr). */
  write?: (line: string) => void;
  /** The clock, in milliseconds (default `performance.now`). */
  now?: () => number;
  /** Plain mode: least milliseconds between two step lines within an epoch (default 10,000). */
  plainInterval?: number;
}

export function createProgress(mode: 'tty' | 'plain' | 'silent', options: ProgressOptions = {}): Progress {
  const write = options.write ?? ((l: string) => process.stderr.write(`${l}\n`));
  if (mode === 'silent') return { start() {}, step() {}, epoch() {}, stop() {} };
  if (mode === 'plain') {
    const now = options.now ?? (() => performance.now());
    const interval = options.plainInterval ?? 10_000;
    let epochs = 0;
    let epochStarted = 0;
    let lastLine = 0;
    return {
      start(total) {
        epochs = total;
      },
      step(info) {
        const t = now();
        if (info.step === 1) {
          epochStarted = t;
          lastLine = t;
          return;
        }
        if (t - lastLine < interval || info.step >= info.stepsPerEpoch) return;
        lastLine = t;
        const eta = (((t - epochStarted) / (info.step - 1)) * (info.stepsPerEpoch - info.step)) / 1000; // timed from the end of step 1
        write(
          `${epochOf(info.epoch, epochs)}  step ${info.step}/${info.stepsPerEpoch}  loss ${fmt(info.meanLoss)}  ${info.secondsLeft !== undefined ? `lr ${info.lr.toPrecision(3)}${leftOf(info)}` : `ETA ${eta.toFixed(0)}s`}`,
        );
      },
      epoch(info) {
        write(
          `${epochOf(info.epoch, epochs)}  train loss ${fmt(info.trainLoss)}  validation ${fmt(info.validation)}${info.improved ? ' *' : ''}  lr ${info.lr.toPrecision(3)}  ${info.seconds.toFixed(1)}s${leftOf(info)}`,
        );
      },
      stop() {},
    };
  }
  // A budgeted run (epochs 0) shows the time left of the budget instead of the epoch's ETA.
  const makeBar = (budgeted: boolean) =>
    new cliProgress.SingleBar(
      {
        format: `{epoch} |{bar}| {value}/{total} steps  loss {loss}  ${budgeted ? 'left {left}' : 'ETA {eta_formatted}'}`,
        hideCursor: true,
        clearOnComplete: true,
        stream: process.stderr,
      },
      cliProgress.Presets.shades_classic,
    );
  let bar = makeBar(false);
  let epochs = 0;
  let running = false;
  return {
    start(total) {
      epochs = total;
      bar = makeBar(total === 0);
    },
    step(info) {
      const payload = {
        epoch: epochOf(info.epoch, epochs),
        loss: fmt(info.meanLoss),
        left: formatDuration(info.secondsLeft ?? 0),
      };
      if (!running) {
        bar.start(info.stepsPerEpoch, 0, payload);
        running = true;
      }
      bar.update(info.step, payload);
    },
    epoch(info) {
      if (running) bar.stop();
      running = false;
      write(
        `${epochOf(info.epoch, epochs)}  train loss ${fmt(info.trainLoss)}  validation ${fmt(info.validation)}${info.improved ? ' *' : ''}  lr ${info.lr.toPrecision(3)}  ${info.seconds.toFixed(1)}s${leftOf(info)}`,
      );
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}
