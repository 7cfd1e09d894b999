import * as tf from '@tensorflow/tfjs-core';

import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';

/**
 * Labels as class indices [B] (any numeric dtype) or one-hot / soft targets [B, K], against logits [B, K].
 * Returns targets [B, K] float32.
 */
function targetsFor(logits: tf.Tensor, labels: tf.Tensor, caller: string): tf.Tensor2D {
  const [B, K] = logits.shape;
  if (logits.rank !== 2 || B === undefined || K === undefined) throw new ShapeMismatchError(`${caller}(logits)`, ['B', 'K'], logits.shape);
  if (labels.rank === 1 && labels.shape[0] === B) return tf.cast(tf.oneHot(tf.cast(labels, 'int32'), K), 'float32') as tf.Tensor2D;
  if (labels.rank === 2 && labels.shape[0] === B && labels.shape[1] === K) return tf.cast(labels, 'float32') as tf.Tensor2D;
  throw new ShapeMismatchError(`${caller}(labels)`, [B], labels.shape, `Pass class indices [${B}] or one-hot targets [${B}, ${K}].`);
}

/**
 * OGM-GE's score for one modality: s = Σ_i softmax(logits_i)[y_i], the summed probability of the true class over the
 * batch (in [0, B]). One read-back. Inputs are borrowed.
 *
 * @param logits [B, K] the modality's unimodal logits (see `unimodalLogits`)
 * @param labels [B] class indices, or [B, K] one-hot
 */
export async function ogmScore(logits: tf.Tensor2D, labels: tf.Tensor): Promise<number> {
  const score = tf.tidy('gm-coord/ogm-score', () => tf.sum(tf.mul(tf.softmax(logits), targetsFor(logits, labels, 'ogmScore'))));
  const [value] = await score.data();
  score.dispose();
  return value ?? Number.NaN;
}

/**
 * `score` (OGM-GE's Σ true-class probability) and `loss` (mean cross-entropy) for each modality's unimodal logits,
 * ready for `Coordinator.update`. One read-back for all modalities. Inputs are borrowed.
 *
 * @param logits modality → [B, K] unimodal logits (from `unimodalLogits` or `shapleyLogits`)
 * @param labels [B] class indices, or [B, K] one-hot
 */
export async function unimodalSignals(
  logits: Readonly<Record<string, tf.Tensor2D>>,
  labels: tf.Tensor,
): Promise<Record<string, { score: number; loss: number }>> {
  const modalities = Object.keys(logits);
  const packed = tf.tidy('gm-coord/unimodal-signals', () =>
    tf.stack(
      modalities.flatMap((modality) => {
        const z = logits[modality] as tf.Tensor2D;
        const targets = targetsFor(z, labels, 'unimodalSignals');
        const B = z.shape[0];
        const score = tf.sum(tf.mul(tf.softmax(z), targets));
        const loss = tf.div(tf.neg(tf.sum(tf.mul(tf.logSoftmax(z), targets))), tf.scalar(B));
        return [score, loss];
      }),
    ),
  );
  const values = await packed.data();
  packed.dispose();
  return Object.fromEntries(modalities.map((modality, m) => [modality, { score: values[2 * m] ?? Number.NaN, loss: values[2 * m + 1] ?? Number.NaN }]));
}
