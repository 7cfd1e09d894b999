/**
 * A cheap linear probe: do pre-trained image features beat random initialisation on MedPix 2.0 `Location Category`
 * (5 classes)? Encodes MedPix train and dev images with the vision encoder alone (eval mode, no masking), pools
 * the CLS token or the mean of the patch tokens, standardises the features (train statistics) and fits a multinomial
 * logistic regression (full batch, Adam, L2) on train; reports dev accuracy and macro-F1.
 *
 *   pnpm --filter @umd/mr-pretrain probe --data /work/shared/data/medpix-2.0 [--checkpoint runs/pretrain-medpix/checkpoints/step-000900.safetensors]
 *
 * Prints one JSON line for the majority-class baseline, one for random initialisation (same seed as the
 * pre-training run, so it is exactly the pre-training starting point) and, with `--checkpoint`, one for it.
 */
import { parseArgs } from 'node:util';

import * as tf from '@tensorflow/tfjs-core';
import { assignWeights, initRuntime, readCheckpoint, SeededRandom, type TensorRecord } from '@umd/core';
import { createImagePipeline, loadImageBatch, loadMedpixClassification, type ClassificationSample, type ImagePipeline } from '@umd/data';
import { encoderPresets, UmdModel } from '@umd/encoders';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: '/work/shared/data/medpix-2.0' },
    checkpoint: { type: 'string' },
    seed: { type: 'string', default: '0' },
    pool: { type: 'string', default: 'mean' },
    steps: { type: 'string', default: '300' },
    l2: { type: 'string', default: '1e-3' },
    lr: { type: 'string', default: '0.05' },
    batch: { type: 'string', default: '64' },
    cache: { type: 'string', default: '.cache/umd-images' },
  },
});
if (args.pool !== 'mean' && args.pool !== 'cls') throw new Error('probe: --pool must be mean or cls');
const started = performance.now();
await initRuntime({ onLog: (line) => console.error(line) });

const medpix = await loadMedpixClassification({ root: args.data, labelField: 'Location Category', onError: 'skip' });
const train = medpix.splits['train'] ?? [];
const dev = medpix.splits['dev'] ?? [];
const classes = [...new Set(train.map((sample) => sample.label))].sort();
const labelsOf = (samples: readonly ClassificationSample[]): Int32Array => Int32Array.from(samples.map((sample) => classes.indexOf(sample.label)));
const trainLabels = labelsOf(train);
const devLabels = labelsOf(dev);

const preset = encoderPresets.tiny;
const pipeline = createImagePipeline({ size: preset.vision.imageSize, channels: preset.vision.channels as 1 | 3, cacheDir: args.cache, memoryCacheMiB: 256 });

// Majority class of train, scored on dev.
const counts = classes.map((_, k) => trainLabels.filter((label) => label === k).length);
const majority = counts.indexOf(Math.max(...counts));
console.log(JSON.stringify({ probe: 'majority-class', class: classes[majority], ...score(new Int32Array(devLabels.length).fill(majority), devLabels) }));

const inits: { name: string; checkpoint?: string }[] = [{ name: 'random-init' }];
if (args.checkpoint) inits.push({ name: 'pretrained', checkpoint: args.checkpoint });
for (const init of inits) {
  const t0 = performance.now();
  const model = new UmdModel(preset, new SeededRandom(Number(args.seed))); // runMrPretraining's initialisation
  if (init.checkpoint) {
    const loaded = await readCheckpoint(init.checkpoint);
    const vision: Record<string, TensorRecord> = {};
    for (const [name, record] of Object.entries(loaded.weights)) if (name.startsWith('vision.')) vision[name] = record;
    const targets = new Map([...model.parameterMap()].filter(([name]) => name.startsWith('vision.')));
    assignWeights(targets, vision, init.checkpoint);
  }
  model.eval();
  const trainFeatures = await encode(model, pipeline, train);
  const devFeatures = await encode(model, pipeline, dev);
  const encodeMs = performance.now() - t0;
  const predicted = fitAndPredict(trainFeatures, trainLabels, devFeatures, classes.length);
  console.log(
    JSON.stringify({
      probe: init.name,
      checkpoint: init.checkpoint ?? null,
      pool: args.pool,
      train: train.length,
      dev: dev.length,
      classes,
      ...score(predicted, devLabels),
      encodeSeconds: Math.round(encodeMs / 100) / 10,
      seconds: Math.round((performance.now() - t0) / 100) / 10,
    }),
  );
  tf.dispose([trainFeatures, devFeatures]);
  model.dispose();
}
console.error(`probe: ${((performance.now() - started) / 1000).toFixed(1)} s in all, ${tf.memory().numTensors} tensors left`);

