import * as tf from '@tensorflow/tfjs-core';
import { InvalidConfigError, ShapeMismatchError } from '@umd/core';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

/** What {@link initWordEmbeddings} did. */
export interface WordEmbeddingInit {
  /** Rows that now hold a pre-trained vector. */
  readonly matched: number;
  /** Rows of the table (V). */
  readonly rows: number;
  /** Share of the vectors' variance the kept principal components carry (1 when d ≤ D). */
  readonly explainedVariance: number;
}

/**
 * Starts rows of a word embedding table from pre-trained word vectors (GloVe, as MEVF starts its question encoder), in
 * place. `vectorOf(id)` gives the d-dimensional vector of token `id`, or `undefined` (sub-word pieces, special tokens,
 * words the vectors lack: those rows keep their values). The matched vectors are centred and projected onto their top
 * min(d, D) principal components (zero-padded to D when d < D), then scaled by one factor so their root mean square
 * equals the table's before: the word embeddings keep the scale the position and type embeddings were drawn at, and
 * the geometry of the vectors (which words lie near which) survives up to the dropped components. Deterministic.
 *
 * @param table [V, D] word embedding table (`TextTransformer.wordEmbeddings`)
 * @throws InvalidConfigError when no row matched; ShapeMismatchError when the vectors' lengths differ
 */
export function initWordEmbeddings(table: tf.Variable, vectorOf: (id: number) => Float32Array | undefined): WordEmbeddingInit {
  const [rows, width] = table.shape as [number, number];
  const ids: number[] = [];
  const vectors: Float32Array[] = [];
  for (let id = 0; id < rows; id += 1) {
    const vector = vectorOf(id);
    if (vector === undefined) continue;
    if (vectors.length > 0 && vector.length !== vectors[0]!.length) {
      throw new ShapeMismatchError('initWordEmbeddings(vectorOf)', [vectors[0]!.length], [vector.length], `The vector of token id ${id} differs in length.`);
    }
    ids.push(id);
    vectors.push(vector);
  }
  if (vectors.length < 2) throw new InvalidConfigError('wordVectors', `${vectors.length} matched rows`, 'vectors for at least 2 tokens of the vocabulary');
  const { projected, explainedVariance } = principalComponents(vectors, width);

  const values = table.dataSync().slice() as Float32Array;
  const tableRms = rootMeanSquare(values);
  const scale = tableRms / rootMeanSquare(projected);
  ids.forEach((id, row) => {
    for (let j = 0; j < width; j += 1) values[id * width + j] = projected[row * width + j]! * scale;
  });
  tf.tidy(() => table.assign(tf.tensor2d(values, [rows, width])));
  return { matched: ids.length, rows, explainedVariance };
}

/** N vectors [d] → [N, width] row-major: centred, on the top min(d, width) principal components, zero-padded. */
function principalComponents(vectors: readonly Float32Array[], width: number): { projected: Float32Array; explainedVariance: number } {
  const n = vectors.length;
  const d = vectors[0]!.length;
  const mean = new Float64Array(d);
  for (const vector of vectors) for (let i = 0; i < d; i += 1) mean[i]! += vector[i]! / n;
  const sums = new Float64Array(d * d); // upper triangle of Σ (x − mean)(x − mean)ᵀ
  const centred = new Float64Array(d);
  for (const vector of vectors) {
    for (let i = 0; i < d; i += 1) centred[i] = vector[i]! - mean[i]!;
    for (let i = 0; i < d; i += 1) {
      const ci = centred[i]!;
      for (let j = i; j < d; j += 1) sums[i * d + j]! += ci * centred[j]!;
    }
  }
  const covariance = Matrix.from1DArray(d, d, sums);
  for (let i = 0; i < d; i += 1) for (let j = 0; j < i; j += 1) covariance.set(i, j, covariance.get(j, i));
  const eigen = new EigenvalueDecomposition(covariance, { assumeSymmetric: true });
  const order = eigen.realEigenvalues.map((value, index) => ({ value, index })).sort((a, b) => b.value - a.value || a.index - b.index);
  const kept = order.slice(0, Math.min(d, width));
  const total = order.reduce((sum, { value }) => sum + Math.max(value, 0), 0);
  const explainedVariance = total > 0 ? kept.reduce((sum, { value }) => sum + Math.max(value, 0), 0) / total : 1;
  const basis = eigen.eigenvectorMatrix;
  const components = kept.map(({ index }) => Float64Array.from({ length: d }, (_, i) => basis.get(i, index)));
  const projected = new Float32Array(n * width);
  vectors.forEach((vector, row) => {
    for (let i = 0; i < d; i += 1) centred[i] = vector[i]! - mean[i]!;
    components.forEach((component, k) => {
      let dot = 0;
      for (let i = 0; i < d; i += 1) dot += centred[i]! * component[i]!;
      projected[row * width + k] = dot;
    });
  });
  return { projected, explainedVariance };
}

function rootMeanSquare(values: Float32Array): number {
  let sum = 0;
  for (const value of values) sum += value * value;
  return Math.sqrt(sum / values.length);
}
