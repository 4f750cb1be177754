/**
 * `model.summary()`: Keras's table of layers, one row per layer:
 *
 *   Model: "functional"
 *   ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
 *   ┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
 *   ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
 *   │ input_layer (InputLayer)        │ (None, 10, 20)         │             0 │
 *   ├─────────────────────────────────┼────────────────────────┼───────────────┤
 *   │ simple_rnn (SimpleRNN)          │ (None, 10, 32)         │         1,696 │
 *   └─────────────────────────────────┴────────────────────────┴───────────────┘
 *    Total params: 1,696 (6.62 KB)
 *    Trainable params: 1,696 (6.62 KB)
 *    Non-trainable params: 0 (0.00 B)
 *
 * `None` is the batch, which any size fills. A sequential model leaves out its input layer; a
 * functional model whose graph is not a simple chain adds a "Connected to" column
 * (`layer[node][output]`). A layer with several outputs (returnState) lists one shape per line;
 * a layer applied more than once shows `multiple`. With `explain: true`, a "Shapes" section
 * names every output's dims and says how recurrent outputs map to time steps.
 */
import { ValueError } from '../errors.js';
import { Layer, type Arity } from './layer.js';
import type { Model } from './model.js';
import { RecurrentLayer } from './recurrent/base.js';
import { dimName, formatSymbolicShape, type SymbolicShape } from './shape.js';
import type { LayerNode } from './symbolic.js';
import { Bidirectional } from './wrappers.js';

export interface SummaryOptions {
  /** Print with console.log (default true), or give each line to a function, or false to only return the text. */
  print?: boolean | ((line: string) => void);
  /** Add a "Shapes" section naming each output's dims (default false). */
  explain?: boolean;
}

const thousands = (n: number) => n.toLocaleString('en-US');

/** Two decimals as Python's `'{:.2f}'` writes them (an exact half goes to the even digit: 6.625 -> 6.62). */
function twoDecimals(value: number): string {
  const scaled = value * 100;
  const floor = Math.floor(scaled);
  const rest = scaled - floor;
  const rounded = rest > 0.5 ? floor + 1 : rest < 0.5 ? floor : floor % 2 === 0 ? floor : floor + 1;
  return (rounded / 100).toFixed(2);
}

/** Keras's memory size: 8896 bytes -> `8.69 KB`. */
function memorySize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  for (const unit of units) {
    if (value / 1024 < 1) return `${twoDecimals(value)} ${unit}`;
    value /= 1024;
  }
  return `${twoDecimals(value)} TB`;
}

function shapeLines(shapes: readonly SymbolicShape[], single: boolean): string[] {
  if (single) return [formatSymbolicShape(shapes[0]!)];
  return shapes.map((s, i) => `${i === 0 ? '[' : ' '}${formatSymbolicShape(s)}${i === shapes.length - 1 ? ']' : ','}`);
}

/** Named dims of one output, with what it holds for recurrent layers. */
function explainOutputs(layer: Layer<Arity>, node: LayerNode): string[] {
  const named = (s: SymbolicShape, names: string[]) =>
    `(${s.map((d, i) => `${names[i] ?? dimName(s.length, i)}=${d ?? 'any'}`).join(', ')})`;
  const recurrent =
    layer instanceof RecurrentLayer ? layer : layer instanceof Bidirectional ? layer.forwardLayer : null;
  return node.outputs.map((t, i) => {
    const s = t.shape;
    if (!recurrent) return `${layer.name}[${i}] ${named(s, [])}`;
    const both = layer instanceof Bidirectional;
    const stateIndex = i - (both && (layer as Bidirectional).mergeMode === null ? 2 : 1);
    if (stateIndex >= 0) {
      const states = recurrent.stateCount;
      const which = ['h', 'c'][stateIndex % states]!;
      const direction = both
        ? stateIndex < states
          ? ' of the forward layer'
          : ' of the backward layer (its state after reading step 0)'
        : '';
      return `${layer.name}[${i}] ${named(s, ['batch', 'units'])}: final ${which}${direction}`;
    }
    if (recurrent.returnSequences) {
      const order =
        !both && recurrent.goBackwards
          ? '; reversed time: [:, 0] read the last input step'
          : '; [:, t] read input steps up to t';
      return `${layer.name}[${i}] ${named(s, ['batch', 'time', 'units'])}: h at every step${order}${both ? ' (backward half: steps from t on)' : ''}`;
    }
    return `${layer.name}[${i}] ${named(s, ['batch', 'units'])}: h after the last step (each sequence's last real step when masked)`;
  });
}