/** [N, Dv] pooled vision features (CLS or mean of patch tokens). */
async function encode(model: UmdModel, images: ImagePipeline, samples: readonly ClassificationSample[]): Promise<tf.Tensor2D> {
  const B = Number(args.batch);
  const parts: tf.Tensor2D[] = [];
  for (let start = 0; start < samples.length; start += B) {
    const batch = await loadImageBatch(
      images,
      samples.slice(start, start + B).map((sample) => sample.image),
      { concurrency: 8 },
    );
    parts.push(
      tf.tidy(() => {
        const tokens = model.vision.forward(tf.tensor4d(batch.data, batch.shape as [number, number, number, number])); // [b, 1 + L, Dv]
        const [b, n, d] = tokens.shape as [number, number, number];
        const pooled = args.pool === 'cls' ? tf.slice(tokens, [0, 0, 0], [b, 1, d]) : tf.mean(tf.slice(tokens, [0, 1, 0], [b, n - 1, d]), 1, true);
        return tf.reshape(pooled, [b, d]) as tf.Tensor2D;
      }),
    );
  }
  const features = tf.concat(parts, 0);
  tf.dispose(parts);
  return features;
}

/** Multinomial logistic regression on standardised features (full batch, Adam, L2 on the weights); dev argmax. */
function fitAndPredict(trainX: tf.Tensor2D, trainY: Int32Array, devX: tf.Tensor2D, K: number): Int32Array {
  const D = trainX.shape[1];
  const { x, xDev, y } = tf.tidy(() => {
    const mean = tf.mean(trainX, 0, true);
    const std = tf.add(tf.sqrt(tf.mean(tf.square(tf.sub(trainX, mean)), 0, true)), 1e-6); // train statistics
    return { x: tf.div(tf.sub(trainX, mean), std), xDev: tf.div(tf.sub(devX, mean), std), y: tf.oneHot(tf.tensor1d(trainY, 'int32'), K) };
  });
  const weights = tf.tidy(() => tf.variable(tf.zeros([D, K])));
  const bias = tf.tidy(() => tf.variable(tf.zeros([K])));
  const optimizer = tf.train.adam(Number(args.lr));
  const l2 = Number(args.l2);
  for (let step = 0; step < Number(args.steps); step++) {
    optimizer.minimize(
      () => {
        const logits = tf.add(tf.matMul(x, weights), bias);
        const nll = tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(logits)), 1)));
        return tf.add(nll, tf.mul(l2, tf.sum(tf.square(weights)))) as tf.Scalar;
      },
      false,
      [weights, bias],
    );
  }
  const predicted = tf.tidy(() => tf.argMax(tf.add(tf.matMul(xDev, weights), bias), 1));
  const result = Int32Array.from(predicted.dataSync());
  tf.dispose([x, xDev, y, weights, bias, predicted]);
  optimizer.dispose();
  return result;
}

function score(predicted: Int32Array, truth: Int32Array): { accuracy: number; macroF1: number } {
  let correct = 0;
  for (let i = 0; i < truth.length; i++) if (predicted[i] === truth[i]) correct++;
  const present = new Set([...truth, ...predicted]);
  let f1Sum = 0;
  for (const k of present) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < truth.length; i++) {
      if (predicted[i] === k && truth[i] === k) tp++;
      else if (predicted[i] === k) fp++;
      else if (truth[i] === k) fn++;
    }
    f1Sum += tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  }
  const round = (value: number): number => Math.round(value * 10_000) / 10_000;
  return { accuracy: round(correct / truth.length), macroF1: round(f1Sum / present.size) };
}
