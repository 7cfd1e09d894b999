import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

import { configReference } from './config-reference.js';
import { parsePipelineConfig } from './load-pipeline-config.js';

describe('configReference', () => {
  it('is the table in the README, so the README documents every key of the schema', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const embedded = readme.match(/<!-- config-reference:start -->\n([\s\S]*?)\n<!-- config-reference:end -->/)?.[1];
    expect(embedded, 'README.md is out of date: run `pnpm --filter @umd/trainer config-reference`').toBe(configReference());
  });

  it('has a row for every leaf key, with its default', () => {
    const table = configReference();
    for (const key of [
      '`finetune.epochs`',
      '`finetune.gmCoord.strategy`',
      '`calibrate.regularizer.decaySteps`',
      '`evaluate.bootstrapResamples`',
      '`data.phantom.size`',
    ]) {
      expect(table).toContain(`| ${key} |`);
    }
    expect(table).toContain("| `pretrain.objectives` | one of 'data-level', 'full' | 'full' |");
  });

  it('has README examples that load', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const examples = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]!);
    expect(examples.length).toBeGreaterThan(0);
    for (const example of examples) expect(() => parsePipelineConfig({ name: 'readme', ...(parseYaml(example) as object) }), example).not.toThrow();
  });
});
