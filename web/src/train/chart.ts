/**
 * The live loss chart, drawn as SVG: the loss of every training step (thin), its exponential
 * moving average (thick), validation losses (dots) and a reference line (a uniform guess).
 * Redraws at most once per animation frame. The root carries data-* summaries for the tests.
 */
import { svg } from '../svg.js';

const WIDTH = 640;
const HEIGHT = 280;
const MARGIN = { left: 44, right: 16, top: 14, bottom: 30 };
const MAX_POINTS = 600;
const SMOOTHING = 0.95;

/** Round tick values: 1, 2 or 5 times a power of ten, about `count` of them over [0, max]. */
function ticks(max: number, count: number): number[] {
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = 0; v <= max + 1e-9; v += step) out.push(Number(v.toPrecision(6)));
  return out;
}

export class LossChart {
  private steps: number[] = [];
  private losses: number[] = [];
  private smoothed: number[] = [];
  private validation: { step: number; loss: number }[] = [];
  private pending = 0;

  constructor(
    private readonly container: HTMLElement,
    private readonly reference: { value: number; label: string },
  ) {
    this.draw();
  }

  reset(): void {
    this.steps = [];
    this.losses = [];
    this.smoothed = [];
    this.validation = [];
    this.schedule();
  }

  addStep(step: number, loss: number): void {
    const previous = this.smoothed[this.smoothed.length - 1];
    this.steps.push(step);
    this.losses.push(loss);
    this.smoothed.push(previous === undefined ? loss : SMOOTHING * previous + (1 - SMOOTHING) * loss);
    this.schedule();
  }

  addValidation(step: number, loss: number): void {
    this.validation.push({ step, loss });
    this.schedule();
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = 0;
      this.draw();
    });
  }

  private draw(): void {
    const n = this.losses.length;
    const lastStep = Math.max(50, this.steps[n - 1] ?? 0, ...this.validation.map((v) => v.step));
    const top = Math.max(this.reference.value * 1.15, ...this.validation.map((v) => v.loss), ...this.smoothed);
    const maxLoss = Math.min(top, this.reference.value * 2);
    const plotW = WIDTH - MARGIN.left - MARGIN.right;
    const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
    const x = (step: number) => MARGIN.left + (step / lastStep) * plotW;
    const y = (loss: number) => MARGIN.top + plotH - (Math.min(loss, maxLoss) / maxLoss) * plotH;
    const stride = Math.max(1, Math.ceil(n / MAX_POINTS));
    const line = (values: number[]) => {
      const points: string[] = [];
      for (let i = 0; i < n; i += stride) points.push(`${x(this.steps[i]!).toFixed(1)},${y(values[i]!).toFixed(1)}`);
      if (n > 0 && (n - 1) % stride !== 0)
        points.push(`${x(this.steps[n - 1]!).toFixed(1)},${y(values[n - 1]!).toFixed(1)}`);
      return points.join(' ');
    };
    const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN);

    const root = svg('svg', {
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      class: 'loss-chart',
      role: 'img',
      'aria-label': 'training loss by step',
      'data-steps': n,
      'data-first-loss': mean(this.losses.slice(0, 10)).toFixed(4),
      'data-recent-loss': mean(this.losses.slice(-10)).toFixed(4),
      'data-validation-points': this.validation.length,
    });
    const grid = svg('g', { class: 'grid' });
    for (const v of ticks(maxLoss, 5)) {
      grid.append(
        svg('line', { x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(v), y2: y(v) }),
        svg('text', { x: MARGIN.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, String(v)),
      );
    }
    for (const s of ticks(lastStep, 6)) {
      grid.append(
        svg('line', { x1: x(s), x2: x(s), y1: MARGIN.top, y2: MARGIN.top + plotH, class: 'vertical' }),
        svg('text', { x: x(s), y: HEIGHT - 10, 'text-anchor': 'middle' }, String(s)),
      );
    }
    grid.append(svg('text', { x: 4, y: HEIGHT - 10, class: 'axis-name' }, 'step'));
    root.append(grid);
    root.append(
      svg('line', {
        x1: MARGIN.left,
        x2: WIDTH - MARGIN.right,
        y1: y(this.reference.value),
        y2: y(this.reference.value),
        class: 'reference',
      }),
      svg(
        'text',
        { x: WIDTH - MARGIN.right - 4, y: y(this.reference.value) - 5, 'text-anchor': 'end', class: 'reference-label' },
        this.reference.label,
      ),
    );
    if (n > 0) {
      root.append(
        svg('polyline', { points: line(this.losses), class: 'raw' }),
        svg('polyline', { points: line(this.smoothed), class: 'smooth' }),
      );
    }
    for (const v of this.validation)
      root.append(
        svg(
          'circle',
          { cx: x(v.step), cy: y(v.loss), r: 3.5, class: 'validation' },
          svg('title', {}, `step ${v.step}: validation loss ${v.loss.toFixed(3)}`),
        ),
      );
    if (n === 0)
      root.append(
        svg(
          'text',
          { x: MARGIN.left + plotW / 2, y: MARGIN.top + plotH / 2, 'text-anchor': 'middle', class: 'empty' },
          'press Train',
        ),
      );
    this.container.replaceChildren(root);
  }
}
