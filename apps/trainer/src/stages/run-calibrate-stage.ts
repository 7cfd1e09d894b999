import path from 'node:path';

import type { ImageNormalization } from '@umd/data';
import { calibrate } from '@umd/td-calib';

import { StageInputError } from '../errors/stage-input-error.js';
import type { PretrainResult } from './run-pretrain-stage.js';
import { runStage, type StageOutcome } from './run-stage.js';
import type { StageContext } from './stage-context.js';
import { upstreamResult } from './upstream-result.js';
import { checkpointRecoveryLine } from './checkpoint-recovery-line.js';

/** MR losses on TD-Calib's fixed set of downstream training batches: each enabled term and the total. */
export type CalibrationLosses = Readonly<Record<string, number>>;

/** What the calibrate stage records. Paths are relative to the output folder. */
export interface CalibrateResult {
  /** `calibrate/calibrated.safetensors`: weights, teacher and the re-estimated image normalisation. */
  readonly checkpoint: string;
  readonly imageNormalization: ImageNormalization;
  /** The pre-trained model on the downstream batches, before calibration. */
  readonly lossBefore: CalibrationLosses;
  /** The same weights with the re-estimated statistics (when re-estimated). */
  readonly lossRenormalized?: CalibrationLosses;
  /** After calibration, on the same batches and masks. */
  readonly lossAfter: CalibrationLosses;
  readonly steps: number;
  readonly metrics: string;
}

/**
 * Stage 2, TD-Calib: calibrates the pre-trained checkpoint to the downstream TRAINING samples (images and their
 * questions, texts or captions) with `calibrate` from `@umd/td-calib`: re-estimated input statistics, then the MR
 * objectives of the checkpoint for `calibrate.steps` steps. Writes `<out>/calibrate/`.
 *
 * @throws StageInputError when the pretrain stage has not completed in this output folder
 */
export async function runCalibrateStage(context: StageContext): Promise<StageOutcome<CalibrateResult>> {
  return runStage<CalibrateResult>(context, 'calibrate', async (session) => {
    const { config, progress } = context;
    const settings = config.calibrate;
    const pretrain = await upstreamResult<PretrainResult>(context, 'calibrate', 'pretrain', 'a pre-trained checkpoint');
    if (!pretrain.checkpoint) throw new StageInputError('calibrate', 'a pre-trained checkpoint', 'pretrain', context.outDir);
    const [data, tokenizer] = [await context.taskData(), await context.tokenizer()];
    progress.log(`[calibrate] ${data.train.length} downstream training samples; ${settings.steps} steps`);
    const run = await calibrate({
      checkpoint: path.resolve(context.outDir, pretrain.checkpoint),
      samples: data.train,
      tokenizer,
      steps: settings.steps,
      batchSize: settings.batchSize,
      ...(settings.learningRate === undefined ? {} : { learningRate: { base: settings.learningRate } }),
      ...(settings.reestimateStatistics === undefined ? {} : { reestimateStatistics: settings.reestimateStatistics }),
      image: context.image,
      seed: config.seed,
      outDir: session.dir,
      resume: session.resume,
      ...(context.signal ? { signal: context.signal } : {}),
      onEvent: (event) => {
        const recovery = checkpointRecoveryLine('calibrate', event);
        if (recovery !== undefined) progress.log(recovery);
        else if (event.type === 'train-start') progress.begin('calibrate', event.maxSteps, event.startStep);
        else if (event.type === 'step-end') progress.update(event.step, { loss: event.loss.toFixed(3) });
        else if (event.type === 'train-end') progress.end();
        else if (event.type === 'evaluation-end') progress.log(`[calibrate] MR loss ${event.phase}: ${event.losses.total.toFixed(4)}`);
      },
    });
    const result: CalibrateResult = {
      checkpoint: path.relative(context.outDir, run.checkpoint),
      imageNormalization: run.imageNormalization,
      lossBefore: run.lossBefore,
      ...(run.lossRenormalized ? { lossRenormalized: run.lossRenormalized } : {}),
      lossAfter: run.lossAfter,
      steps: run.steps,
      metrics: path.relative(context.outDir, run.metricsPath),
    };
    return { result, aborted: run.reason === 'aborted' };
  });
}
