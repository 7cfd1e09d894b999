import { describe, expect, it } from 'vitest';

import { InvalidConfigError } from '../errors/invalid-config-error.js';
import { learningRateAt, type LrSchedule, validateLrSchedule } from './lr-schedule.js';

const base = 1e-3;
const minLearningRate = 1e-5;

describe('learningRateAt', () => {
  it('keeps a constant schedule constant', () => {
    for (const step of [0, 1, 1000, 1e9]) expect(learningRateAt(step, base, { kind: 'constant' })).toBe(base);
  });

  it.each(['linear', 'cosine'] as const)('warms up linearly from 0 and ends at minLearningRate (%s)', (kind) => {
    const schedule: LrSchedule = { kind, warmupSteps: 100, totalSteps: 1100, minLearningRate };
    expect(learningRateAt(0, base, schedule)).toBe(0);
    expect(learningRateAt(25, base, schedule)).toBeCloseTo(base / 4, 12);
    expect(learningRateAt(100, base, schedule)).toBeCloseTo(base, 12);
    expect(learningRateAt(1100, base, schedule)).toBe(minLearningRate);
    expect(learningRateAt(5000, base, schedule)).toBe(minLearningRate);
  });

  it('is halfway between base and min in the middle of the decay for both shapes', () => {
    for (const kind of ['linear', 'cosine'] as const) {
      const schedule: LrSchedule = { kind, warmupSteps: 100, totalSteps: 1100, minLearningRate };
      expect(learningRateAt(600, base, schedule)).toBeCloseTo((base + minLearningRate) / 2, 12);
    }
  });

  it('decays linearly or along a half cosine', () => {
    const linear: LrSchedule = { kind: 'linear', warmupSteps: 0, totalSteps: 1000 };
    const cosine: LrSchedule = { kind: 'cosine', warmupSteps: 0, totalSteps: 1000 };
    expect(learningRateAt(0, base, linear)).toBe(base);
    expect(learningRateAt(250, base, linear)).toBeCloseTo(0.75 * base, 12);
    expect(learningRateAt(250, base, cosine)).toBeCloseTo(base * 0.5 * (1 + Math.cos(Math.PI / 4)), 12);
    expect(learningRateAt(999, base, cosine)).toBeGreaterThan(0);
    expect(learningRateAt(1000, base, cosine)).toBe(0);
  });

  it('rejects invalid schedules and steps', () => {
    const bad: unknown[] = [
      { kind: 'cosine', warmupSteps: 200, totalSteps: 100 },
      { kind: 'linear', warmupSteps: -1, totalSteps: 100 },
      { kind: 'linear', warmupSteps: 0, totalSteps: 0 },
      { kind: 'cosine', warmupSteps: 0, totalSteps: 10.5 },
      { kind: 'cosine', warmupSteps: 0, totalSteps: 100, minLearningRate: 2 * base },
      { kind: 'step', warmupSteps: 0, totalSteps: 100 },
    ];
    for (const schedule of bad) {
      expect(() => learningRateAt(0, base, schedule as LrSchedule)).toThrow(InvalidConfigError);
      expect(() => validateLrSchedule(schedule as LrSchedule, base)).toThrow(InvalidConfigError);
    }
    expect(() => learningRateAt(-1, base, { kind: 'constant' })).toThrow(InvalidConfigError);
    expect(() => learningRateAt(0, Number.NaN, { kind: 'constant' })).toThrow(InvalidConfigError);
  });
});
