import { InvalidConfigError } from '@umd/core';

import type { ImageSource } from '../sample.js';
import { centreCrop, cropRegion } from './centre-crop.js';
import type { ReadDicomOptions } from '../dicom/read-dicom-image.js';
import { decodeImage, decodeImageBytes, defaultMaxInputPixels, readImageFile } from './decode-image.js';
import { ImageCache, contentHash, imageCacheKey } from './image-cache.js';
import { MemoryImageCache } from './memory-image-cache.js';
import { imageNormalizations, normalizationTable, normalizeImage, type ImageNormalization } from './normalize-image.js';
import type { RandomSource } from './random-source.js';
import { randomResizedCrop } from './random-resized-crop.js';
import type { NormalizedImage, RawImage } from './raw-image.js';

/** How the resized image is cut to size × size. */
export type ImageCrop =
  /** The central size × size region (evaluation, and training without augmentation). */
  | { readonly kind: 'centre' }
  /**
   * The size × size square at `position` along the longer side after the resize: 0 = the top (tall images) or the left
   * (wide ones), 1 = the bottom or the right, 0.5 ≈ the centre crop. Square images give the whole image at any position.
   * Evaluation views: what a centre crop of a tall or wide image leaves out (`evaluateTask`'s `views`).
   */
  | { readonly kind: 'window'; readonly position: number }
  /** A random box resized to size × size (training augmentation; needs a `random` per load). See `randomResizedCrop`. */
  | { readonly kind: 'random-resized'; readonly scale?: readonly [number, number]; readonly ratio?: readonly [number, number] };

/** Configuration of {@link createImagePipeline}. */
export interface ImagePipelineConfig {
  /** Output side in pixels: every image comes out as [size, size, channels]. 224 for ViT-B/16, 64 for tiny models. */
  readonly size: number;
  /** 1 = grey, 3 = RGB (grey scans are replicated). Default 3. */
  readonly channels?: 1 | 3;
  /**
   * The shorter side after the resize, before cropping (the cached stage). Default `size`, so a centre crop keeps the
   * whole shorter side. A larger value (e.g. 256 for size 224) leaves room for random crops.
   */
  readonly resizeTo?: number;
  /** Default `{ kind: 'centre' }`. There is deliberately no horizontal flip: see the README. */
  readonly crop?: ImageCrop;
  /** Default `imageNormalizations.imagenet` for RGB, `imageNormalizations.grey` for grey. */
  readonly normalization?: ImageNormalization;
  /**
   * A directory for the preprocessed cache (decoded + oriented + colour-converted + resized bytes), keyed by the
   * image's content hash and the transform. Epochs after the first skip decoding. Default: no cache.
   */
  readonly cacheDir?: string;
  /**
   * Also keep preprocessed images in memory, up to this many MiB (least recently used dropped first), in front of the
   * disk cache: later epochs then read no files at all. Default 0 (off). 224 px RGB takes 147 KiB per image.
   */
  readonly memoryCacheMiB?: number;
  /** Decompression-bomb guard, in pixels (width × height of the encoded image). Default 100,000,000. */
  readonly maxInputPixels?: number;
  /** How DICOM files are shown: the VOI window of grey images and the frame of multi-frame files (see `readDicomImage`). */
  readonly dicom?: ReadDicomOptions;
}

/** Options of {@link ImagePipeline.load}. */
export interface ImageLoadOptions {
  /** Required for `crop.kind: 'random-resized'`; ignored otherwise. A seeded source makes the crop reproducible. */
  readonly random?: RandomSource;
  /** Destination for the output (length size*size*channels), e.g. a view into a batch buffer [B, H, W, C]. */
  readonly out?: Float32Array;
}

/** Options of {@link ImagePipeline.loadPixels}. */
export interface PixelLoadOptions {
  /** Required for `crop.kind: 'random-resized'`; ignored otherwise. */
  readonly random?: RandomSource;
  /** Destination for the bytes (length size*size*channels), e.g. a view into a batch buffer [B, H, W, C]. */
  readonly out?: Uint8Array;
}

/** Counters of an {@link ImagePipeline} since it was created. */
export interface ImagePipelineStats {
  /** Images served from the on-disk cache. */
  readonly cacheHits: number;
  /** Images served from the in-memory cache (`memoryCacheMiB`). */
  readonly memoryHits: number;
  /** Images decoded by sharp (cache misses, or every load without a cache). */
  readonly decoded: number;
}

/** Bump when the cached stage changes meaning, so old cache entries are not reused. */
const transformVersion = 2; // 2: 16-bit grey images scaled by their range; DICOM files read

