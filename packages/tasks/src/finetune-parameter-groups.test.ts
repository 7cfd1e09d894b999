import type { UmdModel } from '@umd/encoders';
import { describe, expect, it } from 'vitest';

import { finetuneParameterGroups } from './finetune-parameter-groups.js';

/** Only `parameters()` is read: a model with these parameter names. */
const modelWith = (...names: string[]): UmdModel => ({ parameters: () => names.map((name) => ({ name })) }) as unknown as UmdModel;

describe('finetuneParameterGroups', () => {
  it('gives a tuned stem its own rate before the rest of vision (the first matching prefix wins)', () => {
    const model = modelWith('vision.stemTop.conv1Weight', 'vision.patchEmbed.weight', 'text.blocks.0.attn.qkv.weight', 'fusion.x', 'heads.vqa.weight');
    expect(finetuneParameterGroups(model, { encoders: 1, vision: 0.5, stem: 0.1 })).toEqual([
      { prefix: 'heads.', learningRateMultiplier: 50 },
      { prefix: 'fusion.', learningRateMultiplier: 5 },
      { prefix: 'vision.stemTop.', learningRateMultiplier: 0.1 },
      { prefix: 'vision.', learningRateMultiplier: 0.5 },
      { prefix: 'text.', learningRateMultiplier: 1 },
    ]);
    // Unset, the stem follows vision, which follows encoders.
    expect(finetuneParameterGroups(model, { encoders: 2 }).find((group) => group.prefix === 'vision.stemTop.')?.learningRateMultiplier).toBe(2);
    expect(finetuneParameterGroups(model, { vision: 0.3 }).find((group) => group.prefix === 'vision.stemTop.')?.learningRateMultiplier).toBe(0.3);
  });

  it('has no stem group without a tuned stem, and refuses a negative rate naming the key', () => {
    expect(finetuneParameterGroups(modelWith('vision.patchEmbed.weight')).map((group) => group.prefix)).toEqual(['vision.']);
    expect(() => finetuneParameterGroups(modelWith('vision.patchEmbed.weight'), { stem: -1 })).toThrow(/multipliers\.stem/);
  });
});
