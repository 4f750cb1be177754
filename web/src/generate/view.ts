/** The text-generation view: the form, the worker, live numbers, the chart and the samples. */
import { html } from '../svg.js';
import { LossChart } from '../train/chart.js';
import type { CellFamily } from '../shapes/unroll.js';
import { CORPUS_NOTE } from './corpus.js';
import type { LmConfig, LmWorkerToPage, PageToLmWorker, SampleRequest } from './protocol.js';

const TIMING_WINDOW = 20;
const SAMPLES_SHOWN = 6;

const byId = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
};

export function initGenerate(): void {
  const form = byId<HTMLFormElement>('lm-form');
  const startButton = byId<HTMLButtonElement>('lm-start');
  const pauseButton = byId<HTMLButtonElement>('lm-pause');
  const prompt = byId<HTMLInputElement>('lm-prompt');
  const temperature = byId<HTMLInputElement>('lm-temperature');
  const samples = byId<HTMLOListElement>('lm-samples');
  const note = byId<HTMLParagraphElement>('lm-note');
  // The chart reads bits per character; log2 of the vocabulary size is a uniform guess (about 6.2 here).
  const chart = new LossChart(byId('lm-chart'), { value: Math.log2(73), label: 'log2 73 = 6.19 bits (uniform guess)' });
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  const send = (message: PageToLmWorker) => worker.postMessage(message);
  const recent: { milliseconds: number; characters: number }[] = [];
  let state: 'idle' | 'running' | 'paused' = 'idle';

  const setState = (next: typeof state) => {
    state = next;
    startButton.textContent = next === 'idle' ? 'Train' : 'Restart';
    pauseButton.disabled = next === 'idle';
    pauseButton.textContent = next === 'paused' ? 'Resume' : 'Pause';
    document.body.dataset['generating'] = next;
  };
  const readConfig = (): LmConfig => {
    const number = (id: string) => Number(byId<HTMLInputElement>(id).value);
    return {
      cell: byId<HTMLSelectElement>('lm-cell').value as CellFamily,
      hiddenSize: number('lm-hidden'),
      batchSize: number('lm-batch'),
      bptt: number('lm-bptt'),
      learningRate: number('lm-lr'),
      seed: 0,
    };
  };
  const readSample = (): SampleRequest => ({
    prompt: prompt.value,
    temperature: Number(temperature.value),
    length: 240,
  });
  const showTemperature = () => (byId('lm-temperature-value').textContent = Number(temperature.value).toFixed(2));

  worker.addEventListener('message', (event: MessageEvent<LmWorkerToPage>) => {
    const m = event.data;
    switch (m.type) {
      case 'backend':
        byId('lm-backend').textContent = m.name;
        byId('lm-backend').title = m.note || `the ${m.name} backend`;
        break;
      case 'ready':
        note.textContent = `${m.description}: ${m.parameters.toLocaleString('en')} parameters; ${m.trainCharacters.toLocaleString('en')} training and ${m.heldOutCharacters.toLocaleString('en')} held-out characters, ${m.characters} in the vocabulary. Text: ${CORPUS_NOTE}.`;
        break;
      case 'step': {
        chart.addStep(m.step, m.bitsPerChar);
        recent.push({ milliseconds: m.milliseconds, characters: m.characters });
        if (recent.length > TIMING_WINDOW) recent.shift();
        const total = recent.reduce((s, r) => s + r.milliseconds, 0);
        const characters = recent.reduce((s, r) => s + r.characters, 0);
        byId('lm-step').textContent = String(m.step);
        byId('lm-epoch').textContent = m.epoch.toFixed(3);
        byId('lm-loss').textContent = m.bitsPerChar.toFixed(3);
        byId('lm-speed').textContent = Math.round((characters / total) * 1000).toLocaleString('en');
        break;
      }
      case 'validation':
        chart.addValidation(m.step, m.bitsPerChar);
        byId('lm-held-out').textContent = m.bitsPerChar.toFixed(3);
        byId('lm-held-out').dataset['bits'] = m.bitsPerChar.toFixed(4);
        break;
      case 'sample': {
        const item = html(
          'li',
          { 'data-step': m.step },
          html(
            'span',
            { class: 'sample-meta' },
            `step ${m.step}${m.bitsPerChar === null ? '' : `, held-out ${m.bitsPerChar.toFixed(2)} bits/char`}, temperature ${m.temperature.toFixed(2)}`,
          ),
          html('pre', { class: 'sample-text' }, html('b', {}, m.prompt), m.text),
        );
        samples.prepend(item);
        while (samples.children.length > SAMPLES_SHOWN) samples.lastElementChild!.remove();
        break;
      }
      case 'error':
        setState('idle');
        note.textContent = m.message;
        note.classList.add('error');
        break;
    }
  });
  worker.addEventListener('error', (event) => {
    note.textContent = `the language-model worker failed: ${event.message}`;
    note.classList.add('error');
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    chart.reset();
    recent.length = 0;
    samples.replaceChildren();
    note.classList.remove('error');
    send({ type: 'start', config: readConfig(), sample: readSample() });
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
  byId<HTMLButtonElement>('lm-sample').addEventListener('click', () => send({ type: 'sample', sample: readSample() }));
  temperature.addEventListener('input', showTemperature);
  temperature.addEventListener('change', () => send({ type: 'sample', sample: readSample() }));
  showTemperature();
  setState('idle');
}
