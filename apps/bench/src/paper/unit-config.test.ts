import { loadPipelineConfig, resolveConfigPath } from '@umd/trainer';
import { describe, expect, it } from 'vitest';

import { expandPaperGrid } from './paper-grid.js';
import { paperProfiles } from './paper-profiles.js';
import { tuneUnitConfig } from './unit-config.js';

describe('tuneUnitConfig', () => {
  it.each(['vqa-rad', 'slake'] as const)("trains the full profile's scratch row of %s exactly as its ready config does", async (task) => {
    const ready = await loadPipelineConfig(resolveConfigPath(task));
    const plan = expandPaperGrid({ seeds: 1, tasks: [task], variants: ['scratch'], floors: false });
    const unit = plan.tunings[0]!;
    const config = tuneUnitConfig(unit, { profile: paperProfiles.full, data: { kind: 'real', dir: '/data' }, imageCache: null, baseSeed: 0 });
    // Every row of the paper grid starts its model the same way; a pre-trained row cannot start from word vectors (its
    // checkpoint brings its word embeddings), so the scratch row leaves the ready config's `wordVectors` out too.
    // The grid keeps the whole stem frozen and fed [-1, 1] (see paper-profiles.ts), where the ready configs tune its
    // last block and feed it [0, 1].
    const { wordVectors: _wordVectors, ...readyModel } = ready.model;
    const { tunedBlocks, inputRange, ...frozenStem } = readyModel.overrides.vision.stem ?? { kind: 'mobilenet-v2' };
    expect(tunedBlocks).toBe(1);
    expect(inputRange).toEqual([0, 1]);
    expect(config.model).toEqual({ ...readyModel, overrides: { ...readyModel.overrides, vision: { ...readyModel.overrides.vision, stem: frozenStem } } });
    if (task === 'vqa-rad') {
      expect(config.data.validationFraction).toBe(ready.data.validationFraction); // the carve applies to VQA-RAD only
      expect(config.data.validationCarve).toBe(ready.data.validationCarve);
    }
    expect(config.stages).toEqual(ready.stages);
    const { gmCoord, ...finetune } = config.finetune;
    const { gmCoord: readyGmCoord, ...readyFinetune } = ready.finetune;
    expect(finetune).toEqual(readyFinetune);
    expect([gmCoord.enabled, readyGmCoord.enabled]).toEqual([false, false]);
  });

  it('starts the TD-Calib rows from pre-training and calibration, with GM-Coord only in the last row', () => {
    const plan = expandPaperGrid({ seeds: 1, tasks: ['slake'], variants: ['mr-full+td-calib', 'mr-full+td-calib+gm-coord'], floors: false });
    const options = { profile: paperProfiles.full, data: { kind: 'real', dir: '/data' }, imageCache: null, baseSeed: 0 } as const;
    const [calib, umd] = plan.tunings.map((unit) => tuneUnitConfig(unit, options));
    expect(calib!.stages).toEqual(['pretrain', 'calibrate', 'finetune', 'evaluate']);
    expect([calib!.finetune.gmCoord.enabled, umd!.finetune.gmCoord.enabled]).toEqual([false, true]);
    expect(umd!.finetune.learningRateMultipliers).toEqual({ encoders: 1, fusion: 1, heads: 1 });
  });
});
