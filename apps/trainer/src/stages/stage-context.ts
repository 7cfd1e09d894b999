import { existsSync } from 'node:fs';
import path from 'node:path';

import { loadWordPieceTokenizer, sampleText, trainWordPieceTokenizer, type ImagePipelineConfig, type WordPieceTokenizer } from '@umd/data';
import type { UmdModelConfig } from '@umd/encoders';

import type { PipelineConfig, StageName } from '../config/pipeline-config-schema.js';
import { resolveModelConfig } from '../config/resolve-model-config.js';
import { loadPretrainCorpus, loadTaskData, type TaskData } from '../datasets.js';
import { silentReporter, type ProgressReporter } from '../progress/progress-reporter.js';

/** Options of a pipeline run (all stages) or of one stage. */
export interface PipelineOptions {
  readonly config: PipelineConfig;
  /** Output folder: `<out>/<stage>/`, `<out>/pipeline.json`, `<out>/report/`. */
  readonly outDir: string;
  /** Folder the config's dataset roots are relative to (`--data` or `UMD_DATA_DIR`). Not needed for phantom. */
  readonly dataDir?: string;
  /** Skip complete stages and continue a partial one from its checkpoint. Default false: stages start over. */
  readonly resume?: boolean;
  /** Aborting stops the running stage after its current step, with a checkpoint. */
  readonly signal?: AbortSignal;
  readonly progress?: ProgressReporter;
}

/** What every stage runner receives: the options, resolved, and lazily loaded shared inputs. */
export interface StageContext {
  readonly config: PipelineConfig;
  readonly outDir: string;
  readonly dataDir: string | undefined;
  readonly resume: boolean;
  readonly signal: AbortSignal | undefined;
  readonly progress: ProgressReporter;
  /** `<out>/<stage>`. */
  stageDir(stage: StageName): string;
  /** The downstream dataset (loaded once). */
  taskData(): Promise<TaskData>;
  /** The tokenizer every stage shares (a `trained` one is trained once and kept in `<out>/tokenizer.json`). */
  tokenizer(): Promise<WordPieceTokenizer>;
  /** The model architecture: the preset with overrides, text vocabulary sized to the tokenizer. */
  modelConfig(): Promise<UmdModelConfig>;
  /** Image pipeline settings shared by the stages (caches, input guard), besides size, channels and normalisation. */
  readonly image: StageImageSettings;
}

/** The image pipeline settings every stage shares. */
export type StageImageSettings = Pick<ImagePipelineConfig, 'cacheDir' | 'memoryCacheMiB' | 'maxInputPixels'>;

/**
 * The image pipeline settings of a `data` section: the on-disk cache (resolved against the current folder), the
 * in-memory cache, and the decompression-bomb guard when the section raises or lowers it.
 */
export function stageImageSettings(data: PipelineConfig['data']): StageImageSettings {
  return {
    ...(data.imageCache === null ? {} : { cacheDir: path.resolve(data.imageCache) }),
    memoryCacheMiB: data.memoryCacheMiB,
    ...(data.maxInputPixels === undefined ? {} : { maxInputPixels: data.maxInputPixels }),
  };
}

/** Builds the context the stage runners share; nothing is loaded until a stage asks for it. */
export function createStageContext(options: PipelineOptions): StageContext {
  const { config } = options;
  const outDir = path.resolve(options.outDir);
  const dataDir = options.dataDir === undefined ? undefined : path.resolve(options.dataDir);
  const once = <T>(load: () => Promise<T>): (() => Promise<T>) => {
    let promise: Promise<T> | undefined;
    return () => (promise ??= load());
  };
  const taskData = once(async () => {
    const data = await loadTaskData(config, dataDir);
    for (const note of data.notes.filter((line) => line.startsWith('skipped in '))) (options.progress ?? silentReporter).log(`[data] ${data.dataset}: ${note}`);
    return data;
  });
  const tokenizer = once(async () => {
    if (config.model.tokenizer === 'bert-base-uncased') return loadWordPieceTokenizer();
    const file = path.join(outDir, 'tokenizer.json');
    if (existsSync(file)) return loadWordPieceTokenizer({ path: file });
    const data = await taskData();
    const corpus = await loadPretrainCorpus(config, dataDir);
    const texts = [...corpus.samples.map((sample) => sample.caption), ...data.train.map(sampleText)];
    return (await trainWordPieceTokenizer({ corpus: texts, outputPath: file, vocabSize: config.model.tokenizerVocabSize })).tokenizer;
  });
  const modelConfig = once(async () => resolveModelConfig(config.model, (await tokenizer()).vocabSize));
  return {
    config,
    outDir,
    dataDir,
    resume: options.resume ?? false,
    signal: options.signal,
    progress: options.progress ?? silentReporter,
    stageDir: (stage) => path.join(outDir, stage),
    taskData,
    tokenizer,
    modelConfig,
    image: stageImageSettings(config.data),
  };
}
