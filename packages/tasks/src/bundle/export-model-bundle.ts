import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { saveCheckpoint, writeFileAtomic } from '@umd/core';
import { imageNormalizations, type WordPieceTokenizer } from '@umd/data';

import { loadTaskTuning } from '../evaluate-task.js';
import { taskClasses } from '../task-spec.js';
import { ModelBundleError } from './model-bundle-error.js';
import { modelBundleFiles, modelBundleFormat, modelBundleFormatVersion, type ModelBundleChecksums, type ModelBundleConfig } from './model-bundle-config.js';
import { sha256Hex } from './open-model-bundle.js';

/** A section of the model card a caller adds (training data, metrics, floors, …): Markdown under a `##` heading. */
export interface ModelCardSection {
  readonly heading: string;
  readonly body: string;
}

/** Options of {@link exportModelBundle}. */
export interface ExportModelBundleOptions {
  /** A tuned checkpoint (`runTaskTuning`'s `best.safetensors`). */
  readonly checkpoint: string;
  /** The tokenizer the model was tuned with (its tokenizer.json goes into the bundle). */
  readonly tokenizer: WordPieceTokenizer;
  /** The bundle folder: created; must be empty or absent. */
  readonly to: string;
  /** The model card's title and the sections the caller knows about (data, metrics with intervals, floors). */
  readonly card: { readonly title: string; readonly sections?: readonly ModelCardSection[] };
  /** Store the weights as float16: half the bytes, read back as float32 (answers move by about 1e-3). Default false. */
  readonly float16?: boolean;
  /** VQA: answer questions that offer their answers among the classes they name, as the run's evaluation did. Default false. */
  readonly answerChoices?: boolean;
}

/** What {@link exportModelBundle} wrote. */
export interface ExportedModelBundle {
  readonly dir: string;
  readonly config: ModelBundleConfig;
  /** File name → bytes. */
  readonly sizes: Readonly<Record<string, number>>;
}

/**
 * Writes a self-contained model bundle for prediction: `model.safetensors` (the model and task-head weights only,
 * float32, or float16 with `options.float16`), `config.json` ({@link ModelBundleConfig}), `tokenizer.json`, a model card `README.md` and
 * `checksums.json` (SHA-256 of each file, checked by {@link loadModelBundle}). A retrieval model ranks a caption list
 * (`rankCaptionsWithBundle`).
 *
 * @throws ModelBundleError when `to` is a non-empty folder;
 *   CheckpointMismatchError when the checkpoint is not a tuned one; FileWriteError when a file cannot be written
 */
export async function exportModelBundle(options: ExportModelBundleOptions): Promise<ExportedModelBundle> {
  const dir = path.resolve(options.to);
  await assertEmptyFolder(dir);
  const { tuning, imageNormalization, metadata } = await loadTaskTuning(options.checkpoint); // verifies its digest
  try {
    const { model } = tuning;
    const { imageSize, channels } = model.config.vision;
    const normalization = imageNormalization ?? (channels === 3 ? imageNormalizations.imagenet : imageNormalizations.grey);
    const config: ModelBundleConfig = {
      format: modelBundleFormat,
      formatVersion: modelBundleFormatVersion,
      task: tuning.task,
      model: model.config,
      pooling: tuning.pooling,
      ...(typeof (metadata.config as { hiddenMultiplier?: unknown } | undefined)?.hiddenMultiplier === 'number'
        ? { hiddenMultiplier: (metadata.config as { hiddenMultiplier: number }).hiddenMultiplier }
        : {}),
      ...(tuning.retrieval ? { retrieval: tuning.retrieval } : {}),
      image: { size: imageSize, channels: channels as 1 | 3, normalization },
      maxTextLength: model.text.maxLength,
      source: { checkpoint: path.resolve(options.checkpoint), step: metadata.step, exportedAt: new Date().toISOString() },
      weightsDtype: options.float16 ? 'float16' : 'float32',
      ...(options.answerChoices && tuning.task.kind === 'vqa' ? { answerChoices: true } : {}),
    };
    await mkdir(dir, { recursive: true });
    // The weights the model needs and nothing else (no optimizer, no TD-Calib heads, no attribute heads unless the
    // retrieval ranking reads them), readable by loadTaskTuning.
    const ranksWithAttributes = tuning.task.kind === 'retrieval' && tuning.retrieval.attributeAgreement > 0;
    const blendsImageHead = (tuning.imageHead?.blend ?? 0) > 0; // then the prediction reads heads.imageClassifier
    await saveCheckpoint(path.join(dir, modelBundleFiles.weights), {
      float16: options.float16 === true,
      weights: new Map(
        [...model.parameterMap()].filter(
          ([name]) =>
            !name.startsWith('heads.imageAttributes.') &&
            (ranksWithAttributes || !name.startsWith('heads.attributes.')) &&
            (blendsImageHead || !name.startsWith('heads.imageClassifier.')),
        ),
      ),
      metadata: {
        step: metadata.step,
        config: {
          model: config.model,
          task: config.task,
          pooling: config.pooling,
          imageNormalization: normalization,
          ...(config.hiddenMultiplier ? { hiddenMultiplier: config.hiddenMultiplier } : {}),
          ...(config.retrieval ? { retrieval: config.retrieval } : {}),
          ...(ranksWithAttributes ? { attributes: tuning.attributes } : {}),
          ...(blendsImageHead ? { imageHead: tuning.imageHead } : {}),
        },
      },
    });
    await writeFileAtomic(path.join(dir, modelBundleFiles.config), `${JSON.stringify(config, null, 2)}\n`);
    await writeFileAtomic(path.join(dir, modelBundleFiles.tokenizer), JSON.stringify(options.tokenizer.toJson()));
    await writeFileAtomic(path.join(dir, modelBundleFiles.card), modelCard(config, options.card));
    const sizes: Record<string, number> = {};
    const files: Record<string, string> = {};
    for (const name of Object.values(modelBundleFiles)) {
      const bytes = await readFile(path.join(dir, name));
      sizes[name] = bytes.byteLength;
      files[name] = await sha256Hex(bytes); // the same digest openModelBundle checks
    }
    const checksums: ModelBundleChecksums = { algorithm: 'sha256', files };
    await writeFileAtomic(path.join(dir, 'checksums.json'), `${JSON.stringify(checksums, null, 2)}\n`);
    return { dir, config, sizes };
  } finally {
    tuning.model.dispose();
  }
}

