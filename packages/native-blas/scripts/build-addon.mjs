#!/usr/bin/env node
/**
 * Compiles the optional addon into the per-user cache now, instead of on first use (`loadNativeBlas` does that by
 * itself), and says where it is or why it cannot be compiled. Exit code 0 when the addon is there, 1 when not.
 *
 *   node node_modules/@umd/native-blas/scripts/build-addon.mjs [--force] [--verbose]
 */
import { ensureNativeBlasAddon, NativeBlasUnavailableError } from '../dist/index.js';

const force = process.argv.includes('--force');
const verbose = process.argv.includes('--verbose');
try {
  const addon = ensureNativeBlasAddon({ force, log: verbose ? (line) => console.log(`[@umd/native-blas] ${line}`) : undefined });
  const what = addon.compiledInMs === undefined ? 'already compiled' : `compiled in ${(addon.compiledInMs / 1000).toFixed(1)} s`;
  console.log(`[@umd/native-blas] ${addon.path} (${what})`);
} catch (error) {
  if (!(error instanceof NativeBlasUnavailableError)) throw error;
  console.error(`[@umd/native-blas] ${error.message} @umd/core keeps its plain wasm matMul.`);
  process.exitCode = 1;
}
