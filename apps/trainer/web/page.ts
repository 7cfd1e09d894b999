/**
 * The `umd-train serve` page: loads the model bundle at `model/` into tfjs (wasm backend, else cpu) in this tab, then answers
 * a question about a dropped, chosen or sample image with the top 5 classes and a relevance heat map. The server only
 * serves files; nothing is uploaded.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { batchMatMulGradient, tileGradient } from '@umd/core';
import { parseDicomWindow, type DicomWindow } from '@umd/data';
import { answerWithBundle, fetchModelBundle, type OpenedModelBundle } from '@umd/tasks';

import { drawHeatMap } from './heat-map.js';
import { prepareImage } from './prepare-image.js';

const element = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const status = element<HTMLParagraphElement>('model-status');
const errorBox = element<HTMLDivElement>('error');
const fileInput = element<HTMLInputElement>('image-file');
const dropZone = element<HTMLDivElement>('drop-zone');
const sampleRow = element<HTMLParagraphElement>('sample-row');
const sampleSelect = element<HTMLSelectElement>('sample');
const dicomControls = element<HTMLDivElement>('dicom-controls');
const windowPreset = element<HTMLSelectElement>('window-preset');
const customWindow = element<HTMLSpanElement>('custom-window');
const question = element<HTMLInputElement>('question');
const askButton = element<HTMLButtonElement>('ask-button');
const result = element<HTMLElement>('result');
const answersList = element<HTMLOListElement>('answers');
const heatMap = element<HTMLCanvasElement>('heat-map');
const timing = element<HTMLParagraphElement>('timing');

let bundle: OpenedModelBundle | undefined;
let chosen: { name: string; bytes: Uint8Array } | undefined;

function showError(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  errorBox.textContent = message;
  console.error(error);
}

/** tfjs' WebAssembly backend (served next to the page), or the plain JavaScript one where WebAssembly is unavailable. */
async function chooseBackend(): Promise<string> {
  setWasmPaths(new URL('wasm/', document.baseURI).href);
  try {
    if (await tf.setBackend('wasm')) return 'wasm';
  } catch (error) {
    console.warn('tfjs wasm backend unavailable, using cpu', error);
  }
  await tf.setBackend('cpu');
  return 'cpu';
}

async function loadModel(): Promise<void> {
  const backend = await chooseBackend();
  document.body.dataset['backend'] = backend;
  // As initRuntime does in Node: tfjs' gradients, then ours for matMul (broadcast batches) and tile.
  tf.registerGradient(batchMatMulGradient);
  tf.registerGradient(tileGradient);
  try {
    bundle = await fetchModelBundle('model/');
  } catch (error) {
    status.textContent = 'The model did not load.';
    showError(error);
    return;
  }
  const { task, image } = bundle.config;
  if (task.kind === 'retrieval') {
    status.textContent = `Model loaded in ${bundle.loadMs.toFixed(0)} ms: an image-text retrieval model. This page asks VQA and classification models; rank captions with \`umd-train predict --model <bundle> --image <file> --captions <file>\`.`;
    status.dataset['loaded'] = 'true';
    return;
  }
  const classes = task.kind === 'vqa' ? task.answers.length : task.labels.length;
  status.textContent = `Model loaded in ${bundle.loadMs.toFixed(0)} ms (tfjs ${backend} backend): ${task.kind === 'vqa' ? 'visual question answering' : 'image-text classification'}, ${classes} classes, ${image.size} px ${image.channels === 1 ? 'grey' : 'RGB'} input.`;
  status.dataset['loaded'] = 'true';
  status.dataset['loadMs'] = bundle.loadMs.toFixed(1);
  element<HTMLLabelElement>('question-label').textContent = task.kind === 'vqa' ? 'Question' : 'Text with the image (may be empty)';
  askButton.disabled = false;
}

async function loadSamples(): Promise<void> {
  const response = await fetch('samples/index.json').catch(() => undefined);
  if (!response?.ok) return;
  const samples = (await response.json()) as { file: string; question?: string }[];
  for (const sample of samples) {
    const option = document.createElement('option');
    option.value = sample.file;
    option.textContent = sample.question ? `${sample.file}: ${sample.question}` : sample.file;
    option.dataset['question'] = sample.question ?? '';
    sampleSelect.append(option);
  }
  sampleRow.hidden = samples.length === 0;
}

