import { describe, expect, it } from 'vitest';

import { SeededRandom } from './seeded-random.js';

describe('SeededRandom', () => {
  it('repeats a sequence for the same seed and differs for another', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const c = new SeededRandom(43);
    const draw = (r: SeededRandom): number[] => Array.from({ length: 8 }, () => r.nextUint32());
    const first = draw(a);
    expect(draw(b)).toEqual(first);
    expect(draw(c)).not.toEqual(first);
    expect(new SeededRandom('masking').next()).toBe(new SeededRandom('masking').next());
  });

  it('resumes exactly from a saved state', () => {
    const random = new SeededRandom(1);
    random.normalArray(10);
    const state = JSON.parse(JSON.stringify(random.state()));
    const expected = random.uniformArray(5);
    expect(SeededRandom.fromState(state).uniformArray(5)).toEqual(expected);
  });

  it('draws uniform floats in [0, 1) and normals with mean 0 and std 1', () => {
    const random = new SeededRandom(9);
    const uniform = random.uniformArray(20000);
    expect(Math.min(...uniform)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...uniform)).toBeLessThan(1);
    const normal = random.normalArray(20000);
    const mean = normal.reduce((s, v) => s + v, 0) / normal.length;
    const std = Math.sqrt(normal.reduce((s, v) => s + (v - mean) ** 2, 0) / normal.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(std - 1)).toBeLessThan(0.03);
  });

  it('permutes every index exactly once', () => {
    const permutation = Array.from(new SeededRandom(5).permutation(100));
    expect([...permutation].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(permutation).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('forks independent streams by label', () => {
    const a = new SeededRandom(3).fork('dropout');
    const b = new SeededRandom(3).fork('masking');
    expect(a.nextUint32()).not.toBe(b.nextUint32());
  });
});
