import { readFileSync } from 'node:fs';
import path from 'node:path';

import type * as tf from '@tensorflow/tfjs-core';

import { saveCheckpoint } from '../checkpoint/checkpoint.js';
import { writeFileAtomic } from '../checkpoint/write-file-atomic.js';
import { appendJsonLine } from './run-training.js';

/** One validation pass: the step it ran after and the selection metric (higher is better), plus the caller's fields. */
export interface ValidationPass {
  readonly step: number;
  readonly metric: number;
}

/** What survives a resume (ride it in the checkpoint's `data`): the best pass and every pass so far. */
export interface BestByValidationState<Pass extends ValidationPass> {
  readonly best: Pass | null;
  readonly history: Pass[];
}

/**
 * Model selection by validation only, for a run's folder: every pass is appended to `validation.jsonl` (rewind it with
 * the run: give it to `runTraining`'s `logs`); a pass that beats the best so far (strictly) writes the weights to
 * `best.safetensors` and its details (metrics, predictions) to `best-validation.json`. Its state rides in the run's
 * checkpoints, so a resumed run keeps the best it had.
 */
export class BestByValidation<Pass extends ValidationPass, Details extends object> {
  readonly checkpointPath: string;
  readonly logPath: string;
  readonly detailsPath: string;
  private bestPass: Pass | null = null;
  private passes: Pass[] = [];
  private bestDetails: (Pass & Details) | undefined;

  constructor(outDir: string) {
    this.checkpointPath = path.join(outDir, 'best.safetensors');
    this.logPath = path.join(outDir, 'validation.jsonl');
    this.detailsPath = path.join(outDir, 'best-validation.json');
  }

  /** The best pass so far, or null before the first. */
  get best(): Pass | null {
    return this.bestPass;
  }

  /** Every pass, in order. */
  get history(): readonly Pass[] {
    return this.passes;
  }

  /** The best pass with its details (undefined before the first pass, or when a resume lost the details file). */
  get details(): (Pass & Details) | undefined {
    return this.bestDetails;
  }

  /**
   * Records a pass: logs it with `summary` (and whether it is the new best); when it is, saves `weights` with
   * `metadata` and the details.
   *
   * @returns whether the pass is the new best
   */
  async offer(pass: Pass, summary: object, details: Details, weights: Map<string, tf.Tensor>, metadata: Record<string, unknown>): Promise<boolean> {
    this.passes.push(pass);
    const improved = this.bestPass === null || pass.metric > this.bestPass.metric;
    appendJsonLine(this.logPath, { ...pass, ...summary, best: improved });
    if (!improved) return false;
    this.bestPass = pass;
    this.bestDetails = { ...pass, ...details };
    await saveCheckpoint(this.checkpointPath, { weights, metadata: { step: pass.step, ...metadata, bestMetric: pass.metric } });
    await writeFileAtomic(this.detailsPath, JSON.stringify(this.bestDetails));
    return true;
  }

  state(): BestByValidationState<Pass> {
    return { best: this.bestPass, history: [...this.passes] };
  }

  restore(state: BestByValidationState<Pass>): void {
    this.bestPass = state.best;
    this.passes = [...state.history];
    this.bestDetails = state.best ? this.readDetails(state.best) : undefined;
  }

  /** The saved details, when they are the pass the state names (written after that checkpoint and lost: undefined). */
  private readDetails(best: Pass): (Pass & Details) | undefined {
    try {
      const saved = JSON.parse(readFileSync(this.detailsPath, 'utf8')) as Pass & Details;
      return saved.step === best.step && saved.metric === best.metric ? saved : undefined;
    } catch {
      return undefined;
    }
  }
}
