/**
 * Encoder workloads on the chosen backend: forward and forward+backward (+AdamW) per batch for the `tiny` and `small`
 * presets, and a proxy of one MR pre-training step for `tiny` (student on 25% visible patches and 15%-masked text
 * with backward; an unmasked teacher forward; an MLM projection of the masked tokens onto the tied word embeddings;
 * a linear pixel head), and the ready recipes' tuning step (`tiny` on the MobileNetV2 stem at 224 px, batch 32, the
 * stem's features cached) with the whole stem frozen and with its last 1–3 blocks tuned (`stem-tuned-0` … `-3`).
 * One JSON line per workload.
 *
 *   pnpm --filter @umd/encoders bench [--backend wasm] [--runs 5] [--only tiny-forward,…]
 */
import { parseArgs } from 'node:util';

import * as tf from '@tensorflow/tfjs-core';
import { AdamW, initRuntime, Linear, SeededRandom, valueAndGrads, type BackendName } from '@umd/core';

import { encoderPresets, loadVisionStem, maxTunedBlocks, UmdModel, type UmdModelConfig } from '@umd/encoders';

const { values: args } = parseArgs({
  options: { backend: { type: 'string', default: 'wasm' }, runs: { type: 'string', default: '5' }, only: { type: 'string' } },
});
const runs = Number(args.runs);
const only = args.only?.split(',');
const runtime = await initRuntime({ backend: args.backend as BackendName, onLog: (line) => console.error(line) });

function time(step: () => tf.Tensor): { ms_median: number; ms_p90: number; runs: number } {
  for (let i = 0; i < 2; i++) step().dispose();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const result = step();
    result.dataSync();
    result.dispose();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const at = (q: number): number => Number(times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(1));
  return { ms_median: at(0.5), ms_p90: at(0.9), runs };
}

function inputs(config: UmdModelConfig, batch: number, random: SeededRandom) {
  const { imageSize, channels } = config.vision;
  const T = Math.min(40, config.text.maxPositions);
  return {
    images: tf.tensor4d(random.normalArray(batch * imageSize * imageSize * channels), [batch, imageSize, imageSize, channels]),
    tokenIds: tf.tensor2d(
      Int32Array.from({ length: batch * T }, () => 1000 + random.integer(20000)),
      [batch, T],
      'int32',
    ),
    attentionMask: tf.tensor2d(
      Float32Array.from({ length: batch * T }, (_, i) => (i % T < T - 5 ? 1 : 0)),
      [batch, T],
    ),
  };
}

