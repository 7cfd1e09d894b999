import * as tf from '@tensorflow/tfjs-core';

import { assignGroups, type ParameterGroups } from './parameter-groups.js';
import { gradientRms } from './signal-tensor.js';

/**
 * Each modality's gradient RMS, ‖g‖₂ / √n over every element of its group, as `{ gradientNorm }` signals for the
 * `gradient-norm` strategy. RMS rather than the plain norm, so encoders of different sizes compare. Measure before
 * `modulateGradients`. One read-back (awaits queued GPU work). `gradients` is borrowed.
 */
export async function gradientNormSignals(gradients: tf.NamedTensorMap, groups: ParameterGroups): Promise<Record<string, { gradientNorm: number }>> {
  const modalities = Object.keys(groups);
  const names = Object.keys(gradients);
  const assignment = assignGroups(names, groups);
  const sums = tf.tidy('gm-coord/gradient-norms', () =>
    tf.stack(modalities.map((modality) => gradientRms(names.filter((name) => assignment.get(name) === modality).map((name) => gradients[name] as tf.Tensor)))),
  );
  const values = await sums.data();
  sums.dispose();
  return Object.fromEntries(modalities.map((modality, m) => [modality, { gradientNorm: values[m] ?? 0 }]));
}
