import { readdir } from 'node:fs/promises';
import path from 'node:path';

import { runMrPretraining } from '@umd/mr-pretrain';

import { resolveMrPretrainConfig } from '../config/resolve-mr-pretrain-config.js';
import { loadPretrainCorpus } from '../datasets.js';
import { runStage, type StageOutcome } from './run-stage.js';
import { measurePretrainStep } from './measure-pretrain-step.js';
import type { StageContext } from './stage-context.js';
import { checkpointRecoveryLine } from './checkpoint-recovery-line.js';

/** What the pretrain stage records. Paths are relative to the output folder. */
export interface PretrainResult {
  /** The last checkpoint (student with heads, EMA teacher, optimizer); absent only when stopped before the first step. */
  readonly checkpoint?: string;
  readonly steps: number;
  readonly plannedSteps: number;
  /** `pretrain/metrics.jsonl`: one line per step, each term and the total. */
  readonly metrics: string;
  /** The newest reconstruction grid PNG, if any. */
  readonly picture?: string;
  readonly corpus: string;
  /** The corpus records skipped (missing images or fields), one line per reason with the files and records. */
  readonly skipped?: readonly string[];
  readonly objectives: 'data-level' | 'full';
  /** Why it ended: the step count, or the time budget. */
  readonly stoppedBy: 'steps' | 'budget';
}

/**
 * Stage 1, MR-Pretrain: the model pre-trains on the corpus's image-caption pairs (`runMrPretraining`, with the
 * `objectives` preset and the section's overrides, {@link resolveMrPretrainConfig}), writing
 * `<out>/pretrain/{checkpoints/, metrics.jsonl, pictures/}`. With `pretrain.minutes`, three timed steps set the step
 * count (so warm-up and cosine finish inside 90% of the budget) and the stage stops, with a checkpoint, when the
 * budget is spent; the count is recorded and reused on resume.
 */
export async function runPretrainStage(context: StageContext): Promise<StageOutcome<PretrainResult>> {
  return runStage<PretrainResult>(context, 'pretrain', async (session) => {
    const { config, progress } = context;
    const settings = config.pretrain;
    const started = performance.now();
    const [corpus, tokenizer, model] = [await loadPretrainCorpus(config, context.dataDir), await context.tokenizer(), await context.modelConfig()];
    const mrConfig = resolveMrPretrainConfig(settings);
    progress.log(`[pretrain] ${corpus.description}; objectives ${settings.objectives}; batch ${settings.batchSize}`);
    for (const line of corpus.skipped) progress.log(`[pretrain] ${line}`);

    let steps = typeof session.plan?.['steps'] === 'number' ? session.plan['steps'] : undefined;
    if (steps === undefined) {
      if (settings.minutes !== undefined) {
        const stepMs = await measurePretrainStep(model, mrConfig, corpus.samples, tokenizer, settings.batchSize);
        const leftMs = settings.minutes * 60_000 - (performance.now() - started);
        steps = Math.max(1, Math.floor((0.9 * leftMs) / stepMs)); // 10% for data loading, checkpoints and pictures
        progress.log(`[pretrain] ${stepMs.toFixed(0)} ms/step measured: ${steps} steps fit in ${settings.minutes} min`);
        progress.log(
          `[pretrain] a time budget depends on this machine's speed and load: give pretrain.steps: ${steps} (not minutes) to repeat this run exactly`,
        );
      } else {
        steps = settings.steps ?? 1000;
      }
      await session.savePlan({ steps });
    }

    const budget = new AbortController();
    const budgetMs = settings.minutes === undefined ? undefined : settings.minutes * 60_000 - (performance.now() - started);
    const timer = budgetMs === undefined ? undefined : setTimeout(() => budget.abort(), Math.max(0, budgetMs));
    const signal = context.signal ? AbortSignal.any([context.signal, budget.signal]) : budget.signal;
    const warmupSteps = settings.warmupSteps ?? Math.min(500, Math.round(0.05 * steps));
    let picture: string | undefined;
    try {
      const run = await runMrPretraining({
        model,
        config: mrConfig,
        samples: corpus.samples,
        tokenizer,
        image: context.image,
        batchSize: settings.batchSize,
        steps,
        learningRate: { base: settings.learningRate, warmupSteps, min: settings.learningRate / 100 },
        seed: config.seed,
        outDir: session.dir,
        checkpointEvery: settings.checkpointEvery,
        pictureEvery: settings.pictureEvery,
        resume: session.resume,
        signal,
        onEvent: (event) => {
          const recovery = checkpointRecoveryLine('pretrain', event);
          if (recovery !== undefined) progress.log(recovery);
          else if (event.type === 'train-start') progress.begin('pretrain', event.maxSteps, event.startStep);
          else if (event.type === 'step-end') progress.update(event.step, { loss: event.loss.toFixed(3), 'ms/step': event.stepMs.toFixed(0) });
          else if (event.type === 'picture-save') picture = event.path;
          else if (event.type === 'train-end') progress.end();
        },
      });
      const stoppedBy = budget.signal.aborted && run.reason === 'aborted' ? 'budget' : 'steps';
      const aborted = run.reason === 'aborted' && stoppedBy !== 'budget';
      picture ??= run.pictures.at(-1) ?? (session.resume ? await newestPicture(session.dir) : undefined);
      const relative = (file: string) => path.relative(context.outDir, file);
      const result: PretrainResult = {
        ...(run.lastCheckpoint ? { checkpoint: relative(run.lastCheckpoint) } : {}),
        steps: run.step,
        plannedSteps: steps,
        metrics: relative(run.metricsPath),
        ...(picture ? { picture: relative(picture) } : {}),
        corpus: corpus.description,
        ...(corpus.skipped.length > 0 ? { skipped: corpus.skipped } : {}),
        objectives: settings.objectives,
        stoppedBy,
      };
      return { result, aborted };
    } finally {
      if (timer) clearTimeout(timer);
    }
  });
}

/** The newest `pictures/step-*.png` of an earlier session, if any. */
async function newestPicture(dir: string): Promise<string | undefined> {
  const pictures = await readdir(path.join(dir, 'pictures')).catch(() => [] as string[]);
  const newest = pictures
    .filter((name) => /^step-\d+\.png$/.test(name))
    .sort()
    .at(-1);
  return newest === undefined ? undefined : path.join(dir, 'pictures', newest);
}
