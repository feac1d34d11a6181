/**
 * Everything `w2s status` (and `run --wait`) shows about a run, gathered
 * from three places: the run's progress query (every stage in order, planned
 * ones pending, with their start and end times), the server's description of
 * it (its status, and each stage in flight: attempt, last failure, the
 * training's last heartbeat with epoch, step, loss and speed) and its history
 * (attempts and errors of the stages that have ended). The history stays
 * small whatever the length of the training, so reading it is cheap.
 */
import { type WorkflowHandle, WorkflowNotFoundError } from '@temporalio/client';
import { defaultPayloadConverter, type ProtoFailure } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
// A CommonJS module: Node's ES module loader sees its default export only.
import proto from '@temporalio/proto';
import { BadInputError } from '../core/errors.js';
import { PROGRESS_QUERY, QUEUES } from '../schemas/names.js';
import type { PipelineProgress, ResultRow, StageStatus, TrainProgress } from '../schemas/stages.js';
import type { RetrainResult } from '../workflows/retrain.js';
import { formatOutcome, promotionOutcome } from './schedule-outcomes.js';

const enums = proto.temporal.api.enums.v1;

/** A training's progress as its last heartbeat told it, and when the server got that heartbeat. */
export interface TrainingView extends TrainProgress {
  readonly stage: string;
  /** Storage key of the checkpoint a retry would resume from, if one has been written. */
  readonly checkpoint?: string;
  readonly heartbeatAt?: string;
  /** Seconds left at the attempt's pace so far; undefined before it has a pace. */
  readonly etaSeconds?: number;
}

export interface StageView {
  readonly name: string;
  readonly status: StageStatus;
  readonly startedAt?: string;
  readonly endedAt?: string;
  /** The attempt running now, or the one that ended the stage. */
  readonly attempt?: number;
  readonly maximumAttempts?: number;
  /** The error of the last failed attempt (a stage that retried, or one that failed). */
  readonly lastError?: string;
  /** The worker running (or that last ran) the stage. */
  readonly worker?: string;
  /** When a stage waiting to retry is next tried. */
  readonly nextAttemptAt?: string;
  readonly training?: TrainingView;
}

export interface RunView {
  readonly runId: string;
  /** The workflow's status: RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT, ... */
  readonly status: string;
  readonly startTime: string;
  readonly closeTime?: string;
  /** Why the run failed, when it did. */
  readonly failure?: string;
  /** A finished scheduled retrain's promotion decision, on one line (champion, challenger, gain against minGain). */
  readonly promotion?: string;
  /** Undefined while the progress query cannot be answered (no worker to answer it). */
  readonly phase?: string;
  readonly stages: readonly StageView[];
  readonly labeling: { readonly done: number; readonly total: number };
  /** Each training in flight, by model name. */
  readonly training: Readonly<Record<string, TrainingView>>;
  readonly rows: readonly ResultRow[];
  /** The run's workflow task keeps failing (its code cannot go on: a bad search attribute, a non-determinism): no stage moves until it is fixed. */
  readonly workflowTask?: { readonly attempt: number; readonly failure?: string };
  /** Task queues this run waits on where no worker polls (w2s-cpu runs the workflow itself). */
  readonly unpolledQueues?: readonly string[];
}

/** Where a run is now; a run id the server does not know is an input error naming the id and the server. */
export interface ReadOptions {
  /** Ask the run's workflow for its progress (default); false when no worker may be there to answer. */
  readonly progress?: boolean;
}

