/**
 * Training progress on the terminal: a live bar (epoch, step, loss, ETA) on a TTY, plain lines
 * otherwise (logs, CI), and nothing with --json.
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

export function createProgress(mode: 'tty' | 'plain' | 'silent', write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Progress {
  if (mode === 'silent') return { start() {}, step() {}, epoch() {}, stop() {} };
  if (mode === 'plain') {
    let epochs = 0;
    return {
      start(total) { epochs = total; },
      step() {},
      epoch(info) {
        write(`epoch ${info.epoch}/${epochs}  train loss ${fmt(info.trainLoss)}  validation ${fmt(info.validation)}${info.improved ? ' *' : ''}  lr ${info.lr.toPrecision(3)}  ${info.seconds.toFixed(1)}s`);
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar({
    format: 'epoch {epoch}/{epochs} |{bar}| {value}/{total} steps  loss {loss}  ETA {eta_formatted}',
    hideCursor: true,
    clearOnComplete: true,
    stream: process.stderr,
  }, cliProgress.Presets.shades_classic);
  let epochs = 0;
  let running = false;
  return {
    start(total) { epochs = total; },
    step(info) {
      if (!running) {
        bar.start(info.stepsPerEpoch, 0, { epoch: info.epoch, epochs, loss: fmt(info.meanLoss) });
        running = true;
      }
      bar.update(info.step, { epoch: info.epoch, epochs, loss: fmt(info.meanLoss) });
    },
    epoch(info) {
      if (running) bar.stop();
      running = false;
      write(`epoch ${info.epoch}/${epochs}  train loss ${fmt(info.trainLoss)}  validation ${fmt(info.validation)}${info.improved ? ' *' : ''}  lr ${info.lr.toPrecision(3)}  ${info.seconds.toFixed(1)}s`);
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}
