import { MultiBar, type SingleBar } from 'cli-progress';

import { formatDuration, formatFields, type ProgressReporter } from './progress-reporter.js';

interface Payload {
  readonly label: string;
  readonly info: string;
  readonly eta: string;
}

/**
 * Progress as a terminal bar per phase (cli-progress): `finetune   [=====-----] 40/155 | ETA 1m12s | loss 1.203`;
 * log lines print above the bar. For interactive terminals only: use `createPlainReporter` when output is redirected.
 */
export function createTtyReporter(stream: NodeJS.WriteStream = process.stdout): ProgressReporter {
  let bars: MultiBar | undefined;
  let bar: SingleBar | undefined;
  let label = '';
  let startAt = 0;
  let startedMs = 0;
  const stop = (): void => {
    bars?.stop();
    bars = undefined;
    bar = undefined;
  };
  return {
    begin(name, total, from = 0) {
      stop();
      label = name;
      startAt = from;
      startedMs = performance.now();
      bars = new MultiBar({
        stream,
        format: (options, params, payload: Payload) =>
          `${payload.label.padEnd(10)} [${barOf(params.progress, options.barsize ?? 30)}] ${params.value}/${params.total} | ETA ${payload.eta}` +
          (payload.info ? ` | ${payload.info}` : ''),
        barsize: 30,
        hideCursor: true,
        clearOnComplete: false,
      });
      bar = bars.create(total, from, { label, info: '', eta: '?' } satisfies Payload);
    },
    update(value, fields) {
      if (!bar) return;
      const done = value - startAt;
      const eta = done > 0 ? ((performance.now() - startedMs) / done) * (bar.getTotal() - value) : Number.NaN;
      bar.update(value, { label, info: formatFields(fields), eta: formatDuration(eta) } satisfies Payload);
    },
    log(line) {
      if (bars) bars.log(`${line}\n`);
      else stream.write(`${line}\n`);
    },
    end() {
      stop();
    },
  };
}

function barOf(progress: number, size: number): string {
  const filled = Math.max(0, Math.min(size, Math.round(progress * size)));
  return '='.repeat(filled) + '-'.repeat(size - filled);
}
