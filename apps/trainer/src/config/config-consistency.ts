import { encoderPresets } from '@umd/encoders';

import type { ConfigIssue } from '../errors/config-error.js';
import type { PipelineConfig } from './pipeline-config-schema.js';

/**
 * Checks what one key cannot say alone: a model whose image is not a whole number of patches, GM-Coord on retrieval
 * (it needs a class head), the reconstruction regularizer on retrieval (head names collide), TD-Calib without
 * pre-training.
 *
 * @returns the problems found (empty when consistent)
 */
export function configConsistencyIssues(config: PipelineConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const preset = encoderPresets[config.model.preset].vision;
  const imageSize = config.model.overrides.vision.imageSize ?? preset.imageSize;
  const patchSize = config.model.overrides.vision.patchSize ?? preset.patchSize;
  if (imageSize % patchSize !== 0) {
    issues.push({ path: 'model.overrides.vision.imageSize', message: `expected a multiple of the patch size ${patchSize}, got ${imageSize}` });
  }
  const retrieval = config.data.dataset === 'medpix-retrieval' || (config.data.dataset === 'phantom' && config.data.phantom.task === 'retrieval');
  if (retrieval && config.finetune.gmCoord.enabled) {
    issues.push({ path: 'finetune.gmCoord.enabled', message: 'expected false for retrieval: GM-Coord reads the class head’s unimodal predictions, which retrieval has not' });
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
