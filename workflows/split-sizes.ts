/**
 * Batch sizes against the splits they train on (the plan's rule,
 * schemas/plan.ts), checked as soon as ingest has said how large each split
 * is and before any training: a batch larger than its split fails the run
 * there, naming both.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { batchSizeProblems, type RunPlan } from '../schemas/plan.js';
import type { IngestOutput } from '../schemas/stages.js';

/** The ingest output, or a non-retryable BadInputError listing every batch that does not fit its split. */
export function checkBatchSizes<T extends Pick<IngestOutput, 'splits'>>(plan: RunPlan, data: T): T {
  const problems = batchSizeProblems(plan, (split) => (data.splits[split] ?? []).reduce((n, shard) => n + shard.rows, 0));
  if (problems.length > 0) throw ApplicationFailure.nonRetryable(`run config ${plan.config.name}:\n  ${problems.join('\n  ')}`, 'BadInputError');
  return data;
}
