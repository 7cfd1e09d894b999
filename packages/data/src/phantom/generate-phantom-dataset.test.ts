import { InvalidConfigError } from '@umd/core';
import { describe, expect, it } from 'vitest';

import type { VqaSample } from '../sample.js';
import { generatePhantomDataset } from './generate-phantom-dataset.js';
import type { PhantomScene } from './phantom-scene.js';
import { tissueLevel } from './render-phantom-scan.js';

const counts = { train: 20, validate: 5, test: 5 };

describe('generatePhantomDataset', () => {
  it('is named phantom, marked synthetic, and yields VQA, caption and classification samples per image', () => {
    const dataset = generatePhantomDataset({ seed: 1, counts });
    expect(dataset.name).toBe('phantom');
    expect(dataset.synthetic).toBe(true);
    const train = dataset.splits.train;
    const images = new Set(train.map((sample) => sample.imageId));
    expect(images.size).toBe(20);
    expect(train.filter((sample) => sample.task === 'caption')).toHaveLength(20);
    expect(train.filter((sample) => sample.task === 'classification')).toHaveLength(20);
    expect(train.filter((sample) => sample.task === 'vqa').length).toBeGreaterThanOrEqual(80);
    for (const sample of train) {
      expect(sample.dataset).toBe('phantom');
      expect(sample.split).toBe('train');
      expect(sample.image.kind).toBe('pixels');
      if (sample.image.kind === 'pixels') {
        expect([sample.image.width, sample.image.height, sample.image.channels, sample.image.data.length]).toEqual([64, 64, 1, 64 * 64]);
      }
      if (sample.task === 'caption') expect(sample.caption).toMatch(/^Synthetic phantom (CT|MRI) scan/);
      if (sample.task === 'classification') expect(dataset.labels).toContain(sample.label);
    }
    expect(new Set(train.map((sample) => sample.id)).size).toBe(train.length);
  });

  it('is deterministic for a seed; each split depends only on its own count', () => {
    const a = generatePhantomDataset({ seed: 7, counts, size: 32 });
    const b = generatePhantomDataset({ seed: 7, counts, size: 32 });
    const c = generatePhantomDataset({ seed: 8, counts, size: 32 });
    const more = generatePhantomDataset({ seed: 7, counts: { ...counts, train: 40 }, size: 32 });
    const summary = (samples: typeof a.splits.test) =>
      samples.map((sample) => [sample.id, sample.image.kind === 'pixels' ? Array.from(sample.image.data) : [], JSON.stringify(sample)]);
    expect(summary(a.splits.train)).toEqual(summary(b.splits.train));
    expect(summary(a.splits.test)).toEqual(summary(more.splits.test));
    expect(summary(a.splits.train)).not.toEqual(summary(c.splits.train));
  });

  it('filters by task, with types to match', () => {
    const dataset = generatePhantomDataset({ seed: 1, counts, tasks: ['vqa'] });
    const questions: readonly VqaSample[] = dataset.splits.validate;
    expect(questions.every((sample) => sample.task === 'vqa' && sample.answer === sample.answer.toLowerCase())).toBe(true);
    expect(questions.some((sample) => sample.answerType === 'closed')).toBe(true);
    expect(questions.some((sample) => sample.answerType === 'open')).toBe(true);
  });

  it('draws each lesion visibly in its organ', () => {
    const dataset = generatePhantomDataset({ seed: 2, counts: { train: 60, validate: 0, test: 0 }, tasks: ['classification'] });
    let lesions = 0;
    for (const sample of dataset.splits.train) {
      const scene = sample.source as PhantomScene;
      if (!scene.lesion || sample.image.kind !== 'pixels') continue;
      lesions++;
      const { x, y } = scene.lesion.shape;
      const column = Math.floor(((x + 1) / 2) * 64);
      const row = Math.floor(((y + 1) / 2) * 64);
      const value = sample.image.data[row * 64 + column]!;
      const organ = tissueLevel(scene.modality, scene.lesion.organ);
      if (scene.lesion.brightness === 'bright') expect(value - organ).toBeGreaterThan(40);
      else expect(organ - value).toBeGreaterThan(20);
    }
    expect(lesions).toBeGreaterThan(30);
  });

  it('needs the image: the question-only majority baseline is far below a perfect score', () => {
    const dataset = generatePhantomDataset({ seed: 11, counts: { train: 600, validate: 0, test: 300 }, tasks: ['vqa'], size: 32 });
    const votes = new Map<string, Map<string, number>>();
    for (const { question, answer } of dataset.splits.train) {
      const answers = votes.get(question) ?? new Map<string, number>();
      answers.set(answer, (answers.get(answer) ?? 0) + 1);
      votes.set(question, answers);
    }
    const majority = new Map([...votes].map(([question, answers]) => [question, [...answers].sort((a, b) => b[1] - a[1])[0]![0]]));
    const test = dataset.splits.test;
    const correct = test.filter((sample) => majority.get(sample.question) === sample.answer).length;
    const accuracy = correct / test.length;
    expect(accuracy).toBeLessThan(0.6);
    // Every question is balanced on its own too (about 120 answers per organ question here: 0.5 ± sampling noise).
    for (const [question, answers] of votes) {
      const total = [...answers.values()].reduce((sum, count) => sum + count, 0);
      expect(Math.max(...answers.values()) / total, question).toBeLessThan(0.7);
    }
  });

  it('validates its options, naming the field', () => {
    expect(() => generatePhantomDataset({ seed: 1, counts: { train: -1, validate: 0, test: 0 } })).toThrow(/counts\.train/);
    expect(() => generatePhantomDataset({ seed: 1, counts, size: 16 })).toThrow(InvalidConfigError);
    expect(() => generatePhantomDataset({ seed: 1, counts, tasks: [] })).toThrow(/'tasks'/);
  });
});
