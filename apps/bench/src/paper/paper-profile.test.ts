import { InvalidConfigError } from '@umd/core';
import { describe, expect, it } from 'vitest';

import { validatePaperProfile, type PaperProfile } from './paper-profile.js';
import { paperProfiles } from './paper-profiles.js';

describe('paper profiles', () => {
  it('are valid, and say what they are', () => {
    for (const profile of Object.values(paperProfiles)) expect(validatePaperProfile(profile)).toBe(profile);
    expect(paperProfiles.quick.smoke).toBe(true);
    expect(paperProfiles.quick.seeds).toBe(1);
    expect(paperProfiles.quick.pretrain.steps).toBeLessThan(100);
    expect(paperProfiles.full.smoke).toBe(false);
    expect(paperProfiles.full.seeds).toBeGreaterThanOrEqual(3);
    expect(paperProfiles.full.pretrain.steps).toBeGreaterThan(1000);
    expect(paperProfiles.full.pretrain.minutes).toBeUndefined();
    expect(paperProfiles.full.finetune.maxTrainSamples).toBeUndefined();
  });

  it('rejects a profile with both or neither of pre-training steps and minutes', () => {
    const { steps: _steps, ...withoutSteps } = paperProfiles.quick.pretrain;
    expect(() => validatePaperProfile({ ...paperProfiles.quick, pretrain: withoutSteps })).toThrow(/profile\.pretrain.*exactly one of steps and minutes/);
    expect(() => validatePaperProfile({ ...paperProfiles.quick, pretrain: { ...paperProfiles.quick.pretrain, minutes: 5 } })).toThrow(InvalidConfigError);
  });

  it('names the field at fault', () => {
    const broken = (change: (profile: PaperProfile) => PaperProfile) => () => validatePaperProfile(change(paperProfiles.quick));
    expect(broken((profile) => ({ ...profile, seeds: 0 }))).toThrow(/'profile\.seeds'/);
    expect(broken((profile) => ({ ...profile, finetune: { ...profile.finetune, learningRate: -1 } }))).toThrow(/'profile\.finetune\.learningRate'/);
    expect(broken((profile) => ({ ...profile, finetune: { ...profile.finetune, maxTrainSamples: 8 } }))).toThrow(/maxTrainSamples.*≥ 32/);
    expect(broken((profile) => ({ ...profile, calibrate: { ...profile.calibrate, steps: 2.5 } }))).toThrow(/'profile\.calibrate\.steps'/);
    expect(broken((profile) => ({ ...profile, phantom: { ...profile.phantom, size: 16 } }))).toThrow(/'profile\.phantom\.size'/);
    expect(broken((profile) => ({ ...profile, calibrate: { ...profile.calibrate, regularizer: 'yes' as never } }))).toThrow(
      /'profile\.calibrate\.regularizer'/,
    );
    expect(broken((profile) => ({ ...profile, tokenizer: { kind: 'trained', vocabSize: 10 } }))).toThrow(/'profile\.tokenizer\.vocabSize'/);
    expect(broken((profile) => ({ ...profile, data: { ...profile.data, validationCarve: 'answer' as never } }))).toThrow(/'profile\.data\.validationCarve'/);
    expect(broken((profile) => ({ ...profile, data: { ...profile.data, validationFraction: 1 } }))).toThrow(/'profile\.data\.validationFraction'/);
    expect(broken((profile) => ({ ...profile, finetune: { ...profile.finetune, learningRateMultipliers: { encoders: 1, fusion: 0, heads: 1 } } }))).toThrow(
      /'profile\.finetune\.learningRateMultipliers\.fusion'/,
    );
    expect(broken((profile) => ({ ...profile, finetune: { ...profile.finetune, pooling: 'max' as never } }))).toThrow(/'profile\.finetune\.pooling'/);
  });
});
