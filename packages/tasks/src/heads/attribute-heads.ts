import * as tf from '@tensorflow/tfjs-core';
import { InvalidConfigError, Linear, Module, type SeededRandom } from '@umd/core';

/**
 * Auxiliary attribute classifiers on the shared retrieval space, registered as `heads.attributes`: for each attribute
 * field f (e.g. MedPix's `Type`, `Plane`, `Location Category`) one Linear(P → K_f) whose logits are `e · W_f / τ + b_f`
 * for a unit-length embedding e. The SAME classifier reads image and text embeddings, so training it on both pulls
 * an image and a caption that share an attribute (CT, axial, thorax) towards the same region of the space, a
 * structure 1,653 InfoNCE pairs alone do not teach. Only training uses it; ranking stays the cosine.
 */
export class AttributeHeads extends Module {
  private readonly classifiers: readonly Linear[];

  /**
   * @param projectionDim P, the width of the retrieval space
   * @param classes field → its class names (K_f ≥ 2 each), in a fixed order
   * @param scale 1/τ: unit-length embeddings give logits in [−‖W‖, ‖W‖], so a scale lets them reach a confident
   *   softmax early in training (as InfoNCE's temperature does)
   * @throws InvalidConfigError for a field with fewer than 2 classes or a non-positive scale
   */
  constructor(
    projectionDim: number,
    readonly classes: Readonly<Record<string, readonly string[]>>,
    readonly scale: number,
    random: SeededRandom,
  ) {
    super();
    if (!(scale > 0 && Number.isFinite(scale))) throw new InvalidConfigError('AttributeHeads.scale', scale, 'a finite number > 0');
    this.classifiers = Object.entries(classes).map(([field, names], index) => {
      if (names.length < 2)
        throw new InvalidConfigError(`retrieval.attributes.classes['${field}']`, names.length, 'at least 2 classes (seen in the training samples)');
      return this.addModule(`field${index}`, new Linear(projectionDim, names.length, random));
    });
  }

  /** The attribute fields, in the order {@link forward} returns their logits. */
  get fields(): readonly string[] {
    return Object.keys(this.classes);
  }

  /** embeddings [B, P] (unit length) → one logits tensor [B, K_f] per field, in {@link fields} order (the caller owns them). */
  forward(embeddings: tf.Tensor2D): tf.Tensor2D[] {
    return this.classifiers.map((classifier) => tf.tidy('tasks/attribute-head', () => classifier.forward(tf.mul(embeddings, this.scale)) as tf.Tensor2D));
  }
}
