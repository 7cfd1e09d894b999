import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ShapeMismatchError, withoutTape } from '@umd/core';

import { mobileNetV2Layers, type MobileNetV2Layer, type StemInputRange, type VisionStem, type VisionStemSpec } from './vision-stem.js';

/** Where the frozen part ends when the last `n` blocks are tuned (block 13 changes width, so it has no residual add). */
const frozenCut: Record<number, string> = { 1: 'block_15_add', 2: 'block_14_add', 3: 'block_13_project_BN' };

/**
 * Maps the pipeline's ImageNet-normalised pixels n = (r − 0.449) / 0.226 (r in [0, 1], channel means of
 * `imageNormalizations.imagenet`) back to the stem's input range: 2r − 1 ≈ 0.452·n − 0.102 for `[-1, 1]`, r ≈ 0.226·n +
 * 0.449 for `[0, 1]`. With other normalisations (e.g. TD-Calib's re-estimated statistics) the input is shifted and
 * scaled a little; the stem's batch norms are frozen, so this is a fixed, documented approximation.
 */
function inputMapping(range: StemInputRange): { scale: number; shift: number } {
  return range[0] === 0 ? { scale: 0.226, shift: 0.449 } : { scale: 0.452, shift: -0.102 };
}

/**
 * Loads nsfwjs' MobileNetV2 body (tfjs layers format, 8-bit quantised weights inside the package) and cuts it at
 * `layer`, or, with `tunedBlocks` n > 0, before the last n blocks, whose weights (and `Conv_1`'s) it returns folded
 * for the model to tune. Frozen features are cached in memory by the content of each normalised input image (a 53-bit
 * hash of its float32 bytes), so a dataset's images pass through the frozen part once per distinct crop.
 */
export async function loadMobileNetV2Stem(
  layer: MobileNetV2Layer,
  cacheMiB: number,
  tunedBlocks = 0,
  inputRange: StemInputRange = [-1, 1],
): Promise<VisionStem> {
  let definition: { modelJson: () => Promise<unknown>; weightBundles: readonly (() => Promise<unknown>)[] };
  try {
    ({ MobileNetV2Model: definition } = (await import('nsfwjs/models/mobilenet_v2')) as unknown as {
      MobileNetV2Model: typeof definition;
    });
  } catch (error) {
    throw new Error("vision.stem 'mobilenet-v2' needs the npm package `nsfwjs` (4.x), which ships its weights; install it next to @umd/encoders", {
      cause: error,
    });
  }
  const json = unwrapDefault(await definition.modelJson()) as { modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
  const shards = await Promise.all(definition.weightBundles.map(async (bundle) => decodeBase64(unwrapDefault(await bundle()) as string)));
  const weightData = new Uint8Array(shards.reduce((total, shard) => total + shard.length, 0));
  shards.reduce((offset, shard) => (weightData.set(shard, offset), offset + shard.length), 0);
  const weightSpecs = json.weightsManifest.flatMap((group) => group.weights);
  const full = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData: weightData.buffer }));
  const cut = tunedBlocks > 0 ? frozenCut[tunedBlocks]! : layer;
  const body = tfl.model({ inputs: full.inputs, outputs: full.getLayer(cut).output as tfl.SymbolicTensor });
  const { channels, stride } = mobileNetV2Layers[layer];
  const spec: VisionStemSpec = { inputSize: 224, channels, stride };
  const tunedWeights = tunedBlocks > 0 ? foldTunedWeights(full, tunedBlocks) : new Map<string, tf.Tensor>();
  return new MobileNetV2Stem(body, full, spec, cacheMiB, tunedWeights, inputMapping(inputRange));
}

/**
 * The last `n` blocks' and `Conv_1`'s convolutions with their inference batch norms folded in (w·γ/√(σ²+ε),
 * β − μ·γ/√(σ²+ε)), named as `MobileNetV2Top` names its parameters: pointwise kernels [Cin, Cout], depthwise [3, 3, C].
 */
function foldTunedWeights(full: tfl.LayersModel, n: number): Map<string, tf.Tensor> {
  const weights = new Map<string, tf.Tensor>();
  const fold = (name: string, conv: string, bn: string, depthwise: boolean): void => {
    const [kernel] = full.getLayer(conv).getWeights();
    const [gamma, beta, mean, variance] = full.getLayer(bn).getWeights();
    const epsilon = (full.getLayer(bn).getConfig() as { epsilon: number }).epsilon;
    const [weight, bias] = tf.tidy(() => {
      const scale = tf.div(gamma!, tf.sqrt(tf.add(variance!, epsilon))); // [Cout]
      const [kh, kw, cin, cout] = kernel!.shape as [number, number, number, number];
      const folded = depthwise ? tf.reshape(tf.mul(kernel!, tf.reshape(scale, [1, 1, -1, 1])), [kh, kw, cin]) : tf.reshape(tf.mul(kernel!, scale), [cin, cout]);
      return [folded, tf.sub(beta!, tf.mul(mean!, scale))];
    });
    weights.set(`${name}Weight`, weight);
    weights.set(`${name}Bias`, bias);
  };
  for (let block = 17 - n; block <= 16; block++) {
    fold(`block${block}.expand`, `block_${block}_expand`, `block_${block}_expand_BN`, false);
    fold(`block${block}.depthwise`, `block_${block}_depthwise`, `block_${block}_depthwise_BN`, true);
    fold(`block${block}.project`, `block_${block}_project`, `block_${block}_project_BN`, false);
  }
  fold('conv1', 'Conv_1', 'Conv_1_bn', false);
  return weights;
}

