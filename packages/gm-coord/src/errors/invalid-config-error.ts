import { formatValue, GmCoordError } from './gm-coord-error.js';

/** A configuration or option value is invalid. Names the key, the value received and what is allowed. */
export class InvalidConfigError extends GmCoordError {
  constructor(
    readonly key: string,
    readonly value: unknown,
    readonly allowed: string,
    options: { cause?: unknown } = {},
  ) {
    super({
      name: 'UMD_InvalidConfigError',
      message: `Invalid value for '${key}': ${formatValue(value)}. Allowed: ${allowed}.`,
      cause: options.cause,
    });
  }
}
