import * as tf from '@tensorflow/tfjs-core';
import { Module, ShapeMismatchError } from '@umd/core';

/**
 * The tuned end of a MobileNetV2 stem (`vision.stem.tunedBlocks` n ≥ 1): its last n inverted-residual blocks (the
 * stride-1 blocks 14–16 of the 7×7 stage) and the final 1×1 convolution `Conv_1`, as parameters of the model,
 * started from the ImageNet weights with their batch norms folded in (frozen statistics: tuning batches of 32 are too
 * small to re-estimate them). Convolutions are written as matMuls and shifted slices because the wasm backend has no
 * convolution gradients.
 *
 * Parameters: `block<N>.{expand,depthwise,project}{Weight,Bias}` per block, `conv1Weight` [320, 1280], `conv1Bias`.
 */
export class MobileNetV2Top extends Module {
  private readonly blocks: InvertedResidual[] = [];
  private readonly conv1Weight: tf.Variable;
  private readonly conv1Bias: tf.Variable;

  /** @param weights the stem's folded ImageNet weights (`VisionStem.tunedWeights`), copied */
  constructor(weights: ReadonlyMap<string, tf.Tensor>) {
    super();
    const copy = (name: string): tf.Tensor => {
      const weight = weights.get(name);
      if (!weight) throw new Error(`MobileNetV2Top: the stem has no weight '${name}'`);
      return tf.clone(weight);
    };
    const blockNumbers = [...new Set([...weights.keys()].filter((name) => name.startsWith('block')).map((name) => name.slice(0, name.indexOf('.'))))];
    for (const block of blockNumbers) this.blocks.push(this.addModule(block, new InvertedResidual((name) => copy(`${block}.${name}`))));
    this.conv1Weight = this.addParameter('conv1Weight', copy('conv1Weight'));
    this.conv1Bias = this.addParameter('conv1Bias', copy('conv1Bias'), { weightDecay: false });
  }

  /** features [B, g, g, 160] (the frozen part's map) → [B, g, g, 1280] (`out_relu`). The caller owns the result. */
  forward(features: tf.Tensor4D): tf.Tensor4D {
    const inputs = this.blocks[0]?.inputChannels ?? this.conv1Weight.shape[0]!;
    if (features.rank !== 4 || features.shape[3] !== inputs) throw new ShapeMismatchError('MobileNetV2Top(features)', ['B', 'g', 'g', inputs], features.shape);
    return tf.tidy('encoders/mobilenet-v2-top', () => {
      let h = features;
      for (const block of this.blocks) h = block.forward(h);
      return tf.relu6(pointwise(h, this.conv1Weight, this.conv1Bias));
    });
  }
}

/** One inverted-residual block: 1×1 expand + ReLU6, 3×3 depthwise (stride 1) + ReLU6, 1×1 project, residual when widths match. */
class InvertedResidual extends Module {
  readonly inputChannels: number;
  private readonly expandWeight: tf.Variable;
  private readonly expandBias: tf.Variable;
  private readonly depthwiseWeight: tf.Variable;
  private readonly depthwiseBias: tf.Variable;
  private readonly projectWeight: tf.Variable;
  private readonly projectBias: tf.Variable;

  constructor(weight: (name: string) => tf.Tensor) {
    super();
    this.expandWeight = this.addParameter('expandWeight', weight('expandWeight'));
    this.expandBias = this.addParameter('expandBias', weight('expandBias'), { weightDecay: false });
    this.depthwiseWeight = this.addParameter('depthwiseWeight', weight('depthwiseWeight'));
    this.depthwiseBias = this.addParameter('depthwiseBias', weight('depthwiseBias'), { weightDecay: false });
    this.projectWeight = this.addParameter('projectWeight', weight('projectWeight'));
    this.projectBias = this.addParameter('projectBias', weight('projectBias'), { weightDecay: false });
    this.inputChannels = this.expandWeight.shape[0]!;
  }

  /** x [B, g, g, Cin] → [B, g, g, Cout]. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    const expanded = tf.relu6(pointwise(x, this.expandWeight, this.expandBias));
    const filtered = tf.relu6(tf.add(depthwise3x3(expanded, this.depthwiseWeight), this.depthwiseBias)) as tf.Tensor4D;
    const projected = pointwise(filtered, this.projectWeight, this.projectBias);
    return this.projectWeight.shape[1] === this.inputChannels ? tf.add(x, projected) : projected;
  }
}

/** A 1×1 convolution as one matMul: x [B, H, W, Cin], weight [Cin, Cout], bias [Cout] → [B, H, W, Cout]. */
function pointwise(x: tf.Tensor4D, weight: tf.Tensor, bias: tf.Tensor): tf.Tensor4D {
  const [B, H, W, C] = x.shape;
  const y = tf.add(tf.matMul(tf.reshape(x, [B * H * W, C]), weight), bias);
  return tf.reshape(y, [B, H, W, weight.shape[1]!]);
}

/** A 3×3 depthwise convolution, stride 1, 'same' zero padding, as nine shifted slices: x [B, H, W, C], weight [3, 3, C]. */
function depthwise3x3(x: tf.Tensor4D, weight: tf.Tensor): tf.Tensor4D {
  const [B, H, W, C] = x.shape;
  const padded = tf.pad(x, [
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ]);
  let sum: tf.Tensor | undefined;
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      const tap = tf.mul(tf.slice(padded, [0, i, j, 0], [B, H, W, C]), tf.reshape(tf.slice(weight, [i, j, 0], [1, 1, C]), [C]));
      sum = sum ? tf.add(sum, tap) : tap;
    }
  }
  return sum as tf.Tensor4D;
}
