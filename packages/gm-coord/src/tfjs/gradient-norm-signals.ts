import * as tf from '@tensorflow/tfjs-core';

import { assignGroups, type ParameterGroups } from './parameter-groups.js';

/**
 * Each modality's gradient RMS, ‖g‖₂ / √n over every element of its group, as `{ gradientNorm }` signals for the
 * `gradient-norm` strategy. RMS rather than the plain norm, so encoders of different sizes compare. Measure before
 * `modulateGradients`. One read-back (awaits queued GPU work). `gradients` is borrowed.
 */
export async function gradientNormSignals(
  gradients: tf.NamedTensorMap,
  groups: ParameterGroups,
): Promise<Record<string, { gradientNorm: number }>> {
  const names = Object.keys(gradients);
  const assignment = assignGroups(names, groups);
  const modalities = Object.keys(groups);
  const counts = modalities.map((modality) =>
    names.filter((name) => assignment.get(name) === modality).reduce((sum, name) => sum + (gradients[name] as tf.Tensor).size, 0),
  );
  const sums = tf.tidy('gm-coord/gradient-norms', () =>
    tf.stack(
      modalities.map((modality) => {
        const squares = names.filter((name) => assignment.get(name) === modality).map((name) => tf.sum(tf.square(gradients[name] as tf.Tensor)));
        return tf.addN(squares);
      }),
    ),
  );
  const values = await sums.data();
  sums.dispose();
  return Object.fromEntries(modalities.map((modality, m) => [modality, { gradientNorm: Math.sqrt((values[m] ?? 0) / Math.max(1, counts[m] ?? 1)) }]));
}