/**
 * Decodes, resizes, crops and normalises images: source (JPEG/PNG file or in-memory pixels) → Float32Array
 * [size, size, C] (HWC, row-major), ready for `tf.tensor4d` once batched as [B, H, W, C].
 *
 * Two stages: a deterministic one (decode, EXIF orientation, alpha flattened onto black, grey/RGB, resize of the
 * shorter side to `resizeTo`; for centre crops also the centre square) whose bytes are cached on disk when `cacheDir`
 * is set (and in memory with `memoryCacheMiB`), and a cheap per-load one (random crop or the final centre crop, then
 * normalisation). Random crops are therefore applied after the cached resize.
 *
 * Many loads may be in flight at once (sharp decodes on libuv's thread pool): that is how throughput scales with
 * cores. The batching helpers keep several in flight.
 */
export class ImagePipeline {
  /** [H, W, C] of every output. */
  readonly outputShape: readonly [number, number, number];
  readonly size: number;
  readonly channels: 1 | 3;
  readonly resizeTo: number;
  readonly crop: ImageCrop;
  readonly normalization: ImageNormalization;
  readonly maxInputPixels: number;
  private readonly cache: ImageCache | undefined;
  private readonly memory: MemoryImageCache | undefined;
  private readonly table: Float32Array;
  private readonly transform: Readonly<Record<string, string | number>>;
  private readonly dicom: ReadDicomOptions | undefined;
  /** Centre crops are cut by sharp (cover fit), so cached entries are exactly resizeTo × resizeTo. */
  private readonly square: boolean;
  /**
   * path → cache key (content hash + transform), so later epochs do not re-read and re-hash the file. A pipeline
   * assumes its files do not change while it lives: create a new one to pick up edited files.
   */
  private readonly keys = new Map<string, string>();
  private hits = 0;
  private memoryHits = 0;
  private decodes = 0;

  constructor(config: ImagePipelineConfig) {
    const { size, channels = 3, crop = { kind: 'centre' }, maxInputPixels = defaultMaxInputPixels } = config;
    const resizeTo = config.resizeTo ?? size;
    if (!Number.isInteger(size) || size < 1) throw new InvalidConfigError('size', size, 'a positive integer (pixels)');
    if (channels !== 1 && channels !== 3) throw new InvalidConfigError('channels', channels, '1 (grey) or 3 (RGB)');
    if (!Number.isInteger(resizeTo) || resizeTo < size) {
      throw new InvalidConfigError('resizeTo', resizeTo, `an integer >= size (${size})`);
    }
    if (crop.kind !== 'centre' && crop.kind !== 'window' && crop.kind !== 'random-resized') {
      throw new InvalidConfigError('crop.kind', (crop as { kind: unknown }).kind, "'centre', 'window' or 'random-resized'");
    }
    if (crop.kind === 'window' && !(crop.position >= 0 && crop.position <= 1)) {
      throw new InvalidConfigError('crop.position', crop.position, 'a number in [0, 1] (0 = top / left, 1 = bottom / right)');
    }
    if (!(maxInputPixels > 0)) throw new InvalidConfigError('maxInputPixels', maxInputPixels, 'a positive number of pixels');
    const memoryCacheMiB = config.memoryCacheMiB ?? 0;
    if (!(memoryCacheMiB >= 0)) throw new InvalidConfigError('memoryCacheMiB', memoryCacheMiB, 'a number of MiB >= 0 (0 = off)');
    this.size = size;
    this.channels = channels;
    this.resizeTo = resizeTo;
    this.crop = crop;
    this.maxInputPixels = maxInputPixels;
    this.normalization = config.normalization ?? (channels === 3 ? imageNormalizations.imagenet : imageNormalizations.grey);
    this.table = normalizationTable(this.normalization, channels);
    this.outputShape = [size, size, channels];
    this.cache = config.cacheDir === undefined ? undefined : new ImageCache(config.cacheDir);
    this.memory = memoryCacheMiB > 0 ? new MemoryImageCache(memoryCacheMiB * 2 ** 20) : undefined;
    this.square = crop.kind === 'centre';
    this.transform = {
      version: transformVersion,
      channels,
      shorterSide: resizeTo,
      fit: this.square ? 'cover' : 'outside',
      ...(config.dicom ? { dicom: JSON.stringify(config.dicom) } : {}),
    };
    this.dicom = config.dicom;
  }

  /** Cache hits and decodes so far. */
  stats(): ImagePipelineStats {
    return { cacheHits: this.hits, memoryHits: this.memoryHits, decoded: this.decodes };
  }

