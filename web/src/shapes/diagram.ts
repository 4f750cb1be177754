/**
 * Draws an unrolled recurrent network as SVG, from what `unroll` measured:
 *
 *            t=0     t=1     t=2  ...          final states
 *   output  [  ]    [  ]    [  ]              h[r]  c[r]
 *   layer 1 [→h] →  [→h] →  [→h]  ------------> h[2]
 *           [←h] ←  [←h] ←  [←h]  ------------> h[3]
 *   layer 0 ...
 *   input   [x0]    [x1]    [x2]
 *
 * Every layer/direction row has an arrow from the step its final state was found at to its row
 * of h; the output positions equal to a final state are outlined in that direction's colour.
 * Steps past the selected sequence's length are grey: the layer skips them.
 * Elements carry data-* attributes (step, row, padded, shape) for the end-to-end tests.
 */
import { formatShape, formatValue, svg } from '../svg.js';
import type { Unrolled } from './unroll.js';

const COL = 106;
const CELL_W = 76;
const CELL_H = 34;
const LEFT = 196;
const TOP = 64;
const ROW_GAP = 26;
const BLOCK_GAP = 44;
const STATE_W = 186;
const STATE_GAP = 14;

type RowKind = { kind: 'output' } | { kind: 'state'; layer: number; direction: number } | { kind: 'input' };
interface Row {
  kind: RowKind;
  y: number;
}

const DIRECTION_CLASS = ['forward', 'reverse'];

/** Keras names its returned states per direction. */
function stateName(u: Unrolled, which: 'h' | 'c', row: number): string {
  if (u.spec.api === 'pytorch') return `${which}[${row}]`;
  if (u.directions === 1) return `state_${which}`;
  return `${row === 0 ? 'forward' : 'backward'}_${which}`;
}

