import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import type { TaskSample } from '@umd/tasks';
import sharp from 'sharp';

/** `samples/index.json` of a bundle: the sample images `umd-train serve` offers, with a question or text for each. */
export interface BundleSample {
  readonly file: string;
  readonly question?: string;
}

/**
 * Writes up to `count` images of `samples` (one per image, in order) as PNG files into `<bundle>/samples/` with an
 * `index.json`, for `umd-train predict` and the `serve` page to try the model on. In-memory images (phantom scans) are
 * encoded; files are skipped (their dataset's terms stay with the dataset). Not part of the checksummed model files.
 *
 * @returns the samples written (none when no sample holds an in-memory image)
 */
export async function writeBundleSamples(bundleDir: string, samples: readonly TaskSample[], count = 4): Promise<BundleSample[]> {
  const written: BundleSample[] = [];
  const seen = new Set<string>();
  for (const sample of samples) {
    if (written.length >= count) break;
    const { image } = sample;
    if (image.kind !== 'pixels' || seen.has(image.key)) continue;
    seen.add(image.key);
    const file = `${(sample.imageId ?? sample.id).replace(/[^\w.-]+/g, '_')}.png`;
    await mkdir(path.join(bundleDir, 'samples'), { recursive: true });
    await sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
      .png()
      .toFile(path.join(bundleDir, 'samples', file));
    const text = sample.task === 'vqa' ? sample.question : sample.task === 'classification' ? sample.text : undefined;
    written.push({ file, ...(text ? { question: text } : {}) });
  }
  if (written.length > 0) await writeFile(path.join(bundleDir, 'samples', 'index.json'), `${JSON.stringify(written, null, 2)}\n`);
  return written;
}
