import type { PaperTask } from './paper-grid.js';

/** A number measured elsewhere, printed beside ours for orientation and never mixed with them. */
export interface ReferenceRow {
  readonly task: PaperTask;
  /** The row label; it says where the number comes from. */
  readonly label: string;
  /** The split the number was measured on. */
  readonly split: 'validate' | 'test';
  /** Metric name (as in our tables) → value in [0, 1]; metrics not given print as '–'. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Where it comes from. */
  readonly source: string;
}

/**
 * M3AE's published VQA accuracies (DESIGN.md "Benchmark protocol"): GPU, large pre-training (ROCO + MedICaT),
 * CLIP-ViT-B / RoBERTa-base initialisation, answers from every split. Not comparable with a CPU run of a tiny model:
 * printed so the gap is visible.
 */
export const publishedAnchors: readonly ReferenceRow[] = [
  {
    task: 'vqa-rad',
    label: 'M3AE (published, GPU, large pre-training)',
    split: 'test',
    metrics: { overall: 0.77, open: 0.672, closed: 0.835 },
    source: 'Chen et al., MICCAI 2022 (M3AE), VQA-RAD test',
  },
  {
    task: 'slake',
    label: 'M3AE (published, GPU, large pre-training)',
    split: 'test',
    metrics: { overall: 0.833, open: 0.803, closed: 0.878 },
    source: 'Chen et al., MICCAI 2022 (M3AE), SLAKE English official test',
  },
];

/**
 * The tf-idf 5-nearest-neighbour orientation numbers of DESIGN.md: a text-only method over the training
 * questions (captions), measured once when the protocol was written.
 */
export const orientationNumbers: readonly ReferenceRow[] = [
  {
    task: 'vqa-rad',
    label: 'orientation: tf-idf 5-NN over training questions (DESIGN.md, not run here)',
    split: 'test',
    metrics: { overall: 0.499, open: 0.307, closed: 0.625 },
    source: 'DESIGN.md, VQA-RAD MEVF test',
  },
  {
    task: 'slake',
    label: 'orientation: tf-idf 5-NN over training questions (DESIGN.md, not run here)',
    split: 'validate',
    metrics: { overall: 0.537 },
    source: 'DESIGN.md, SLAKE English validate',
  },
  {
    task: 'medpix-classification',
    label: 'orientation: caption-only tf-idf 5-NN (DESIGN.md, not run here)',
    split: 'test',
    metrics: { accuracy: 0.775 },
    source: 'DESIGN.md, MedPix 2.0 test, location category',
  },
];
