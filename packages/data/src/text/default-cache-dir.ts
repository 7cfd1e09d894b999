import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The per-user cache directory of `@umd/data` (built tokenizer files): `$UMD_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/umd`, else `~/.cache/umd`. Every function that caches takes a `cacheDir` option that overrides it.
 *
 * @param env the environment to read (default `process.env`; pass another object in tests)
 */
export function defaultCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env.UMD_CACHE_DIR) return env.UMD_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'umd');
  return join(homedir(), '.cache', 'umd');
}
