import { GmCoordError } from './gm-coord-error.js';

/**
 * The name-prefix groups given to the tfjs adapter do not fit the gradient map: a group selects no gradient (a typo
 * in the prefix, usually), a gradient falls in two groups, or a modality has coefficients but no group.
 */
export class ParameterGroupError extends GmCoordError {
  constructor(
    /** The modality whose group is wrong. */
    readonly modality: string,
    /** The prefixes configured for it. */
    readonly prefixes: readonly string[],
    /** What is wrong, ending in how to fix it. */
    readonly problem: string,
  ) {
    super({
      name: 'UMD_ParameterGroupError',
      message: `Parameter group '${modality}' (prefixes ${prefixes.map((p) => JSON.stringify(p)).join(', ') || 'none'}): ${problem}`,
    });
  }
}
