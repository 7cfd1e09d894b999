import * as tf from '@tensorflow/tfjs-core';

import type { Coordination } from '../types.js';
import { assignGroups, type ParameterGroups } from './parameter-groups.js';

/** Options for {@link modulateGradients}. */
export interface ModulateGradientsOptions {
  /** Modality → name prefix(es) of its parameters. Must cover every modality in `coefficients`. */
  readonly groups: ParameterGroups;
  /**
   * Seed of the GE noise (used only when `coordination.noise`). Each tensor's noise is seeded from (seed,
   * `coordination.update`, name), so a run replays exactly and different updates and tensors get different noise.
   * Default 0.
   */
  readonly seed?: number;
}

/**
 * Scales each modality's gradients by its coefficient, g ← k_m · g, and, when `coordination.noise` is set, adds
 * OGM-GE's noise: g ← k_m · g + std(g) · z with z ~ N(0, 1) per element and std(g) the standard deviation over that
 * tensor's elements before scaling. Call it between `variableGrads` and `optimizer.applyGradients`.
 *
 * Ownership: `gradients` is borrowed (never disposed). Every returned tensor is new and owned by the caller,
 * including the unchanged ones (clones of gradients outside every group, or with k = 1 and no noise).
 *
 * @param gradients name → gradient, e.g. the `grads` of `tf.variableGrads`
 * @param coordination a coordinator update, or any `{ coefficients, noise?, update? }` (give each call its own
 *   `update` index when you add noise, or every call draws the same noise)
 * @returns a new map with the same names, shapes and dtypes
 */
export function modulateGradients(
  gradients: tf.NamedTensorMap,
  coordination: Pick<Coordination, 'coefficients'> & Partial<Pick<Coordination, 'noise' | 'update'>>,
  options: ModulateGradientsOptions,
): tf.NamedTensorMap {
  const names = Object.keys(gradients);
  const assignment = assignGroups(names, options.groups, Object.keys(coordination.coefficients));
  const noise = coordination.noise ?? false;
  const seed = options.seed ?? 0;
  const update = coordination.update ?? 0;
  return tf.tidy('gm-coord/modulate-gradients', () => {
    const result: tf.NamedTensorMap = {};
    for (const name of names) {
      const gradient = gradients[name] as tf.Tensor;
      const modality = assignment.get(name);
      const coefficient = modality === undefined ? 1 : (coordination.coefficients[modality] ?? 1);
      if (modality === undefined || (coefficient === 1 && !noise)) {
        result[name] = tf.clone(gradient);
        continue;
      }
      let modulated = tf.mul(gradient, tf.scalar(coefficient));
      if (noise) {
        const std = tf.sqrt(tf.moments(gradient).variance); // over all elements of this tensor, before scaling
        const z = tf.randomNormal(gradient.shape, 0, 1, 'float32', mixSeed(seed, update, name));
        modulated = tf.add(modulated, tf.mul(z, std));
      }
      result[name] = modulated;
    }
    return result;
  });
}

/** A 32-bit seed from (seed, update, name): FNV-1a over the name, mixed with murmur3's finaliser. */
export function mixSeed(seed: number, update: number, name: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  h = Math.imul(h ^ (update >>> 0), 0x01000193);
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
