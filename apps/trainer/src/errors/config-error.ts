import { UmdError } from '@umd/core';

/** One problem found in a pipeline config. */
export interface ConfigIssue {
  /** Dotted path of the offending key (`finetune.epochs`, `stages.1`); empty for the whole document. */
  readonly path: string;
  /** What is wrong and what is allowed (`expected an integer > 0, got "three"`). */
  readonly message: string;
}

/**
 * A pipeline config file is invalid: it cannot be read or parsed, has an unknown key, or a value of the wrong type or
 * outside the allowed ones. Lists every problem, each with the key's dotted path and the allowed values.
 */
export class ConfigError extends UmdError {
  constructor(
    /** The config file (or `<inline>` for an object). */
    readonly file: string,
    readonly issues: readonly ConfigIssue[],
    options: { cause?: unknown } = {},
  ) {
    const lines = issues.map((issue) => `  - ${issue.path === '' ? '(top level)' : issue.path}: ${issue.message}`);
    super({
      name: 'UMD_ConfigError',
      message: `Invalid config ${file} (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
      cause: options.cause,
    });
  }
}
