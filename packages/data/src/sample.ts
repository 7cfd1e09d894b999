/**
 * The sample types every dataset adapter produces, one per task. Plain data (no tensors): images are referenced, not
 * decoded; the image pipeline turns them into pixels.
 */

/** Where an image comes from: a file on disk (resolved, absolute) or pixels generated in memory (phantom data). */
export type ImageSource =
  | { readonly kind: 'file'; readonly path: string }
  | {
      readonly kind: 'pixels';
      readonly width: number;
      readonly height: number;
      /** 1 = grey, 3 = RGB; row-major HWC, 0-255. */
      readonly channels: 1 | 3;
      readonly data: Uint8Array;
      /** A stable key for caches (e.g. `phantom:seed=1:index=42`). */
      readonly key: string;
    };

/** VQA answers are either yes/no-like (closed) or free-form (open), as the datasets label them. */
export type AnswerType = 'open' | 'closed';

interface SampleBase {
  /** Unique within the dataset (e.g. the record's `qid`). */
  readonly id: string;
  /** `vqa-rad`, `slake`, `vqa-med-2019`, `medpix`, `roco`, `melinda`, `jsonl`, `phantom`. */
  readonly dataset: string;
  /** `train`, `validate`, `test`, ... as the dataset names it. */
  readonly split: string;
  readonly image: ImageSource;
  /** A stable identifier of the image (file name stem or generated key), for counting distinct images. */
  readonly imageId: string;
  /** The original record, untouched, for traceability. */
  readonly source: unknown;
  /**
   * Other facts the dataset records about the sample, by field name (MedPix: `Type`, `Modality`, `Plane`, `Location`,
   * `Location Category`; VQA-RAD: `image_organ`, `question_type`; SLAKE: `modality`, `location`, `content_type`); a
   * field the record leaves empty is absent. Tuning may use training samples' attributes as
   * auxiliary targets; the model never sees them as input.
   */
  readonly attributes?: Readonly<Record<string, string>>;
}

export interface VqaSample extends SampleBase {
  readonly task: 'vqa';
  readonly question: string;
  /** Normalised with {@link normalizeAnswer}. */
  readonly answer: string;
  readonly answerType: AnswerType;
}

export interface CaptionSample extends SampleBase {
  readonly task: 'caption';
  readonly caption: string;
}

export interface ClassificationSample extends SampleBase {
  readonly task: 'classification';
  /** The text paired with the image (e.g. the caption); may be empty for image-only classification. */
  readonly text: string;
  readonly label: string;
}

export type Sample = VqaSample | CaptionSample | ClassificationSample;

/**
 * Normalises an answer for vocabulary building and exact-match scoring: numbers become strings, case is folded,
 * whitespace is trimmed and collapsed. `"Yes "` -> `"yes"`, `3` -> `"3"`, `"Left  lung"` -> `"left lung"`.
 */
export function normalizeAnswer(answer: unknown): string {
  const text = typeof answer === 'number' ? String(answer) : typeof answer === 'string' ? answer : String(answer ?? '');
  return text.toLowerCase().replace(/\s+/g, ' ').trim();
}
