import { UmdError } from '@umd/core';

/** A stage cannot start because what it reads from an earlier stage is missing (run that stage first). */
export class StageInputError extends UmdError {
  constructor(
    /** The stage that cannot start. */
    readonly stage: string,
    /** What it needs (`a pre-trained checkpoint`). */
    readonly needs: string,
    /** The stage that produces it. */
    readonly producer: string,
    /** The output folder searched. */
    readonly outDir: string,
  ) {
    super({
      name: 'UMD_StageInputError',
      message:
        `${stage} needs ${needs} from the ${producer} stage, and ${outDir} has none. ` +
        `Run 'umd-train ${producer}' with the same --config and --out first, or add '${producer}' to the config's stages.`,
    });
  }
}