export function summary(model: Model<Arity>, options: SummaryOptions = {}): string {
  if (!model.hasGraph) {
    throw new ValueError(
      model.name,
      'is not built yet, so its shapes are unknown: give the first layer an inputShape, start with input({ shape }), or call the model on data first',
    );
  }
  const isSequential = model.className === 'Sequential';
  const nodes = new Set<LayerNode>([...model.inputs.map((t) => t.node), ...model.graphNodes()]);
  const nodesOf = (layer: Layer<Arity>) => layer.inboundNodes.filter((n) => nodes.has(n));
  const chain =
    model.inputs.length === 1 &&
    model.outputs.length === 1 &&
    model
      .graphNodes()
      .every(
        (n, i, all) =>
          n.inputs.length === 1 &&
          n.singleOutput &&
          n.inputs[0]!.node === (i === 0 ? model.inputs[0]!.node : all[i - 1]!),
      );
  const connected = !isSequential && !chain;
  const layers = model.layers;

  const header = ['Layer (type)', 'Output Shape', 'Param #', ...(connected ? ['Connected to'] : [])];
  const rows = layers.map((layer) => {
    const own = nodesOf(layer);
    const shapes =
      own.length === 1
        ? shapeLines(
            own[0]!.outputs.map((t) => t.shape),
            own[0]!.singleOutput,
          )
        : ['multiple'];
    const links = own.flatMap((n) =>
      n.inputs.map(
        (t, k, all) =>
          `${t.node.layer.name}[${(t.node.layer as Layer<Arity>).inboundNodes.indexOf(t.node)}][${t.index}]${k < all.length - 1 ? ',' : ''}`,
      ),
    );
    return [
      [`${layer.name} (${layer.className})`],
      shapes,
      [thousands(layer.countParams())],
      ...(connected ? [links.length ? links : ['-']] : []),
    ];
  });

  const minimum = [31, 22, 13, 20];
  const widths = header.map((h, c) =>
    Math.max(minimum[c]!, h.length, ...rows.flatMap((r) => r[c]!.map((line) => line.length))),
  );
  const rightAligned = (c: number) => c === 2;
  const pad = (text: string, c: number) => (rightAligned(c) ? text.padStart(widths[c]!) : text.padEnd(widths[c]!));
  const rule = (left: string, fill: string, mid: string, right: string) =>
    left + widths.map((w) => fill.repeat(w + 2)).join(mid) + right;
  const line = (cells: string[], edge: string) => edge + cells.map((t, c) => ` ${pad(t, c)} `).join(edge) + edge;

  const out: string[] = [
    `Model: "${model.name}"`,
    rule('┏', '━', '┳', '┓'),
    line(header, '┃'),
    rule('┡', '━', '╇', '┩'),
  ];
  rows.forEach((cells, r) => {
    const height = Math.max(...cells.map((c) => c.length));
    for (let k = 0; k < height; k++)
      out.push(
        line(
          cells.map((c) => c[k] ?? ''),
          '│',
        ),
      );
    out.push(r === rows.length - 1 ? rule('└', '─', '┴', '┘') : rule('├', '─', '┼', '┤'));
  });
  if (rows.length === 0) out.push(rule('└', '─', '┴', '┘'));
  const params = [...new Set(model.parameters())];
  const total = params.reduce((n, p) => n + p.size, 0);
  const trainable = params.filter((p) => p.requiresGrad).reduce((n, p) => n + p.size, 0);
  out.push(
    ` Total params: ${thousands(total)} (${memorySize(total * 4)})`,
    ` Trainable params: ${thousands(trainable)} (${memorySize(trainable * 4)})`,
    ` Non-trainable params: ${thousands(total - trainable)} (${memorySize((total - trainable) * 4)})`,
  );
  if (options.explain) {
    out.push(' Shapes (any = the batch, known when data arrives):');
    for (const layer of layers)
      for (const node of nodesOf(layer)) for (const text of explainOutputs(layer, node)) out.push(`   ${text}`);
  }
  const text = out.join('\n');
  const print = options.print ?? true;
  if (print === true) console.log(text);
  else if (typeof print === 'function') out.forEach((l) => print(l));
  return text;
}
