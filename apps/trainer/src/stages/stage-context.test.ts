import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { parsePipelineConfig } from '../config/load-pipeline-config.js';
import { stageImageSettings } from './stage-context.js';

describe('stageImageSettings', () => {
  it('passes data.maxInputPixels to the image pipelines only when the config sets it', () => {
    const data = (extra: object) => parsePipelineConfig({ name: 'x', data: { imageCache: 'cache', ...extra } }).data;
    expect(stageImageSettings(data({}))).toStrictEqual({ cacheDir: path.resolve('cache'), memoryCacheMiB: 256 });
    expect(stageImageSettings(data({ maxInputPixels: 400_000_000, imageCache: null }))).toStrictEqual({ memoryCacheMiB: 256, maxInputPixels: 400_000_000 });
  });
});
