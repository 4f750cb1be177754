/**
 * The shapes view: reads the form, runs `unroll`, draws the diagram and fills the tables.
 * An invalid choice shows the library's own error message (ShapeError/ValueError) instead.
 */
import { formatShape, html } from '../svg.js';
import { drawUnrolled } from './diagram.js';
import { type Api, type CellFamily, unroll, type Unrolled, type UnrollSpec } from './unroll.js';

/** The diagram stays readable up to these sizes. */
const MAX_BATCH = 8;
const MAX_TIME = 16;

const byId = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
};

/** Lengths for `batch` sequences of up to `time` steps, deliberately not sorted: [7, 3, 5, 1]. */
export function defaultLengths(batch: number, time: number): number[] {
  const lengths = Array.from({ length: batch }, (_, b) => Math.max(1, time - Math.floor((b * time) / batch)));
  if (batch >= 3) [lengths[1], lengths[2]] = [lengths[2]!, lengths[1]!];
  return lengths;
}

function parseLengths(text: string): number[] {
  return text
    .split(/[\s,;]+/)
    .filter((s) => s !== '')
    .map(Number);
}

export function initShapes(): void {
  const form = byId<HTMLFormElement>('shape-form');
  const error = byId<HTMLParagraphElement>('shape-error');
  const diagram = byId<HTMLDivElement>('diagram');
  const sequences = byId<HTMLDivElement>('sequences');
  const input = (id: string) => byId<HTMLInputElement>(id);
  let selected = 0;
  let current: Unrolled | null = null;
  let renders = 0;

  const readSpec = (): UnrollSpec => {
    const api = (form.querySelector<HTMLInputElement>('input[name="api"]:checked')?.value ?? 'pytorch') as Api;
    const keras = api === 'keras';
    const cell = byId<HTMLSelectElement>('cell').value as CellFamily;
    const number = (id: string) => (input(id).value.trim() === '' ? NaN : Number(input(id).value));
    return {
      api,
      cell,
      inputSize: number('input-size'),
      hiddenSize: number('hidden-size'),
      // A Keras recurrent layer is one layer, batch-first, without projection.
      numLayers: keras ? 1 : number('layers'),
      projSize: keras || cell !== 'lstm' ? 0 : number('proj-size'),
      bidirectional: input('bidirectional').checked,
      batchFirst: keras ? true : input('batch-first').checked,
      returnSequences: input('return-sequences').checked,
      returnState: input('return-state').checked,
      batch: number('batch'),
      time: number('time'),
      lengths: input('use-lengths').checked ? parseLengths(input('lengths').value) : null,
    };
  };

  /** Shows only the options that apply to the chosen API and cell. */
  const syncControls = (spec: UnrollSpec) => {
    form.querySelectorAll<HTMLElement>('[data-api]').forEach((el) => (el.hidden = el.dataset['api'] !== spec.api));
    form.querySelectorAll<HTMLElement>('[data-cell]').forEach((el) => {
      if (el.dataset['api'] !== spec.api) return;
      el.hidden = el.dataset['cell'] !== spec.cell;
    });
    input('lengths').disabled = !input('use-lengths').checked;
  };

  const drawSequencePicker = (u: Unrolled) => {
    sequences.replaceChildren(
      ...u.lengths.map((length, b) => {
        const button = html(
          'button',
          {
            type: 'button',
            role: 'radio',
            'aria-checked': b === selected,
            'data-sequence': b,
            class: b === selected ? 'selected' : '',
          },
          html('span', { class: 'sequence-name' }, `[${b}]`),
          html(
            'span',
            { class: 'sequence-bar', 'aria-hidden': 'true' },
            ...Array.from({ length: u.spec.time }, (_, t) => html('i', { class: t < length ? 'valid' : 'padded' })),
          ),
          html('span', { class: 'sequence-length' }, `${length}`),
        );
        button.addEventListener('click', () => {
          selected = b;
          render();
        });
        return button;
      }),
    );
  };

  const fillTables = (u: Unrolled) => {
    const e = u.explanation;
    byId('layer-name').textContent = e.layer;
    const tensors = [e.input, ...e.outputs];
    byId('tensors').replaceChildren(
      html(
        'thead',
        {},
        html('tr', {}, html('th', {}, 'tensor'), html('th', {}, 'shape'), html('th', {}, 'dimensions')),
      ),
      ...tensors.map((t) =>
        html(
          'tbody',
          { 'data-tensor': t.name, 'data-shape': t.shape.join(',') },
          html(
            'tr',
            {},
            html('td', { class: 'name' }, t.name),
            html('td', { class: 'shape' }, formatShape(t.shape)),
            html('td', { class: 'dims' }, `(${t.dims.join(', ')})`),
          ),
          ...t.meaning.map((m) => html('tr', { class: 'meaning' }, html('td', { colspan: 3 }, m))),
        ),
      ),
    );
    byId('checks').replaceChildren(
      ...u.checks.map((c) =>
        html(
          'li',
          { class: c.holds ? 'holds' : 'fails', 'data-holds': c.holds },
          html('span', { class: 'mark', 'aria-label': c.holds ? 'yes' : 'no' }, c.holds ? '✓' : '✗'),
          html('span', {}, c.claim, c.reason ? html('span', { class: 'reason' }, ` — because ${c.reason}`) : null),
        ),
      ),
    );
    const D = u.directions;
    const name = (row: number) =>
      u.spec.api === 'keras' ? (D === 1 ? 'state_h' : row === 0 ? 'forward_h' : 'backward_h') : `h[${row}]`;
    byId('mapping').replaceChildren(
      html(
        'thead',
        {},
        html(
          'tr',
          {},
          html('th', {}, 'row'),
          ...u.lengths.map((len, b) => html('th', { class: b === selected ? 'selected' : '' }, `[${b}] len ${len}`)),
        ),
      ),
      html(
        'tbody',
        {},
        ...u.layers.flatMap((layer) =>
          layer.directions.map((run) =>
            html(
              'tr',
              { 'data-row': run.row },
              html(
                'th',
                {},
                name(run.row),
                html(
                  'span',
                  { class: 'row-meaning' },
                  ` layer ${run.layer}${D > 1 ? (run.direction ? ' ←' : ' →') : ''}`,
                ),
              ),
              ...run.finalStep.map((t, b) =>
                html(
                  'td',
                  {
                    class: `${run.direction ? 'reverse' : 'forward'}${b === selected ? ' selected' : ''}`,
                    'data-sequence': b,
                    'data-step': t,
                    title: `max |difference| ${run.difference[b]!.toExponential(1)}`,
                  },
                  t >= 0 ? `t=${t}` : 'none',
                ),
              ),
            ),
          ),
        ),
      ),
    );
    byId('parameter-count').textContent = `(${e.totalParameters.toLocaleString('en')})`;
    byId('parameters').replaceChildren(
      ...e.parameters.map((p) =>
        html(
          'tr',
          {},
          html('td', { class: 'name' }, p.name),
          html('td', { class: 'shape' }, formatShape(p.shape)),
          html('td', { class: 'count' }, p.count.toLocaleString('en')),
        ),
      ),
    );
  };

  const render = () => {
    const spec = readSpec();
    syncControls(spec);
    // Tests wait for this counter to move after changing an option.
    document.body.dataset['shapesRenders'] = String(++renders);
    try {
      if (spec.batch > MAX_BATCH)
        throw new RangeError(`the page draws at most ${MAX_BATCH} sequences (batch ${spec.batch})`);
      if (spec.time > MAX_TIME)
        throw new RangeError(`the page draws at most ${MAX_TIME} time steps (time ${spec.time})`);
      current = unroll(spec);
    } catch (e) {
      const err = e as Error;
      error.textContent = `${err.name}: ${err.message}`;
      error.hidden = false;
      diagram.classList.add('stale');
      return;
    }
    error.hidden = true;
    diagram.classList.remove('stale');
    selected = Math.min(selected, current.lengths.length - 1);
    drawSequencePicker(current);
    diagram.replaceChildren(drawUnrolled(current, selected));
    fillTables(current);
  };

  let pending = 0;
  const schedule = () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(render);
  };
  form.addEventListener('input', (event) => {
    const id = (event.target as HTMLElement).id;
    // New batch or time: fresh lengths that fit (the visitor can edit them afterwards).
    if (id === 'batch' || id === 'time' || id === 'use-lengths') {
      const batch = Number(input('batch').value);
      const time = Number(input('time').value);
      if (Number.isInteger(batch) && Number.isInteger(time) && batch >= 1 && time >= 1 && batch <= MAX_BATCH) {
        input('lengths').value = defaultLengths(batch, time).join(', ');
      }
    }
    schedule();
  });
  form.addEventListener('submit', (event) => event.preventDefault());
  render();
}
