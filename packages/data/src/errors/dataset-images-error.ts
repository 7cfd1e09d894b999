import { UmdError } from '@umd/core';

import type { DatasetDecodeReport } from '../datasets/decode-dataset-images.js';

/** Some images a dataset refers to do not decode (`umd-data inspect --decode`); `report.failures` lists each. */
export class DatasetImagesError extends UmdError {
  constructor(
    /** The dataset folder (or the dataset's name, for generated data). */
    readonly root: string,
    readonly report: DatasetDecodeReport,
  ) {
    const first = report.failures[0];
    super({
      name: 'UMD_DatasetImagesError',
      message:
        `${report.failures.length} of ${report.images} images of ${root} failed to decode (each is listed under "decode.failures"); ` +
        `the first: ${first ? first.message : 'none'}`,
    });
  }
}