function choose(name: string, bytes: Uint8Array): void {
  chosen = { name, bytes };
  errorBox.textContent = '';
  const dicom = bytes.length > 132 && String.fromCharCode(...bytes.subarray(128, 132)) === 'DICM';
  dicomControls.hidden = !dicom;
}

function dicomWindow(): DicomWindow {
  if (windowPreset.value !== 'custom') return parseDicomWindow(windowPreset.value) ?? 'file';
  const center = Number(element<HTMLInputElement>('window-centre').value);
  const width = Number(element<HTMLInputElement>('window-width').value);
  if (!Number.isFinite(center) || !(width >= 1)) throw new Error(`DICOM window: centre ${center} and width ${width}: the width must be at least 1`);
  return { center, width };
}

async function ask(): Promise<void> {
  errorBox.textContent = '';
  if (!bundle) return;
  if (!chosen) {
    showError('Choose an image first (a file, a drop or a sample).');
    return;
  }
  askButton.disabled = true;
  const started = performance.now();
  try {
    const frame = Number(element<HTMLInputElement>('frame').value || 0);
    const prepared = await prepareImage(chosen.bytes, chosen.name, bundle.config.image, { window: dicomWindow(), frame });
    const answers = answerWithBundle(bundle, prepared.batch, [question.value], { topK: 5, relevance: true });
    answersList.replaceChildren(
      ...answers.ranked[0]!.map(({ name, probability }) => {
        const item = document.createElement('li');
        item.dataset['answer'] = name;
        item.dataset['probability'] = String(probability);
        const label = document.createElement('span');
        label.textContent = name;
        const meter = document.createElement('meter');
        meter.value = probability;
        meter.setAttribute('aria-label', `${name}: ${(100 * probability).toFixed(1)}%`);
        const percent = document.createElement('span');
        percent.textContent = `${(100 * probability).toFixed(1)}%`;
        item.append(label, meter, percent);
        return item;
      }),
    );
    const relevance = answers.relevance!;
    drawHeatMap(heatMap, prepared.picture, relevance.grid, relevance.values);
    heatMap.dataset['relevance'] = JSON.stringify(Array.from(relevance.values));
    const ms = performance.now() - started;
    timing.textContent = `Answered in ${ms.toFixed(0)} ms (image, model and relevance map, in this tab).`;
    timing.dataset['ms'] = ms.toFixed(1);
    result.hidden = false;
    result.dataset['answered'] = String(Number(result.dataset['answered'] ?? 0) + 1);
  } catch (error) {
    showError(error);
  } finally {
    askButton.disabled = false;
  }
}

fileInput.addEventListener('change', async () => {
  const file = fileInput.files?.[0];
  if (file) choose(file.name, new Uint8Array(await file.arrayBuffer()));
});
dropZone.addEventListener('dragover', (event) => {
  event.preventDefault();
  dropZone.classList.add('over');
});
dropZone.addEventListener('dragleave', () => dropZone.classList.remove('over'));
dropZone.addEventListener('drop', async (event) => {
  event.preventDefault();
  dropZone.classList.remove('over');
  const file = event.dataTransfer?.files[0];
  if (file) choose(file.name, new Uint8Array(await file.arrayBuffer()));
});
dropZone.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' || event.key === ' ') {
    event.preventDefault();
    fileInput.click();
  }
});
sampleSelect.addEventListener('change', async () => {
  const option = sampleSelect.selectedOptions[0];
  if (!option?.value) return;
  try {
    const response = await fetch(`samples/${encodeURIComponent(option.value)}`);
    if (!response.ok) throw new Error(`samples/${option.value}: HTTP ${response.status}`);
    choose(option.value, new Uint8Array(await response.arrayBuffer()));
    if (option.dataset['question']) question.value = option.dataset['question'];
  } catch (error) {
    showError(error);
  }
});
windowPreset.addEventListener('change', () => {
  customWindow.hidden = windowPreset.value !== 'custom';
});
element<HTMLFormElement>('ask').addEventListener('submit', (event) => {
  event.preventDefault();
  void ask();
});

void loadModel();
void loadSamples();