  /**
   * The deterministic stage: decoded, oriented, grey/RGB, shorter side = `resizeTo` (for centre crops: already cut to
   * resizeTo × resizeTo), from the memory or disk cache when possible.
   *
   * @returns [H, W, C] uint8 with min(H, W) = resizeTo
   * @throws ImageDecodeError naming the file; ImageCacheError when the cache directory is unusable
   */
  async loadResized(source: ImageSource): Promise<RawImage> {
    const options = {
      channels: this.channels,
      shorterSide: this.resizeTo,
      square: this.square,
      maxInputPixels: this.maxInputPixels,
      ...(this.dicom ? { dicom: this.dicom } : {}),
    };
    if (!this.cache && !this.memory) {
      this.decodes++;
      return decodeImage(source, options);
    }
    let key: string | undefined;
    let bytes: Uint8Array | undefined;
    if (source.kind === 'file') {
      key = this.keys.get(source.path);
      if (key === undefined) {
        bytes = await readImageFile(source.path);
        key = imageCacheKey(contentHash(bytes), this.transform);
        this.keys.set(source.path, key);
      }
    } else {
      const shape = new Uint8Array(new Uint32Array([source.width, source.height, source.channels]).buffer);
      key = imageCacheKey(`pixels:${contentHash(Buffer.concat([shape, source.data]))}`, this.transform);
    }
    const inMemory = this.memory?.get(key);
    if (inMemory) {
      this.memoryHits++;
      return inMemory;
    }
    const expectedBytes = this.square ? this.resizeTo * this.resizeTo * this.channels : undefined;
    const onDisk = await this.cache?.get(key, expectedBytes);
    if (onDisk) {
      this.hits++;
      this.memory?.set(key, onDisk);
      return onDisk;
    }
    this.decodes++;
    const image =
      source.kind === 'file' ? await decodeImageBytes(bytes ?? (await readImageFile(source.path)), source.path, options) : await decodeImage(source, options);
    await this.cache?.put(key, image);
    this.memory?.set(key, image);
    return image;
  }

  /**
   * Loads one image ready for a model.
   *
   * @returns [size, size, C] float32, HWC row-major, normalised per channel
   * @throws ImageDecodeError naming the file; InvalidConfigError for a random crop without `options.random`
   */
  async load(source: ImageSource, options: ImageLoadOptions = {}): Promise<NormalizedImage> {
    const resized = await this.loadResized(source);
    return normalizeImage(this.cropImage(resized, options.random), this.table, options.out);
  }

  /**
   * Loads one image as the model will see it, but as 8-bit pixels: normalise on the tensor side
   * ({@link normalizePixels}) instead of per value in JavaScript. Without `out` the bytes may be the cache's own
   * (a centre crop of a cached square): read them, never write them.
   *
   * @returns [size, size, C] uint8, HWC row-major
   * @throws ImageDecodeError naming the file; InvalidConfigError for a random crop without `options.random` or an
   *   `out` of another length
   */
  async loadPixels(source: ImageSource, options: PixelLoadOptions = {}): Promise<RawImage> {
    const image = this.cropImage(await this.loadResized(source), options.random);
    const { out } = options;
    if (!out) return image;
    if (out.length !== image.data.length) throw new InvalidConfigError('out', out.length, `a Uint8Array of H*W*C = ${image.data.length} bytes`);
    out.set(image.data);
    return { width: image.width, height: image.height, channels: image.channels, data: out };
  }

  /** The per-load stage: crops [H, W, C] uint8 to [size, size, C]. */
  cropImage(image: RawImage, random: RandomSource | undefined): RawImage {
    if (this.crop.kind === 'centre') return centreCrop(image, this.size);
    if (this.crop.kind === 'window') {
      const { position } = this.crop;
      return cropRegion(image, Math.round((image.width - this.size) * position), Math.round((image.height - this.size) * position), this.size, this.size);
    }
    if (random === undefined) {
      throw new InvalidConfigError(
        'random',
        undefined,
        "a RandomSource (e.g. a SeededRandom) for crop.kind 'random-resized'; or use crop.kind 'centre' for evaluation",
      );
    }
    const crop = { size: this.size, random, ...(this.crop.scale ? { scale: this.crop.scale } : {}) };
    return randomResizedCrop(image, this.crop.ratio ? { ...crop, ratio: this.crop.ratio } : crop);
  }
}

/**
 * Creates an {@link ImagePipeline}.
 *
 * @throws InvalidConfigError naming the offending field
 */
export function createImagePipeline(config: ImagePipelineConfig): ImagePipeline {
  return new ImagePipeline(config);
}
