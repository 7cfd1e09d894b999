import { CheckpointMismatchError, InvalidConfigError, SeededRandom, type CheckpointProblem } from '@umd/core';

/** What a collate function gets besides the samples. */
export interface CollateContext {
  /** 0-based epoch of this batch. */
  readonly epoch: number;
  /** 0-based index of this batch within its epoch. */
  readonly batchIndex: number;
  /** Indices of the batch's samples in `samples`. */
  readonly indices: readonly number[];
  /**
   * One generator per sample for augmentation (random crops), seeded from (loader seed, epoch, position in the epoch):
   * the same numbers after a resume, whatever was prefetched before it.
   */
  readonly randoms: readonly SeededRandom[];
}

/** Options of {@link createBatchLoader}. */
export interface BatchLoaderOptions<S, B> {
  /** The dataset (not copied: do not mutate it while the loader is in use). */
  readonly samples: readonly S[];
  /** Samples per batch (the last batch of an epoch may be smaller unless `dropLast`). */
  readonly batchSize: number;
  /** Seeds the per-epoch order and the per-sample `randoms`. */
  readonly seed: number;
  /** Shuffle each epoch (a new permutation per epoch, fixed by seed and epoch). Default true. */
  readonly shuffle?: boolean;
  /** Skip the last, incomplete batch of each epoch. Default false. */
  readonly dropLast?: boolean;
  /**
   * Batches prepared ahead of the one being consumed, so decoding overlaps training. Default 2. Each batch's own
   * concurrency (images in flight) is the collate function's business.
   */
  readonly prefetch?: number;
  /** Turns samples into a batch (decoding, tokenising). May be async. */
  readonly collate: (samples: readonly S[], context: CollateContext) => B | Promise<B>;
}

/** Where the loader is: the next batch to deliver is batch `index / batchSize` of epoch `epoch`. */
export interface LoaderPosition {
  readonly epoch: number;
  /** Samples of this epoch already delivered (a multiple of batchSize). */
  readonly index: number;
}

/** The plain-JSON state of a {@link BatchLoader}, for checkpoints (`@umd/core`'s `Resumable`). */
export interface BatchLoaderState extends LoaderPosition {
  readonly kind: 'umd-batch-loader';
  readonly version: 1;
  readonly seed: number;
  readonly size: number;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
}

/** One delivered batch and where it came from. */
export interface LoadedBatch<B> {
  readonly value: B;
  readonly epoch: number;
  readonly batchIndex: number;
  /** True for the last batch of its epoch. */
  readonly lastInEpoch: boolean;
}

interface Pending<B> {
  readonly position: LoaderPosition;
  readonly promise: Promise<LoadedBatch<B>>;
}

/**
 * A seeded, resumable, prefetching batch iterator. The order of an epoch is a permutation fixed by (seed, epoch), so a
 * seed always gives the same sequence of batches; `state()`/`restore()` resume exactly (it implements `@umd/core`'s
 * `Resumable`, so pass it as `trainLoop({ data: loader })`). Batches are whatever `collate` returns: with the helpers
 * of this package, plain typed arrays; make tensors with `batchToTensors` (the caller owns them).
 *
 * `next()` runs across epochs (step-based training); `for await (const batch of loader)` yields the rest of the
 * current epoch (epoch-based training). State counts delivered batches only: prefetched ones are prepared again after
 * a restore.
 */
export class BatchLoader<S, B> {
  readonly batchSize: number;
  readonly batchesPerEpoch: number;
  readonly seed: number;
  private readonly samples: readonly S[];
  private readonly shuffle: boolean;
  private readonly dropLast: boolean;
  private readonly prefetch: number;
  private readonly collate: BatchLoaderOptions<S, B>['collate'];
  private cursor: LoaderPosition = { epoch: 0, index: 0 };
  private scheduled: LoaderPosition = { epoch: 0, index: 0 };
  private queue: Pending<B>[] = [];
  private orders = new Map<number, Int32Array>();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(options: BatchLoaderOptions<S, B>) {
    const { samples, batchSize, seed, shuffle = true, dropLast = false, prefetch = 2 } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidConfigError('batchSize', batchSize, 'a positive integer');
    if (!Number.isInteger(prefetch) || prefetch < 0) throw new InvalidConfigError('prefetch', prefetch, 'an integer >= 0 (batches ahead)');
    if (!Number.isFinite(seed)) throw new InvalidConfigError('seed', seed, 'a finite number');
    this.batchesPerEpoch = dropLast ? Math.floor(samples.length / batchSize) : Math.ceil(samples.length / batchSize);
    if (this.batchesPerEpoch === 0) {
      throw new InvalidConfigError(
        'samples',
        samples.length,
        `at least ${dropLast ? batchSize : 1} sample(s) for batchSize ${batchSize}${dropLast ? ' with dropLast' : ''}`,
      );
    }
    this.samples = samples;
    this.batchSize = batchSize;
    this.seed = seed;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.prefetch = prefetch;
    this.collate = options.collate;
  }

  /** The next batch to be delivered. */
  position(): LoaderPosition {
    return this.cursor;
  }

  /** Plain JSON for a checkpoint. */
  state(): BatchLoaderState {
    return {
      kind: 'umd-batch-loader',
      version: 1,
      seed: this.seed,
      size: this.samples.length,
      batchSize: this.batchSize,
      shuffle: this.shuffle,
      dropLast: this.dropLast,
      ...this.cursor,
    };
  }

