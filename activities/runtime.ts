/**
 * The stage runtime over Temporal's activity context: attempt info for
 * lineage, heartbeats (with the last attempt's details for resuming), the
 * cancellation signal, and which errors are retried.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { StageDeps } from '../stages/deps.js';
import { RaceLostError, StageStoppedError, type StageRuntime } from '../stages/runtime.js';
import { NON_RETRYABLE_ERROR_TYPES } from '../schemas/names.js';
import { trainingMetrics } from './metrics.js';

export function activityRuntime(deps: StageDeps): StageRuntime {
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
    failure: (error) => activityFailure(error, info.attempt),
    metrics: trainingMetrics(context.metricMeter),
    deps,
  };
}

/**
 * Bad input, a missing input object and conflicting write-once objects are
 * answers, not accidents: a retry would get the same one, so they fail the
 * stage at once, the message naming the object. A worker
 * shutting down, or a lost compare-and-swap race, is retried; the user's
 * cancel is a cancellation.
 */
export function activityFailure(error: unknown, attempt = 1): unknown {
  const exhausted = resourceError(error);
  if (exhausted && attempt >= RESOURCE_ATTEMPTS) {
    return ApplicationFailure.nonRetryable(
      `${(error as Error).message}: ${exhausted.what} (${exhausted.code}) at attempt ${attempt}; waiting does not fix that, so it is not retried further: ${exhausted.fix}, then run it again`,
      'StorageExhaustedError',
    );
  }
  if (error instanceof Error && NON_RETRYABLE_ERROR_TYPES.includes(error.name)) return ApplicationFailure.nonRetryable(error.message, error.name);
  if (error instanceof StageStoppedError) {
    return error.reason === 'worker-shutdown' ? ApplicationFailure.retryable(error.message, 'WorkerShutdown') : new CancelledFailure(error.message);
  }
  if (error instanceof RaceLostError) return ApplicationFailure.retryable(error.message, error.type);
  return error;
}

/**
 * Attempts a stage gets when the machine's storage refuses writes (a full
 * disk, a quota, a read-only or forbidden folder): a retry or two covers
 * space freed meanwhile; beyond that waiting does not help, and a training's
 * unbounded retries (meant for lost workers) would go on forever.
 */
export const RESOURCE_ATTEMPTS = 3;

const RESOURCE_ERRORS: Readonly<Record<string, { readonly what: string; readonly fix: string }>> = {
  ENOSPC: { what: 'no space left on the device', fix: 'free space where the storage root (or the temporary folder) is' },
  EDQUOT: { what: 'the disk quota is exceeded', fix: 'free space or raise the quota' },
  EROFS: { what: 'the file system is read-only', fix: 'use a writable storage root' },
  EACCES: { what: 'permission denied', fix: "give the worker's user write access to the storage root" },
  EPERM: { what: 'operation not permitted', fix: "give the worker's user write access to the storage root" },
};

/** The storage refusal in `error` or its causes, if any. */
function resourceError(error: unknown): { code: string; what: string; fix: string } | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 8; current = current.cause, depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    const known = code === undefined ? undefined : RESOURCE_ERRORS[code];
    if (code !== undefined && known) return { code, ...known };
  }
  return undefined;
}
