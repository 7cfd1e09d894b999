import { UmdError } from '@umd/core';

/** A split file exists but holds no records (or none that match the selection, e.g. the chosen language). */
export class EmptySplitError extends UmdError {
  constructor(
    readonly dataset: string,
    readonly split: string,
    /** Absolute path of the split file. */
    readonly file: string,
    /** Why it is empty, e.g. `no records` or `0 of 2099 records have q_lang 'fr'`. */
    readonly detail: string,
  ) {
    super({
      name: 'UMD_EmptySplitError',
      message: `${dataset}: split '${split}' is empty (${file}: ${detail}). Check that the file is complete, or remove it so the split is not loaded.`,
    });
  }
}