  /**
   * Continues from a {@link state}: the next batch is the one that followed it. Prefetched batches are discarded.
   *
   * @throws CheckpointMismatchError when the state is malformed or comes from a loader with another seed, dataset
   *   size, batch size, shuffle or dropLast
   */
  restore(state: unknown): void {
    const saved = state as Partial<BatchLoaderState> | null;
    const problems: CheckpointProblem[] = [];
    if (typeof saved !== 'object' || saved === null || saved.kind !== 'umd-batch-loader' || saved.version !== 1) {
      throw new CheckpointMismatchError('batch loader state', [
        { kind: 'field', name: 'kind', checkpoint: JSON.stringify((saved as { kind?: unknown } | null)?.kind), expected: '"umd-batch-loader" version 1' },
      ]);
    }
    const current = this.state();
    for (const field of ['seed', 'size', 'batchSize', 'shuffle', 'dropLast'] as const) {
      if (saved[field] !== current[field]) problems.push({ kind: 'field', name: field, checkpoint: String(saved[field]), expected: String(current[field]) });
    }
    const { epoch, index } = saved;
    if (!Number.isInteger(epoch) || epoch! < 0) problems.push({ kind: 'field', name: 'epoch', checkpoint: String(epoch), expected: 'an integer >= 0' });
    if (!Number.isInteger(index) || index! < 0 || index! % this.batchSize !== 0 || index! / this.batchSize >= this.batchesPerEpoch) {
      problems.push({
        kind: 'field',
        name: 'index',
        checkpoint: String(index),
        expected: `a multiple of ${this.batchSize} below ${this.batchesPerEpoch * this.batchSize}`,
      });
    }
    if (problems.length > 0) throw new CheckpointMismatchError('batch loader state', problems);
    this.discardPrefetched();
    this.cursor = { epoch: epoch!, index: index! };
    this.scheduled = this.cursor;
  }

  /** Sample indices of `epoch` in delivery order (a permutation of 0..n-1 when shuffling, else identity). */
  order(epoch: number): Int32Array {
    let order = this.orders.get(epoch);
    if (!order) {
      if (this.shuffle) {
        order = new SeededRandom(`umd-batch-loader:${this.seed}:epoch=${epoch}`).permutation(this.samples.length);
      } else {
        order = Int32Array.from({ length: this.samples.length }, (_, i) => i);
      }
      // Keep the few epochs that prefetching may straddle.
      if (this.orders.size >= 3) this.orders.delete(Math.min(...this.orders.keys()));
      this.orders.set(epoch, order);
    }
    return order;
  }

  /** The next batch, moving into the next epoch after the last one. Calls are served in order. */
  next(): Promise<LoadedBatch<B>> {
    const result = this.chain.then(() => this.deliver());
    this.chain = result.catch(() => undefined); // a failed batch must not block later calls; the caller sees its error
    return result;
  }

  /** The rest of the current epoch (all of it from a fresh position). */
  async *epoch(): AsyncGenerator<B, void, undefined> {
    const { epoch } = this.cursor;
    while (this.cursor.epoch === epoch) yield (await this.next()).value;
  }

  [Symbol.asyncIterator](): AsyncGenerator<B, void, undefined> {
    return this.epoch();
  }

  private async deliver(): Promise<LoadedBatch<B>> {
    this.fill(Math.max(1, this.prefetch));
    const head = this.queue.shift()!;
    this.fill(this.prefetch);
    try {
      const item = await head.promise;
      this.cursor = this.after(head.position);
      return item;
    } catch (error) {
      // Retry from this batch on the next call rather than skipping it.
      this.discardPrefetched();
      this.scheduled = this.cursor;
      throw error;
    }
  }

  private fill(count: number): void {
    while (this.queue.length < count) {
      const position = this.scheduled;
      const promise = this.load(position);
      promise.catch(() => undefined); // observed by deliver(); this only silences "unhandled" for discarded ones
      this.queue.push({ position, promise });
      this.scheduled = this.after(position);
    }
  }

  private async load(position: LoaderPosition): Promise<LoadedBatch<B>> {
    const { epoch, index } = position;
    const order = this.order(epoch);
    const end = Math.min(index + this.batchSize, this.samples.length);
    const indices = Array.from(order.subarray(index, end));
    const randoms = indices.map((_, i) => new SeededRandom(`umd-batch-loader:${this.seed}:${epoch}:${index + i}`));
    const batchIndex = index / this.batchSize;
    const value = await this.collate(
      indices.map((i) => this.samples[i]!),
      { epoch, batchIndex, indices, randoms },
    );
    return { value, epoch, batchIndex, lastInEpoch: batchIndex === this.batchesPerEpoch - 1 };
  }

  private after(position: LoaderPosition): LoaderPosition {
    const index = position.index + this.batchSize;
    return index / this.batchSize >= this.batchesPerEpoch ? { epoch: position.epoch + 1, index: 0 } : { epoch: position.epoch, index };
  }

  private discardPrefetched(): void {
    this.queue = [];
  }
}

/**
 * Creates a {@link BatchLoader}.
 *
 * @throws InvalidConfigError naming the offending option
 */
export function createBatchLoader<S, B>(options: BatchLoaderOptions<S, B>): BatchLoader<S, B> {
  return new BatchLoader(options);
}
