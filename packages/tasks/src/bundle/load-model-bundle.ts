import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { createImagePipeline, WordPieceTokenizer, type ImagePipeline, type ReadDicomOptions, type TokenizerJson } from '@umd/data';

import { loadTaskTuning } from '../evaluate-task.js';
import type { TaskTuning } from '../task-tuning.js';
import { ModelBundleError } from './model-bundle-error.js';
import { modelBundleFiles, modelBundleFormat, modelBundleFormatVersion, type ModelBundleChecksums, type ModelBundleConfig } from './model-bundle-config.js';

/** A loaded model bundle, ready for {@link predictWithBundle}. `dispose()` frees the model. */
export interface ModelBundle {
  readonly dir: string;
  readonly config: ModelBundleConfig;
  readonly tuning: TaskTuning;
  readonly tokenizer: WordPieceTokenizer;
  /** The bundle's preprocessing: the model's size and channels, centre crop, its normalisation. */
  readonly pipeline: ImagePipeline;
  /** Milliseconds from the call to a usable model (checksums, weights, the stem when the model has one). */
  readonly loadMs: number;
  dispose(): void;
}

/**
 * Loads a bundle written by `exportModelBundle`: checks every file against `checksums.json` first, then the format of
 * `config.json`, then builds the model (and loads its vision stem) and the tokenizer. `options.dicom` sets how DICOM
 * inputs are shown (VOI window, frame).
 *
 * @throws ModelBundleError naming the file: missing, a checksum that does not match, or another format
 */
export async function loadModelBundle(dir: string, options: { readonly dicom?: ReadDicomOptions } = {}): Promise<ModelBundle> {
  const started = performance.now();
  const root = path.resolve(dir);
  const checksums = parseJson<ModelBundleChecksums>(path.join(root, 'checksums.json'), await readBundleFile(root, 'checksums.json'));
  if (checksums?.algorithm !== 'sha256' || typeof checksums.files !== 'object' || checksums.files === null) throw new ModelBundleError(path.join(root, 'checksums.json'), 'format', 'not a checksums.json of a UMD-TS model bundle');
  const contents = new Map<string, Buffer>();
  for (const name of Object.values(modelBundleFiles)) {
    const bytes = await readBundleFile(root, name);
    const expected = checksums.files[name];
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (expected !== actual) {
      throw new ModelBundleError(path.join(root, name), 'checksum', `SHA-256 ${actual} does not match ${expected ?? 'nothing'} in checksums.json: the file was changed or damaged after export`);
    }
    contents.set(name, bytes);
  }
  const config = parseJson<ModelBundleConfig>(path.join(root, modelBundleFiles.config), contents.get(modelBundleFiles.config)!);
  if (config.format !== modelBundleFormat || config.formatVersion !== modelBundleFormatVersion) {
    throw new ModelBundleError(path.join(root, modelBundleFiles.config), 'format', `format ${JSON.stringify(config.format)} version ${config.formatVersion}; this version reads ${modelBundleFormat} ${modelBundleFormatVersion}`);
  }
  const tokenizerFile = path.join(root, modelBundleFiles.tokenizer);
  const tokenizer = new WordPieceTokenizer(parseJson<TokenizerJson>(tokenizerFile, contents.get(modelBundleFiles.tokenizer)!), tokenizerFile);
  const { tuning } = await loadTaskTuning(path.join(root, modelBundleFiles.weights));
  const pipeline = createImagePipeline({
    size: config.image.size,
    channels: config.image.channels,
    normalization: config.image.normalization,
    crop: { kind: 'centre' },
    ...(options.dicom ? { dicom: options.dicom } : {}),
  });
  return { dir: root, config, tuning, tokenizer, pipeline, loadMs: performance.now() - started, dispose: () => tuning.model.dispose() };
}

function parseJson<T>(file: string, bytes: Buffer): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (error) {
    throw new ModelBundleError(file, 'format', 'not valid JSON', { cause: error });
  }
}

async function readBundleFile(root: string, name: string): Promise<Buffer> {
  try {
    return await readFile(path.join(root, name));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const detail = code === 'ENOENT' ? `missing: ${root} is not a complete model bundle (export one with \`umd-train export\`)` : `unreadable (${code ?? String(error)})`;
    throw new ModelBundleError(path.join(root, name), 'missing-file', detail, { cause: error });
  }
}