async function assertEmptyFolder(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (names.length > 0) throw new ModelBundleError(dir, 'not-empty', `the folder is not empty (${names.length} entries): export into a new or empty folder`);
}

/** The bundle's README.md: what the model is, what it is for (research only), how to run it, and the caller's sections. */
function modelCard(config: ModelBundleConfig, card: ExportModelBundleOptions['card']): string {
  const classes = taskClasses(config.task);
  const { vision, text, fusion } = config.model;
  const stem = vision.stem
    ? `, tokens from a frozen ImageNet MobileNetV2 stem (${vision.stem.layer ?? 'out_relu'}; its weights come with the \`nsfwjs\` package that @umd/encoders depends on)`
    : '';
  const lines = [
    `# ${card.title}`,
    '',
    '> **Research use only.** This model is not a medical device and must not be used for clinical decisions. Its answers can be wrong in ways that look confident.',
    '',
    '## Model',
    '',
    `- task: ${
      config.task.kind === 'vqa'
        ? `medical visual question answering over ${classes.length} answers seen in training`
        : config.task.kind === 'classification'
          ? `image-text classification into ${classes.length} classes (${classes.join(', ')})`
          : 'image-text retrieval: ranks captions for an image (cosine of the projected embeddings, then the fused image-text matching head)'
    }`,
    `- architecture (UMD-TS): vision ViT ${vision.dim}-wide × ${vision.depth} blocks on ${vision.imageSize} px ${vision.channels === 3 ? 'RGB' : 'grey'} images${stem}; text transformer ${text.dim}-wide × ${text.depth} blocks; ${fusion.depth} co-attention fusion layer(s); heads pool \`${config.pooling}\``,
    `- image preprocessing: shorter side to ${config.image.size} px, centre crop, normalised with mean [${config.image.normalization.mean.join(', ')}] and std [${config.image.normalization.std.join(', ')}]`,
    `- text: WordPiece (\`tokenizer.json\`), at most ${config.maxTextLength} tokens with [CLS] and [SEP]`,
    `- weights: \`${modelBundleFiles.weights}\` (${config.weightsDtype ?? 'float32'}), step ${config.source.step} of the tuning run; every file's SHA-256 is in \`checksums.json\` and checked on load`,
    '',
    '## Use',
    '',
    '```sh',
    config.task.kind === 'vqa'
      ? 'umd-train predict --model <this folder> --image scan.png --question "Is there a fracture?"'
      : config.task.kind === 'classification'
        ? 'umd-train predict --model <this folder> --image scan.png --text "caption or case text"'
        : 'umd-train predict --model <this folder> --image scan.png --captions captions.txt   # one caption per line',
    '```',
    '',
    ...(card.sections ?? []).flatMap((section) => [`## ${section.heading}`, '', section.body.trim(), '']),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}
