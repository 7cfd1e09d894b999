import * as tf from '@tensorflow/tfjs-core';
import {
  Dropout,
  Embedding,
  InvalidConfigError,
  LayerNorm,
  Module,
  ModuleDict,
  ModuleList,
  ShapeMismatchError,
  TransformerBlock,
  type SeededRandom,
} from '@umd/core';

/** Architecture of the BERT-style text encoder. Plain data; stored in checkpoints. */
export interface TextConfig {
  /** Vocabulary size V (bert-base-uncased: 30,522; RoBERTa: 50,265). */
  readonly vocabSize: number;
  /** Rows of the position table (BERT 512; RoBERTa 514, of which the first 2 are never used: see positionOffset). */
  readonly maxPositions: number;
  /** Segment (token type) vocabulary (BERT 2, RoBERTa 1). */
  readonly typeVocabSize: number;
  readonly dim: number;
  readonly depth: number;
  readonly heads: number;
  readonly mlpDim: number;
  /** First position id (default 0; RoBERTa counts from padding_idx + 1 = 2). */
  readonly positionOffset?: number;
  /** `post` (BERT/RoBERTa, for their weights) or `pre` (default; stabler from scratch, adds a final LayerNorm). */
  readonly normPlacement?: 'pre' | 'post';
  /** LayerNorm epsilon (BERT 1e-12, RoBERTa 1e-5; default 1e-12). */
  readonly layerNormEpsilon?: number;
  /** Dropout on embeddings and in blocks (default 0). */
  readonly dropout?: number;
}

export interface TextInputs {
  /** [B, T] key padding mask, 1 = real token, 0 = padding. Padding never changes real tokens' outputs. */
  readonly attentionMask?: tf.Tensor;
  /** [B, T] int32 segment ids (default all 0). */
  readonly typeIds?: tf.Tensor;
}

/**
 * The BERT-style text encoder: word + position + type embeddings, LayerNorm, transformer blocks (post-LN like BERT,
 * or pre-LN with a final LayerNorm). Parameters: `embeddings.word`, `embeddings.position`, `embeddings.type`,
 * `embeddings.norm`, `blocks.N`, `norm` (pre-LN only).
 */
export class TextTransformer extends Module {
  private readonly word: Embedding;
  private readonly position: Embedding;
  private readonly type: Embedding;
  private readonly embeddingNorm: LayerNorm;
  private readonly dropout: Dropout;
  private readonly blocks: ModuleList<TransformerBlock>;
  private readonly norm: LayerNorm | undefined;

  constructor(
    readonly config: TextConfig,
    random: SeededRandom,
  ) {
    super();
    validateTextConfig(config);
    const { dim } = config;
    const epsilon = config.layerNormEpsilon ?? 1e-12;
    const embeddings = this.addModule('embeddings', new ModuleDict());
    this.word = embeddings.register('word', new Embedding(config.vocabSize, dim, random));
    this.position = embeddings.register('position', new Embedding(config.maxPositions, dim, random, { weightDecay: false }));
    this.type = embeddings.register('type', new Embedding(config.typeVocabSize, dim, random, { weightDecay: false }));
    this.embeddingNorm = embeddings.register('norm', new LayerNorm(dim, epsilon));
    this.dropout = this.addModule('dropout', new Dropout(config.dropout ?? 0, random));
    const normPlacement = config.normPlacement ?? 'pre';
    this.blocks = this.addModule(
      'blocks',
      new ModuleList(
        Array.from(
          { length: config.depth },
          () =>
            new TransformerBlock(
              { dim, heads: config.heads, mlpDim: config.mlpDim, dropout: config.dropout ?? 0, layerNormEpsilon: epsilon, normPlacement },
              random,
            ),
        ),
      ),
    );
    this.norm = normPlacement === 'pre' ? this.addModule('norm', new LayerNorm(dim, epsilon)) : undefined;
  }

  /** The longest sequence the position table allows. */
  get maxLength(): number {
    return this.config.maxPositions - (this.config.positionOffset ?? 0);
  }

  /** The word embedding table [V, D] (MLM heads tie their output projection to it). */
  get wordEmbeddings(): tf.Variable {
    return this.word.weight;
  }

  /** tokenIds [B, T] int32 -> [B, T, D]. The caller owns the result. */
  forward(tokenIds: tf.Tensor, inputs: TextInputs = {}): tf.Tensor3D {
    const [B, T] = tokenIds.shape as [number, number];
    if (tokenIds.rank !== 2 || tokenIds.dtype !== 'int32') {
      throw new ShapeMismatchError('TextTransformer(tokenIds)', ['B', 'T'], tokenIds.shape, 'Token ids must be int32.');
    }
    if (T > this.maxLength) {
      throw new ShapeMismatchError(
        'TextTransformer(tokenIds)',
        [B, `T <= ${this.maxLength}`],
        tokenIds.shape,
        'Truncate the text to the model’s maxPositions.',
      );
    }
    for (const [name, tensor] of [
      ['attentionMask', inputs.attentionMask],
      ['typeIds', inputs.typeIds],
    ] as const) {
      if (tensor && (tensor.shape[0] !== B || tensor.shape[1] !== T)) {
        throw new ShapeMismatchError(`TextTransformer(${name})`, [B, T], tensor.shape);
      }
    }
    return tf.tidy('encoders/text-transformer', () => {
      const offset = this.config.positionOffset ?? 0;
      const positions = tf.range(offset, offset + T, 1, 'int32'); // [T]
      const types = inputs.typeIds ?? tf.zeros([B, T], 'int32');
      const summed = tf.add(tf.add(this.word.forward(tokenIds), this.position.forward(positions)), this.type.forward(types));
      let h = this.dropout.forward(this.embeddingNorm.forward(summed)); // [B, T, D]
      const mask = inputs.attentionMask ? { keyPaddingMask: inputs.attentionMask } : {};
      for (const block of this.blocks) h = block.forward(h, mask);
      return (this.norm ? this.norm.forward(h) : h) as tf.Tensor3D;
    });
  }
}

function validateTextConfig(config: TextConfig): void {
  for (const key of ['vocabSize', 'maxPositions', 'typeVocabSize', 'dim', 'depth', 'heads', 'mlpDim'] as const) {
    if (!(Number.isInteger(config[key]) && config[key] > 0)) throw new InvalidConfigError(`text.${key}`, config[key], 'a positive integer');
  }
  const offset = config.positionOffset ?? 0;
  if (!(Number.isInteger(offset) && offset >= 0 && offset < config.maxPositions)) {
    throw new InvalidConfigError('text.positionOffset', offset, `an integer in [0, maxPositions = ${config.maxPositions})`);
  }
  if (config.normPlacement !== undefined && config.normPlacement !== 'pre' && config.normPlacement !== 'post') {
    throw new InvalidConfigError('text.normPlacement', config.normPlacement, "'pre' or 'post'");
  }
}
