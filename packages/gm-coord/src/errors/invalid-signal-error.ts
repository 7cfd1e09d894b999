import { formatValue, GmCoordError } from './gm-coord-error.js';

/**
 * A per-modality status signal passed to `Coordinator.update` is missing, non-finite or out of range, or names a
 * modality the coordinator was not configured with. Coefficients computed from it would be NaN and poison the
 * gradients, so the update is refused.
 */
export class InvalidSignalError extends GmCoordError {
  constructor(
    /** The modality whose signal is wrong. */
    readonly modality: string,
    /** The signal field the strategy reads (`score`, `gradientNorm`, `loss`), or `'modality'` for an unknown name. */
    readonly field: string,
    readonly value: unknown,
    hint: string,
  ) {
    super({
      name: 'UMD_InvalidSignalError',
      message: `Signal '${field}' for modality '${modality}' is ${formatValue(value)}. ${hint}`,
    });
  }
}
