import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { parsePipelineConfig } from './config/load-pipeline-config.js';
import { loadTaskData } from './datasets.js';
import { ConfigError } from './errors/config-error.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dataDir = process.env['UMD_DATA_DIR'] ?? path.resolve(repoRoot, '../shared/data');

describe('data.extraTraining', () => {
  it('is refused for a task that is not VQA and for the downstream dataset itself, naming the key', () => {
    expect(() => parsePipelineConfig({ name: 'x', data: { dataset: 'medpix-classification', extraTraining: { dataset: 'slake' } } })).toThrow(ConfigError);
    expect(() => parsePipelineConfig({ name: 'x', data: { dataset: 'medpix-classification', extraTraining: { dataset: 'slake' } } })).toThrow(
      /data\.extraTraining/,
    );
    expect(() => parsePipelineConfig({ name: 'x', data: { dataset: 'slake', extraTraining: { dataset: 'slake' } } })).toThrow(/data\.extraTraining\.dataset/);
    expect(() => parsePipelineConfig({ name: 'x', data: { dataset: 'vqa-rad', extraTraining: { dataset: 'medpix-2.0' } } })).toThrow(ConfigError);
  });

  const present = existsSync(path.join(dataDir, 'vqa-rad')) && existsSync(path.join(dataDir, 'slake'));
  describe.skipIf(!present)(`on the real VQA-RAD and SLAKE copies (${dataDir}; skipped when absent)`, () => {
    it('adds SLAKE’s English training questions to VQA-RAD’s training split only, ids prefixed, answers joining the classes', async () => {
      const base = { name: 'x', seed: 1, data: { dataset: 'vqa-rad', validationCarve: 'question', validationFraction: 0.15 } };
      const plain = await loadTaskData(parsePipelineConfig(base), dataDir);
      const joined = await loadTaskData(parsePipelineConfig({ ...base, data: { ...base.data, extraTraining: { dataset: 'slake' } } }), dataDir);
      const slake = await loadTaskData(parsePipelineConfig({ name: 'x', data: { dataset: 'slake' } }), dataDir);

      expect(joined.train.length).toBe(plain.train.length + slake.train.length);
      expect(joined.train.slice(0, plain.train.length)).toEqual(plain.train);
      const added = joined.train.slice(plain.train.length);
      expect(added.map((sample) => sample.id)).toEqual(slake.train.map((sample) => `slake:${sample.id}`));
      // validation and test stay VQA-RAD's, untouched
      expect(joined.validation).toEqual(plain.validation);
      expect(joined.test).toEqual(plain.test);
      const answers = (task: typeof joined.task) => (task.kind === 'vqa' ? task.answers : []);
      const slakeOnly = answers(slake.task).filter((answer) => !answers(plain.task).includes(answer));
      expect(slakeOnly.length).toBeGreaterThan(0);
      expect(answers(joined.task)).toEqual(expect.arrayContaining([...answers(plain.task), ...slakeOnly]));
      expect(joined.notes.some((note) => note.startsWith(`extra training: ${slake.train.length} slake training questions`))).toBe(true);
    });
  });
});