class MobileNetV2Stem implements VisionStem {
  private readonly cache = new Map<number, Float32Array>();
  private readonly maxCachedFloats: number;
  private cachedFloats = 0;
  private hits = 0;
  private misses = 0;

  constructor(
    private readonly body: tfl.LayersModel,
    private readonly full: tfl.LayersModel,
    readonly spec: VisionStemSpec,
    cacheMiB: number,
    readonly tunedWeights: ReadonlyMap<string, tf.Tensor>,
    private readonly input: { readonly scale: number; readonly shift: number },
  ) {
    this.maxCachedFloats = Math.floor((cacheMiB * 2 ** 20) / 4);
  }

  extract(images: tf.Tensor4D): tf.Tensor4D {
    const [B, H, W, C] = images.shape;
    const S = this.spec.inputSize;
    if (H !== S || W !== S || (C !== 1 && C !== 3)) throw new ShapeMismatchError('vision stem (images)', ['B', S, S, '1 or 3'], images.shape);
    const g = S / this.spec.stride;
    const channels = (this.body.outputs[0]!.shape as number[])[3]!; // the frozen part's
    const featureSize = g * g * channels;
    return withoutTape(() => {
      const pixels = images.dataSync() as Float32Array;
      const imageSize = H * W * C;
      const out = new Float32Array(B * featureSize);
      const keys: number[] = [];
      const missing: number[] = [];
      for (let b = 0; b < B; b++) {
        const key = hashFloats(pixels, b * imageSize, imageSize);
        keys.push(key);
        const cached = this.cache.get(key);
        if (cached) {
          this.hits++;
          this.cache.delete(key); // re-insert: most recently used last
          this.cache.set(key, cached);
          out.set(cached, b * featureSize);
        } else missing.push(b);
      }
      if (missing.length > 0) {
        this.misses += missing.length;
        const features = tf.tidy(() => {
          const picked = missing.length === B ? images : tf.gather(images, tf.tensor1d(missing, 'int32'));
          const rgb = C === 3 ? picked : tf.tile(picked, [1, 1, 1, 3]);
          return this.body.predict(tf.add(tf.mul(rgb, this.input.scale), this.input.shift), { batchSize: 32 }) as tf.Tensor;
        });
        const values = features.dataSync() as Float32Array;
        features.dispose();
        missing.forEach((b, i) => {
          const row = values.slice(i * featureSize, (i + 1) * featureSize);
          out.set(row, b * featureSize);
          this.remember(keys[b]!, row);
        });
      }
      return tf.tensor4d(out, [B, g, g, channels]);
    });
  }

  stats(): { hits: number; misses: number; cachedMiB: number } {
    return { hits: this.hits, misses: this.misses, cachedMiB: (this.cachedFloats * 4) / 2 ** 20 };
  }

  dispose(): void {
    this.full.dispose();
    for (const weight of this.tunedWeights.values()) weight.dispose();
    this.cache.clear();
    this.cachedFloats = 0;
  }

  private remember(key: number, row: Float32Array): void {
    if (row.length > this.maxCachedFloats) return;
    while (this.cachedFloats + row.length > this.maxCachedFloats) {
      const [oldest, value] = this.cache.entries().next().value as [number, Float32Array];
      this.cache.delete(oldest);
      this.cachedFloats -= value.length;
    }
    this.cache.set(key, row);
    this.cachedFloats += row.length;
  }
}

/** Base64 text to bytes, in Node (Buffer) and in browsers (atob). */
function decodeBase64(text: string): Uint8Array {
  if (typeof Buffer !== 'undefined') return Buffer.from(text, 'base64');
  return Uint8Array.from(atob(text), (character) => character.charCodeAt(0));
}

function unwrapDefault(module: unknown): unknown {
  const value = module as { default?: unknown };
  return value && typeof value === 'object' && 'default' in value ? value.default : module;
}

/** cyrb53 over the 32-bit words of `length` floats from `offset`: a 53-bit content hash (collisions ~2⁻⁵³ per pair). */
export function hashFloats(values: Float32Array, offset: number, length: number): number {
  const words = new Uint32Array(values.buffer, values.byteOffset + offset * 4, length);
  let h1 = 0xdeadbeef ^ length;
  let h2 = 0x41c6ce57 ^ length;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    h1 = Math.imul(h1 ^ word, 2654435761);
    h2 = Math.imul(h2 ^ word, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
