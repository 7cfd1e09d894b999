/**
 * Time of one MR pre-training step (`mrPretrainStep`: masking, student forward/backward on 25% of the patches and
 * 15%-masked text, enabled heads and losses, AdamW, teacher EMA) on synthetic batches, and the number of kernels one step
 * runs (`kernels_per_step`, from `tf.profile` of one more step: per-kernel overhead is what fusing kernels cuts). Two
 * JSON lines per config: the step, and the twelve most frequent kernels of the profiled step (calls and summed ms).
 *
 *   pnpm --filter @umd/mr-pretrain bench [--preset tiny] [--batch 32] [--runs 5] [--config full,dataLevel]
 */
import { parseArgs } from 'node:util';

import * as tf from '@tensorflow/tfjs-core';
import { AdamW, initRuntime, SeededRandom } from '@umd/core';
import { encoderPresets, UmdModel, type EncoderPresetName } from '@umd/encoders';

import { createMrPretraining, mrPretrainPresets, mrPretrainStep } from '@umd/mr-pretrain';

const { values: args } = parseArgs({
  options: {
    preset: { type: 'string', default: 'tiny' },
    batch: { type: 'string', default: '32' },
    runs: { type: 'string', default: '5' },
    config: { type: 'string', default: 'full,dataLevel' },
  },
});
const runtime = await initRuntime({ onLog: (line) => console.error(line) });
const preset = encoderPresets[args.preset as EncoderPresetName];
const B = Number(args.batch);
const runs = Number(args.runs);

for (const name of args.config.split(',') as (keyof typeof mrPretrainPresets)[]) {
  const random = new SeededRandom(0);
  const model = new UmdModel(preset, random);
  const pretraining = createMrPretraining({
    model,
    config: mrPretrainPresets[name],
    random,
    totalSteps: 1000,
    tokens: { maskTokenId: 103, specialTokenIds: [0, 100, 101, 102, 103] },
  });
  const optimizer = new AdamW(model.parameters(), { learningRate: 1e-4 });
  const { imageSize, channels } = preset.vision;
  const T = preset.text.maxPositions;
  const tokenIds = new Int32Array(B * T);
  const attentionMask = new Float32Array(B * T);
  const wordIds = new Int32Array(B * T).fill(-1);
  for (let b = 0; b < B; b++) {
    const length = T - random.integer(T / 2); // real tokens, then padding
    for (let t = 0; t < length; t++) {
      const i = b * T + t;
      tokenIds[i] = t === 0 ? 101 : t === length - 1 ? 102 : 1000 + random.integer(20000);
      attentionMask[i] = 1;
      if (t > 0 && t < length - 1) wordIds[i] = t - 1;
    }
  }
  const images = tf.tensor4d(random.normalArray(B * imageSize * imageSize * channels), [B, imageSize, imageSize, channels]);
  const step = (): number => {
    const start = performance.now();
    const { loss, terms } = mrPretrainStep(pretraining, optimizer, { images, tokenIds, attentionMask, wordIds });
    loss.dataSync();
    tf.dispose([loss, ...Object.values(terms)] as tf.Tensor[]);
    return performance.now() - start;
  };
  step();
  step();
  const times = Array.from({ length: runs }, step).sort((a, b) => a - b);
  const profiled = await tf.profile(() => {
    const { loss, terms } = mrPretrainStep(pretraining, optimizer, { images, tokenIds, attentionMask, wordIds });
    tf.dispose(Object.values(terms) as tf.Tensor[]);
    return loss;
  });
  const at = (q: number): number => Number(times[Math.min(runs - 1, Math.floor(q * runs))]!.toFixed(1));
  console.log(
    JSON.stringify({
      workload: 'mr-pretrain-step',
      preset: args.preset,
      config: name,
      batch: B,
      parameters: model.parameterCount(),
      backend: runtime.backend,
      threads: runtime.threads,
      ms_median: at(0.5),
      ms_p90: at(0.9),
      runs,
      kernels_per_step: profiled.kernels.length,
    }),
  );
  // Where the kernels come from: the most frequent names, with their summed time in that profiled step.
  const byName = new Map<string, { calls: number; ms: number }>();
  for (const kernel of profiled.kernels) {
    const entry = byName.get(kernel.name) ?? { calls: 0, ms: 0 };
    entry.calls++;
    entry.ms += typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : 0;
    byName.set(kernel.name, entry);
  }
  const top = [...byName].sort((a, b) => b[1].calls - a[1].calls).slice(0, 12);
  console.log(
    JSON.stringify({
      workload: 'mr-pretrain-step-kernels',
      preset: args.preset,
      config: name,
      top: Object.fromEntries(top.map(([kernel, { calls, ms }]) => [kernel, { calls, ms: Number(ms.toFixed(1)) }])),
    }),
  );
  tf.dispose([images, profiled.result as tf.Tensor]);
  optimizer.dispose();
  pretraining.dispose();
  model.dispose();
}
