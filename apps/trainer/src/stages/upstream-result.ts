import type { StageName } from '../config/pipeline-config-schema.js';
import { StageInputError } from '../errors/stage-input-error.js';
import { readPipelineState } from './pipeline-state.js';
import type { StageContext } from './stage-context.js';

/**
 * The recorded result of an earlier stage that `consumer` reads (a checkpoint, statistics). Only a complete stage
 * counts: an aborted or running one must be resumed first.
 *
 * @throws StageInputError naming the stage to run first when `producer` has no complete record in `<out>/pipeline.json`
 */
export async function upstreamResult<R>(context: StageContext, consumer: StageName, producer: StageName, needs: string): Promise<R> {
  const record = (await readPipelineState(context.outDir))?.stages[producer];
  if (record?.status !== 'complete' || record.result === undefined) throw new StageInputError(consumer, needs, producer, context.outDir);
  return record.result as R;
}
