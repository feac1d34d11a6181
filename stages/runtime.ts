/**
 * What a stage needs from whoever runs it, and nothing more: where the
 * attempt stands (for lineage), heartbeats for liveness and progress, a
 * cancellation signal, and how its errors are presented to the runner. The
 * Temporal activities implement it over the activity context
 * (activities/runtime.ts); `localRuntime` runs a stage in plain code.
 */
import { createStageDeps, type StageDeps } from './deps.js';
export interface AttemptInfo {
  readonly workflowId: string;
  readonly workflowRunId: string;
  readonly workflowType: string;
  /** 1 for the first attempt, counting retries. */
  readonly attempt: number;
  readonly taskQueue: string;
}

/** Training measurements for the worker's metrics endpoint; absent where nothing collects them. */
export interface TrainingMetrics {
  /** One epoch of `stage` ended: how long it took and its throughput. */
  epochEnded(stage: string, seconds: number, imagesPerSecond: number): void;
  /** A checkpoint of `stage` was stored (written, pointed to, older ones pruned) in this long. */
  checkpointStored(stage: string, seconds: number): void;
}

/** Why a stage was asked to stop: the user cancelled it, or its worker is going away (another one resumes it). */
export type StopReason = 'cancelled' | 'worker-shutdown';

export interface StageRuntime {
  readonly attempt: AttemptInfo;
  /** Details the previous attempt last reported through `heartbeat`, if any. */
  readonly lastHeartbeat: unknown;
  /** Fires when the stage should stop (it may write a checkpoint first). */
  readonly cancellation: AbortSignal;
  /** Why `cancellation` fired. */
  stopReason(): StopReason;
  heartbeat(details?: unknown): void;
  /** Something went wrong that the stage worked around (it still succeeds): for the runner's log. */
  warn(message: string): void;
  /**
   * The error the runner sees for an error the stage threw: the runner
   * decides which are retried. Its `type` (or else `name`) is recorded in lineage.
   */
  failure(error: unknown): unknown;
  readonly metrics?: TrainingMetrics;
  /** What the stage shares with the other attempts its runner runs (stores, caches, identity, settings). */
  readonly deps: StageDeps;
}

/** Runs a stage outside any workflow: one attempt, no heartbeats, errors as thrown. */
export function localRuntime(
  options: { readonly signal?: AbortSignal; readonly taskQueue?: string; readonly warn?: (message: string) => void; readonly deps?: StageDeps } = {},
): StageRuntime {
  return {
    attempt: { workflowId: '', workflowRunId: '', workflowType: '', attempt: 1, taskQueue: options.taskQueue ?? '' },
    lastHeartbeat: undefined,
    cancellation: options.signal ?? new AbortController().signal,
    stopReason: () => 'cancelled',
    heartbeat: () => undefined,
    warn: options.warn ?? ((message) => console.warn(message)),
    failure: (error) => error,
    // Without shared dependencies, the stage gets its own: nothing it opens or caches outlives it.
    deps: options.deps ?? createStageDeps(),
  };
}

/** A stage asked to stop before it finished (see `StageRuntime.cancellation`). */
export class StageStoppedError extends Error {
  override readonly name = 'StageStoppedError';

  constructor(
    message: string,
    readonly reason: StopReason,
  ) {
    super(message);
  }
}

/** A pointer moved under a compare-and-swap: trying again re-reads it and decides again. */
export class RaceLostError extends Error {
  override readonly name = 'RaceLostError';

  constructor(
    message: string,
    /** What the runner calls this kind of race (recorded in lineage). */
    readonly type: string,
  ) {
    super(message);
  }
}
