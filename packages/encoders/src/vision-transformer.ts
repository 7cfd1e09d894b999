import * as tf from '@tensorflow/tfjs-core';
import {
  InvalidConfigError,
  LayerNorm,
  Linear,
  Module,
  ModuleList,
  ShapeMismatchError,
  TransformerBlock,
  initTensor,
  type Activation,
  type SeededRandom,
} from '@umd/core';

import { interpolatePositionGrid, sinCosPositionEmbedding } from './position-embedding.js';
import { patchify } from './patchify.js';
import { MobileNetV2Top } from './mobilenet-v2-top.js';
import { loadedVisionStem, visionStemSpec, type VisionStemConfig } from './vision-stem.js';

/** Architecture of the image encoder. Plain data; stored in checkpoints. */
export interface VitConfig {
  /** Training image side in pixels (square). Other multiples of `patchSize` work (positions are interpolated). */
  readonly imageSize: number;
  /** Patch side P in pixels. */
  readonly patchSize: number;
  /** 1 = greyscale, 3 = RGB. Inputs with the other count are converted (grey tiled to RGB, RGB averaged to grey). */
  readonly channels: 1 | 3;
  /** Width D. */
  readonly dim: number;
  /** Number of transformer blocks. */
  readonly depth: number;
  readonly heads: number;
  /** MLP hidden width (4·D in ViT). */
  readonly mlpDim: number;
  /** `learned` (ViT/CLIP, interpolated to other sizes) or fixed 2-D `sincos` (MAE). */
  readonly positionEmbedding: 'learned' | 'sincos';
  /** Dropout in blocks (default 0). */
  readonly dropout?: number;
  /** LayerNorm epsilon (default 1e-5; timm ViT uses 1e-6). */
  readonly layerNormEpsilon?: number;
  /** Bias in the patch embedding (default true; CLIP has none). */
  readonly patchBias?: boolean;
  /** A LayerNorm before the blocks (CLIP's `pre_layrnorm`; default false). */
  readonly preNorm?: boolean;
  /** MLP activation (default erf-GELU; OpenAI CLIP uses quick-GELU). */
  readonly activation?: Activation;
  /**
   * A pre-trained convolutional stem (see `VisionStemConfig`): its feature map, one cell per `patchSize` pixels,
   * replaces the pixel patches as tokens (`patchEmbed` is then Linear(Cs → D)). `imageSize` must be the stem's input
   * size and `patchSize` its stride (224 and 32 for MobileNetV2's `out_relu`). Load it once with
   * `await loadVisionStem(config.stem)` before the first forward pass (before constructing the model when its last
   * blocks are tuned: `stemTop` starts from their weights). Default: none (pixel patches).
   */
  readonly stem?: VisionStemConfig;
}

export interface VitInputs {
  /**
   * [B, Lv] int32 indices (into the L = gh·gw patches, raster order) of the patches the encoder sees (MAE: the
   * unmasked 25%). Default: all patches.
   */
  readonly visibleIndices?: tf.Tensor;
  /**
   * [B, L, Cin] the patch embedding's inputs, as {@link VisionTransformer.patchTokens} gives them for `images`: pass
   * them to take gradients with respect to the tokens (relevance maps). Default: computed from `images`.
   */
  readonly patchTokens?: tf.Tensor;
}

/**
 * The ViT image encoder: patch embedding as reshape + matMul (conv weight gradients are missing on wasm), a CLS token,
 * position embeddings, pre-LN blocks and a final LayerNorm. Parameters: `patchEmbed`, `clsToken` [1, 1, D],
 * `positionEmbedding` [1 + g², D] (learned only), `preNorm` (optional), `blocks.N`, `norm`.
 */
export class VisionTransformer extends Module {
  readonly gridSize: number;
  private readonly patchEmbed: Linear;
  /** The stem's tuned last blocks (`stem.tunedBlocks` ≥ 1), between its frozen part and the patch embedding. */
  private readonly stemTop: MobileNetV2Top | undefined;
  private readonly clsToken: tf.Variable;
  private readonly positionEmbedding: tf.Variable | undefined;
  private readonly preNorm: LayerNorm | undefined;
  private readonly blocks: ModuleList<TransformerBlock>;
  private readonly norm: LayerNorm;
  private readonly sinCosCache = new Map<string, tf.Tensor2D>();

