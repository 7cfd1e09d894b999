import type * as tf from '@tensorflow/tfjs-core';
import { InvalidConfigError, LayerNorm, Linear, Module, gelu, type SeededRandom } from '@umd/core';

/**
 * M3AE's task head on the pooled pair `[text CLS ; image CLS]`: `fc1` Linear(2D → H) → `norm` LayerNorm(H) → GELU →
 * `fc2` Linear(H → K). M3AE uses H = 2·(2D) for VQA (`vqa_classifier`) and H = 2D for classification
 * (`cls_classifier`); registered as `heads.vqa` or `heads.classifier`.
 */
export class ClassifierHead extends Module {
  private readonly fc1: Linear;
  private readonly norm: LayerNorm;
  private readonly fc2: Linear;

  /**
   * @param inputDim 2D, the width of the pooled pair
   * @param hiddenDim H
   * @param classes K ≥ 2
   * @throws InvalidConfigError for a non-positive width or fewer than 2 classes
   */
  constructor(
    readonly inputDim: number,
    readonly hiddenDim: number,
    readonly classes: number,
    random: SeededRandom,
  ) {
    super();
    for (const [key, value, min] of [
      ['inputDim', inputDim, 1],
      ['hiddenDim', hiddenDim, 1],
      ['classes', classes, 2],
    ] as const) {
      if (!(Number.isInteger(value) && value >= min)) throw new InvalidConfigError(`ClassifierHead.${key}`, value, `an integer ≥ ${min}`);
    }
    this.fc1 = this.addModule('fc1', new Linear(inputDim, hiddenDim, random));
    this.norm = this.addModule('norm', new LayerNorm(hiddenDim));
    this.fc2 = this.addModule('fc2', new Linear(hiddenDim, classes, random));
  }

  /** pooled [B, 2D] → logits [B, K] (the caller owns them). */
  forward(pooled: tf.Tensor): tf.Tensor2D {
    return this.fc2.forward(gelu(this.norm.forward(this.fc1.forward(pooled)))) as tf.Tensor2D;
  }
}
