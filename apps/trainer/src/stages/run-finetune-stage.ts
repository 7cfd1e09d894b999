import path from 'node:path';

import type { WordPieceTokenizer } from '@umd/data';
import { runTaskTuning, type RunTaskTuningOptions } from '@umd/tasks';
import { createReconstructionRegularizer, type ReconstructionRegularizer } from '@umd/td-calib';

import { taskTuningSettings } from '../config/task-tuning-settings.js';
import { StageInputError } from '../errors/stage-input-error.js';
import type { CalibrateResult } from './run-calibrate-stage.js';
import type { PretrainResult } from './run-pretrain-stage.js';
import { runStage, type StageOutcome } from './run-stage.js';
import type { StageContext } from './stage-context.js';
import { upstreamResult } from './upstream-result.js';
import { checkpointRecoveryLine } from './checkpoint-recovery-line.js';
import { loadWordVectors } from './load-word-vectors.js';

/** What the finetune stage records. Paths are relative to the output folder. */
export interface FinetuneResult {
  /** `finetune/best.safetensors`: the best validation pass (absent when stopped before the first one). */
  readonly checkpoint?: string;
  /** Where the weights came from: a fresh model, MR pre-training, or TD-Calib. */
  readonly start: 'scratch' | 'pretrain' | 'calibrate';
  readonly steps: number;
  readonly totalSteps: number;
  readonly stepsPerEpoch: number;
  /** The best validation pass: its step, epoch (0-based, as `@umd/tasks` counts) and selection metric (overall accuracy, accuracy or mean recall). */
  readonly best?: { readonly step: number; readonly epoch: number; readonly metric: number };
  /** Every validation pass (epochs 0-based). */
  readonly history: readonly { readonly step: number; readonly epoch: number; readonly metric: number }[];
  readonly medianStepMs: number;
  /** `finetune/metrics.jsonl`: one line per step (loss, terms, lr). */
  readonly metrics: string;
  /** `finetune/coordination.jsonl`: GM-Coord's coefficients per step, when on. */
  readonly coordination?: string;
  /** TD-Calib's reconstruction regularizer was on. */
  readonly regularizer: boolean;
  /**
   * A seed ensemble (`finetune.members` > 1): the members after the first (whose record is the fields above), in
   * order; member k tuned with seed + {@link memberSeedStride}·k in `finetune/member-k/`.
   */
  readonly members?: readonly FinetuneMember[];
}

/** One further member of a seed ensemble. Paths are relative to the output folder. */
export interface FinetuneMember {
  readonly seed: number;
  /** Its `best.safetensors` (absent when stopped before its first validation pass). */
  readonly checkpoint?: string;
  readonly steps: number;
  readonly best?: { readonly step: number; readonly epoch: number; readonly metric: number };
  readonly history: readonly { readonly step: number; readonly epoch: number; readonly metric: number }[];
  readonly medianStepMs: number;
}

/** Member k of a seed ensemble is tuned with the config's seed + this·k. */
export const memberSeedStride = 1000;

/**
 * Stage 3, task tuning (`runTaskTuning` from `@umd/tasks`): VQA, classification or retrieval on the dataset's
 * training split, model selection on its validation split only, from the calibrated checkpoint (when `calibrate`
 * is among the config's stages), else the pre-trained one (when `pretrain` is), else from scratch, with the options
 * {@link taskTuningSettings} builds from the `finetune` section. GM-Coord and TD-Calib's decaying reconstruction
 * regularizer plug in as configured. Writes `<out>/finetune/`; with `finetune.members` N > 1 also tunes members
 * 1…N−1 the same way from the same start, each with its own seed, into `<out>/finetune/member-k/`.
 *
 * @throws StageInputError when an earlier stage the config names has not completed in this output folder
 */