for (const preset of ['tiny', 'small'] as const) {
  const config = encoderPresets[preset];
  const batch = preset === 'tiny' ? 32 : 16;
  const random = new SeededRandom(0);
  const model = new UmdModel(config, random);
  const optimizer = new AdamW(model.parameters(), { learningRate: 1e-4 });
  const data = inputs(config, batch, random);
  const base = { preset, batch, parameters: model.parameterCount(), backend: runtime.backend, threads: runtime.threads };
  if (!only || only.includes(`${preset}-forward`)) {
    console.log(JSON.stringify({ workload: `${preset}-forward`, ...base, ...time(() => tf.tidy(() => tf.sum(model.forward(data).fusion.pooled))) }));
  }
  if (!only || only.includes(`${preset}-train`)) {
    const step = (): tf.Tensor =>
      tf.tidy(() => {
        const { value, grads } = valueAndGrads(() => tf.mean(tf.square(model.forward(data).fusion.pooled)), model.parameters());
        optimizer.applyGradients(grads);
        return value;
      });
    console.log(JSON.stringify({ workload: `${preset}-train`, ...base, ...time(step) }));
  }
  if (preset === 'tiny' && (!only || only.includes('tiny-pretrain-proxy'))) {
    const { imageSize, patchSize, channels } = config.vision;
    const L = (imageSize / patchSize) ** 2;
    const visibleCount = Math.round(L * 0.25);
    const visibleIndices = tf.tensor2d(
      Int32Array.from({ length: batch * visibleCount }, (_, i) => Array.from(random.permutation(L))[i % visibleCount]!),
      [batch, visibleCount],
      'int32',
    );
    const T = data.tokenIds.shape[1]!;
    const masked = Math.round(batch * T * 0.15);
    const maskedRows = tf.tensor1d(Int32Array.from(random.permutation(batch * T).slice(0, masked)), 'int32');
    const maskedTargets = tf.tensor1d(
      Int32Array.from({ length: masked }, () => random.integer(config.text.vocabSize)),
      'int32',
    );
    const teacher = new UmdModel(config, new SeededRandom(1));
    const pixelHead = new Linear(config.fusion.dim, patchSize * patchSize * channels, random);
    const parameters = [...model.parameters(), ...pixelHead.parameters()];
    const proxyOptimizer = new AdamW(parameters, { learningRate: 1e-4 });
    const step = (): tf.Tensor =>
      tf.tidy(() => {
        const target = teacher.forward(data); // unmasked teacher, no gradient
        const { value, grads } = valueAndGrads(() => {
          const out = model.forward({ ...data, visibleIndices });
          const D = config.fusion.dim;
          const textRows = tf.gather(tf.reshape(out.fusion.text, [batch * T, D]), maskedRows); // [M, D]
          const logits = tf.matMul(textRows, model.text.wordEmbeddings, false, true); // [M, V] (tied; see note)
          const mlm = tf.losses.softmaxCrossEntropy(tf.oneHot(maskedTargets, config.text.vocabSize), logits);
          const pixels = pixelHead.forward(out.fusion.image); // [B, 1 + Lv, P·P·C]
          const mim = tf.mean(tf.square(pixels));
          const feature = tf.mean(tf.square(tf.sub(out.fusion.pooled, target.fusion.pooled)));
          return tf.addN([mlm, mim, feature]) as tf.Scalar;
        }, parameters);
        proxyOptimizer.applyGradients(grads);
        return value;
      });
    console.log(JSON.stringify({ workload: 'tiny-pretrain-proxy', ...base, visiblePatches: visibleCount, maskedTokens: masked, ...time(step) }));
    tf.dispose([visibleIndices, maskedRows, maskedTargets]);
    teacher.dispose();
    pixelHead.dispose();
    proxyOptimizer.dispose();
  }
  optimizer.dispose();
  model.dispose();
  tf.dispose(data);
}

for (let tunedBlocks = 0; tunedBlocks <= maxTunedBlocks; tunedBlocks++) {
  const workload = `stem-tuned-${tunedBlocks}`;
  if (only && !only.includes(workload)) continue;
  const stem = { kind: 'mobilenet-v2', tunedBlocks } as const;
  const config: UmdModelConfig = {
    ...encoderPresets.tiny,
    vision: { ...encoderPresets.tiny.vision, imageSize: 224, patchSize: 32, channels: 3, stem },
  };
  await loadVisionStem(stem);
  const random = new SeededRandom(0);
  const model = new UmdModel(config, random);
  const optimizer = new AdamW(model.parameters(), { learningRate: 1e-4 });
  const data = inputs(config, 32, random);
  const step = (): tf.Tensor =>
    tf.tidy(() => {
      const { value, grads } = valueAndGrads(() => tf.mean(tf.square(model.forward(data).fusion.pooled)), model.parameters());
      optimizer.applyGradients(grads);
      return value;
    });
  const base = {
    preset: 'tiny',
    stem: 'mobilenet-v2',
    tunedBlocks,
    batch: 32,
    parameters: model.parameterCount(),
    backend: runtime.backend,
    threads: runtime.threads,
  };
  console.log(JSON.stringify({ workload, ...base, ...time(step) })); // the warm-up steps fill the stem's feature cache
  optimizer.dispose();
  model.dispose();
  tf.dispose(data);
}
