import type * as tf from '@tensorflow/tfjs-core';

import { InvalidConfigError } from '../errors/invalid-config-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';

/**
 * One modality's slice of the pooled feature, in order: `[{ modality: 'text', width: 256 }, { modality: 'vision',
 * width: 256 }]` describes pooled = concat([text CLS; image CLS]) of width 512.
 */
export interface FeatureSegment {
  readonly modality: string;
  /** Number of pooled-feature columns this modality owns (> 0). */
  readonly width: number;
}

/** A fusion head: pooled features [B, D] → logits [B, K]. Synchronous; may create intermediates (they are tidied). */
export type FusionHead = (pooled: tf.Tensor2D) => tf.Tensor2D;

/** Checks the segments against pooled [B, D] and returns each segment's start column. */
export function checkSegments(pooled: tf.Tensor, segments: readonly FeatureSegment[], caller: string): number[] {
  const names = segments.map((segment) => segment.modality);
  if (segments.length < 2 || new Set(names).size !== names.length || segments.some((s) => !Number.isInteger(s.width) || s.width <= 0)) {
    throw new InvalidConfigError(`${caller}(segments)`, segments, 'two or more { modality, width } entries with unique modality names and integer widths > 0');
  }
  const D = segments.reduce((sum, segment) => sum + segment.width, 0);
  if (pooled.rank !== 2 || pooled.shape[1] !== D) {
    throw new ShapeMismatchError(
      `${caller}(pooled)`,
      ['B', D],
      pooled.shape,
      `The segments (${segments.map((s) => `${s.modality}: ${s.width}`).join(', ')}) add up to ${D} columns.`,
    );
  }
  const starts: number[] = [];
  let start = 0;
  for (const segment of segments) {
    starts.push(start);
    start += segment.width;
  }
  return starts;
}

/** A [1, D] float mask that keeps the columns of the modalities in `keep` (1) and zeroes the rest (0). */
export function segmentMask(segments: readonly FeatureSegment[], keep: ReadonlySet<string>): Float32Array {
  const D = segments.reduce((sum, segment) => sum + segment.width, 0);
  const mask = new Float32Array(D);
  let start = 0;
  for (const segment of segments) {
    if (keep.has(segment.modality)) mask.fill(1, start, start + segment.width);
    start += segment.width;
  }
  return mask;
}
