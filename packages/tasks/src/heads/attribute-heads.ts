import * as tf from '@tensorflow/tfjs-core';
import { InvalidConfigError, Linear, Module, softmaxCrossEntropy, type SeededRandom } from '@umd/core';

/**
 * Auxiliary attribute classifiers, registered as `heads.attributes`: for each attribute field f (e.g. MedPix's `Type`,
 * `Plane`, `Location Category`) one Linear(D → K_f) with logits `(x · scale) W_f + b_f`.
 *
 * Retrieval reads the unit-length embeddings of the retrieval space (D = P, scale = 1/τ, so the logits can reach a
 * confident softmax early, as InfoNCE's do), and the SAME classifier reads image and caption embeddings: training it
 * on both pulls an image and a caption that share an attribute (CT, axial, thorax) towards the same region of the
 * space. VQA and classification read the pooled pair the class head reads (D = 2·fusion width, scale 1): multi-task
 * targets. Only training uses the heads.
 */
export class AttributeHeads extends Module {
  private readonly classifiers: readonly Linear[];

  /**
   * @param inputDim D, the width of what the heads read
   * @param classes field → its class names (K_f ≥ 2 each), in a fixed order
   * @param scale the factor on the input
   * @throws InvalidConfigError for a field with fewer than 2 classes or a non-positive scale
   */
  constructor(
    inputDim: number,
    readonly classes: Readonly<Record<string, readonly string[]>>,
    readonly scale: number,
    random: SeededRandom,
  ) {
    super();
    if (!(scale > 0 && Number.isFinite(scale))) throw new InvalidConfigError('AttributeHeads.scale', scale, 'a finite number > 0');
    this.classifiers = Object.entries(classes).map(([field, names], index) => {
      if (names.length < 2) throw new InvalidConfigError(`attributes.classes['${field}']`, names.length, 'at least 2 classes (seen in the training samples)');
      return this.addModule(`field${index}`, new Linear(inputDim, names.length, random));
    });
  }

  /** The attribute fields, in the order {@link forward} returns their logits. */
  get fields(): readonly string[] {
    return Object.keys(this.classes);
  }

  /** x [B, D] → one logits tensor [B, K_f] per field, in {@link fields} order (the caller owns them). */
  forward(x: tf.Tensor2D): tf.Tensor2D[] {
    return this.classifiers.map((classifier) =>
      tf.tidy('tasks/attribute-head', () => classifier.forward(this.scale === 1 ? x : tf.mul(x, this.scale)) as tf.Tensor2D),
    );
  }

  /**
   * The attribute term: the mean over fields and over `inputs` (retrieval: the image and the caption embeddings; the
   * others: the pooled pair) of the softmax cross-entropy against `targets[field]` ([B], −1 = not counted).
   *
   * @throws InvalidConfigError when a field has no targets
   */
  loss(inputs: readonly tf.Tensor2D[], targets: Readonly<Record<string, Int32Array>> | undefined): tf.Scalar {
    const missing = this.fields.find((field) => !targets?.[field]);
    if (missing !== undefined) {
      throw new InvalidConfigError(`batch.attributes['${missing}']`, undefined, 'class indices [B] of every attribute field (see attributeTargets)');
    }
    return tf.tidy('tasks/attribute-loss', () => {
      const terms = inputs.flatMap((input) => this.forward(input).map((logits, f) => softmaxCrossEntropy(logits, { classes: targets![this.fields[f]!]! })));
      return tf.div(tf.addN(terms), terms.length) as tf.Scalar;
    });
  }
}
