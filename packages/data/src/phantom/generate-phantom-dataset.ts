import { InvalidConfigError, SeededRandom } from '@umd/core';

import type { CaptionSample, ClassificationSample, ImageSource, Sample, VqaSample } from '../sample.js';
import { phantomCaption, phantomQuestions } from './phantom-questions.js';
import { phantomOrgans, samplePhantomScene, type PhantomScene } from './phantom-scene.js';
import { renderPhantomScan } from './render-phantom-scan.js';

/** Splits of the phantom dataset. */
export type PhantomSplit = 'train' | 'validate' | 'test';

/** Options of {@link generatePhantomDataset}. */
export interface PhantomDatasetOptions<T extends Sample['task'] = Sample['task']> {
  /** Same seed, same dataset (images, captions, questions). */
  readonly seed: number;
  /** Images per split. Each image yields 1 caption, 1 classification and 4-7 VQA samples (see `tasks`). */
  readonly counts: Readonly<Record<PhantomSplit, number>>;
  /** Image side in pixels (square, grey). Default 64; at least 32, so small lesions stay visible. */
  readonly size?: number;
  /** Which samples to produce. Default all three: `['vqa', 'caption', 'classification']`. */
  readonly tasks?: readonly T[];
  /** Probability that an image has a lesion. Default 0.75. */
  readonly lesionProbability?: number;
}

/** The generated dataset: plain samples with in-memory images (`ImageSource` kind `pixels`). */
export interface PhantomDataset<S extends Sample = Sample> {
  readonly name: 'phantom';
  /** Always true: nothing in it is real patient data. */
  readonly synthetic: true;
  /** Per split, the samples of every requested task, grouped by image (an image's samples share one `image` object). */
  readonly splits: Readonly<Record<PhantomSplit, readonly S[]>>;
  /** Classification classes: `normal` and the five organs. */
  readonly labels: readonly string[];
}

const allTasks = ['vqa', 'caption', 'classification'] as const;
const splits: readonly PhantomSplit[] = ['train', 'validate', 'test'];

/**
 * Generates the phantom dataset: SYNTHETIC grey "scans" (an axial slice with body outline, lungs, heart, liver,
 * spleen and spine; CT-like or MRI-like contrast; at most one lesion with a size, side and brightness), each with a
 * caption, VQA pairs (closed: "Is there a lesion in the left lung?"; open: "Which organ contains the lesion?",
 * "What is the modality?", ...) and a classification label (the lesion's organ, or `normal`).
 *
 * Deterministic for a seed, and each image depends only on (seed, split, index), so changing one split's count does
 * not change the others. Answers depend on the image: a model that ignores it scores about as well as the
 * per-question majority answer (under 50%). Images follow the radiological convention: the patient's left is on the
 * image's right. Use it to smoke-test pipelines and models without downloading anything; it is not medical data.
 *
 * @throws InvalidConfigError naming the offending option
 */
export function generatePhantomDataset<T extends Sample['task'] = Sample['task']>(
  options: PhantomDatasetOptions<T>,
): PhantomDataset<Extract<Sample, { task: T }>> {
  const { seed, counts, size = 64, lesionProbability = 0.75 } = options;
  const tasks: readonly Sample['task'][] = options.tasks ?? allTasks;
  if (!Number.isFinite(seed)) throw new InvalidConfigError('seed', seed, 'a finite number');
  if (!Number.isInteger(size) || size < 32 || size > 1024) throw new InvalidConfigError('size', size, 'an integer from 32 to 1024 (pixels)');
  if (!(lesionProbability >= 0 && lesionProbability <= 1)) throw new InvalidConfigError('lesionProbability', lesionProbability, 'a number in [0, 1]');
  for (const split of splits) {
    const count = counts?.[split];
    if (!Number.isInteger(count) || count < 0) throw new InvalidConfigError(`counts.${split}`, count, 'an integer >= 0 (images)');
  }
  if (tasks.length === 0 || tasks.some((task) => !(allTasks as readonly string[]).includes(task))) {
    throw new InvalidConfigError('tasks', tasks, `a non-empty subset of ${allTasks.join(', ')}`);
  }
  const result = {} as Record<PhantomSplit, Sample[]>;
  for (const split of splits) {
    const samples: Sample[] = [];
    for (let index = 0; index < counts[split]; index++) samples.push(...phantomImageSamples(seed, split, index, size, lesionProbability, tasks));
    result[split] = samples;
  }
  return {
    name: 'phantom',
    synthetic: true,
    splits: result as Record<PhantomSplit, Extract<Sample, { task: T }>[]>,
    labels: ['normal', ...phantomOrgans],
  };
}

function phantomImageSamples(
  seed: number,
  split: PhantomSplit,
  index: number,
  size: number,
  lesionProbability: number,
  tasks: readonly Sample['task'][],
): Sample[] {
  const random = new SeededRandom(`phantom:${seed}:${split}:${index}`);
  const scene: PhantomScene = samplePhantomScene(random.fork('scene'), lesionProbability);
  const key = `phantom:seed=${seed}:split=${split}:index=${index}:size=${size}`;
  const image: ImageSource = { kind: 'pixels', width: size, height: size, channels: 1, data: renderPhantomScan(scene, size, random.fork('pixels')), key };
  const imageId = `phantom-${seed}-${split}-${index}`;
  const base = { dataset: 'phantom', split, image, imageId, source: scene } as const;
  const samples: Sample[] = [];
  if (tasks.includes('caption')) {
    samples.push({ ...base, id: `${imageId}-caption`, task: 'caption', caption: phantomCaption(scene) } satisfies CaptionSample);
  }
  if (tasks.includes('classification')) {
    const text = `Synthetic phantom ${scene.modality === 'ct' ? 'CT' : 'MRI'} scan.`;
    samples.push({ ...base, id: `${imageId}-class`, task: 'classification', text, label: scene.lesion?.organ ?? 'normal' } satisfies ClassificationSample);
  }
  if (tasks.includes('vqa')) {
    phantomQuestions(scene, random.fork('questions')).forEach((qa, k) => {
      samples.push({ ...base, id: `${imageId}-vqa-${k}`, task: 'vqa', ...qa } satisfies VqaSample);
    });
  }
  return samples;
}
