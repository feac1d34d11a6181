/**
 * The stage runtime over Temporal's activity context: attempt info for
 * lineage, heartbeats (with the last attempt's details for resuming), the
 * cancellation signal, and which errors are retried.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { isBadInputError } from '../core/errors.js';
import { RaceLostError, StageStoppedError, type StageRuntime } from '../stages/runtime.js';
import { ObjectConflictError } from '../storage/errors.js';
import { trainingMetrics } from './metrics.js';

export function activityRuntime(): StageRuntime {
  const context = Context.current();
  const info = context.info;
  return {
    attempt: {
      workflowId: info.workflowExecution?.workflowId ?? '',
      workflowRunId: info.workflowExecution?.runId ?? '',
      workflowType: info.workflowType ?? '',
      attempt: info.attempt,
      taskQueue: info.taskQueue,
    },
    lastHeartbeat: info.heartbeatDetails,
    cancellation: context.cancellationSignal,
    stopReason: () => (context.cancellationDetails?.workerShutdown ? 'worker-shutdown' : 'cancelled'),
    heartbeat: (details) => context.heartbeat(details),
    warn: (message) => context.log.warn(message),
    failure: activityFailure,
    metrics: trainingMetrics(context.metricMeter),
  };
}

/**
 * Bad input and conflicting write-once objects are answers, not accidents: a
 * retry would get the same one, so they fail the stage at once. A worker
 * shutting down, or a lost compare-and-swap race, is retried; the user's
 * cancel is a cancellation.
 */
export function activityFailure(error: unknown): unknown {
  if (isBadInputError(error) || error instanceof ObjectConflictError) return ApplicationFailure.nonRetryable(error.message, error.name);
  if (error instanceof StageStoppedError) {
    return error.reason === 'worker-shutdown' ? ApplicationFailure.retryable(error.message, 'WorkerShutdown') : new CancelledFailure(error.message);
  }
  if (error instanceof RaceLostError) return ApplicationFailure.retryable(error.message, error.type);
  return error;
}
