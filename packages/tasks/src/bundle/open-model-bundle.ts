import { decodeCheckpoint } from '@umd/core';
import { WordPieceTokenizer, type TokenizerJson } from '@umd/data';

import { tuningFromCheckpoint } from '../evaluate-task.js';
import type { TaskTuning } from '../task-tuning.js';
import { ModelBundleError } from './model-bundle-error.js';
import { modelBundleFiles, modelBundleFormat, modelBundleFormatVersion, type ModelBundleChecksums, type ModelBundleConfig } from './model-bundle-config.js';

/** Where a bundle's files come from: a folder (Node) or a URL (browser). */
export interface ModelBundleSource {
  /** The folder or URL, for messages. */
  readonly location: string;
  /** The file's full name for messages (a path or a URL). */
  name(file: string): string;
  /** The file's bytes. @throws ModelBundleError (`missing-file`) naming it when it cannot be read */
  read(file: string): Promise<Uint8Array>;
}

/** A bundle's model, tokenizer and config, checked and ready; shared by the Node and browser loaders. */
export interface OpenedModelBundle {
  /** The folder or URL the bundle was read from. */
  readonly location: string;
  readonly config: ModelBundleConfig;
  readonly tuning: TaskTuning;
  readonly tokenizer: WordPieceTokenizer;
  /** Milliseconds from the call to a usable model (checksums, weights, the stem when the model has one). */
  readonly loadMs: number;
  dispose(): void;
}

/**
 * Opens a bundle written by `exportModelBundle`: every file against `checksums.json` first (SHA-256 with the Web
 * Crypto API, the same in Node and browsers), then the format of `config.json`, then the model (and its vision stem)
 * and the tokenizer.
 *
 * @throws ModelBundleError naming the file: missing, a checksum that does not match, or another format
 */
export async function openModelBundle(source: ModelBundleSource): Promise<OpenedModelBundle> {
  const started = performance.now();
  const checksumsName = source.name('checksums.json');
  const checksums = parseJson<ModelBundleChecksums>(checksumsName, await source.read('checksums.json'));
  if (checksums?.algorithm !== 'sha256' || typeof checksums.files !== 'object' || checksums.files === null) {
    throw new ModelBundleError(checksumsName, 'format', 'not a checksums.json of a UMD-TS model bundle');
  }
  const contents = new Map<string, Uint8Array>();
  for (const file of Object.values(modelBundleFiles)) {
    const bytes = await source.read(file);
    const expected = checksums.files[file];
    const actual = await sha256Hex(bytes);
    if (expected !== actual) {
      throw new ModelBundleError(
        source.name(file),
        'checksum',
        `SHA-256 ${actual} does not match ${expected ?? 'nothing'} in checksums.json: the file was changed or damaged after export`,
      );
    }
    contents.set(file, bytes);
  }
  const configName = source.name(modelBundleFiles.config);
  const config = parseJson<ModelBundleConfig>(configName, contents.get(modelBundleFiles.config)!);
  if (config.format !== modelBundleFormat || config.formatVersion !== modelBundleFormatVersion) {
    throw new ModelBundleError(
      configName,
      'format',
      `format ${JSON.stringify(config.format)} version ${config.formatVersion}; this version reads ${modelBundleFormat} ${modelBundleFormatVersion}`,
    );
  }
  const tokenizerName = source.name(modelBundleFiles.tokenizer);
  const tokenizer = new WordPieceTokenizer(parseJson<TokenizerJson>(tokenizerName, contents.get(modelBundleFiles.tokenizer)!), tokenizerName);
  const weightsName = source.name(modelBundleFiles.weights);
  // The whole file's SHA-256 was checked above, so the checkpoint's own content digest is not computed again.
  const { tuning } = await tuningFromCheckpoint(decodeCheckpoint(contents.get(modelBundleFiles.weights)!, weightsName, { verifyDigest: false }), weightsName);
  return { location: source.location, config, tuning, tokenizer, loadMs: performance.now() - started, dispose: () => tuning.model.dispose() };
}

/** SHA-256 of `bytes` as lower-case hex (Web Crypto: Node ≥ 20 and every browser in a secure or local context). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  if (!globalThis.crypto?.subtle) {
    throw new ModelBundleError(
      'checksums.json',
      'checksum',
      'the checksums need the Web Crypto API, which browsers give only to secure pages: open the page on localhost or over https',
    );
  }
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

function parseJson<T>(file: string, bytes: Uint8Array): T {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch (error) {
    throw new ModelBundleError(file, 'format', 'not valid JSON', { cause: error });
  }
}
