import { markdownTable } from '@umd/evaluation';
import { stringify as toYaml } from 'yaml';

import { stageNames } from '../config/pipeline-config-schema.js';
import type { PipelineState, StageRecord } from '../stages/pipeline-state.js';
import { formatDuration } from '../progress/progress-reporter.js';
import { formatPercent, type HeadlineRow } from './headline.js';
import type { StageResults } from './write-report.js';

/** The pictures written next to `report.md` (file names relative to it). */
export interface ReportPictures {
  readonly lossCurves: { readonly file: string; readonly caption: string }[];
  coordination?: string;
  readonly confusion: { readonly file: string; readonly caption: string }[];
  reconstruction?: string;
}

/** Everything `report.md` shows. */
export interface ReportInputs {
  readonly state: PipelineState;
  readonly results: StageResults;
  readonly rows: readonly HeadlineRow[];
  readonly pictures: ReportPictures;
}

/** Renders `report.md`: headline, stages, pictures, data notes and the resolved config. */
export function reportMarkdown({ state, results, rows, pictures }: ReportInputs): string {
  const { config } = state;
  const task = config.data.dataset === 'phantom' ? `phantom (${config.data.phantom.task}, synthetic)` : config.data.dataset;
  const lines: string[] = [
    `# UMD run: ${config.name}`,
    '',
    `Data ${task} · model ${config.model.preset} · seed ${config.seed} · stages ${config.stages.join(' → ')} · written ${new Date().toISOString()}`,
    '',
    '## Headline',
    '',
  ];
  if (rows.length === 0) lines.push('No split evaluated yet (the evaluate stage has not completed).');
  else {
    lines.push(
      markdownTable(
        ['split', 'metric', 'value % (95% CI)', 'floor %', 'floor'],
        rows.map((row) => [row.split, row.metric, formatPercent(row), (100 * row.floor).toFixed(1), row.floorName]),
      ),
      '',
      'Intervals: percentile bootstrap over the split’s samples. The floor needs no model and never looks at the image; a model whose whole interval does not lie above it has not shown that it uses the image.',
    );
    for (const split of results.evaluate?.splits ?? []) {
      lines.push('', `**${split.split}** (${split.samples} samples; predictions in \`${split.predictions}\`):`, '');
      lines.push(
        markdownTable(
          ['metric', 'value % (95% CI)'],
          Object.entries(split.metrics).map(([name, value]) => [name, formatPercent(value)]),
        ),
      );
    }
  }

  lines.push('', '## Stages', '', markdownTable(['stage', 'status', 'time', 'summary'], stageRows(state, results)));

  if (pictures.lossCurves.length > 0) {
    lines.push('', '## Loss curves', '');
    for (const picture of pictures.lossCurves) lines.push(`![${picture.caption} loss](${picture.file})`, '');
  }
  if (pictures.reconstruction) {
    lines.push(
      '',
      '## Reconstructions (pre-training, newest)',
      '',
      'Columns: original | masked input | reconstruction.',
      '',
      `![reconstruction grid](${pictures.reconstruction})`,
    );
  }
  if (pictures.coordination)
    lines.push('', '## GM-Coord', '', 'Gradient coefficient k per modality and step (1 = unchanged).', '', `![GM-Coord trace](${pictures.coordination})`);
  if (pictures.confusion.length > 0) {
    lines.push('', '## Confusion matrices', '');
    for (const picture of pictures.confusion) lines.push(`![confusion matrix ${picture.caption}](${picture.file})`, '');
  }
  const notes = results.evaluate?.notes ?? [];
  if (notes.length > 0) lines.push('', '## Data notes', '', ...notes.map((note) => `- ${note}`));
  lines.push('', '## Config', '', '```yaml', toYaml(config).trimEnd(), '```', '');
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n')}\n`;
}

function stageRows(state: PipelineState, results: StageResults): string[][] {
  return stageNames.flatMap((stage) => {
    const record: StageRecord | undefined = state.stages[stage];
    if (!record) return [];
    const time = record.seconds === undefined ? '–' : formatDuration(record.seconds * 1000);
    return [[stage, record.status, time, summary(stage, results)]];
  });
}

function summary(stage: (typeof stageNames)[number], results: StageResults): string {
  const percent = (value: number) => `${(100 * value).toFixed(1)}%`;
  switch (stage) {
    case 'pretrain': {
      const r = results.pretrain;
      return r ? `${r.steps}/${r.plannedSteps} steps, ${r.objectives}, on ${r.corpus}${r.stoppedBy === 'budget' ? ' (time budget)' : ''}` : '';
    }
    case 'calibrate': {
      const r = results.calibrate;
      if (!r) return '';
      const after = r.lossAfter['total'];
      const before = r.lossBefore['total'];
      const statistics = `mean ${r.imageNormalization.mean.map((value) => value.toFixed(3)).join('/')}, std ${r.imageNormalization.std.map((value) => value.toFixed(3)).join('/')}`;
      return `${r.steps} steps; MR loss on downstream batches ${before?.toFixed(3) ?? '?'} → ${after?.toFixed(3) ?? '?'}; image statistics ${statistics}`;
    }
    case 'finetune': {
      const r = results.finetune;
      if (!r) return '';
      const best = r.best ? `best validation ${percent(r.best.metric)} at epoch ${r.best.epoch + 1} (step ${r.best.step})` : 'no validation pass yet';
      const members = (r.members ?? []).map(
        (member) =>
          `member seed ${member.seed}: ${member.best ? `best ${percent(member.best.metric)} at epoch ${member.best.epoch + 1}` : 'no validation pass'}`,
      );
      const ensemble = members.length ? `; a seed ensemble of ${members.length + 1} (${members.join('; ')})` : '';
      return `${r.steps}/${r.totalSteps} steps from ${r.start}; ${best}; ${r.medianStepMs.toFixed(0)} ms/step${r.regularizer ? '; reconstruction regularizer' : ''}${r.coordination ? '; GM-Coord' : ''}${ensemble}`;
    }
    case 'evaluate': {
      const r = results.evaluate;
      return r ? `${r.task} on ${r.splits.map((split) => `${split.split} (${split.samples})`).join(', ') || 'no split'}` : '';
    }
  }
}