  constructor(
    readonly config: VitConfig,
    random: SeededRandom,
  ) {
    super();
    validateVitConfig(config);
    const { dim, patchSize, channels } = config;
    this.gridSize = config.imageSize / patchSize;
    const epsilon = config.layerNormEpsilon ?? 1e-5;
    const tokenInputs = config.stem ? visionStemSpec(config.stem).channels : patchSize * patchSize * channels;
    this.stemTop = config.stem?.tunedBlocks ? this.addModule('stemTop', new MobileNetV2Top(loadedVisionStem(config.stem).tunedWeights)) : undefined;
    this.patchEmbed = this.addModule('patchEmbed', new Linear(tokenInputs, dim, random, { bias: config.patchBias ?? true, init: { kind: 'xavier-uniform' } }));
    this.clsToken = this.addParameter('clsToken', initTensor([1, 1, dim], { kind: 'normal', std: 0.02 }, random), { weightDecay: false });
    this.positionEmbedding =
      config.positionEmbedding === 'learned'
        ? this.addParameter('positionEmbedding', initTensor([1 + this.gridSize ** 2, dim], { kind: 'truncated-normal', std: 0.02 }, random), {
            weightDecay: false,
          })
        : undefined;
    this.preNorm = config.preNorm ? this.addModule('preNorm', new LayerNorm(dim, epsilon)) : undefined;
    this.blocks = this.addModule(
      'blocks',
      new ModuleList(
        Array.from(
          { length: config.depth },
          () =>
            new TransformerBlock(
              {
                dim,
                heads: config.heads,
                mlpDim: config.mlpDim,
                dropout: config.dropout ?? 0,
                layerNormEpsilon: epsilon,
                activation: config.activation ?? 'gelu',
              },
              random,
            ),
        ),
      ),
    );
    this.norm = this.addModule('norm', new LayerNorm(dim, epsilon));
  }

  /** Number of patches L for an image of `height`×`width` pixels. */
  patchCount(height = this.config.imageSize, width = height): number {
    return (height / this.config.patchSize) * (width / this.config.patchSize);
  }

  /**
   * images [B, H, W, C] float32 (normalised; NHWC; H, W multiples of P) -> [B, 1 + Lv, D]: the CLS token then the
   * visible patches in the order of `visibleIndices`, after the final LayerNorm. The caller owns the result.
   */
  forward(images: tf.Tensor, inputs: VitInputs = {}): tf.Tensor3D {
    const [B, H, W] = images.shape as [number, number, number, number];
    const { patchSize: P, dim: D } = this.config;
    if (images.rank !== 4 || H % P !== 0 || W % P !== 0 || (images.shape[3] !== 1 && images.shape[3] !== 3)) {
      throw new ShapeMismatchError('VisionTransformer(images)', ['B', `H (multiple of ${P})`, `W (multiple of ${P})`, '1 or 3'], images.shape);
    }
    const L = this.patchCount(H, W);
    const visible = inputs.visibleIndices;
    if (visible && (visible.rank !== 2 || visible.shape[0] !== B || visible.dtype !== 'int32')) {
      throw new ShapeMismatchError('VisionTransformer(visibleIndices)', [B, 'Lv'], visible.shape, 'Indices must be int32.');
    }
    return tf.tidy('encoders/vision-transformer', () => {
      const positions = this.patchPositions(H / P, W / P);
      const tokens = inputs.patchTokens ?? this.patchTokens(images);
      if (tokens.rank !== 3 || tokens.shape[0] !== B || tokens.shape[1] !== L)
        throw new ShapeMismatchError('VisionTransformer(patchTokens)', [B, L, 'Cin'], tokens.shape);
      let x = tf.add(this.patchEmbed.forward(tokens), positions.patches); // [B, L, D]
      if (visible) {
        const Lv = visible.shape[1]!;
        // Flatten (batch, patch) so the gather is 1-D: its gradient is a scatter-add over B·L rows.
        const rows = tf.add(visible, tf.reshape(tf.mul(tf.range(0, B, 1, 'int32'), tf.scalar(L, 'int32')), [B, 1])); // [B, Lv]
        x = tf.reshape(tf.gather(tf.reshape(x, [B * L, D]), tf.reshape(rows, [-1])), [B, Lv, D]);
      }
      const cls = tf.tile(tf.add(this.clsToken, positions.cls), [B, 1, 1]); // [B, 1, D]
      let h = tf.concat([cls, x], 1); // [B, 1 + Lv, D]
      if (this.preNorm) h = this.preNorm.forward(h);
      for (const block of this.blocks) h = block.forward(h);
      return this.norm.forward(h) as tf.Tensor3D;
    });
  }

