/**
 * Activity stubs, one proxy per kind of stage so their timeouts and retry
 * policies sit side by side. Workflows import activity *types* only: the
 * workflow bundle holds no tensors, storage clients or Node APIs.
 */
import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type * as activities from '../activities/index.js';
import type { ExecutionConfig } from '../schemas/pipeline.js';

/** Errors that retrying cannot fix (bad input, bad config) fail the stage at once. */
const NON_RETRYABLE = ['BadInputError', 'ObjectConflictError'];

/** Short CPU stages: validation, ingest, labeling one shard, evaluation, reports, lineage. */
export function cpuStages(execution: ExecutionConfig) {
  return proxyActivities<typeof activities>({
    taskQueue: 'w2s-cpu',
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: `${execution.heartbeatTimeoutSeconds} seconds`,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 20, nonRetryableErrorTypes: NON_RETRYABLE },
  });
}

/** Labeling, on the queue the config names (CPU workers by default, GPU workers when configured). */
export function labelStages(execution: ExecutionConfig) {
  return proxyActivities<typeof activities>({
    taskQueue: execution.labelQueue,
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: `${execution.heartbeatTimeoutSeconds} seconds`,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 20, nonRetryableErrorTypes: NON_RETRYABLE },
  });
}

/**
 * Long training stages on training workers. They heartbeat with their latest
 * checkpoint; a worker that goes silent for `heartbeatTimeoutSeconds` is
 * presumed lost and the attempt is retried elsewhere, resuming from that
 * checkpoint. On cancel the workflow waits for the activity to checkpoint.
 */
export function trainingStages(execution: ExecutionConfig) {
  return proxyActivities<typeof activities>({
    taskQueue: execution.trainQueue,
    startToCloseTimeout: `${execution.trainTimeoutMinutes} minutes`,
    heartbeatTimeout: `${execution.heartbeatTimeoutSeconds} seconds`,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE },
  });
}
