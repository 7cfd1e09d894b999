#!/usr/bin/env node
/** The `umd-data` executable: `umd-data inspect --dataset <name> --root <dir>`. See `umd-data --help`. */
import { runUmdData } from './umd-data-program.js';

process.exitCode = await runUmdData(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  progressBar: process.stderr.isTTY === true,
});