export function drawUnrolled(u: Unrolled, sequence: number): SVGSVGElement {
  const { spec } = u;
  const T = spec.time;
  const D = u.directions;
  const L = spec.numLayers;
  const length = u.lengths[sequence]!;
  const keras = spec.api === 'keras';
  const perStepOutput = !keras || spec.returnSequences;
  const hasC = u.shapes.c !== null;
  const batchIndex = spec.batchFirst ? ':, ' : '';

  // Rows from top to bottom.
  const rows: Row[] = [];
  let y = TOP;
  rows.push({ kind: { kind: 'output' }, y });
  y += CELL_H + BLOCK_GAP;
  for (let layer = L - 1; layer >= 0; layer--) {
    for (let direction = 0; direction < D; direction++) {
      rows.push({ kind: { kind: 'state', layer, direction }, y });
      y += CELL_H + (direction < D - 1 ? ROW_GAP : BLOCK_GAP);
    }
  }
  rows.push({ kind: { kind: 'input' }, y });
  const height = y + CELL_H + 40;
  const right = LEFT + T * COL + 44;
  const width = right + STATE_W + (hasC ? STATE_GAP + STATE_W : 0) + 16;
  const rowOf = (layer: number, direction: number) =>
    rows.find((r) => r.kind.kind === 'state' && r.kind.layer === layer && r.kind.direction === direction)!;
  const outputRow = rows[0]!;
  const inputRow = rows[rows.length - 1]!;
  const cellX = (t: number) => LEFT + t * COL + (COL - CELL_W) / 2;
  const centerX = (t: number) => LEFT + t * COL + COL / 2;
  const padded = (t: number) => t >= length;

  const root = svg('svg', {
    id: 'unrolled',
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'img',
    'aria-label': `${spec.cell.toUpperCase()} unrolled over ${T} steps, sequence ${sequence}`,
    'data-time': T,
    'data-layers': L,
    'data-directions': D,
    'data-sequence': sequence,
    'data-length': length,
  });
  root.append(
    svg(
      'defs',
      {},
      ...['forward', 'reverse', 'flow', 'muted'].map((name) =>
        svg(
          'marker',
          {
            id: `arrow-${name}`,
            viewBox: '0 0 10 10',
            refX: 9,
            refY: 5,
            markerWidth: 7,
            markerHeight: 7,
            orient: 'auto-start-reverse',
          },
          svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: `arrowhead ${name}` }),
        ),
      ),
      svg(
        'pattern',
        { id: 'hatch', width: 8, height: 8, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
        svg('line', { x1: 0, y1: 0, x2: 0, y2: 8, class: 'hatch-line' }),
      ),
    ),
  );

  // The padded region of the selected sequence, and its length marker.
  if (length < T) {
    root.append(
      svg('rect', {
        x: LEFT + length * COL,
        y: TOP - 14,
        width: (T - length) * COL,
        height: inputRow.y + CELL_H + 14 - (TOP - 14),
        class: 'padding-region',
      }),
    );
    root.append(
      svg('line', {
        x1: LEFT + length * COL,
        x2: LEFT + length * COL,
        y1: TOP - 46,
        y2: inputRow.y + CELL_H + 14,
        class: 'length-marker',
      }),
    );
    root.append(
      svg(
        'text',
        { x: LEFT + length * COL + 6, y: TOP - 36, class: 'length-label' },
        `lengths[${sequence}] = ${length}: steps ≥ ${length} skipped`,
      ),
    );
  }
  for (let t = 0; t < T; t++) {
    root.append(
      svg(
        'text',
        { x: centerX(t), y: TOP - 18, class: `time-label${padded(t) ? ' muted' : ''}`, 'text-anchor': 'middle' },
        `t=${t}`,
      ),
    );
  }

  // Row labels: what one step of each row is, with the real tensors' shapes.
  const label = (row: Row, title: string, detail: string) =>
    root.append(
      svg(
        'text',
        { x: 12, y: row.y + 14, class: 'row-label' },
        svg('tspan', { class: 'row-title' }, title),
        svg('tspan', { x: 12, dy: 16, class: 'row-shape' }, detail),
      ),
    );
  // Keras without returnSequences: the output's shape as explainRecurrent gives it.
  const kerasOutput = formatShape(u.explanation.outputs.find((o) => o.name === 'output')?.shape ?? []);
  if (perStepOutput)
    label(
      outputRow,
      `output[${batchIndex}t]`,
      `(batch, ${D > 1 ? 'D·' : ''}H_out) ${formatShape(u.shapes.outputStep)}`,
    );
  else label(outputRow, 'output', `last step only ${kerasOutput}`);
  for (const row of rows) {
    if (row.kind.kind !== 'state') continue;
    const { layer, direction } = row.kind;
    label(
      row,
      `layer ${layer} ${D > 1 ? (direction ? 'reverse ←' : 'forward →') : ''}`,
      `h_t (batch, H_out) ${formatShape(u.shapes.stateStep)}`,
    );
  }
  label(inputRow, `x[${batchIndex}t]`, `(batch, features) ${formatShape(u.shapes.xStep)}`);

  // Column groups (the D cells of one layer at one step) and the flow between layers.
  const flows = svg('g', { class: 'flows' });
  const cells = svg('g', { class: 'cells' });
  const paths = svg('g', { class: 'mappings' });
  root.append(flows, cells, paths);
  const arrow = (x1: number, y1: number, x2: number, y2: number, kind: string, muted: boolean) =>
    flows.append(
      svg('line', {
        x1,
        y1,
        x2,
        y2,
        class: `flow ${muted ? 'muted' : kind}`,
        'marker-end': `url(#arrow-${muted ? 'muted' : kind})`,
      }),
    );
  for (let t = 0; t < T; t++) {
    const x = centerX(t);
    const m = padded(t);
    // input -> layer 0 -> ... -> top layer -> output
    let below = inputRow.y;
    for (let layer = 0; layer < L; layer++) {
      const top = rowOf(layer, 0).y;
      const bottom = rowOf(layer, D - 1).y + CELL_H;
      cells.append(
        svg('rect', {
          x: cellX(t) - 6,
          y: top - 6,
          width: CELL_W + 12,
          height: bottom - top + 12,
          rx: 8,
          class: `group${m ? ' muted' : ''}`,
        }),
      );
      arrow(x, below, x, bottom + 7, 'flow', m);
      below = top - 6;
    }
    if (perStepOutput) arrow(x, below, x, outputRow.y + CELL_H + 1, 'flow', m);
  }

  // Input cells.
  for (let t = 0; t < T; t++) {
    const m = padded(t);
    cells.append(
      svg(
        'g',
        { 'data-cell': 'input', 'data-step': t, 'data-padded': m },
        svg('rect', {
          x: cellX(t),
          y: inputRow.y,
          width: CELL_W,
          height: CELL_H,
          rx: 6,
          class: `cell input${m ? ' padded' : ''}`,
        }),
        svg(
          'text',
          { x: centerX(t), y: inputRow.y + 21, 'text-anchor': 'middle', class: 'cell-text' },
          m ? 'pad' : `x${t}`,
        ),
        svg(
          'title',
          {},
          m
            ? `step ${t} is padding for sequence ${sequence} (length ${length})`
            : `x at step ${t}: ${formatShape(u.shapes.xStep)} (batch, features)`,
        ),
      ),
    );
  }

  // State cells, recurrent arrows, and the path of every final state to its row of h.
  for (const layerRun of u.layers) {
    for (const run of layerRun.directions) {
      const row = rowOf(run.layer, run.direction);
      const kind = DIRECTION_CLASS[run.direction]!;
      const final = run.finalStep[sequence]!;
      const cy = row.y + CELL_H / 2;
      for (let t = 0; t < T; t++) {
        const m = padded(t);
        const isFinal = t === final;
        cells.append(
          svg(
            'g',
            {
              'data-cell': 'state',
              'data-layer': run.layer,
              'data-direction': run.direction,
              'data-step': t,
              'data-padded': m,
              'data-final': isFinal,
            },
            svg('rect', {
              x: cellX(t),
              y: row.y,
              width: CELL_W,
              height: CELL_H,
              rx: 6,
              class: `cell ${kind}${m ? ' padded' : ''}${isFinal ? ' final' : ''}`,
            }),
            svg(
              'text',
              { x: centerX(t), y: row.y + 21, 'text-anchor': 'middle', class: 'cell-text' },
              m ? 'skip' : formatValue(run.firstFeature[sequence]![t]!),
            ),
            svg(
              'title',
              {},
              m
                ? `layer ${run.layer} ${kind}, step ${t}: skipped (sequence ${sequence} has ${length} steps); its output is 0`
                : `layer ${run.layer} ${kind}, state after step ${t}: ${formatShape(u.shapes.stateStep)}; first feature of sequence ${sequence}: ${formatValue(run.firstFeature[sequence]![t]!)}`,
            ),
          ),
        );
      }
      // Recurrent arrows between valid steps; the chain starts from h0 (zeros).
      const start = run.direction === 0 ? 0 : length - 1;
      const h0x = run.direction === 0 ? cellX(0) - 12 : cellX(start) + CELL_W + 12;
      flows.append(
        svg('circle', { cx: h0x, cy, r: 4, class: `h0 ${kind}` }, svg('title', {}, 'h0: the initial state (zeros)')),
      );
      for (let t = 1; t < length; t++) {
        if (run.direction === 0) arrow(cellX(t - 1) + CELL_W, cy, cellX(t) - 1, cy, kind, false);
        else arrow(cellX(t), cy, cellX(t - 1) + CELL_W + 1, cy, kind, false);
      }
      // The final state: from the step it equals to its row of h.
      const hx = right;
      if (final >= 0) {
        const lane = row.y - (run.direction === 0 ? 15 : 12);
        paths.append(
          svg('path', {
            d: `M ${centerX(final)} ${row.y} V ${lane} H ${hx - 16} V ${cy} H ${hx - 2}`,
            class: `mapping ${kind}`,
            'marker-end': `url(#arrow-${kind})`,
            'data-mapping': `${run.row}`,
            'data-step': final,
          }),
        );
      }
      const returned = !keras || spec.returnState;
      const hName = stateName(u, 'h', run.row);
      const values = run.hPreview[sequence]!.map(formatValue).join(' ') + '…';
      cells.append(
        svg(
          'g',
          {
            'data-state': 'h',
            'data-row': run.row,
            'data-final-step': final,
            'data-shape': u.shapes.stateStep.join(','),
            'data-returned': returned,
          },
          svg('rect', {
            x: hx,
            y: row.y,
            width: STATE_W,
            height: CELL_H,
            rx: 6,
            class: `state ${kind}${returned ? '' : ' not-returned'}`,
          }),
          svg(
            'text',
            { x: hx + 8, y: row.y + 14, class: 'state-title' },
            `${hName} `,
            svg('tspan', { class: 'state-shape' }, formatShape(u.shapes.stateStep)),
            final < 0 ? svg('tspan', { class: 'warning' }, ' ≠ any step') : null,
          ),
          svg(
            'text',
            { x: hx + 8, y: row.y + 28, class: 'state-values' },
            returned ? `[${sequence}] ${values}` : 'not returned (returnState: false)',
          ),
          svg(
            'title',
            {},
            `${hName}[${sequence}] equals ${final >= 0 ? `the state after step ${final} (max |difference| ${run.difference[sequence]!.toExponential(1)})` : 'no step'}`,
          ),
        ),
      );
      if (run.cPreview) {
        const cx = hx + STATE_W + STATE_GAP;
        const cName = stateName(u, 'c', run.row);
        cells.append(
          svg(
            'g',
            {
              'data-state': 'c',
              'data-row': run.row,
              'data-shape': u.shapes.c!.slice(1).join(','),
              'data-returned': returned,
            },
            svg('rect', {
              x: cx,
              y: row.y,
              width: STATE_W,
              height: CELL_H,
              rx: 6,
              class: `state cell-state${returned ? '' : ' not-returned'}`,
            }),
            svg(
              'text',
              { x: cx + 8, y: row.y + 14, class: 'state-title' },
              `${cName} `,
              svg('tspan', { class: 'state-shape' }, formatShape(u.shapes.c!.slice(1))),
            ),
            svg(
              'text',
              { x: cx + 8, y: row.y + 28, class: 'state-values' },
              returned ? `[${sequence}] ${run.cPreview[sequence]!.map(formatValue).join(' ')}…` : 'not returned',
            ),
            svg('title', {}, `${cName}: the cell state after the same step as ${hName}; it is never part of output`),
          ),
        );
      }
    }
  }

  // Output: per step (both directions side by side), or Keras' last step only.
  const top = u.layers[L - 1]!.directions;
  if (perStepOutput) {
    for (let t = 0; t < T; t++) {
      const zero = u.outputZero[sequence]![t]!;
      const m = padded(t);
      const group = svg('g', { 'data-cell': 'output', 'data-step': t, 'data-padded': m, 'data-zero': zero });
      const w = CELL_W / D;
      for (const run of top) {
        const x = cellX(t) + run.direction * w;
        const equals = run.finalStep[sequence] === t;
        const kind = DIRECTION_CLASS[run.direction]!;
        group.append(
          svg('rect', {
            x,
            y: outputRow.y,
            width: w,
            height: CELL_H,
            rx: 5,
            class: `cell output${m ? ' padded' : ''}${equals ? ` final ${kind}` : ''}`,
            ...(equals && { 'data-equals-row': run.row }),
          }),
          svg(
            'text',
            { x: x + w / 2, y: outputRow.y + 21, 'text-anchor': 'middle', class: `cell-text${D > 1 ? ' small' : ''}` },
            m ? '0' : formatValue(run.firstFeature[sequence]![t]!).slice(0, D > 1 ? 5 : 6),
          ),
        );
        if (equals)
          group.append(
            svg(
              'text',
              { x: x + w / 2, y: outputRow.y - 5, 'text-anchor': 'middle', class: `equals ${kind}` },
              `= ${stateName(u, 'h', run.row)}`,
            ),
          );
      }
      group.append(
        svg(
          'title',
          {},
          m
            ? `output at step ${t} of sequence ${sequence}: padding, ${zero ? 'exactly 0' : 'NOT 0'}`
            : `output at step ${t}: the top layer's state${D > 1 ? ' of both directions (forward first)' : ''}, ${formatShape(u.shapes.outputStep)}`,
        ),
      );
      cells.append(group);
    }
  } else {
    const w = STATE_W / D;
    const group = svg('g', { 'data-cell': 'output', 'data-keras-last': true });
    for (const run of top) {
      const kind = DIRECTION_CLASS[run.direction]!;
      const x = right + run.direction * w;
      group.append(
        svg('rect', {
          x,
          y: outputRow.y,
          width: w,
          height: CELL_H,
          rx: 5,
          class: `cell output final ${kind}`,
          'data-equals-row': run.row,
        }),
        svg(
          'text',
          { x: x + w / 2, y: outputRow.y + 21, 'text-anchor': 'middle', class: 'cell-text small' },
          `= ${stateName(u, 'h', run.row)}`,
        ),
      );
    }
    group.append(
      svg(
        'title',
        {},
        `returnSequences: false: output is the final state${D > 1 ? ' of both directions, concatenated' : ''}, ${kerasOutput}`,
      ),
    );
    cells.append(group);
    root.append(
      svg(
        'text',
        { x: LEFT, y: outputRow.y + 21, class: 'row-note' },
        'returnSequences: false, no output per step; output = the final state →',
      ),
    );
  }

  // Headers of the final-state columns: the whole tensors.
  const hHeader = keras ? (spec.returnState ? 'returned states' : 'final states') : `h ${formatShape(u.shapes.h)}`;
  root.append(svg('text', { x: right, y: TOP - 18, class: 'column-title' }, hHeader));
  if (!keras) root.append(svg('text', { x: right, y: TOP - 4, class: 'column-dims' }, '(layers·D, batch, H_out)'));
  if (hasC && !keras) {
    root.append(
      svg(
        'text',
        { x: right + STATE_W + STATE_GAP, y: TOP - 18, class: 'column-title' },
        `c ${formatShape(u.shapes.c!)}`,
      ),
    );
    root.append(
      svg('text', { x: right + STATE_W + STATE_GAP, y: TOP - 4, class: 'column-dims' }, '(layers·D, batch, H)'),
    );
  }
  return root;
}