  /**
   * images [B, H, W, C] normalised -> [B, L, Cin]: what the patch embedding reads, one row per patch in raster order
   * (the stem's feature cells, Cin = Cs, or the pixel patches, Cin = P·P·C). The caller owns the result. With tuned
   * stem blocks the tokens depend on `stemTop`'s parameters (gradients reach them through this call).
   */
  patchTokens(images: tf.Tensor): tf.Tensor3D {
    const [B, H, W] = images.shape as [number, number, number, number];
    const L = this.patchCount(H, W);
    return tf.tidy('encoders/patch-tokens', () => {
      const pixels = this.adaptChannels(images);
      if (!this.config.stem) return patchify(pixels, this.config.patchSize) as tf.Tensor3D; // [B, L, P·P·C]
      const frozen = loadedVisionStem(this.config.stem).extract(pixels as tf.Tensor4D); // [B, g, g, Cf], constant
      return tf.reshape(this.stemTop ? this.stemTop.forward(frozen) : frozen, [B, L, -1]) as tf.Tensor3D; // [B, L, Cs]
    });
  }

  override dispose(): void {
    for (const table of this.sinCosCache.values()) table.dispose();
    this.sinCosCache.clear();
    super.dispose();
  }

  /** Position embeddings for a gh×gw grid: patches [1, L, D] and the CLS slot [1, 1, D]. Call inside a tidy. */
  private patchPositions(gridHeight: number, gridWidth: number): { patches: tf.Tensor; cls: tf.Tensor } {
    const D = this.config.dim;
    if (this.positionEmbedding) {
      const table = this.positionEmbedding;
      const grid = tf.slice(table, [1, 0], [this.gridSize ** 2, D]) as tf.Tensor2D;
      const patches = tf.reshape(interpolatePositionGrid(grid, gridHeight, gridWidth), [1, gridHeight * gridWidth, D]);
      return { patches, cls: tf.reshape(tf.slice(table, [0, 0], [1, D]), [1, 1, D]) };
    }
    const key = `${gridHeight}x${gridWidth}`;
    let table = this.sinCosCache.get(key);
    if (!table) {
      table = tf.keep(sinCosPositionEmbedding(gridHeight, gridWidth, D)); // fixed, kept until dispose()
      this.sinCosCache.set(key, table);
    }
    return { patches: tf.reshape(table, [1, gridHeight * gridWidth, D]), cls: tf.zeros([1, 1, D]) };
  }

  private adaptChannels(images: tf.Tensor): tf.Tensor {
    const channels = images.shape[3];
    if (channels === this.config.channels) return images;
    return this.config.channels === 3 ? tf.tile(images, [1, 1, 1, 3]) : tf.mean(images, 3, true);
  }
}

function validateVitConfig(config: VitConfig): void {
  if (!(Number.isInteger(config.patchSize) && config.patchSize > 0)) throw new InvalidConfigError('vision.patchSize', config.patchSize, 'a positive integer');
  if (!(Number.isInteger(config.imageSize) && config.imageSize % config.patchSize === 0)) {
    throw new InvalidConfigError('vision.imageSize', config.imageSize, `a multiple of patchSize (${config.patchSize})`);
  }
  if (config.channels !== 1 && config.channels !== 3) throw new InvalidConfigError('vision.channels', config.channels, '1 or 3');
  if (config.positionEmbedding !== 'learned' && config.positionEmbedding !== 'sincos') {
    throw new InvalidConfigError('vision.positionEmbedding', config.positionEmbedding, "'learned' or 'sincos'");
  }
  if (config.positionEmbedding === 'sincos' && config.dim % 4 !== 0) {
    throw new InvalidConfigError('vision.dim', config.dim, 'a multiple of 4 with sin-cos position embeddings');
  }
  if (config.stem) {
    const spec = visionStemSpec(config.stem);
    if (config.imageSize !== spec.inputSize)
      throw new InvalidConfigError('vision.imageSize', config.imageSize, `${spec.inputSize} (the input size of vision.stem '${config.stem.kind}')`);
    if (config.patchSize !== spec.stride)
      throw new InvalidConfigError(
        'vision.patchSize',
        config.patchSize,
        `${spec.stride} (the stride of vision.stem '${config.stem.kind}', one token per feature cell)`,
      );
  }
  for (const key of ['dim', 'depth', 'heads', 'mlpDim'] as const) {
    if (!(Number.isInteger(config[key]) && config[key] > 0)) throw new InvalidConfigError(`vision.${key}`, config[key], 'a positive integer');
  }
}
