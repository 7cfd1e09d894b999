import * as tf from '@tensorflow/tfjs-core';
import { AdamW, InvalidConfigError, SeededRandom, softmaxCrossEntropy, type NamedTensors } from '@umd/core';
import { expectStableTensorCount, useBackend } from '@umd/core/testing';
import { randomPatchMasking, UmdModel } from '@umd/encoders';
import { createCoordinator } from '@umd/gm-coord';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { microTaskConfig, randomTaskBatch } from './__fixtures__/phantom-fixtures.js';
import { finetuneParameterGroups } from './finetune-parameter-groups.js';
import { finetuneStep, type AuxiliaryLoss, type FinetuneStepResult } from './finetune-step.js';
import type { TaskSpec } from './task-spec.js';
import { createTaskTuning, type TaskTuning } from './task-tuning.js';

const vocabSize = 40;
const config = microTaskConfig(vocabSize, { dim: 16, patchSize: 16 });
const vqa: TaskSpec = { kind: 'vqa', answers: ['yes', 'no', 'ct', 'mri'] };

function setUp(
  task: TaskSpec,
  seed: number,
  optimizerOptions: Partial<ConstructorParameters<typeof AdamW>[1]> = {},
): { tuning: TaskTuning; optimizer: AdamW; dispose: () => void } {
  const random = new SeededRandom(seed);
  const model = new UmdModel(config, random);
  const tuning = createTaskTuning({ model, task, random });
  const optimizer = new AdamW(model.parameters(), { learningRate: 2e-3, weightDecay: 0, ...optimizerOptions });
  return {
    tuning,
    optimizer,
    dispose: () => {
      optimizer.dispose();
      model.dispose();
    },
  };
}

function read(result: FinetuneStepResult): Record<string, number> {
  const values: Record<string, number> = { loss: result.loss.dataSync()[0]! };
  for (const [name, scalar] of Object.entries(result.terms)) values[name] = scalar.dataSync()[0]!;
  tf.dispose([result.loss, ...Object.values(result.terms)]);
  return values;
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

/** The class logits [B, K] of a [B, T] batch (the caller disposes them), through every image token or `visibleIndices`. */
function logitsOf(tuning: TaskTuning, batch: ReturnType<typeof randomTaskBatch>, T: number, visibleIndices?: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const B = batch.images.shape[0];
    const out = tuning.model.forward({
      images: batch.images,
      ...(visibleIndices ? { visibleIndices } : {}),
      tokenIds: tf.tensor2d(batch.tokenIds, [B, T], 'int32'),
      attentionMask: tf.tensor2d(batch.attentionMask, [B, T]),
    });
    return tuning.classify!(out.fusion.pooled);
  });
}

