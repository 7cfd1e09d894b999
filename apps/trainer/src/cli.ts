#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { backendNames, UmdError, type BackendName } from '@umd/core';

import { runSmoke } from './smoke.js';

function integer(name: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed <= 0) throw new InvalidArgumentError(`${name} must be a positive integer.`);
    return parsed;
  };
}

const program = new Command('umd-train')
  .description('UMD-TS trainer: pre-train, calibrate, fine-tune and evaluate medical vision-language models.')
  .showHelpAfterError();

program
  .command('smoke')
  .description('Check the runtime end to end: train a tiny transformer on a synthetic copy task and checkpoint it.')
  .addOption(
    new Option('--backend <name>', 'tfjs backend (or set UMD_BACKEND)').choices([...backendNames]).env('UMD_BACKEND').default('auto'),
  )
  .option('--steps <n>', 'training steps', integer('--steps'), 150)
  .option('--seed <n>', 'random seed', integer('--seed'), 1)
  .option('--out <dir>', 'output folder', 'runs/smoke')
  .action(async (options: { backend: BackendName; steps: number; seed: number; out: string }) => {
    const started = performance.now();
    const result = await runSmoke({ ...options, log: (line) => console.log(line) });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `[smoke] done in ${seconds} s: loss ${result.firstLoss.toFixed(3)} -> ${result.lastLoss.toFixed(3)} ` +
        `(chance ${Math.log(32).toFixed(3)}); checkpoint ${result.checkpoint ?? 'none'}`,
    );
    if (!(result.lastLoss < 0.5 * result.firstLoss)) {
      console.error('[smoke] FAILED: the loss did not fall by half; the runtime is not training correctly.');
      process.exitCode = 1;
    }
  });

try {
  await program.parseAsync();
} catch (error) {
  if (UmdError.isInstance(error)) {
    console.error(`${error.name}: ${error.message}`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
