import path from 'node:path';

import { loadWordPieceTokenizer } from '@umd/data';
import { exportModelBundle, type ExportedModelBundle, type ModelCardSection } from '@umd/tasks';

import { StageInputError } from '../errors/stage-input-error.js';
import type { FinetuneResult } from '../stages/run-finetune-stage.js';
import type { EvaluateResult } from '../stages/run-evaluate-stage.js';
import { readPipelineState, type PipelineState } from '../stages/pipeline-state.js';
import { loadTaskData } from '../datasets.js';
import { writeBundleSamples, type BundleSample } from './write-bundle-samples.js';

/**
 * `umd-train export`: the tuned model of a run folder as a model bundle (`exportModelBundle` of @umd/tasks), its model
 * card filled from the run — data and config, the evaluated splits with their 95% intervals and floors.
 *
 * @throws StageInputError when the run has no complete finetune stage; ModelBundleError for a non-empty target
 */
export async function exportRun(options: {
  readonly run: string;
  readonly to: string;
  readonly float16?: boolean;
}): Promise<ExportedModelBundle & { readonly samples: readonly BundleSample[] }> {
  const run = path.resolve(options.run);
  const state = await readPipelineState(run);
  const finetune = state?.stages.finetune;
  const result = finetune?.status === 'complete' ? (finetune.result as FinetuneResult | undefined) : undefined;
  if (!state || !result?.checkpoint) throw new StageInputError('export', 'a tuned checkpoint', 'finetune', run);
  const { config } = state;
  const tokenizer =
    config.model.tokenizer === 'trained' ? await loadWordPieceTokenizer({ path: path.join(run, 'tokenizer.json') }) : await loadWordPieceTokenizer();
  const bundle = await exportModelBundle({
    checkpoint: path.join(run, result.checkpoint),
    tokenizer,
    to: options.to,
    ...(options.float16 ? { float16: true } : {}),
    ...(config.evaluate.answerChoices ? { answerChoices: true } : {}), // answers as the run's evaluation did
    card: { title: `UMD-TS ${config.name} (${config.data.dataset}, seed ${config.seed})`, sections: cardSections(state, run) },
  });
  // Synthetic data only: a few test scans to try the model on (real datasets' images stay with their datasets).
  const samples = config.data.dataset === 'phantom' ? await writeBundleSamples(bundle.dir, (await loadTaskData(config, undefined)).test ?? []) : [];
  return { ...bundle, samples };
}

function cardSections(state: PipelineState, run: string): ModelCardSection[] {
  const { config } = state;
  const evaluation = state.stages.evaluate?.status === 'complete' ? (state.stages.evaluate.result as EvaluateResult | undefined) : undefined;
  const { finetune } = config;
  const sections: ModelCardSection[] = [
    {
      heading: 'Training',
      body: [
        `- data: \`${config.data.dataset}\`${config.data.dataset === 'phantom' ? ' (synthetic phantom scans, for tests and demos)' : ` from \`${config.data.root}\``}; stages ${state.config.stages.join(' → ')}`,
        `- tuning: ${finetune.epochs} epochs, batch ${finetune.batchSize}, learning rate ${finetune.learningRate}, seed ${config.seed}; the checkpoint kept is the best on the validation split`,
        `- run folder: \`${run}\``,
        ...ensembleLine(state),
      ].join('\n'),
    },
  ];
  if (evaluation) {
    const lines = ['| split | samples | metric | value (95% CI) | text-only floor |', '|---|---:|---|---|---|'];
    for (const split of evaluation.splits) {
      for (const [name, metric] of Object.entries(split.metrics)) {
        const interval = metric.low === undefined || metric.high === undefined ? '' : ` (${percent(metric.low)}–${percent(metric.high)})`;
        const floor = name === 'overall' || name === 'accuracy' ? (split.floor ? `${percent(split.floor.value)} (${split.floor.name})` : '') : '';
        lines.push(`| ${split.split} | ${split.samples} | ${name} | ${percent(metric.value)}${interval} | ${floor} |`);
      }
    }
    sections.push({ heading: 'Evaluation', body: [...lines, '', ...evaluation.notes.map((note) => `- ${note}`)].join('\n') });
  }
  return sections;
}

const percent = (value: number): string => `${(100 * value).toFixed(1)}%`;

/** The card's note for a seed ensemble's run: a bundle holds one model, its first member. */
function ensembleLine(state: PipelineState): string[] {
  const result = state.stages.finetune?.result as FinetuneResult | undefined;
  if (!result?.members?.length) return [];
  const alone = result.best ? `; alone it scored ${(100 * result.best.metric).toFixed(1)}% on validation` : '';
  return [
    `- this bundle holds the first of the run's ${result.members.length + 1} ensemble members (\`finetune.members\`, seed ${state.config.seed})${alone}; the evaluated scores below are the whole ensemble's`,
  ];
}
