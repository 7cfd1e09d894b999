import * as tf from '@tensorflow/tfjs-core';
import { initRuntime, InvalidConfigError, SeededRandom, ShapeMismatchError } from '@umd/core';
import { expectNoTensorLeak } from '@umd/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';

import { initWordEmbeddings } from './word-vector-init.js';

beforeAll(async () => {
  await initRuntime({ backend: 'cpu' });
});

/** n random d-vectors in two clusters: ids < n/2 around +c, the rest around −c. */
function clusteredVectors(n: number, d: number, seed: string): Float32Array[] {
  const random = new SeededRandom(seed);
  const centre = Float32Array.from({ length: d }, () => random.normal());
  return Array.from({ length: n }, (_, i) => Float32Array.from(centre, (c) => (i < n / 2 ? c : -c) + 0.3 * random.normal()));
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i += 1) {
    dot += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  return dot / Math.sqrt(na * nb);
}

function rms(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i += 1) sum += values[i]! ** 2;
  return Math.sqrt(sum / values.length);
}

describe('initWordEmbeddings', () => {
  it('writes the matched rows, keeps the others, and keeps which words lie near which (d > D: principal components)', () => {
    const vectors = clusteredVectors(40, 12, 'vectors');
    const table = tf.variable(tf.randomNormal([50, 8], 0, 0.02, 'float32', 7));
    const before = table.arraySync() as number[][];
    // ids 5..44 get vectors; the rest (0..4, 45..49) have none
    const result = initWordEmbeddings(table, (id) => (id >= 5 && id < 45 ? vectors[id - 5] : undefined));
    expect(result).toMatchObject({ matched: 40, rows: 50 });
    expect(result.explainedVariance).toBeGreaterThan(0.5);
    expect(result.explainedVariance).toBeLessThan(1);
    const after = table.arraySync() as number[][];
    for (const id of [0, 4, 45, 49]) expect(after[id]).toEqual(before[id]);
    expect(after[5]).not.toEqual(before[5]);
    // same cluster: near; other cluster: far (the clusters are the dominant direction, kept by the projection)
    expect(cosine(after[5]!, after[6]!)).toBeGreaterThan(0.5);
    expect(cosine(after[5]!, after[40]!)).toBeLessThan(-0.5);
    // the matched rows take the table's scale
    expect(rms(after.slice(5, 45).flat()) / rms(before.flat())).toBeGreaterThan(0.7);
    expect(rms(after.slice(5, 45).flat()) / rms(before.flat())).toBeLessThan(1.3);
    table.dispose();
  });

  it('zero-pads when the vectors are narrower than the table (d < D) and keeps every component', () => {
    const vectors = clusteredVectors(10, 4, 'narrow');
    const table = tf.variable(tf.randomNormal([10, 6], 0, 0.02, 'float32', 3));
    const result = initWordEmbeddings(table, (id) => vectors[id]);
    expect(result.explainedVariance).toBeCloseTo(1, 6);
    const after = table.arraySync() as number[][];
    for (const row of after) expect(row.slice(4)).toEqual([0, 0]);
    table.dispose();
  });

  it('gives the same table for the same vectors (deterministic)', () => {
    const vectors = clusteredVectors(20, 10, 'again');
    const tables = [0, 1].map(() => tf.variable(tf.randomNormal([24, 8], 0, 0.02, 'float32', 5)));
    for (const table of tables) initWordEmbeddings(table, (id) => vectors[id]);
    expect(tables[0]!.arraySync() as number[][]).toEqual(tables[1]!.arraySync() as number[][]);
    for (const table of tables) table.dispose();
  });

  it('refuses fewer than two matched rows and vectors of different lengths', () => {
    const table = tf.variable(tf.zeros([4, 3]));
    expect(() => initWordEmbeddings(table, (id) => (id === 0 ? new Float32Array(3) : undefined))).toThrow(InvalidConfigError);
    expect(() => initWordEmbeddings(table, (id) => new Float32Array(id === 2 ? 4 : 3))).toThrow(ShapeMismatchError);
    table.dispose();
  });

  it('leaks no tensors', async () => {
    const vectors = clusteredVectors(16, 6, 'leak');
    const table = tf.variable(tf.randomNormal([16, 4], 0, 0.02, 'float32', 1));
    await expectNoTensorLeak(() => initWordEmbeddings(table, (id) => vectors[id]));
    table.dispose();
  });
});
