import { describe, expect, it } from 'vitest';

import { createCoordinator } from './coordinator.js';
import { GmCoordError } from './errors/gm-coord-error.js';
import { InvalidConfigError } from './errors/invalid-config-error.js';
import { InvalidSignalError } from './errors/invalid-signal-error.js';
import type { CoordinationStrategy } from './types.js';

const twoModalities = ['text', 'vision'] as const;

describe('createCoordinator', () => {
  it('slows the dominant modality, leaves the weaker untouched, and reports ratios and signals', () => {
    const coordinator = createCoordinator({ modalities: twoModalities, strategy: { kind: 'ogm-ge', alpha: 0.5 } });
    const result = coordinator.update({ text: { score: 40 }, vision: { score: 20 } });
    expect(result.step).toBe(0);
    expect(result.update).toBe(0);
    expect(result.active).toBe(true);
    expect(result.noise).toBe(true);
    expect(result.coefficients.text).toBeCloseTo(1 - Math.tanh(0.5), 12);
    expect(result.coefficients.vision).toBe(1);
    expect(result.ratios).toEqual({ text: 2, vision: 0.5 });
    expect(result.signals).toEqual({ text: 40, vision: 20 });
    expect(result.status).toEqual({ text: 40, vision: 20 });
  });

  it('gives k = 1 to every modality when they are balanced', () => {
    const coordinator = createCoordinator({ modalities: ['a', 'b', 'c'], strategy: { kind: 'ogm-ge', alpha: 1 } });
    expect(coordinator.update({ a: { score: 8 }, b: { score: 8 }, c: { score: 8 } }).coefficients).toEqual({ a: 1, b: 1, c: 1 });
  });

  it('holds k = 1 and noise off outside [warmupSteps, stopStep), counting updates as steps by default', () => {
    const coordinator = createCoordinator({
      modalities: twoModalities,
      strategy: { kind: 'ogm-ge', alpha: 1 },
      warmupSteps: 2,
      stopStep: 4,
    });
    const signals = { text: { score: 30 }, vision: { score: 10 } };
    const steps = Array.from({ length: 5 }, () => coordinator.update(signals));
    expect(steps.map((s) => s.step)).toEqual([0, 1, 2, 3, 4]);
    expect(steps.map((s) => s.active)).toEqual([false, false, true, true, false]);
    expect(steps.map((s) => s.noise)).toEqual([false, false, true, true, false]);
    expect(steps.map((s) => s.coefficients.text)).toEqual([1, 1, 1 - Math.tanh(2), 1 - Math.tanh(2), 1]);
    expect(steps[0]?.ratios.text).toBe(3); // ratios are still reported during warm-up
    expect(coordinator.updates).toBe(5);
  });

  it('windows by an explicit step (an epoch index, say)', () => {
    const coordinator = createCoordinator({ modalities: twoModalities, strategy: { kind: 'ogm-ge', alpha: 1 }, warmupSteps: 1 });
    const signals = { text: { score: 30 }, vision: { score: 10 } };
    expect(coordinator.update(signals, { step: 0 }).active).toBe(false);
    const second = coordinator.update(signals, { step: 0 });
    expect([second.step, second.update, second.active]).toEqual([0, 1, false]);
    expect(coordinator.update(signals, { step: 1 }).active).toBe(true);
  });

  it('floors the coefficients at minCoefficient', () => {
    const coordinator = createCoordinator({ modalities: twoModalities, strategy: { kind: 'ogm-ge', alpha: 5 }, minCoefficient: 0.2 });
    expect(coordinator.update({ text: { score: 60 }, vision: { score: 1 } }).coefficients).toEqual({ text: 0.2, vision: 1 });
  });

  it('smooths each signal with an EMA before the strategy sees it (hand-computed)', () => {
    const coordinator = createCoordinator({ modalities: twoModalities, strategy: { kind: 'ogm-ge', alpha: 1 }, emaDecay: 0.75 });
    coordinator.update({ text: { score: 20 }, vision: { score: 20 } }); // status starts at the first signal
    const second = coordinator.update({ text: { score: 60 }, vision: { score: 20 } });
    // text: 0.75 · 20 + 0.25 · 60 = 30; vision stays 20; ρ = 1.5.
    expect(second.status).toEqual({ text: 30, vision: 20 });
    expect(second.signals.text).toBe(60);
    expect(second.coefficients.text).toBeCloseTo(1 - Math.tanh(0.5), 12);
  });

  it('reads the field of the configured strategy', () => {
    const norm = createCoordinator({ modalities: twoModalities, strategy: { kind: 'gradient-norm', alpha: 1 } });
    expect(norm.update({ text: { gradientNorm: 2, score: 1 }, vision: { gradientNorm: 1, score: 100 } }).ratios.text).toBe(2);
    const agm = createCoordinator({ modalities: twoModalities, strategy: { kind: 'agm', alpha: 1 } });
    expect(agm.update({ text: { loss: 0.2 }, vision: { loss: 0.2 } }).coefficients).toEqual({ text: 1, vision: 1 });
  });

  it('accepts a custom strategy object', () => {
    const halveFirst: CoordinationStrategy = {
      name: 'halve-first',
      signal: 'loss',
      noise: false,
      compute: (status) => ({ ratios: status.map(() => 1), coefficients: status.map((_, m) => (m === 0 ? 0.5 : 1)) }),
    };
    const coordinator = createCoordinator({ modalities: twoModalities, strategy: halveFirst });
    expect(coordinator.update({ text: { loss: 1 }, vision: { loss: 1 } }).coefficients).toEqual({ text: 0.5, vision: 1 });
  });

  it('resumes from state() exactly', () => {
    const config = { modalities: twoModalities, strategy: { kind: 'loss-descent', alpha: 1 }, emaDecay: 0.5 } as const;
    const first = createCoordinator(config);
    first.update({ text: { loss: 1 }, vision: { loss: 1 } });
    first.update({ text: { loss: 0.6 }, vision: { loss: 0.9 } });
    const resumed = createCoordinator(config);
    resumed.restore(JSON.parse(JSON.stringify(first.state())));
    const next = { text: { loss: 0.4 }, vision: { loss: 0.85 } };
    expect(resumed.update(next)).toEqual(first.update(next));
    expect(resumed.updates).toBe(3);
  });

  it('refuses a missing, negative or NaN signal and an unknown modality, naming the modality and field', () => {
    const coordinator = createCoordinator({ modalities: twoModalities, strategy: { kind: 'ogm-ge', alpha: 1 } });
    expect(() => coordinator.update({ text: { score: 1 } })).toThrow(/'score' for modality 'vision' is undefined.*pass \{ vision: \{ score/);
    expect(() => coordinator.update({ text: { score: Number.NaN }, vision: { score: 1 } })).toThrow(InvalidSignalError);
    expect(() => coordinator.update({ text: { score: -1 }, vision: { score: 1 } })).toThrow(/finite number ≥ 0/);
    expect(() => coordinator.update({ text: { score: 1 }, vision: { score: 1 }, audio: { score: 1 } })).toThrow(/Configured modalities are 'text', 'vision'/);
    expect(coordinator.updates).toBe(0); // refused updates change nothing
  });

  it('validates its config once, naming the key', () => {
    const strategy = { kind: 'ogm-ge', alpha: 1 } as const;
    expect(() => createCoordinator({ modalities: ['text'], strategy })).toThrow(/'modalities'/);
    expect(() => createCoordinator({ modalities: ['a', 'a'], strategy })).toThrow(InvalidConfigError);
    expect(() => createCoordinator({ modalities: twoModalities, strategy, emaDecay: 1 })).toThrow(/'emaDecay'/);
    expect(() => createCoordinator({ modalities: twoModalities, strategy, minCoefficient: 1.5 })).toThrow(/'minCoefficient'/);
    expect(() => createCoordinator({ modalities: twoModalities, strategy, warmupSteps: 10, stopStep: 5 })).toThrow(/'stopStep'/);
  });
});

describe('errors', () => {
  it('carry the umd.error marker that @umd/core UmdError.isInstance checks, and their own', () => {
    const error = new InvalidConfigError('emaDecay', 2, 'a number in [0, 1)');
    expect((error as unknown as Record<symbol, unknown>)[Symbol.for('umd.error')]).toBe(true);
    expect(GmCoordError.isInstance(error)).toBe(true);
    expect(GmCoordError.isInstance(new Error('x'))).toBe(false);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('UMD_InvalidConfigError');
    expect(error.message).toBe("Invalid value for 'emaDecay': 2. Allowed: a number in [0, 1).");
    expect(error.key).toBe('emaDecay');
  });
});
