/**
 * The `model:` section of the trainer tests' micro configs: 32 px grey phantom scans in 8 px patches, one block of
 * width 16 per encoder and in the fusion, a WordPiece vocabulary of 150 trained on the phantom texts.
 */
export const microModelYaml = `model:
  overrides:
    vision: { imageSize: 32, patchSize: 8, dim: 16, depth: 1, heads: 2, mlpDim: 32 }
    text: { maxPositions: 24, dim: 16, depth: 1, heads: 2, mlpDim: 32 }
    fusion: { dim: 16, depth: 1, heads: 2, mlpDim: 32 }
  tokenizer: trained
  tokenizerVocabSize: 150`;
