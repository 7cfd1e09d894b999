import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@umd/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';

import { contrastiveLoss } from './contrastive-loss.js';

describe('contrastiveLoss', () => {
  beforeAll(() => useBackend('cpu'));

  const identity = (B: number): Float32Array => Float32Array.from({ length: B * B }, (_, k) => (k % (B + 1) === 0 ? 1 : 0));
  const crossEntropy = (row: number[], k: number): number => Math.log(row.reduce((sum, x) => sum + Math.exp(x), 0)) - row[k]!;

  it('is CLIP’s symmetric InfoNCE for distinct pairs', () => {
    const image = tf.tensor2d([
      [1, 0],
      [0, 1],
    ]);
    const text = tf.tensor2d([
      [0.6, 0.8],
      [0, 1],
    ]);
    const tau = 0.5;
    const s = [
      [0.6 / tau, 0],
      [0.8 / tau, 1 / tau],
    ]; // s[i][j] = image i · text j / τ
    const imageToText = (crossEntropy(s[0]!, 0) + crossEntropy(s[1]!, 1)) / 2;
    const textToImage = (crossEntropy([s[0]![0]!, s[1]![0]!], 0) + crossEntropy([s[0]![1]!, s[1]![1]!], 1)) / 2;
    const loss = contrastiveLoss(image, text, identity(2), tau);
    expect(loss.dataSync()[0]).toBeCloseTo((imageToText + textToImage) / 2, 5);
    tf.dispose([image, text, loss]);
  });

  it('splits the target mass between pairs that match (two crops of one image) instead of treating one as a negative', () => {
    const image = tf.tensor2d([
      [1, 0],
      [0.6, 0.8],
    ]); // two crops of the same image…
    const text = tf.tensor2d([
      [1, 0],
      [0, 1],
    ]); // …with two different captions: all four pairs match
    const tau = 0.5;
    const softCrossEntropy = (row: number[], targets: number[]): number =>
      Math.log(row.reduce((sum, x) => sum + Math.exp(x), 0)) - row.reduce((sum, x, k) => sum + targets[k]! * x, 0);
    const s = [
      [1 / tau, 0],
      [0.6 / tau, 0.8 / tau],
    ]; // image i · text j / τ
    const half = [0.5, 0.5];
    const imageToText = (softCrossEntropy(s[0]!, half) + softCrossEntropy(s[1]!, half)) / 2;
    const textToImage = (softCrossEntropy([s[0]![0]!, s[1]![0]!], half) + softCrossEntropy([s[0]![1]!, s[1]![1]!], half)) / 2;
    const shared = contrastiveLoss(image, text, new Float32Array(4).fill(1), tau);
    const distinct = contrastiveLoss(image, text, identity(2), tau);
    expect(shared.dataSync()[0]).toBeCloseTo((imageToText + textToImage) / 2, 5);
    expect(Math.abs(shared.dataSync()[0]! - distinct.dataSync()[0]!)).toBeGreaterThan(0.05);
    tf.dispose([image, text, shared, distinct]);
  });
});
