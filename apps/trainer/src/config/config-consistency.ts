import { InvalidConfigError } from '@umd/core';
import { encoderPresets, visionStemSpec } from '@umd/encoders';
import { validateMrPretrainConfig } from '@umd/mr-pretrain';

import type { ConfigIssue } from '../errors/config-error.js';
import { formatValue } from './config-json-schema.js';
import type { PipelineConfig } from './pipeline-config-schema.js';
import { resolveModelConfig } from './resolve-model-config.js';
import { resolveMrPretrainConfig } from './resolve-mr-pretrain-config.js';

/**
 * Checks what one key cannot say alone: a model whose image is not a whole number of patches, a vision stem with
 * another image size, patch size or channel count than it needs, MR-Pretrain overrides that do not fit together or
 * the model (no term left, a decoder width that is not a multiple of its heads, a decoder input past the last fusion
 * layer, a teacher momentum that decreases), a smooth-L1 `beta` with the cosine feature loss, crop ranges without the
 * random crop, GM-Coord stopping before it starts, GM-Coord, label smoothing, patch dropout or class balance on retrieval (they need a class head), patch dropout on a blind model,
 * the reconstruction regularizer on retrieval (head names collide), TD-Calib without pre-training, word vectors with a
 * pre-trained start, an attribute agreement (tuned or evaluated) without attribute heads, extra VQA training questions for a task that is not VQA or from the same dataset,
 * evaluation options an ensemble (`finetune.members` > 1) does not take (more views, the answer-type gate, answer choices, an image blend, a query bank).
 *
 * @returns the problems found (empty when consistent)
 */
export function configConsistencyIssues(config: PipelineConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [...modelIssues(config), ...pretrainIssues(config)];
  const retrieval = config.data.dataset === 'medpix-retrieval' || (config.data.dataset === 'phantom' && config.data.phantom.task === 'retrieval');
  const { gmCoord, augment, labelSmoothing, imageTokenDrop, blindImage, classBalance } = config.finetune;
  if (retrieval && gmCoord.enabled) {
    issues.push({
      path: 'finetune.gmCoord.enabled',
      message: 'expected false for retrieval: GM-Coord reads the class head’s unimodal predictions, which retrieval has not',
    });
  }
  if (retrieval && labelSmoothing) {
    issues.push({
      path: 'finetune.labelSmoothing',
      message: `expected 0 or none for retrieval: it smooths a class head’s targets, which retrieval has not; got ${labelSmoothing}`,
    });
  }
  if (retrieval && config.finetune.attributes?.imageHeads) {
    issues.push({
      path: 'finetune.attributes.imageHeads',
      message: 'expected false or none for retrieval: its attribute heads already read the image embedding',
    });
  }
  if (retrieval && config.finetune.imageHead) {
    issues.push({ path: 'finetune.imageHead', message: 'expected none for retrieval: it has no class head to blend with' });
  }
  if (config.finetune.members > 1) {
    const { views, answerTypeGate, answerChoices, imageBlend, queryBank } = config.evaluate;
    const unsupported = [
      views !== undefined && views > 1 ? 'views' : '',
      answerTypeGate ? 'answerTypeGate' : '',
      answerChoices ? 'answerChoices' : '',
      imageBlend === undefined ? '' : 'imageBlend',
      queryBank ? 'queryBank' : '',
    ].filter((key) => key !== '');
    for (const key of unsupported) {
      issues.push({
        path: `evaluate.${key}`,
        message: `expected none with an ensemble (finetune.members ${config.finetune.members}): an ensemble is scored by the mean of its members’ plain predictions`,
      });
    }
  }
  if (config.evaluate.attributeAgreement && !(retrieval && config.finetune.attributes?.fields?.length)) {
    issues.push({
      path: 'evaluate.attributeAgreement',
      message: 'expected none or 0 without retrieval attribute heads (a medpix-retrieval or phantom retrieval task with `finetune.attributes.fields`)',
    });
  }
  if (config.evaluate.imageBlend !== undefined && !config.finetune.imageHead) {
    issues.push({ path: 'evaluate.imageBlend', message: 'expected none without `finetune.imageHead`: there is no image-only head to blend' });
  }
  if (retrieval && classBalance) {
    issues.push({
      path: 'finetune.classBalance',
      message: `expected 0 or none for retrieval: it weights class targets, which retrieval has not; got ${classBalance}`,
    });
  }
  if (config.finetune.blindText && (retrieval || blindImage)) {
    issues.push({
      path: 'finetune.blindText',
      message: retrieval
        ? 'expected false or none for retrieval: a model without captions has nothing to rank against'
        : 'expected false or none with blindImage: a model blind to both has nothing to read',
    });
  }
  if ((retrieval || blindImage) && imageTokenDrop) {
    issues.push({
      path: 'finetune.imageTokenDrop',
      message: `expected 0 or none ${retrieval ? 'for retrieval: patch dropout is for tasks with a class head' : 'with blindImage: a blind model has no image to drop from'}; got ${imageTokenDrop}`,
    });
  }
  if (config.model.wordVectors !== undefined && (config.stages.includes('pretrain') || config.stages.includes('calibrate'))) {
    issues.push({
      path: 'model.wordVectors',
      message: 'only when tuning starts from scratch (no `pretrain` or `calibrate` stage): a pre-trained checkpoint brings its own word embeddings',
    });
  }
  const agreement = config.finetune.retrieval?.attributeAgreement;
  if (agreement && !config.finetune.attributes) {
    issues.push({
      path: 'finetune.retrieval.attributeAgreement',
      message: `expected 0 or none without finetune.attributes: the agreement is read from the attribute heads; got ${agreement}`,
    });
  }
  const extra = config.data.extraTraining;
  if (extra && !(config.data.dataset === 'vqa-rad' || config.data.dataset === 'slake')) {
    issues.push({ path: 'data.extraTraining', message: `only for a VQA dataset (vqa-rad or slake), not ${config.data.dataset}` });
  } else if (extra && extra.dataset === config.data.dataset) {
    issues.push({
      path: 'data.extraTraining.dataset',
      message: `expected another dataset than data.dataset (${config.data.dataset}): its training split is already in`,
    });
  }
  if (gmCoord.stopStep !== undefined && gmCoord.stopStep < (gmCoord.warmupSteps ?? 0)) {
    issues.push({ path: 'finetune.gmCoord.stopStep', message: `expected a step ≥ warmupSteps (${gmCoord.warmupSteps ?? 0}), got ${gmCoord.stopStep}` });
  }
  if (augment?.crop === 'centre') {
    for (const key of ['scale', 'ratio'] as const) {
      if (augment[key] === undefined) continue;
      issues.push({ path: `finetune.augment.${key}`, message: "only with crop: 'random-resized' (a centre crop has no range to draw from)" });
    }
    if (augment.views !== undefined) {
      issues.push({ path: 'finetune.augment.views', message: "only with crop: 'random-resized' (a centre crop is one view)" });
    }
  }
  if (retrieval && config.calibrate.regularizer.enabled && config.stages.includes('calibrate')) {
    issues.push({
      path: 'calibrate.regularizer.enabled',
      message: 'expected false for retrieval: the regularizer’s ITM head and the retrieval ITM head would both be heads.itm',
    });
  }
  if (config.stages.includes('calibrate') && !config.stages.includes('pretrain')) {
    issues.push({ path: 'stages', message: "expected 'pretrain' with 'calibrate': TD-Calib calibrates a pre-trained checkpoint" });
  }
  return issues;
}