export async function readRunView(handle: WorkflowHandle, address = 'the configured address', options: ReadOptions = {}): Promise<RunView> {
  const description = await handle.describe().catch((error: unknown) => {
    if (error instanceof WorkflowNotFoundError) throw new BadInputError(`run ${handle.workflowId}`, `no such run on the Temporal server at ${address} (w2s list shows the runs there)`);
    throw error;
  });
  const running = description.status.name === 'RUNNING';
  const taskAttempt = description.raw.pendingWorkflowTask?.attempt ?? 0;
  const waiting = (description.raw.pendingActivities ?? []).some((a) => a.state === enums.PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED);
  const unpolledQueues = running ? await queuesWithoutPollers(handle, description.taskQueue, waiting) : [];
  // A query waits for a worker to answer it: with none polling, or with the workflow task failing, it would hang until it times out.
  const answerable = options.progress !== false && !unpolledQueues.includes(description.taskQueue) && taskAttempt <= 1;
  const [progress, history] = await Promise.all([
    answerable ? handle.query<PipelineProgress>(PROGRESS_QUERY).catch(() => undefined) : undefined,
    handle.fetchHistory().catch(() => undefined),
  ]);
  const ended = activityOutcomes(history?.events ?? []);
  const promotion = description.type === 'retrain' && description.status.name === 'COMPLETED' ? formatOutcome({ workflowId: handle.workflowId, status: 'COMPLETED', promotion: promotionOutcome((await handle.result()) as RetrainResult) }) : undefined;
  const pending = new Map((description.raw.pendingActivities ?? []).map((a) => [a.activityId ?? '', a]));
  const names = progress ? Object.keys(progress.stages) : [...new Set([...ended.keys(), ...pending.keys()])];
  const stages = names.map((name) => stageView(name, progress, ended.get(name), pending.get(name)));
  const training = Object.fromEntries(stages.flatMap((s) => (s.training ? [[s.training.name, s.training]] : [])));
  const workflowTask = running && taskAttempt > 1 ? { attempt: taskAttempt, ...lastWorkflowTaskFailure(history?.events ?? []) } : undefined;
  return {
    runId: handle.workflowId,
    status: description.status.name,
    startTime: description.startTime.toISOString(),
    ...(description.closeTime ? { closeTime: description.closeTime.toISOString() } : {}),
    ...runFailure(history?.events ?? []),
    ...(promotion ? { promotion } : {}),
    ...(progress ? { phase: progress.phase } : {}),
    stages,
    labeling: progress?.labeling ?? { done: 0, total: 0 },
    training,
    rows: progress?.rows ?? [],
    ...(workflowTask ? { workflowTask } : {}),
    ...(unpolledQueues.length ? { unpolledQueues } : {}),
  };
}

/**
 * Queues this run needs a worker on where none polls: the workflow's own
 * (its workflow tasks), and, while a stage waits to be picked up, w2s's
 * activity queues. The server lists pollers seen in the last few minutes, so
 * a worker that just died still counts for a while. A server that will not
 * describe queues (permissions) is taken to have workers.
 */
async function queuesWithoutPollers(handle: WorkflowHandle, workflowQueue: string, activityWaiting: boolean): Promise<string[]> {
  const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = enums.TaskQueueType;
  const checks: Array<[string, temporal.api.enums.v1.TaskQueueType]> = [[workflowQueue, TASK_QUEUE_TYPE_WORKFLOW]];
  if (activityWaiting) for (const queue of QUEUES) checks.push([queue, TASK_QUEUE_TYPE_ACTIVITY]);
  const idle = await Promise.all(
    checks.map(async ([name, taskQueueType]) => {
      const described = await handle.client.workflowService.describeTaskQueue({ namespace: handle.client.options.namespace, taskQueue: { name }, taskQueueType }).catch(() => undefined);
      return described && (described.pollers ?? []).length === 0 ? name : undefined;
    }),
  );
  return [...new Set(idle.filter((name): name is string => name !== undefined))];
}

/** The failure of the run's last failed workflow task (the server records the first of a series of failed attempts). */
function lastWorkflowTaskFailure(events: readonly HistoryEvent[]): { failure?: string } {
  for (let i = events.length - 1; i >= 0; i--) {
    const failed = events[i]?.workflowTaskFailedEventAttributes;
    if (!failed) continue;
    const cause = failed.cause ? enums.WorkflowTaskFailedCause[failed.cause] : undefined;
    const message = failed.failure ? failureMessage(failed.failure) : undefined;
    const text = [cause?.replace(/^WORKFLOW_TASK_FAILED_CAUSE_/, ''), message].filter(Boolean).join(': ');
    return text ? { failure: text } : {};
  }
  return {};
}

type PendingActivity = temporal.api.workflow.v1.IPendingActivityInfo;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

interface ActivityOutcome {
  attempt?: number;
  lastError?: string;
  worker?: string;
  startedAt?: string;
  endedAt?: string;
}

