/** The training view: the form, the worker, the live numbers, the chart and the predictions. */
import { html } from '../svg.js';
import { LossChart } from './chart.js';
import {
  LANGUAGE_NAMES,
  type PageToWorker,
  type Probability,
  type TrainConfig,
  type WorkerToPage,
} from './protocol.js';
import type { CellFamily } from '../shapes/unroll.js';

const EXAMPLES = [
  'zusammenarbeit',
  'przepraszam',
  'bibliothèque',
  'mañana',
  'gezellig',
  'buongiorno',
  'obrigado',
  'thoughtful',
];
const TIMING_WINDOW = 20;

const byId = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
};

export function initTraining(): void {
  const form = byId<HTMLFormElement>('train-form');
  const startButton = byId<HTMLButtonElement>('train-start');
  const pauseButton = byId<HTMLButtonElement>('train-pause');
  const word = byId<HTMLInputElement>('word');
  const probabilities = byId<HTMLDivElement>('probabilities');
  const chart = new LossChart(byId('loss-chart'), { value: Math.log(8), label: 'ln 8 = 2.08 (uniform guess)' });
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  const send = (message: PageToWorker) => worker.postMessage(message);
  const recent: { milliseconds: number; words: number }[] = [];
  let state: 'idle' | 'running' | 'paused' = 'idle';

  const setState = (next: typeof state) => {
    state = next;
    startButton.textContent = next === 'idle' ? 'Train' : 'Restart';
    pauseButton.disabled = next === 'idle';
    pauseButton.textContent = next === 'paused' ? 'Resume' : 'Pause';
    document.body.dataset['training'] = next;
  };

  const readConfig = (): TrainConfig => {
    const number = (id: string) => Number(byId<HTMLInputElement>(id).value);
    return {
      cell: byId<HTMLSelectElement>('train-cell').value as CellFamily,
      hiddenSize: number('train-hidden'),
      embeddingDim: number('train-embedding'),
      bidirectional: byId<HTMLInputElement>('train-bidirectional').checked,
      batchSize: number('train-batch'),
      learningRate: number('train-lr'),
      wordsPerLanguage: number('train-words'),
      seed: 0,
    };
  };

  const showProbabilities = (text: string, list: Probability[]) => {
    if (list.length === 0) {
      probabilities.replaceChildren(html('p', { class: 'note' }, text.trim() ? 'no known characters' : 'type a word'));
      return;
    }
    const sorted = [...list].sort((a, b) => b.probability - a.probability);
    probabilities.replaceChildren(
      ...sorted.map((p, rank) => {
        const fill = html('i', {});
        fill.style.width = `${(p.probability * 100).toFixed(1)}%`;
        return html(
          'div',
          {
            class: `bar-row${rank === 0 ? ' best' : ''}`,
            'data-label': p.label,
            'data-probability': p.probability.toFixed(4),
          },
          html('span', { class: 'bar-name' }, `${LANGUAGE_NAMES[p.label] ?? p.label}`, html('code', {}, p.label)),
          html('span', { class: 'bar' }, fill),
          html('span', { class: 'bar-value' }, `${(p.probability * 100).toFixed(1)}%`),
        );
      }),
    );
    probabilities.dataset['text'] = text;
  };

  worker.addEventListener('message', (event: MessageEvent<WorkerToPage>) => {
    const m = event.data;
    switch (m.type) {
      case 'backend':
        byId('backend').textContent = m.name;
        byId('backend').title = m.note || `the ${m.name} backend`;
        byId('backend').dataset['backend'] = m.name;
        if (m.note) byId('backend').append(html('span', { class: 'backend-note' }, ` (${m.note})`));
        break;
      case 'ready':
        byId('data-note').textContent =
          `${m.description}: ${m.parameters.toLocaleString('en')} parameters; ${m.trainWords.toLocaleString('en')} training and ${m.validationWords} validation words, ${m.characters} characters in the vocabulary.`;
        break;
      case 'step': {
        chart.addStep(m.step, m.loss);
        recent.push({ milliseconds: m.milliseconds, words: m.words });
        if (recent.length > TIMING_WINDOW) recent.shift();
        const sorted = recent.map((r) => r.milliseconds).sort((a, b) => a - b);
        const median = sorted[Math.floor(sorted.length / 2)]!;
        const total = recent.reduce((s, r) => s + r.milliseconds, 0);
        const words = recent.reduce((s, r) => s + r.words, 0);
        byId('train-step').textContent = String(m.step);
        byId('train-epoch').textContent = m.epoch.toFixed(2);
        byId('train-loss').textContent = m.loss.toFixed(3);
        byId('step-time').textContent = `${median.toFixed(1)} ms`;
        byId('step-time').dataset['milliseconds'] = median.toFixed(3);
        byId('words-per-second').textContent = Math.round((words / total) * 1000).toLocaleString('en');
        break;
      }
      case 'validation':
        chart.addValidation(m.step, m.loss);
        byId('val-accuracy').textContent = `${(m.accuracy * 100).toFixed(1)}%`;
        byId('val-accuracy').dataset['accuracy'] = m.accuracy.toFixed(4);
        break;
      case 'prediction':
        if (m.text === word.value) showProbabilities(m.text, m.probabilities);
        break;
      case 'stopped':
        setState('paused');
        pauseButton.disabled = true;
        byId('data-note').append(` Stopped: ${m.reason}.`);
        break;
      case 'error':
        setState('idle');
        byId('data-note').textContent = m.message;
        byId('data-note').classList.add('error');
        break;
    }
  });
  worker.addEventListener('error', (event) => {
    byId('data-note').textContent = `the training worker failed: ${event.message}`;
    byId('data-note').classList.add('error');
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    chart.reset();
    recent.length = 0;
    byId('data-note').classList.remove('error');
    send({ type: 'predict', text: word.value });
    send({ type: 'start', config: readConfig() });
    setState('running');
  });
  pauseButton.addEventListener('click', () => {
    if (state === 'running') {
      send({ type: 'pause' });
      setState('paused');
    } else if (state === 'paused') {
      send({ type: 'resume' });
      setState('running');
    }
  });
  word.addEventListener('input', () => send({ type: 'predict', text: word.value }));
  byId('examples').replaceChildren(
    html('span', {}, 'try:'),
    ...EXAMPLES.map((example) => {
      const button = html('button', { type: 'button', class: 'chip' }, example);
      button.addEventListener('click', () => {
        word.value = example;
        send({ type: 'predict', text: example });
      });
      return button;
    }),
  );
  showProbabilities('', []);
  setState('idle');
}
