import { describe, expect, it } from 'vitest';

import { InvalidConfigError } from '../errors/invalid-config-error.js';
import { createStrategy } from './create-strategy.js';
import { discrepancyCoefficient, ratiosToOthers } from './discrepancy.js';

describe('ratiosToOthers', () => {
  it('is OGM-GE ratio s_a / s_v and its inverse for two modalities', () => {
    expect(ratiosToOthers([40, 20])).toEqual([2, 0.5]);
  });

  it('compares each of M modalities with the mean of the others', () => {
    // 30 / mean(20, 10) = 2; 20 / mean(30, 10) = 1; 10 / mean(30, 20) = 0.4
    const [a, b, c] = ratiosToOthers([30, 20, 10]);
    expect(a).toBeCloseTo(2, 12);
    expect(b).toBeCloseTo(1, 12);
    expect(c).toBeCloseTo(0.4, 12);
  });

  it('gives 1 for 0 / 0 and +Infinity for x / 0', () => {
    expect(ratiosToOthers([0, 0])).toEqual([1, 1]);
    expect(ratiosToOthers([3, 0])).toEqual([Number.POSITIVE_INFINITY, 0]);
  });
});

describe('discrepancyCoefficient', () => {
  it('is 1 − tanh(α (ρ − 1)) ahead of the others and 1 at or behind them', () => {
    expect(discrepancyCoefficient(2, 0.5)).toBeCloseTo(1 - Math.tanh(0.5), 12); // 0.537882842739990
    expect(discrepancyCoefficient(2, 0.5)).toBeCloseTo(0.53788284274, 10);
    expect(discrepancyCoefficient(1, 0.5)).toBe(1);
    expect(discrepancyCoefficient(0.3, 5)).toBe(1);
    expect(discrepancyCoefficient(Number.POSITIVE_INFINITY, 0.1)).toBe(0);
    expect(discrepancyCoefficient(Number.POSITIVE_INFINITY, 0)).toBe(1);
  });
});

describe('ogm-ge strategy', () => {
  it('slows the dominant modality and leaves the weaker one at 1 (hand-computed)', () => {
    const strategy = createStrategy({ kind: 'ogm-ge', alpha: 0.5 });
    // s_text = 48 of a 64-sample batch, s_vision = 16: ρ_text = 3, k_text = 1 − tanh(0.5 · 2) = 1 − tanh(1).
    const { ratios, coefficients } = strategy.compute([48, 16]);
    expect(ratios).toEqual([3, 1 / 3]);
    expect(coefficients[0]).toBeCloseTo(1 - Math.tanh(1), 12);
    expect(coefficients[0]).toBeCloseTo(0.238405844, 8);
    expect(coefficients[1]).toBe(1);
    expect(strategy.signal).toBe('score');
    expect(strategy.noise).toBe(true);
  });

  it('returns 1 for every modality when they are balanced', () => {
    const strategy = createStrategy({ kind: 'ogm-ge', alpha: 0.8 });
    expect(strategy.compute([25, 25]).coefficients).toEqual([1, 1]);
    expect(strategy.compute([10, 10, 10]).coefficients).toEqual([1, 1, 1]);
  });

  it('slows only the modalities ahead of the mean of the others when M = 3', () => {
    const { coefficients } = createStrategy({ kind: 'ogm-ge', alpha: 1 }).compute([30, 20, 10]);
    expect(coefficients[0]).toBeCloseTo(1 - Math.tanh(1), 12);
    expect(coefficients[1]).toBeCloseTo(1, 12);
    expect(coefficients[2]).toBe(1);
  });

  it('turns the GE noise off on request', () => {
    expect(createStrategy({ kind: 'ogm-ge', alpha: 0.5, noise: false }).noise).toBe(false);
  });
});

describe('gradient-norm strategy', () => {
  it('applies the same rule to gradient magnitudes', () => {
    const strategy = createStrategy({ kind: 'gradient-norm', alpha: 0.2 });
    const { ratios, coefficients } = strategy.compute([0.004, 0.001]);
    expect(ratios[0]).toBeCloseTo(4, 12);
    expect(coefficients[0]).toBeCloseTo(1 - Math.tanh(0.6), 12); // 0.2 · (4 − 1)
    expect(coefficients[1]).toBe(1);
    expect(strategy.signal).toBe('gradientNorm');
    expect(strategy.noise).toBe(false);
  });
});

