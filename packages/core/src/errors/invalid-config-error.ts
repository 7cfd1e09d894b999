import { UmdError } from './umd-error.js';

/** A configuration value is invalid. Names the key, the value received and what is allowed. */
export class InvalidConfigError extends UmdError {
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

function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
