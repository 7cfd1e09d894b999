import { CheckpointMismatchError, InvalidConfigError, type Resumable } from '@umd/core';
import { describe, expect, it } from 'vitest';

import { createBatchLoader, type CollateContext } from './batch-loader.js';

const samples = Array.from({ length: 10 }, (_, i) => i);
/** A batch: the sample values and one draw from each sample's random (stands in for a random crop). */
const collate = (batch: readonly number[], context: CollateContext) => ({
  values: [...batch],
  draws: context.randoms.map((random) => random.next()),
  epoch: context.epoch,
});

async function take<B>(loader: { next(): Promise<{ value: B }> }, count: number): Promise<B[]> {
  const out: B[] = [];
  for (let i = 0; i < count; i++) out.push((await loader.next()).value);
  return out;
}

describe('BatchLoader', () => {
  it('gives the same order for a seed, another for another seed, and a new permutation each epoch', async () => {
    const a = await take(createBatchLoader({ samples, batchSize: 4, seed: 1, collate }), 6);
    const b = await take(createBatchLoader({ samples, batchSize: 4, seed: 1, collate }), 6);
    const c = await take(createBatchLoader({ samples, batchSize: 4, seed: 2, collate }), 6);
    expect(a).toEqual(b);
    expect(a.map((batch) => batch.values)).not.toEqual(c.map((batch) => batch.values));
    const epoch0 = a.slice(0, 3).flatMap((batch) => batch.values);
    const epoch1 = a.slice(3, 6).flatMap((batch) => batch.values);
    expect([...epoch0].sort((x, y) => x - y)).toEqual(samples);
    expect([...epoch1].sort((x, y) => x - y)).toEqual(samples);
    expect(epoch0).not.toEqual(epoch1);
    expect(a.map((batch) => batch.values.length)).toEqual([4, 4, 2, 4, 4, 2]);
  });

  it('iterates one epoch with for await, honouring dropLast and shuffle: false', async () => {
    const loader = createBatchLoader({ samples, batchSize: 4, seed: 1, shuffle: false, dropLast: true, collate });
    expect(loader.batchesPerEpoch).toBe(2);
    const seen: number[][] = [];
    for await (const batch of loader) seen.push(batch.values);
    expect(seen).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    expect(loader.position()).toEqual({ epoch: 1, index: 0 });
    const next: number[][] = [];
    for await (const batch of loader) next.push(batch.values);
    expect(next).toHaveLength(2);
  });

  it('resumes exactly from state(), augmentation randoms included, whatever was prefetched', async () => {
    const reference = await take(createBatchLoader({ samples, batchSize: 3, seed: 5, collate }), 9);
    const first = createBatchLoader({ samples, batchSize: 3, seed: 5, prefetch: 3, collate });
    await take(first, 5);
    const saved = JSON.parse(JSON.stringify(first.state())) as unknown; // through a checkpoint: plain JSON
    expect(saved).toMatchObject({ epoch: 1, index: 3, seed: 5, size: 10, batchSize: 3 });
    const resumed = createBatchLoader({ samples, batchSize: 3, seed: 5, collate });
    const asResumable: Resumable = resumed; // fits @umd/core's trainLoop({ data })
    asResumable.restore(saved);
    expect(await take(resumed, 4)).toEqual(reference.slice(5, 9));
    // Restoring the same loader discards its prefetched batches.
    first.restore(saved);
    expect(await take(first, 4)).toEqual(reference.slice(5, 9));
  });

  it('rejects a state from another configuration, listing every difference', () => {
    const loader = createBatchLoader({ samples, batchSize: 3, seed: 5, collate });
    const other = createBatchLoader({ samples: samples.slice(0, 9), batchSize: 2, seed: 6, collate });
    expect(() => loader.restore(other.state())).toThrow(CheckpointMismatchError);
    expect(() => loader.restore(other.state())).toThrow(/seed.*\n.*size.*\n.*batchSize/);
    expect(() => loader.restore({ kind: 'something-else' })).toThrow(/umd-batch-loader/);
    expect(() => loader.restore({ ...loader.state(), index: 4 })).toThrow(/index/);
  });

  it('prefetches: later batches are being prepared while the consumer works on earlier ones', async () => {
    const started: number[] = [];
    const loader = createBatchLoader({
      samples,
      batchSize: 2,
      seed: 1,
      prefetch: 2,
      collate: async (_batch, context) => {
        started.push(context.batchIndex);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return context.batchIndex;
      },
    });
    expect((await loader.next()).value).toBe(0);
    // Batch 0 was handed over; batches 1 and 2 are already in flight.
    expect(started).toEqual([0, 1, 2]);
    expect((await loader.next()).value).toBe(1);
    expect(started).toEqual([0, 1, 2, 3]);
  });

  it('surfaces a collate error at the batch that failed, and retries that batch on the next call', async () => {
    let failOnce = true;
    const loader = createBatchLoader({
      samples,
      batchSize: 5,
      seed: 1,
      shuffle: false,
      collate: (batch) => {
        if (batch[0] === 5 && failOnce) {
          failOnce = false;
          throw new Error('decode failed');
        }
        return batch[0];
      },
    });
    expect((await loader.next()).value).toBe(0);
    await expect(loader.next()).rejects.toThrow('decode failed');
    expect(loader.position()).toEqual({ epoch: 0, index: 5 });
    const retried = await loader.next();
    expect([retried.value, retried.lastInEpoch]).toEqual([5, true]);
  });

  it('validates its options, naming the field', () => {
    expect(() => createBatchLoader({ samples, batchSize: 0, seed: 1, collate })).toThrow(InvalidConfigError);
    expect(() => createBatchLoader({ samples: [1, 2], batchSize: 4, seed: 1, dropLast: true, collate })).toThrow(/'samples'/);
    expect(() => createBatchLoader({ samples, batchSize: 2, seed: 1, prefetch: -1, collate })).toThrow(/'prefetch'/);
  });
});
