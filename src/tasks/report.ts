/**
 * The training report: one self-contained HTML file (inline CSS and SVG, no scripts, no
 * network), with the metrics against the baseline, the loss curves and the task's plot.
 */
import { getTask } from './registry.js';
import type { Evaluation, ReportPlot } from './task.js';

export interface ReportInput {
  /** A registered task's name (its description heads the report). */
  task: string;
  summary: string;
  evaluation: Evaluation;
  trainLoss: number[];
  validation: number[];
  settings: Record<string, unknown>;
  seconds: number;
  interrupted: boolean;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(1) : Math.abs(v) >= 1 ? v.toFixed(3) : v.toFixed(4));
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];

/** A line chart as SVG: x positions are indices; null values leave gaps. */
function lineChart(
  title: string,
  xLabels: string[],
  lines: { name: string; values: (number | null)[] }[],
  yLabel: string,
): string {
  const width = 720,
    height = 300,
    left = 60,
    right = 20,
    top = 30,
    bottom = 40;
  const all = lines.flatMap((l) => l.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  if (all.length === 0) return `<p>${escape(title)}: no data</p>`;
  let min = Math.min(...all),
    max = Math.max(...all);
  if (min === max) {
    min -= 1;
    max += 1;
  }
  const n = Math.max(...lines.map((l) => l.values.length));
  const x = (i: number) => left + (n <= 1 ? 0 : (i / (n - 1)) * (width - left - right));
  const y = (v: number) => top + (1 - (v - min) / (max - min)) * (height - top - bottom);
  const paths = lines
    .map((line, k) => {
      let d = '';
      let pen = false;
      line.values.forEach((v, i) => {
        if (v === null || !Number.isFinite(v)) {
          pen = false;
          return;
        }
        d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
        pen = true;
      });
      const dots =
        line.values.length <= 60
          ? line.values
              .map((v, i) =>
                v === null
                  ? ''
                  : `<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.5" fill="${COLORS[k % COLORS.length]}"/>`,
              )
              .join('')
          : '';
      return `<path d="${d}" fill="none" stroke="${COLORS[k % COLORS.length]}" stroke-width="2"/>${dots}`;
    })
    .join('');
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const v = min + f * (max - min);
      return `<line x1="${left}" x2="${width - right}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/><text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`;
    })
    .join('');
  const every = Math.max(1, Math.ceil(n / 8));
  const xTicks = xLabels
    .map((label, i) =>
      i % every === 0 || i === n - 1
        ? `<text x="${x(i)}" y="${height - bottom + 16}" text-anchor="middle">${escape(label)}</text>`
        : '',
    )
    .join('');
  const legend = lines
    .map((l, k) => `<tspan fill="${COLORS[k % COLORS.length]}">■ ${escape(l.name)}</tspan>`)
    .join('  ');
  return `<figure><figcaption>${escape(title)}</figcaption><svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-size="11" font-family="sans-serif">
${ticks}<line x1="${left}" x2="${left}" y1="${top}" y2="${height - bottom}" stroke="#999"/>${paths}${xTicks}
<text x="${left}" y="16">${legend}</text><text transform="translate(14,${height / 2}) rotate(-90)" text-anchor="middle">${escape(yLabel)}</text></svg></figure>`;
}

function confusion(plot: Extract<ReportPlot, { kind: 'confusion' }>): string {
  const max = Math.max(1, ...plot.counts.flat());
  const head = `<tr><th>true \\ predicted</th>${plot.labels.map((l) => `<th>${escape(l)}</th>`).join('')}</tr>`;
  const rows = plot.counts
    .map(
      (row, i) =>
        `<tr><th>${escape(plot.labels[i]!)}</th>${row
          .map((v, j) => {
            const alpha = (v / max).toFixed(2);
            const color = i === j ? `rgba(31,119,180,${alpha})` : `rgba(214,39,40,${alpha})`;
            return `<td style="background:${color}">${v}</td>`;
          })
          .join('')}</tr>`,
    )
    .join('');
  return `<figure><figcaption>${escape(plot.title)}</figcaption><table class="grid">${head}${rows}</table></figure>`;
}

function table(title: string, columns: string[], rows: string[][]): string {
  return `<figure><figcaption>${escape(title)}</figcaption><table><tr>${columns.map((c) => `<th>${escape(c)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${escape(c)}</td>`).join('')}</tr>`).join('')}</table></figure>`;
}

function plotHtml(plot: ReportPlot): string {
  if (plot.kind === 'confusion') return confusion(plot);
  if (plot.kind === 'series') return lineChart(plot.title, plot.x, plot.lines, 'value');
  return table(plot.title, plot.columns, plot.rows);
}

export function renderReport(input: ReportInput): string {
  const { evaluation } = input;
  const reference = evaluation.reference;
  const metricRows = Object.keys(evaluation.metrics).map((name) => [
    name,
    fmt(evaluation.metrics[name]!),
    fmt(evaluation.baseline[name] ?? Number.NaN),
    ...(reference ? [fmt(reference.metrics[name] ?? Number.NaN)] : []),
  ]);
  const epochs = input.trainLoss.map((_, i) => String(i + 1));
  const lossLines = [
    { name: 'train loss', values: input.trainLoss },
    ...(input.validation.length ? [{ name: 'validation', values: input.validation }] : []),
  ];
  const primary = evaluation.primary;
  const model = evaluation.metrics[primary.name]!;
  const base = evaluation.baseline[primary.name]!;
  const better = primary.higherIsBetter ? model > base : model < base;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>recurrent train: ${escape(input.task)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:800px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f4f4f4}.grid td{min-width:2.5em;text-align:center}figure{margin:1.5em 0}figcaption{font-weight:600;margin-bottom:.4em}
.verdict{font-size:1.1em;padding:.5em;border-radius:4px;background:${better ? '#e6f4e6' : '#fbeaea'}}
</style></head><body>
<h1>recurrent train: ${escape(input.task)}</h1>
<p><i>${escape(getTask(input.task).description)}</i></p>
<p>${escape(input.summary)}</p>
<p class="verdict">${escape(primary.name)}: <b>${fmt(model)}</b> against ${fmt(base)} for the ${escape(evaluation.baselineName)} baseline (${primary.higherIsBetter ? 'higher' : 'lower'} is better): ${better ? 'the model beats the baseline' : 'the model does not beat the baseline'}.${input.interrupted ? ' Training was interrupted; this is the model trained so far.' : ''}</p>
${table('Test metrics', ['metric', 'model', evaluation.baselineName, ...(reference ? [reference.name] : [])], metricRows)}
${lineChart("Loss per epoch (validation: the task's validation metric)", epochs, lossLines, 'loss')}
${evaluation.plots.map(plotHtml).join('\n')}
${table('Settings', ['setting', 'value'], [...Object.entries(input.settings).map(([k, v]) => [k, String(v)]), ['seconds', input.seconds.toFixed(1)]])}
</body></html>
`;
}
