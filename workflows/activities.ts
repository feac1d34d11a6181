/**
 * Activity stubs, one proxy per kind of stage so their timeouts and retry
 * policies sit side by side. Workflows import activity *types* only: the
 * workflow bundle holds no tensors, storage clients or Node APIs.
 */
import { ActivityCancellationType, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { CPU_QUEUE, NON_RETRYABLE_ERROR_TYPES } from '../schemas/names.js';
import type { ExecutionConfig } from '../schemas/pipeline.js';

/**
 * Every stage retries transient errors with exponential back-off; errors that
 * retrying cannot fix (bad input, bad config, conflicting write-once objects)
 * fail the stage at once.
 */
function retry(maximumInterval: string, maximumAttempts?: number): ActivityOptions['retry'] {
  return {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval,
    ...(maximumAttempts !== undefined ? { maximumAttempts } : {}),
    nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
  };
}

/** Short stages (seconds to minutes) on `taskQueue`: at most 20 attempts, 30 s apart at most. */
function shortStages(taskQueue: string, execution: ExecutionConfig) {
  return proxyActivities<Activities>({
    taskQueue,
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: `${execution.heartbeatTimeoutSeconds} seconds`,
    retry: retry('30 seconds', 20),
  });
}

/** Short CPU stages: validation, ingest, labeling one shard, evaluation, reports, lineage. */
export function cpuStages(execution: ExecutionConfig) {
  return shortStages(CPU_QUEUE, execution);
}

/** Labeling, on the queue the config names (CPU workers by default, GPU workers when configured). */
export function labelStages(execution: ExecutionConfig) {
  return shortStages(execution.labelQueue, execution);
}

/**
 * Long training stages on training workers. They heartbeat with their latest
 * checkpoint; a worker that goes silent for `heartbeatTimeoutSeconds` is
 * presumed lost and the attempt is retried elsewhere, resuming from that
 * checkpoint, as often as it takes. On cancel the workflow waits for the
 * activity to checkpoint.
 */
export function trainingStages(execution: ExecutionConfig) {
  return proxyActivities<Activities>({
    taskQueue: execution.trainQueue,
    startToCloseTimeout: `${execution.trainTimeoutMinutes} minutes`,
    heartbeatTimeout: `${execution.heartbeatTimeoutSeconds} seconds`,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: retry('1 minute'),
  });
}

/**
 * Call-site options that name an activity after its stage (`train-adaptconf`,
 * `label-transfer-00003`, `evaluate-weak`) and give the UI a one-line
 * summary. Every stage runs once per run, so the ids are unique within it,
 * and they are derived from the config alone, so replay finds the same ones.
 */
export function stageCall(stage: string, summary: string): ActivityOptions {
  return { activityId: stage, summary };
}