/** Image size against patch size, and a vision stem's fixed geometry (MobileNetV2: 224 px RGB, one token per stride). */
function modelIssues(config: PipelineConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const preset = encoderPresets[config.model.preset].vision;
  const overrides = config.model.overrides.vision;
  const imageSize = overrides.imageSize ?? preset.imageSize;
  const patchSize = overrides.patchSize ?? preset.patchSize;
  const channels = overrides.channels ?? preset.channels;
  if (imageSize % patchSize !== 0) {
    issues.push({ path: 'model.overrides.vision.imageSize', message: `expected a multiple of the patch size ${patchSize}, got ${imageSize}` });
  }
  if (overrides.stem?.tunedBlocks && (overrides.stem.layer ?? 'out_relu') !== 'out_relu') {
    issues.push({
      path: 'model.overrides.vision.stem.layer',
      message: `expected out_relu (or none) with tunedBlocks ${overrides.stem.tunedBlocks}, got ${overrides.stem.layer}`,
    });
  } else if (overrides.stem) {
    const spec = visionStemSpec(overrides.stem);
    const stem = `vision.stem ${overrides.stem.kind} (${overrides.stem.layer ?? 'out_relu'})`;
    const got = (key: 'imageSize' | 'patchSize' | 'channels', value: number): string =>
      `${value}${overrides[key] === undefined ? ` (the ${config.model.preset} preset’s; set it)` : ''}`;
    const check = (key: 'imageSize' | 'patchSize' | 'channels', value: number, wanted: number, why: string): void => {
      if (value !== wanted) issues.push({ path: `model.overrides.vision.${key}`, message: `expected ${wanted} with ${stem}: ${why}; got ${got(key, value)}` });
    };
    check('imageSize', imageSize, spec.inputSize, `its weights take ${spec.inputSize} px images`);
    check('patchSize', patchSize, spec.stride, `one token per ${spec.stride} px feature cell`);
    check('channels', channels, 3, 'its weights take RGB images');
  }
  return issues;
}

/** The resolved MR-Pretrain config checked by `@umd/mr-pretrain` itself, against the resolved model. */
function pretrainIssues(config: PipelineConfig): ConfigIssue[] {
  const { featureLoss } = config.pretrain;
  if (featureLoss?.beta !== undefined && (featureLoss.kind ?? resolveMrPretrainConfig(config.pretrain).featureLoss.kind) === 'cosine') {
    return [{ path: 'pretrain.featureLoss.beta', message: "only with kind: 'smooth-l1' (the cosine loss has no threshold)" }];
  }
  const model = resolveModelConfig(config.model, encoderPresets[config.model.preset].text.vocabSize);
  try {
    validateMrPretrainConfig(resolveMrPretrainConfig(config.pretrain), model);
    return [];
  } catch (error) {
    if (!(error instanceof InvalidConfigError)) throw error;
    // The library's keys are the MrPretrainConfig's; the config's decoder input is one key, not `{ kind, index }`.
    const key = error.key === 'decoder.input.index' ? 'decoder.input' : error.key;
    return [{ path: `pretrain.${key}`, message: `expected ${error.allowed}, got ${formatValue(error.value)}` }];
  }
}
