import { UmdError } from './umd-error.js';

/** One difference between a checkpoint and what the caller expected. */
export interface CheckpointProblem {
  readonly kind: 'missing' | 'unexpected' | 'shape' | 'dtype' | 'field';
  readonly name: string;
  /** What the checkpoint holds (shape, dtype or value), when it holds the entry. */
  readonly checkpoint?: string;
  /** What the model or config expects, when it expects the entry. */
  readonly expected?: string;
}

/** A checkpoint does not match the model, optimizer or config it is loaded into. Lists every problem found. */
export class CheckpointMismatchError extends UmdError {
  constructor(
    readonly path: string,
    readonly problems: readonly CheckpointProblem[],
  ) {
    const shown = problems.slice(0, 20).map(describeProblem).join('\n');
    const more = problems.length > 20 ? `\n  … and ${problems.length - 20} more` : '';
    super({
      name: 'UMD_CheckpointMismatchError',
      message: `Checkpoint ${path} does not match (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${shown}${more}`,
    });
  }
}

function describeProblem(problem: CheckpointProblem): string {
  switch (problem.kind) {
    case 'missing':
      return `  - missing ${problem.name} (expected ${problem.expected ?? '?'})`;
    case 'unexpected':
      return `  - unexpected ${problem.name} (${problem.checkpoint ?? '?'} in checkpoint)`;
    default:
      return `  - ${problem.kind} of ${problem.name}: checkpoint ${problem.checkpoint ?? '?'}, expected ${problem.expected ?? '?'}`;
  }
}
