import type { ImageCrop, ImagePipelineConfig } from '@umd/data';
import type { GmCoordOptions, RunTaskTuningOptions, TaskLearningRate } from '@umd/tasks';

import type { PipelineConfig } from './pipeline-config-schema.js';
import { withoutUndefined } from './without-undefined.js';

/** The options of `runTaskTuning` that come from the `finetune` section alone. */
export type TaskTuningSettings = Pick<
  RunTaskTuningOptions,
  | 'batchSize'
  | 'epochs'
  | 'learningRate'
  | 'gmCoord'
  | 'blindImage'
  | 'blindText'
  | 'pooling'
  | 'hiddenMultiplier'
  | 'evaluateEvery'
  | 'labelSmoothing'
  | 'imageTokenDrop'
  | 'sentenceDrop'
  | 'classBalance'
  | 'weightAverage'
  | 'retrieval'
  | 'attributes'
  | 'imageHead'
  | 'topK'
  | 'image'
  | 'augmentViews'
>;

/**
 * The `runTaskTuning` options of a `finetune` section: batch size, epochs, the learning rate (base, per-group
 * multipliers, warm-up, decay, final rate, weight decay), GM-Coord with every coordinator option when enabled, the
 * blind-image floor, pooling, head width, extra validation passes, label smoothing, patch dropout, sentence dropout, class balance, weight averaging, the retrieval losses and re-ranking, attribute targets, and the training images' crop
 * and its fixed views (`augment`) on top of `image` (the stage's shared pipeline settings). Keys the section leaves out are left out, so
 * the library's defaults apply and a config without them runs as it did before they existed.
 */
export function taskTuningSettings(finetune: PipelineConfig['finetune'], image: Omit<ImagePipelineConfig, 'size' | 'channels'>): TaskTuningSettings {
  const crop = cropOf(finetune.augment);
  return {
    batchSize: finetune.batchSize,
    epochs: finetune.epochs,
    learningRate: learningRateOf(finetune),
    ...(finetune.gmCoord.enabled ? { gmCoord: gmCoordOf(finetune.gmCoord) } : {}),
    ...(finetune.blindImage ? { blindImage: true } : {}),
    ...(finetune.blindText ? { blindText: true } : {}),
    ...withoutUndefined({
      pooling: finetune.pooling,
      hiddenMultiplier: finetune.hiddenMultiplier,
      evaluateEvery: finetune.evaluateEvery,
      labelSmoothing: finetune.labelSmoothing,
      imageTokenDrop: finetune.imageTokenDrop,
      sentenceDrop: finetune.sentenceDrop,
      classBalance: finetune.classBalance,
      weightAverage: finetune.weightAverage,
      topK: finetune.retrieval?.topK,
    }),
    ...(finetune.retrieval ? { retrieval: retrievalOf(finetune.retrieval) } : {}),
    ...(finetune.attributes ? { attributes: withoutUndefined({ ...finetune.attributes }) } : {}),
    ...(finetune.imageHead ? { imageHead: withoutUndefined({ ...finetune.imageHead }) } : {}),
    image: { ...image, ...(crop ? { crop } : {}) },
    ...(finetune.augment?.views === undefined ? {} : { augmentViews: finetune.augment.views }),
  };
}

function learningRateOf(finetune: PipelineConfig['finetune']): TaskLearningRate {
  return {
    base: finetune.learningRate,
    ...withoutUndefined({
      warmupSteps: finetune.warmupSteps,
      warmupFraction: finetune.warmupFraction,
      min: finetune.minLearningRate,
      decay: finetune.decay,
      weightDecay: finetune.weightDecay,
    }),
    multipliers: withoutUndefined(finetune.learningRateMultipliers),
  };
}

function retrievalOf(retrieval: NonNullable<PipelineConfig['finetune']['retrieval']>): NonNullable<TaskTuningSettings['retrieval']> {
  const { projectionDim, temperature, hardNegatives, contrastiveWeight, itmWeight, attributeAgreement } = retrieval;
  return withoutUndefined({ projectionDim, temperature, hardNegatives, contrastiveWeight, itmWeight, attributeAgreement });
}

function gmCoordOf(gmCoord: PipelineConfig['finetune']['gmCoord']): GmCoordOptions {
  const { strategy, alpha, noise, emaDecay, warmupSteps, stopStep, minCoefficient } = gmCoord;
  return { strategy, alpha, ...withoutUndefined({ noise, emaDecay, warmupSteps, stopStep, minCoefficient }) };
}

/** The training pipeline's crop of `finetune.augment` (none without the section: the pipeline's centre crop). */
function cropOf(augment: PipelineConfig['finetune']['augment']): ImageCrop | undefined {
  if (!augment) return undefined;
  if (augment.crop === 'centre') return { kind: 'centre' };
  return { kind: 'random-resized', ...withoutUndefined({ scale: augment.scale, ratio: augment.ratio }) };
}