export async function runFinetuneStage(context: StageContext): Promise<StageOutcome<FinetuneResult>> {
  return runStage<FinetuneResult>(context, 'finetune', async (session) => {
    const { config, progress } = context;
    const settings = config.finetune;
    const [data, tokenizer] = [await context.taskData(), await context.tokenizer()];
    const source = await startingPoint(context);
    const regularizer = source.start === 'calibrate' && config.calibrate.regularizer.enabled;
    const tuning = taskTuningSettings(settings, context.image);
    const extras = [
      settings.gmCoord.enabled ? `GM-Coord ${settings.gmCoord.strategy} α ${settings.gmCoord.alpha}` : '',
      regularizer ? 'reconstruction regularizer' : '',
      tuning.labelSmoothing ? `label smoothing ${tuning.labelSmoothing}` : '',
      tuning.imageTokenDrop ? `patch dropout ${tuning.imageTokenDrop}` : '',
      tuning.blindImage ? 'every image blanked (the text-only floor)' : '',
      tuning.blindText ? 'every text emptied (the image-only floor)' : '',
      tuning.sentenceDrop ? `sentence dropout ${tuning.sentenceDrop}` : '',
      tuning.imageHead ? `image-only head (weight ${tuning.imageHead.weight ?? 1}, blend ${tuning.imageHead.blend ?? 0.5})` : '',
      tuning.classBalance ? `class balance ${tuning.classBalance}` : '',
      tuning.weightAverage ? `weight average ${tuning.weightAverage.decay}` : '',
      tuning.attributes?.fields?.length
        ? `attribute targets ${tuning.attributes.fields.join(', ')}${tuning.attributes.imageHeads ? ' (also from the image alone)' : ''}`
        : '',
      tuning.image?.crop?.kind === 'random-resized' ? `random-resized crops${tuning.augmentViews ? ` (${tuning.augmentViews} per image)` : ''}` : '',
    ].filter((extra) => extra !== '');
    progress.log(
      `[finetune] ${data.task.kind} on ${data.train.length} training / ${data.validation.length} validation samples, from ${source.start}` +
        extras.map((extra) => `, ${extra}`).join(''),
    );
    const wordVectors = config.model.wordVectors && !source.checkpoint ? await loadWordVectors(config.model.wordVectors, tokenizer) : undefined;
    if (wordVectors) {
      progress.log(
        `[finetune] word embeddings start from ${wordVectors.dimensions}-d word vectors (${wordVectors.source}): ${wordVectors.size} of the tokenizer's words`,
      );
    }
    const created: ReconstructionRegularizer[] = []; // runTaskTuning does not free the regularizer's teacher: we do
    const N = settings.members;
    const tune = async (member: number): Promise<Awaited<ReturnType<typeof runTaskTuning>>> => {
      const seed = config.seed + memberSeedStride * member;
      const named = N > 1 ? ` (member ${member + 1}/${N}, seed ${seed})` : '';
      if (N > 1) progress.log(`[finetune] member ${member + 1} of ${N}, seed ${seed}`);
      const options: RunTaskTuningOptions = {
        task: data.task,
        train: data.train,
        validation: data.validation,
        tokenizer,
        ...(source.checkpoint ? { checkpoint: source.checkpoint } : { modelConfig: await context.modelConfig() }),
        ...(wordVectors ? { wordVectors } : {}),
        ...tuning,
        seed,
        outDir: member === 0 ? session.dir : path.join(session.dir, `member-${member}`),
        resume: session.resume,
        ...(regularizer && source.checkpoint ? { auxiliary: reconstructionRegularizer(context, source.checkpoint, tokenizer, seed, created) } : {}),
        ...(context.signal ? { signal: context.signal } : {}),
        onEvent: (event) => {
          const recovery = checkpointRecoveryLine('finetune', event);
          if (recovery !== undefined) progress.log(recovery);
          else if (event.type === 'train-start') progress.begin(`finetune${N > 1 ? ` ${member + 1}/${N}` : ''}`, event.maxSteps, event.startStep);
          else if (event.type === 'step-end') progress.update(event.step, { epoch: `${event.epoch + 1}/${settings.epochs}`, loss: event.loss.toFixed(3) });
          else if (event.type === 'train-end') progress.end();
          else if (event.type === 'evaluation-end') {
            progress.log(
              `[finetune] epoch ${event.epoch + 1} (step ${event.step}): validation ${(100 * event.metric).toFixed(1)}%${event.best ? ' (best)' : ''}${named}`,
            );
          }
        },
      };
      try {
        return await runTaskTuning(options);
      } finally {
        for (const item of created.splice(0)) item.dispose();
      }
    };
    const run = await tune(0);
    const relative = (file: string) => path.relative(context.outDir, file);
    const members: FinetuneMember[] = [];
    let aborted = run.reason === 'aborted';
    for (let member = 1; member < N && !aborted; member++) {
      const other = await tune(member);
      members.push({
        seed: config.seed + memberSeedStride * member,
        ...(other.bestCheckpoint ? { checkpoint: relative(other.bestCheckpoint) } : {}),
        steps: other.step,
        ...(other.best ? { best: { step: other.best.step, epoch: other.best.epoch, metric: other.best.metric } } : {}),
        history: other.history,
        medianStepMs: other.medianStepMs,
      });
      aborted = other.reason === 'aborted';
    }
    const result: FinetuneResult = {
      ...(run.bestCheckpoint ? { checkpoint: relative(run.bestCheckpoint) } : {}),
      start: source.start,
      steps: run.step,
      totalSteps: run.totalSteps,
      stepsPerEpoch: run.stepsPerEpoch,
      ...(run.best ? { best: { step: run.best.step, epoch: run.best.epoch, metric: run.best.metric } } : {}),
      history: run.history,
      medianStepMs: run.medianStepMs,
      metrics: relative(run.metricsPath),
      ...(run.coordinationPath ? { coordination: relative(run.coordinationPath) } : {}),
      regularizer,
      ...(members.length ? { members } : {}),
    };
    return { result, aborted };
  });
}

