import * as tf from '@tensorflow/tfjs-core';
import { AdamW, SeededRandom } from '@umd/core';
import type { CaptionSample, WordPieceTokenizer } from '@umd/data';
import { loadVisionStem, UmdModel, type UmdModelConfig } from '@umd/encoders';
import { createMrPretraining, mrPretrainStep, type MrPretrainConfig } from '@umd/mr-pretrain';

/**
 * Milliseconds of one MR-Pretrain step at this model, config and batch size on the current backend: the mean of two
 * steps after a warm-up step, on random images and real captions (a throw-away model; nothing of the run changes).
 * Sets the step count of a time-budgeted pre-training.
 */
export async function measurePretrainStep(
  model: UmdModelConfig,
  config: MrPretrainConfig,
  captions: readonly CaptionSample[],
  tokenizer: WordPieceTokenizer,
  batchSize: number,
): Promise<number> {
  const random = new SeededRandom('umd-train/pretrain-timing');
  await loadVisionStem(model.vision.stem);
  const student = new UmdModel(model, random);
  const { pad, unk, cls, sep, mask } = tokenizer.specialIds;
  const pretraining = createMrPretraining({
    model: student,
    config,
    random,
    totalSteps: 100,
    tokens: { maskTokenId: mask, specialTokenIds: [pad, unk, cls, sep, mask] },
  });
  const optimizer = new AdamW(student.parameters(), { learningRate: 1e-4 });
  const { imageSize: S, channels: C } = model.vision;
  const texts = Array.from({ length: batchSize }, (_, i) => captions[i % captions.length]?.caption ?? '');
  const text = tokenizer.encodeBatch(texts, { maxLength: model.text.maxPositions });
  const images = tf.tensor4d(random.normalArray(batchSize * S * S * C), [batchSize, S, S, C]); // [B, S, S, C]
  const times: number[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const { loss, terms } = mrPretrainStep(pretraining, optimizer, {
        images,
        tokenIds: text.inputIds.data,
        attentionMask: text.attentionMask.data,
        wordIds: text.wordIds.data,
      });
      await loss.data();
      tf.dispose([loss, ...Object.values(terms)]);
      times.push(performance.now() - started);
    }
  } finally {
    images.dispose();
    optimizer.dispose();
    pretraining.dispose();
    student.dispose();
  }
  return (times[1]! + times[2]!) / 2;
}
