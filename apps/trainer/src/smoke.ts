import path from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import {
  AdamW,
  Embedding,
  initRuntime,
  Linear,
  Module,
  SeededRandom,
  TransformerBlock,
  trainLoop,
  valueAndGrads,
  type BackendName,
  type TrainEvent,
} from '@umd/core';

export interface SmokeOptions {
  readonly backend: BackendName;
  readonly steps: number;
  readonly out: string;
  readonly seed: number;
  readonly log: (line: string) => void;
}

/**
 * A small transformer learns to copy shuffled token sequences through its blocks (a task a working runtime must
 * learn: the loss falls well below ln(V)). Exercises backend selection, embeddings (gather gradient), attention,
 * AdamW, the schedule, checkpoints and the training loop end to end.
 */
class TinyCopier extends Module {
  readonly embed: Embedding;
  readonly position: Embedding;
  readonly blocks: TransformerBlock[];
  readonly head: Linear;
  constructor(
    readonly vocab: number,
    readonly length: number,
    random: SeededRandom,
  ) {
    super();
    const dim = 64;
    this.embed = this.addModule('embed', new Embedding(vocab, dim, random));
    this.position = this.addModule('position', new Embedding(length, dim, random, { weightDecay: false }));
    this.blocks = [0, 1].map((i) => this.addModule(`block${i}`, new TransformerBlock({ dim, heads: 4, mlpDim: 4 * dim }, random)));
    this.head = this.addModule('head', new Linear(dim, vocab, random));
  }
  /** ids [B, T] int32 -> logits [B, T, V] */
  forward(ids: tf.Tensor, positions: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let h = tf.add(this.embed.forward(ids), this.position.forward(positions));
      for (const block of this.blocks) h = block.forward(h);
      return this.head.forward(h);
    });
  }
}

export async function runSmoke(options: SmokeOptions): Promise<{ firstLoss: number; lastLoss: number; checkpoint?: string }> {
  const runtime = await initRuntime({ backend: options.backend, onLog: options.log });
  const random = new SeededRandom(options.seed);
  const vocab = 32;
  const length = 16;
  const batch = 32;
  const model = new TinyCopier(vocab, length, random);
  const optimizer = new AdamW(model.parameters(), { learningRate: 3e-3, weightDecay: 0.01 });
  const positions = tf.range(0, length, 1, 'int32');
  const dataRandom = random.fork('data');
  options.log(`[smoke] model: ${model.parameterCount().toLocaleString('en')} parameters; task: copy ${length} tokens of ${vocab}; batch ${batch}`);

  const trainStep = (): tf.Scalar => {
    const ids = tf.tensor2d(
      Int32Array.from({ length: batch * length }, () => dataRandom.integer(vocab)),
      [batch, length],
      'int32',
    );
    const loss = tf.tidy(() => {
      const { value, grads } = valueAndGrads(() => {
        const logits = tf.reshape(model.forward(ids, positions), [batch * length, vocab]);
        return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.reshape(ids, [-1]), vocab), logits) as tf.Scalar;
      }, model.parameters());
      optimizer.applyGradients(grads);
      return value;
    });
    ids.dispose();
    return loss;
  };

  const every = Math.max(1, Math.floor(options.steps / 10));
  const onEvent = (event: TrainEvent): void => {
    if (event.type === 'step-end' && (event.step % every === 0 || event.step === 1)) {
      options.log(
        `step ${String(event.step).padStart(4)} | loss ${event.loss.toFixed(4)} | lr ${event.learningRate.toExponential(1)} | ` +
          `${event.stepMs.toFixed(0)} ms/step | ${(event.samplesPerSecond ?? 0).toFixed(0)} samples/s | tensors ${event.numTensors}`,
      );
    }
    if (event.type === 'checkpoint-save') options.log(`[smoke] checkpoint ${event.path} (${event.ms.toFixed(0)} ms)`);
  };
  const result = await trainLoop({
    model,
    optimizer,
    trainStep,
    maxSteps: options.steps,
    random,
    schedule: { baseLearningRate: 3e-3, schedule: { kind: 'cosine', warmupSteps: Math.ceil(options.steps / 10), totalSteps: options.steps } },
    checkpoint: { dir: path.join(options.out, 'checkpoints'), every: Math.max(1, Math.floor(options.steps / 2)), keepLast: 1 },
    config: { task: 'smoke-copy', vocab, length, batch, backend: runtime.backend },
    samplesPerStep: batch,
    onEvent,
  });
  positions.dispose();
  optimizer.dispose();
  model.dispose();
  const firstLoss = result.losses[0] ?? NaN;
  const lastLoss = result.losses.at(-1) ?? NaN;
  return { firstLoss, lastLoss, ...(result.lastCheckpoint ? { checkpoint: result.lastCheckpoint } : {}) };
}