describe('finetuneStep', () => {
  beforeAll(() => useBackend('cpu'));
  afterEach(() => vi.restoreAllMocks());

  for (const task of [vqa, { kind: 'classification', labels: ['normal', 'liver', 'heart'] }, { kind: 'retrieval' }] as TaskSpec[]) {
    // Retrieval starts on a plateau: at init the CLS features barely differ between samples (std-0.02 projections at
    // width 16), so InfoNCE sits at ln B for about 30 steps before it falls.
    const steps = task.kind === 'retrieval' ? 50 : 15;
    it(`the ${task.kind} loss falls over ${steps} steps on a fixed batch`, () => {
      const { tuning, optimizer, dispose } = setUp(task, 1);
      const batch = randomTaskBatch(new SeededRandom(2), { batchSize: 6, length: 8, vocabSize, classes: tuning.numClasses || 2 });
      const start = tuning.random.state();
      const history: Record<string, number>[] = [];
      for (let step = 0; step < steps; step++) {
        tuning.random.restore(start); // the same retrieval negatives every step
        history.push(read(finetuneStep(tuning, optimizer, task.kind === 'retrieval' ? { ...batch, targets: undefined } : batch)));
      }
      const keys = task.kind === 'retrieval' ? ['loss', 'itm', 'contrastive'] : ['loss', task.kind];
      expect(Object.keys(history[0]!).sort()).toEqual([...keys].sort());
      for (const key of keys) {
        const series = history.map((values) => values[key]!);
        expect(series.every(Number.isFinite)).toBe(true);
        const factor = key === 'itm' ? 0.95 : 0.8; // ITM first learns its 1:2 prior (ln 3 − ⅔ ln 2 ≈ 0.64 from 0.69)
        expect(mean(series.slice(-3)), `${key}: ${series.map((v) => v.toFixed(3)).join(' ')}`).toBeLessThan(factor * mean(series.slice(0, 3)));
      }
      const last = history.at(-1)!;
      if (task.kind === 'retrieval') expect(last.loss).toBeCloseTo(last.itm! + last.contrastive!, 5);
      batch.images.dispose();
      dispose();
    });
  }

  it('per-group learning-rate multipliers scale the first AdamW step per group (heads 50×, fusion 5×, encoders 1×)', () => {
    const random = new SeededRandom(3);
    const model = new UmdModel(config, random);
    const tuning = createTaskTuning({ model, task: vqa, random });
    const lr = 1e-4;
    const optimizer = new AdamW(model.parameters(), { learningRate: lr, weightDecay: 0, groups: finetuneParameterGroups(model) });
    const before = new Map([...model.parameterMap()].map(([name, variable]) => [name, Float32Array.from(variable.dataSync())]));
    const batch = randomTaskBatch(random, { batchSize: 4, length: 6, vocabSize, classes: 4 });
    read(finetuneStep(tuning, optimizer, batch));
    // Adam's first update is lr·g/(|g| + ε): every element with a gradient moves by the group's rate (ε aside).
    const largestStep = (prefix: string): number => {
      let largest = 0;
      for (const [name, variable] of model.parameterMap()) {
        if (!name.startsWith(prefix)) continue;
        const now = variable.dataSync();
        const was = before.get(name)!;
        for (let i = 0; i < now.length; i++) largest = Math.max(largest, Math.abs(now[i]! - was[i]!));
      }
      return largest;
    };
    expect(largestStep('heads.') / lr).toBeCloseTo(50, 1);
    expect(largestStep('fusion.') / lr).toBeCloseTo(5, 2);
    expect(largestStep('vision.') / lr).toBeCloseTo(1, 3);
    expect(largestStep('text.') / lr).toBeCloseTo(1, 3);
    batch.images.dispose();
    optimizer.dispose();
    // wordEmbeddings: its own rate for the word table only (0 keeps loaded word vectors), the rest of text.* unchanged
    const frozen = new AdamW(model.parameters(), { learningRate: lr, weightDecay: 0, groups: finetuneParameterGroups(model, { wordEmbeddings: 0 }) });
    const words = Float32Array.from(model.text.wordEmbeddings.dataSync());
    const blocks = [...model.parameterMap()].find(([name]) => name.startsWith('text.blocks.'))![1];
    const blocksBefore = Float32Array.from(blocks.dataSync());
    const next = randomTaskBatch(random, { batchSize: 4, length: 6, vocabSize, classes: 4 });
    read(finetuneStep(tuning, frozen, next));
    expect(Array.from(model.text.wordEmbeddings.dataSync())).toEqual(Array.from(words));
    expect(Array.from(blocks.dataSync())).not.toEqual(Array.from(blocksBefore));
    next.images.dispose();
    frozen.dispose();
    model.dispose();
  });

  it('trains an image-only head on the same targets, as the weighted term imageClass', () => {
    const random = new SeededRandom(8);
    const model = new UmdModel(config, random);
    const tuning = createTaskTuning({ model, task: vqa, random, imageHead: { weight: 0.5 } });
    const optimizer = new AdamW(model.parameters(), { learningRate: 0, weightDecay: 0 });
    const batch = randomTaskBatch(new SeededRandom(9), { batchSize: 4, length: 6, vocabSize, classes: 4 });
    const terms = read(finetuneStep(tuning, optimizer, batch));
    const expected = tf.tidy(() => {
      model.eval(); // the micro config has no dropout; eval only keeps the reference simple
      const out = model.forward({
        images: batch.images,
        tokenIds: tf.tensor2d(batch.tokenIds, [4, 6], 'int32'),
        attentionMask: tf.tensor2d(batch.attentionMask, [4, 6]),
      });
      const loss = softmaxCrossEntropy(tuning.heads.imageClassifier!.forward(tf.mean(out.vision, 1)), { classes: batch.targets! }).dataSync()[0]!;
      model.train();
      return loss;
    });
    expect(terms.imageClass).toBeCloseTo(expected, 4);
    expect(terms.loss).toBeCloseTo(terms.vqa! + 0.5 * terms.imageClass!, 4);
    batch.images.dispose();
    optimizer.dispose();
    model.dispose();
  });

  it('masks samples with target −1 out of the loss', () => {
    const { tuning, optimizer, dispose } = setUp(vqa, 4, { learningRate: 0 });
    const batch = randomTaskBatch(new SeededRandom(5), { batchSize: 4, length: 6, vocabSize, classes: 4 });
    const targets = Int32Array.from([1, -1, 3, -1]);
    const masked = read(finetuneStep(tuning, optimizer, { ...batch, targets })).vqa!;
    const logits = logitsOf(tuning, batch, 6);
    const logProbabilities = tf.logSoftmax(logits).arraySync() as number[][];
    expect(masked).toBeCloseTo(-(logProbabilities[0]![1]! + logProbabilities[2]![3]!) / 2, 5);
    expect(Math.abs(read(finetuneStep(tuning, optimizer, { ...batch, targets: Int32Array.from([-1, -1, -1, -1]) })).vqa!)).toBe(0);
    tf.dispose(logits);
    batch.images.dispose();
    dispose();
  });

  it('drops image tokens with imageTokenDrop: the same draw for the same seed and step, another for another, no leak; rejected on retrieval', () => {
    const batch = randomTaskBatch(new SeededRandom(5), { batchSize: 4, length: 6, vocabSize, classes: 4 });
    const lossOf = (options: Parameters<typeof finetuneStep>[3]): number => {
      const { tuning, optimizer, dispose } = setUp(vqa, 4, { learningRate: 0 });
      const value = read(finetuneStep(tuning, optimizer, batch, options)).vqa!;
      dispose();
      return value;
    };
    const before = tf.memory().numTensors;
    const plain = lossOf({});
    const dropped = lossOf({ imageTokenDrop: 0.5, noiseSeed: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(lossOf({ imageTokenDrop: 0.5, noiseSeed: 1 })).toBe(dropped); // deterministic: seed and step
    expect(dropped).not.toBeCloseTo(plain, 4); // the model saw half the tokens
    expect(lossOf({ imageTokenDrop: 0.5, noiseSeed: 2 })).not.toBe(dropped); // another draw
    expect(lossOf({ imageTokenDrop: 0 })).toBe(plain); // 0 is off

    // The loss is the model's on exactly the tokens the draw kept (the ViT's MAE path), not some other subset.
    const { tuning, optimizer, dispose } = setUp(vqa, 4, { learningRate: 0 });
    const L = tuning.model.vision.patchCount(batch.images.shape[1], batch.images.shape[2]);
    const kept = randomPatchMasking(4, L, { ratio: 0.5, random: new SeededRandom('tasks:patch-dropout:1:1') });
    const visible = tf.tensor2d(kept.visibleIndices, [4, kept.visibleCount], 'int32');
    const logits = logitsOf(tuning, batch, 6, visible);
    const expected = softmaxCrossEntropy(logits, { classes: batch.targets! });
    expect(dropped).toBeCloseTo(expected.dataSync()[0]!, 5);
    tf.dispose([logits, expected, visible]);
    expect(() => finetuneStep(tuning, optimizer, batch, { imageTokenDrop: 0.999 })).toThrow(/imageTokenDrop/);
    dispose();
    const retrieval = setUp({ kind: 'retrieval' }, 8);
    expect(() => finetuneStep(retrieval.tuning, retrieval.optimizer, { ...batch, targets: undefined }, { imageTokenDrop: 0.25 })).toThrow(/0 for retrieval/);
    batch.images.dispose();
    retrieval.dispose();
  });

  it('weights each sample by its class with classWeights: the per-sample losses scaled, −1 still masked, smoothing kept', () => {
    const { tuning, optimizer, dispose } = setUp(vqa, 4, { learningRate: 0 });
    const batch = randomTaskBatch(new SeededRandom(5), { batchSize: 4, length: 6, vocabSize, classes: 4 });
    const targets = Int32Array.from([1, -1, 3, 0]);
    const weights = [0.5, 2, 1, 3];
    const weighted = read(finetuneStep(tuning, optimizer, { ...batch, targets }, { classWeights: weights })).vqa!;
    const smoothedWeighted = read(finetuneStep(tuning, optimizer, { ...batch, targets }, { classWeights: weights, labelSmoothing: 0.2 })).vqa!;
    const logits = logitsOf(tuning, batch, 6);
    const logP = tf.logSoftmax(logits).arraySync() as number[][];
    // Counted rows 0, 2, 3 (target −1 is not): mean of w_y · −log p_y.
    expect(weighted).toBeCloseTo(-(2 * logP[0]![1]! + 3 * logP[2]![3]! + 0.5 * logP[3]![0]!) / 3, 4);
    const smoothedRow = (b: number, y: number): number => 0.8 * -logP[b]![y]! + 0.2 * -(logP[b]!.reduce((a, v) => a + v, 0) / 4);
    expect(smoothedWeighted).toBeCloseTo((2 * smoothedRow(0, 1) + 3 * smoothedRow(2, 3) + 0.5 * smoothedRow(3, 0)) / 3, 4);
    expect(() => finetuneStep(tuning, optimizer, { ...batch, targets }, { classWeights: [1, 1] })).toThrow(/one weight per class/);
    tf.dispose(logits);
    dispose();
    const retrieval = setUp({ kind: 'retrieval' }, 8);
    expect(() => finetuneStep(retrieval.tuning, retrieval.optimizer, { ...batch, targets: undefined }, { classWeights: [1] })).toThrow(/none for retrieval/);
    batch.images.dispose();
    retrieval.dispose();
  });

  it('smooths the class targets with labelSmoothing, and rejects it on retrieval', () => {
    const { tuning, optimizer, dispose } = setUp(vqa, 4, { learningRate: 0 });
    const batch = randomTaskBatch(new SeededRandom(5), { batchSize: 4, length: 6, vocabSize, classes: 4 });
    const targets = Int32Array.from([1, -1, 3, 0]);
    const plain = read(finetuneStep(tuning, optimizer, { ...batch, targets })).vqa!;
    const smoothed = read(finetuneStep(tuning, optimizer, { ...batch, targets }, { labelSmoothing: 0.2 })).vqa!;
    const logits = logitsOf(tuning, batch, 6);
    const expected = softmaxCrossEntropy(logits, { classes: targets }, { smoothing: 0.2 });
    expect(smoothed).toBeCloseTo(expected.dataSync()[0]!, 5);
    expect(smoothed).not.toBeCloseTo(plain, 3);
    tf.dispose([logits, expected]);
    dispose();
    const retrieval = setUp({ kind: 'retrieval' }, 8);
    expect(() => finetuneStep(retrieval.tuning, retrieval.optimizer, { ...batch, targets: undefined }, { labelSmoothing: 0.1 })).toThrow(/labelSmoothing/);
    batch.images.dispose();
    retrieval.dispose();
  });

  it('GM-Coord scales the encoder gradients of exactly one modality and nothing else', () => {
    const batch = randomTaskBatch(new SeededRandom(6), { batchSize: 8, length: 6, vocabSize, classes: 4 });
    const capture = (optimizer: AdamW): Record<string, Float32Array> => {
      const applied: Record<string, Float32Array> = {};
      vi.spyOn(optimizer, 'applyGradients').mockImplementation((grads: NamedTensors) => {
        for (const [name, gradient] of Object.entries(grads)) applied[name] = Float32Array.from(gradient.dataSync());
      });
      return applied;
    };
    const plain = setUp(vqa, 7);
    const plainGradients = capture(plain.optimizer);
    read(finetuneStep(plain.tuning, plain.optimizer, batch));
    const coordinated = setUp(vqa, 7); // the same weights
    const coordinatedGradients = capture(coordinated.optimizer);
    const coordinator = createCoordinator({ modalities: ['text', 'vision'], strategy: { kind: 'ogm-ge', alpha: 5, noise: false } });
    const result = finetuneStep(coordinated.tuning, coordinated.optimizer, batch, { coordinator });
    const { coefficients, scores } = result.coordination!;
    read(result);

    const slowed = Object.keys(coefficients).filter((modality) => coefficients[modality]! < 1);
    expect(slowed).toHaveLength(1);
    const [modality] = slowed as [string];
    expect(scores[modality]).toBeGreaterThan(scores[modality === 'text' ? 'vision' : 'text']!); // the leader is slowed
    expect(Object.keys(coordinatedGradients).sort()).toEqual(Object.keys(plainGradients).sort());
    for (const [name, gradient] of Object.entries(coordinatedGradients)) {
      const k = name.startsWith(`${modality}.`) ? coefficients[modality]! : 1;
      const expected = plainGradients[name]!.map((value) => k * value);
      gradient.forEach((value, i) => expect(value, name).toBeCloseTo(expected[i]!, 6));
    }
    batch.images.dispose();
    plain.dispose();
    coordinated.dispose();
  });

  it('rejects GM-Coord on retrieval, and a classifying batch without targets', () => {
    const { tuning, optimizer, dispose } = setUp({ kind: 'retrieval' }, 8);
    const batch = randomTaskBatch(new SeededRandom(9), { batchSize: 4, length: 6, vocabSize });
    const coordinator = createCoordinator({ modalities: ['text', 'vision'], strategy: { kind: 'ogm-ge', alpha: 1 } });
    expect(() => finetuneStep(tuning, optimizer, batch, { coordinator })).toThrow(InvalidConfigError);
    expect(() => finetuneStep(tuning, optimizer, batch, { coordinator })).toThrow(/GM-Coord is unsupported there/);
    dispose();
    const other = setUp(vqa, 10);
    expect(() => other.tuning && finetuneStep(other.tuning, other.optimizer, { ...batch, targets: undefined })).toThrow(/batch.targets/);
    batch.images.dispose();
    other.dispose();
  });

  it('adds the auxiliary loss inside the tape, with the step number, and leaves it out when it returns undefined', () => {
    const { tuning, optimizer, dispose } = setUp(vqa, 11);
    const batch = randomTaskBatch(new SeededRandom(12), { batchSize: 4, length: 6, vocabSize, classes: 4 });
    const steps: number[] = [];
    const applied = vi.spyOn(optimizer, 'applyGradients');
    const auxiliary: AuxiliaryLoss = {
      name: 'reconstruction',
      compute: (_batch, step) => {
        steps.push(step);
        if (step > 1) return undefined; // "decayed to 0"
        const word = tuning.model.parameterMap().get('text.embeddings.word.weight')!;
        return tf.mul(tf.sum(tf.square(word)), 0.5) as tf.Scalar;
      },
    };
    const first = read(finetuneStep(tuning, optimizer, batch, { auxiliary }));
    expect(first.loss).toBeCloseTo(first.vqa! + first.reconstruction!, 4);
    expect(first.reconstruction).toBeGreaterThan(0);
    const second = read(finetuneStep(tuning, optimizer, batch, { auxiliary }));
    expect(Object.keys(second).sort()).toEqual(['loss', 'vqa']);
    expect(steps).toEqual([1, 2]);
    // The auxiliary term reached the gradient: the word embeddings moved by its gradient (w) too.
    expect(Object.keys(applied.mock.calls[0]![0])).toContain('text.embeddings.word.weight');
    batch.images.dispose();
    dispose();
  });

  it('leaks no tensors over steps (VQA with GM-Coord noise and an auxiliary loss; retrieval), and dispose frees everything', async () => {
    const start = tf.memory().numTensors;
    for (const task of [vqa, { kind: 'retrieval' } as const]) {
      const { tuning, optimizer, dispose } = setUp(task, 13);
      const batch = randomTaskBatch(new SeededRandom(14), { batchSize: 4, length: 6, vocabSize, classes: 4 });
      const coordinator = createCoordinator({ modalities: ['text', 'vision'], strategy: { kind: 'ogm-ge', alpha: 0.5 } });
      const auxiliary: AuxiliaryLoss = {
        name: 'aux',
        compute: () => tf.mul(tf.scalar(0.1), tf.sum(tuning.model.parameterMap().get('fusion.modalityEmbedding')!)) as tf.Scalar,
      };
      await expectStableTensorCount(() => {
        const { loss, terms } =
          task.kind === 'vqa'
            ? finetuneStep(tuning, optimizer, batch, { coordinator, auxiliary })
            : finetuneStep(tuning, optimizer, { ...batch, targets: undefined });
        return [loss, ...Object.values(terms)];
      });
      batch.images.dispose();
      dispose();
    }
    expect(tf.memory().numTensors).toBe(start);
  });
});