describe('loss-descent strategy', () => {
  it('returns 1 on the first update, then slows the modality whose loss falls faster (hand-computed)', () => {
    const strategy = createStrategy({ kind: 'loss-descent', alpha: 0.5, epsilon: 1e-3 });
    expect(strategy.compute([1, 1]).coefficients).toEqual([1, 1]);
    // d = [(1 − 0.5) / 1, (1 − 0.9) / 1] = [0.5, 0.1]; ρ_a = 0.501 / 0.101; ρ_b = 0.101 / 0.501.
    const { ratios, coefficients } = strategy.compute([0.5, 0.9]);
    expect(ratios[0]).toBeCloseTo(0.501 / 0.101, 12);
    expect(ratios[1]).toBeCloseTo(0.101 / 0.501, 12);
    expect(coefficients[0]).toBeCloseTo(1 - Math.tanh(0.5 * (0.501 / 0.101 - 1)), 12);
    expect(coefficients[1]).toBe(1);
  });

  it('counts a rising loss as no progress and stays at 1 when nothing improves', () => {
    const strategy = createStrategy({ kind: 'loss-descent', alpha: 1 });
    strategy.compute([1, 1]);
    expect(strategy.compute([1.2, 1.5]).coefficients).toEqual([1, 1]); // both rates clamp to 0: ρ = ε / ε
  });

  it('rejects a non-positive epsilon', () => {
    expect(() => createStrategy({ kind: 'loss-descent', alpha: 1, epsilon: 0 })).toThrow(InvalidConfigError);
  });
});

describe('agm strategy', () => {
  it('matches AGM two-modality rule k_a = exp(α (η_a − exp(L_b − L_a))) with η = 1 at first (hand-computed)', () => {
    const strategy = createStrategy({ kind: 'agm', alpha: 0.5 });
    const { ratios, coefficients } = strategy.compute([0.5, 1.5]);
    expect(ratios[0]).toBeCloseTo(Math.E, 12); // exp(1.5 − 0.5)
    expect(ratios[1]).toBeCloseTo(1 / Math.E, 12);
    expect(coefficients[0]).toBeCloseTo(Math.exp(0.5 * (1 - Math.E)), 12); // 0.4235…: the leader is slowed
    expect(coefficients[1]).toBeCloseTo(Math.exp(0.5 * (1 - 1 / Math.E)), 12); // 1.3717…: the other is boosted
  });

  it('returns 1 for a modality that holds its own running standing, and for balanced modalities', () => {
    const strategy = createStrategy({ kind: 'agm', alpha: 0.5 });
    strategy.compute([0.5, 1.5]);
    const again = strategy.compute([0.5, 1.5]); // running means = [0.5, 1.5]: η = r
    expect(again.coefficients[0]).toBeCloseTo(1, 12);
    expect(again.coefficients[1]).toBeCloseTo(1, 12);
    for (const k of createStrategy({ kind: 'agm', alpha: 2 }).compute([0.7, 0.7, 0.7]).coefficients) expect(k).toBeCloseTo(1, 12);
  });

  it('uses M / (M − 1) for three modalities and caps η − r at maxDeviation', () => {
    const strategy = createStrategy({ kind: 'agm', alpha: 1, maxDeviation: 0.25 });
    // mean = 1; r = exp(1.5 · (1 − L)) = [e^1.5, 1, e^−1.5]; η = 1.
    const { ratios, coefficients } = strategy.compute([0, 1, 2]);
    expect(ratios[0]).toBeCloseTo(Math.exp(1.5), 12);
    expect(ratios[2]).toBeCloseTo(Math.exp(-1.5), 12);
    expect(coefficients[0]).toBeCloseTo(Math.exp(1 - Math.exp(1.5)), 12);
    expect(coefficients[1]).toBeCloseTo(1, 12);
    expect(coefficients[2]).toBeCloseTo(Math.exp(0.25), 12); // 1 − e^−1.5 = 0.777 capped at 0.25
  });

  it('restores its running means from state()', () => {
    const a = createStrategy({ kind: 'agm', alpha: 0.3 });
    a.compute([0.2, 0.9]);
    a.compute([0.3, 0.8]);
    const b = createStrategy({ kind: 'agm', alpha: 0.3 });
    b.restore?.(JSON.parse(JSON.stringify(a.state?.())));
    expect(b.compute([0.25, 0.7])).toEqual(a.compute([0.25, 0.7]));
  });
});

describe('createStrategy', () => {
  it('rejects an unknown kind, listing the valid ones', () => {
    expect(() => createStrategy({ kind: 'ogm', alpha: 1 } as never)).toThrow(/'ogm-ge', 'gradient-norm', 'loss-descent', 'agm'/);
  });

  it('rejects a negative or non-finite alpha', () => {
    expect(() => createStrategy({ kind: 'ogm-ge', alpha: -0.1 })).toThrow(/strategy\.alpha/);
    expect(() => createStrategy({ kind: 'agm', alpha: Number.NaN })).toThrow(InvalidConfigError);
  });
});
