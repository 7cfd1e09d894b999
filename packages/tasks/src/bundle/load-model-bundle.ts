import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { createImagePipeline, type ImagePipeline, type ReadDicomOptions } from '@umd/data';

import { ModelBundleError } from './model-bundle-error.js';
import { openModelBundle, type OpenedModelBundle } from './open-model-bundle.js';

/** A bundle loaded from a folder, ready for {@link predictWithBundle}. `dispose()` frees the model. */
export interface ModelBundle extends OpenedModelBundle {
  /** The bundle folder (absolute). */
  readonly dir: string;
  /** The bundle's preprocessing: the model's size and channels, centre crop, its normalisation. */
  readonly pipeline: ImagePipeline;
}

/**
 * Loads a bundle folder written by `exportModelBundle` (see `openModelBundle` for the checks) and adds its image
 * preprocessing. `options.dicom` sets how DICOM inputs are shown (VOI window, frame).
 *
 * @throws ModelBundleError naming the file: missing, a checksum that does not match, or another format
 */
export async function loadModelBundle(dir: string, options: { readonly dicom?: ReadDicomOptions } = {}): Promise<ModelBundle> {
  const root = path.resolve(dir);
  const opened = await openModelBundle({ location: root, name: (file) => path.join(root, file), read: (file) => readBundleFile(root, file) });
  const { image } = opened.config;
  const pipeline = createImagePipeline({
    size: image.size,
    channels: image.channels,
    normalization: image.normalization,
    crop: { kind: 'centre' },
    ...(options.dicom ? { dicom: options.dicom } : {}),
  });
  return { ...opened, dir: root, pipeline };
}

async function readBundleFile(root: string, name: string): Promise<Uint8Array> {
  try {
    return await readFile(path.join(root, name));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const detail =
      code === 'ENOENT' ? `missing: ${root} is not a complete model bundle (export one with \`umd-train export\`)` : `unreadable (${code ?? String(error)})`;
    throw new ModelBundleError(path.join(root, name), 'missing-file', detail, { cause: error });
  }
}
