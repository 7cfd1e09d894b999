// Does the heat map (gradient × input, `relevanceMap`) point at the evidence? On a phantom run's test scans, where each
// lesion's position is known, ranks the lesion's patch in the relevance map of the model's answer to the lesion questions.
//   node --conditions=@umd/source --import tsx scripts/relevance-evidence.ts --run runs/phantom --model models/phantom
import { parseArgs } from 'node:util';

import { initRuntime } from '@umd/core';
import type { PhantomScene, VqaSample } from '@umd/data';
import { loadModelBundle, predictWithBundle } from '@umd/tasks';

import { loadTaskData } from '../src/datasets.js';
import { readPipelineState } from '../src/stages/pipeline-state.js';

const { values } = parseArgs({ options: { run: { type: 'string' }, model: { type: 'string' } } });
if (!values.run || !values.model) throw new Error('give --run (a phantom run folder) and --model (its exported bundle)');
await initRuntime({ onLog: () => undefined });
const state = await readPipelineState(values.run);
if (!state || state.config.data.dataset !== 'phantom') throw new Error(`${values.run}: not a phantom run folder`);
const data = await loadTaskData(state.config, undefined);
const lesionQuestion = (sample: VqaSample): boolean => {
  const lesion = (sample.source as PhantomScene | undefined)?.lesion;
  return !!lesion && (sample.question === 'Which organ contains the lesion?' || sample.question === `Is there a lesion in the ${lesion.organ}?`);
};
const samples = (data.test ?? []).filter((sample): sample is VqaSample => sample.task === 'vqa' && lesionQuestion(sample));
const bundle = await loadModelBundle(values.model);
const grid = bundle.config.model.vision.imageSize / bundle.config.model.vision.patchSize;
const L = grid * grid;
const patchOf = (scene: PhantomScene): number => {
  const cell = (value: number): number => Math.min(grid - 1, Math.max(0, Math.floor(((value + 1) / 2) * grid)));
  return cell(scene.lesion!.shape.y) * grid + cell(scene.lesion!.shape.x);
};
const ranks: { rank: number; shuffledRank: number; correct: boolean }[] = [];
for (let start = 0; start < samples.length; start += 32) {
  const chunk = samples.slice(start, start + 32);
  const predictions = await predictWithBundle(
    bundle,
    chunk.map((sample) => ({ image: sample.image, text: sample.question })),
    { topK: 1, relevance: true },
  );
  predictions.forEach((prediction, i) => {
    const order = prediction
      .relevance!.values.map((value, index) => [value, index] as const)
      .sort((a, b) => b[0] - a[0])
      .map(([, index]) => index);
    const sample = chunk[i]!;
    // Control: the lesion patch of another scan (same distribution of positions, unrelated to this image).
    const other = samples[(start + i + 7) % samples.length]!;
    ranks.push({
      rank: order.indexOf(patchOf(sample.source as PhantomScene)),
      shuffledRank: order.indexOf(patchOf(other.source as PhantomScene)),
      correct: prediction.ranked[0]!.name === sample.answer,
    });
  });
}
bundle.dispose();
const share = (rows: typeof ranks, k: number, key: 'rank' | 'shuffledRank'): string =>
  `${((100 * rows.filter((row) => row[key] < k).length) / Math.max(1, rows.length)).toFixed(1)}%`;
for (const [label, rows] of [
  ['all', ranks],
  ['answered correctly', ranks.filter((row) => row.correct)],
] as const) {
  console.log(
    `${label} (${rows.length} questions about a lesion, ${L} patches): lesion patch first ${share(rows, 1, 'rank')}, in the top 3 ${share(rows, 3, 'rank')}; ` +
      `another scan's lesion patch (control) first ${share(rows, 1, 'shuffledRank')}, top 3 ${share(rows, 3, 'shuffledRank')}; chance ${(100 / L).toFixed(1)}% / ${(300 / L).toFixed(1)}%`,
  );
}