/** The checkpoint tuning starts from, by the config's stages: calibrated, else pre-trained, else none (scratch). */
async function startingPoint(context: StageContext): Promise<{ start: FinetuneResult['start']; checkpoint?: string }> {
  const { stages } = context.config;
  if (stages.includes('calibrate')) {
    const calibrated = await upstreamResult<CalibrateResult>(context, 'finetune', 'calibrate', 'a calibrated checkpoint');
    return { start: 'calibrate', checkpoint: path.resolve(context.outDir, calibrated.checkpoint) };
  }
  if (stages.includes('pretrain')) {
    const pretrained = await upstreamResult<PretrainResult>(context, 'finetune', 'pretrain', 'a pre-trained checkpoint');
    if (!pretrained.checkpoint) throw new StageInputError('finetune', 'a pre-trained checkpoint', 'pretrain', context.outDir);
    return { start: 'pretrain', checkpoint: path.resolve(context.outDir, pretrained.checkpoint) };
  }
  return { start: 'scratch' };
}

/** TD-Calib's decaying reconstruction loss for `runTaskTuning`'s `auxiliary` (built on the tuned model); each one built is added to `created`. */
function reconstructionRegularizer(
  context: StageContext,
  checkpoint: string,
  tokenizer: WordPieceTokenizer,
  seed: number,
  created: ReconstructionRegularizer[],
): RunTaskTuningOptions['auxiliary'] {
  const { start, decaySteps } = context.config.calibrate.regularizer;
  const { pad, unk, cls, sep, mask } = tokenizer.specialIds;
  return (model) => {
    const regularizer = createReconstructionRegularizer({
      model,
      checkpoint,
      start,
      decaySteps,
      seed,
      tokens: { maskTokenId: mask, specialTokenIds: [pad, unk, cls, sep, mask] },
    });
    created.push(regularizer);
    return regularizer;
  };
}
