import * as tf from '@tensorflow/tfjs-core';

import { readSignals, signalTensor, targetsFor } from './signal-tensor.js';

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
 * `score` (OGM-GE's Σ true-class probability) and `loss` (mean cross-entropy over the counted samples) for each
 * modality's unimodal logits, ready for `Coordinator.update`: {@link signalTensor} and one read-back. Labels of −1 count
 * nowhere. Inputs are borrowed.
 *
 * @param logits modality → [B, K] unimodal logits (from `unimodalLogits` or `shapleyLogits`)
 * @param labels [B] class indices, or [B, K] one-hot
 */
export async function unimodalSignals(
  logits: Readonly<Record<string, tf.Tensor2D>>,
  labels: tf.Tensor,
): Promise<Record<string, { score: number; loss: number }>> {
  const packed = signalTensor(logits, labels);
  const values = await packed.data();
  packed.dispose();
  return readSignals(values, Object.keys(logits), false);
}
