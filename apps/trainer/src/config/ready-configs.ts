import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { ConfigError } from '../errors/config-error.js';

/** A config shipped with the trainer (`apps/trainer/configs/`). */
export interface ReadyConfig {
  /** File stem: `phantom`, `vqa-rad`, … */
  readonly name: string;
  readonly file: string;
  /** The file's first comment line. */
  readonly description: string;
}

/** The folder of the ready configs (next to `src/` and `dist/`). */
export const readyConfigDir = fileURLToPath(new URL('../../configs/', import.meta.url));

/** The config `umd-train` uses when `--config` is not given. */
export const defaultConfigName = 'phantom';

/** The ready configs, sorted by name. */
export function readyConfigs(): ReadyConfig[] {
  return readdirSync(readyConfigDir)
    .filter((entry) => /\.(ya?ml|json)$/.test(entry))
    .sort()
    .map((entry) => {
      const file = path.join(readyConfigDir, entry);
      const firstComment = readFileSync(file, 'utf8')
        .split('\n')
        .find((line) => line.startsWith('#'));
      return { name: entry.replace(/\.(ya?ml|json)$/, ''), file, description: firstComment?.replace(/^#\s*/, '') ?? '' };
    });
}

/**
 * A `--config` value as a file: an existing path as given, else the ready config of that name (`phantom`,
 * `vqa-rad`, …).
 *
 * @throws ConfigError when it is neither, listing the ready configs
 */
export function resolveConfigPath(value: string): string {
  if (existsSync(value)) return value;
  const ready = readyConfigs();
  const match = ready.find((config) => config.name === value);
  if (match) return match.file;
  throw new ConfigError(value, [
    {
      path: '',
      message: `no such file, and no ready config of that name; ready configs are ${ready.map((config) => config.name).join(', ')} ('umd-train configs' describes them)`,
    },
  ]);
}
