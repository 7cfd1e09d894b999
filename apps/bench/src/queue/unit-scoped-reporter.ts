import { AsyncLocalStorage } from 'node:async_hooks';

import { createPlainReporter, type ProgressReporter } from '@umd/trainer';

/** A reporter that keeps one phase per concurrently running unit, and the call that marks a unit's async context. */
export interface UnitScopedReporter {
  readonly reporter: ProgressReporter;
  /** Runs `body` as unit `unit`: the reporter's calls from inside it (awaits included) go to that unit's own phase. */
  run<T>(unit: string, body: () => Promise<T>): Promise<T>;
}

/**
 * Progress for units that run at the same time in one process (`umd-bench worker --concurrency N`). A reporter holds one
 * phase (one bar, one ETA); two units sharing it would overwrite each other's. Here each unit, found by its async
 * context, gets its own plain reporter whose lines go through `base.log` with the unit's name in front
 * (`tune/slake/mr-full/seed-1 [finetune] 444/2295 (19%) | loss 1.129 | ETA 7m12s`); calls outside a unit go to `base`.
 */
export function unitScopedReporter(base: ProgressReporter): UnitScopedReporter {
  const context = new AsyncLocalStorage<ProgressReporter>();
  const current = (): ProgressReporter => context.getStore() ?? base;
  return {
    reporter: {
      begin: (label, total, startAt) => current().begin(label, total, startAt),
      update: (value, fields) => current().update(value, fields),
      log: (line) => current().log(line),
      end: () => current().end(),
    },
    run: (unit, body) => context.run(createPlainReporter({ write: (line) => base.log(`${unit} ${line}`) }), body),
  };
}