function stageView(name: string, progress: PipelineProgress | undefined, ended: ActivityOutcome | undefined, pending: PendingActivity | undefined): StageView {
  const times = progress?.stageTimes[name];
  const status: StageStatus = progress?.stages[name] ?? (pending ? 'running' : ended?.endedAt ? 'completed' : 'pending');
  const startedAt = times?.startedAt ?? ended?.startedAt ?? isoOf(pending?.scheduledTime);
  const endedAt = times?.endedAt ?? ended?.endedAt;
  const lastError = pending?.lastFailure ? failureMessage(pending.lastFailure) : ended?.lastError;
  const worker = pending?.lastWorkerIdentity || ended?.worker;
  const training = pending ? trainingView(name, pending) : undefined;
  const nextAttemptAt = isoOf(pending?.nextAttemptScheduleTime);
  return {
    name,
    status,
    ...(startedAt ? { startedAt } : {}),
    ...(endedAt ? { endedAt } : {}),
    ...(pending?.attempt ? { attempt: pending.attempt } : ended?.attempt ? { attempt: ended.attempt } : {}),
    ...(pending?.maximumAttempts ? { maximumAttempts: pending.maximumAttempts } : {}),
    ...(lastError ? { lastError } : {}),
    ...(worker ? { worker } : {}),
    ...(nextAttemptAt ? { nextAttemptAt } : {}),
    ...(training ? { training } : {}),
  };
}

/** The training progress in a pending activity's heartbeat details, if it carries any. */
function trainingView(stage: string, pending: PendingActivity): TrainingView | undefined {
  const payload = pending.heartbeatDetails?.payloads?.[0];
  if (!payload) return undefined;
  const details = defaultPayloadConverter.fromPayload<{ progress?: TrainProgress; checkpoint?: { key?: string } }>(payload);
  const progress = details?.progress;
  if (!progress) return undefined;
  const done = progress.step - progress.startStep;
  const etaSeconds = done > 0 && progress.elapsedSeconds > 0 ? ((progress.totalSteps - progress.step) * progress.elapsedSeconds) / done : undefined;
  const heartbeatAt = isoOf(pending.lastHeartbeatTime);
  return {
    ...progress,
    stage,
    ...(details.checkpoint?.key ? { checkpoint: details.checkpoint.key } : {}),
    ...(heartbeatAt ? { heartbeatAt } : {}),
    ...(etaSeconds !== undefined ? { etaSeconds } : {}),
  };
}

/** Per activity id: the attempt that ended it, its error, worker and times, from the run's history. */
function activityOutcomes(events: readonly HistoryEvent[]): Map<string, ActivityOutcome> {
  const idOf = new Map<string, string>();
  const outcomes = new Map<string, ActivityOutcome>();
  const outcome = (scheduledEventId: unknown): ActivityOutcome | undefined => {
    const id = idOf.get(String(scheduledEventId));
    if (id === undefined) return undefined;
    let found = outcomes.get(id);
    if (!found) outcomes.set(id, (found = {}));
    return found;
  };
  for (const event of events) {
    const at = isoOf(event.eventTime);
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.activityId) {
      idOf.set(String(event.eventId), scheduled.activityId);
      const o = outcome(event.eventId);
      if (o && at) o.startedAt = at;
      continue;
    }
    const started = event.activityTaskStartedEventAttributes;
    if (started) {
      const o = outcome(started.scheduledEventId);
      if (!o) continue;
      if (started.attempt) o.attempt = started.attempt;
      if (started.identity) o.worker = started.identity;
      if (started.lastFailure) o.lastError = failureMessage(started.lastFailure);
      continue;
    }
    const closed = event.activityTaskCompletedEventAttributes ?? event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes ?? event.activityTaskCanceledEventAttributes;
    if (closed) {
      const o = outcome(closed.scheduledEventId);
      if (!o) continue;
      if (at) o.endedAt = at;
      const failure = event.activityTaskFailedEventAttributes?.failure ?? event.activityTaskTimedOutEventAttributes?.failure;
      if (failure) o.lastError = failureMessage(failure);
    }
  }
  return outcomes;
}

function runFailure(events: readonly HistoryEvent[]): { failure?: string } {
  for (let i = events.length - 1; i >= 0; i--) {
    const failure = events[i]?.workflowExecutionFailedEventAttributes?.failure;
    if (failure) return { failure: failureMessage(failure) };
  }
  return {};
}

/** The outermost message and the root cause's, which together say what failed and why, on one line. */
export function failureMessage(failure: ProtoFailure): string {
  let root = failure;
  for (let depth = 0; root.cause && depth < 8; depth++) root = root.cause;
  const outer = failure.message ?? '';
  const inner = root.message ?? '';
  const message = root === failure || !outer || outer === inner ? inner || outer : `${outer}: ${inner}`;
  // One line: a bad config lists its problems on lines of their own.
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

function isoOf(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): string | undefined {
  if (!ts || ts.seconds === undefined || ts.seconds === null) return undefined;
  const ms = Number(ts.seconds) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
  return ms > 0 ? new Date(ms).toISOString() : undefined;
}
