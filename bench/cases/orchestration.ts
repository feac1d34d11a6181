/**
 * Orchestration overhead of the pipeline: the `quick` preset run the way
 * `w2s quickstart` runs it (in-process workers, a local Temporal dev server,
 * a local folder, real Fashion-MNIST), then its wall time split into time
 * inside stage compute and everything else.
 *
 * Compute is the union of the lineage records' [startedAt, endedAt] spans:
 * a stage attempt from deriving its cache key to just before its lineage
 * record is written, its own input reads and output writes included (the
 * records do not time storage apart). Wall is WorkflowExecutionStarted to
 * WorkflowExecutionCompleted in the run's history. Each moment of wall
 * outside compute is charged, from the history's activity events, to what
 * was happening: a stage queued for a worker, dispatched but not yet in its
 * stage code, writing its lineage record and reporting completion, the
 * validate or lineage-summary activities (no compute, no lineage record),
 * the workflow's first task (start to the first activity) and last (the
 * last activity to completion), or else the workflow tasks that turn one
 * stage's completion into the next stage's schedule.
 *
 * The preset takes minutes, so it runs once whatever --repeats says; with
 * --quick a shrunk copy of it (fewer images, one epoch) checks the case fast.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { readLineage } from '../../lineage/read.js';
import { planRunConfig } from '../../cli/config-file.js';
import { checkRunWorld } from '../../storage/run-checks.js';
import { parseRunConfig } from '../../cli/config-file.js';
import { runEmbedded } from '../../cli/embedded.js';
import { provideWorkerHost } from '../../cli/worker-host.js';
import { workerHost } from '../../workers/host.js';
import { FASHION_MNIST, PRESETS } from '../../cli/presets.js';
import type { RunConfigInput } from '../../schemas/pipeline.js';
import type { LineageRecord } from '../../schemas/lineage.js';
import { openStore } from '../../storage/index.js';
import { startDevServer } from '../../workers/dev-server.js';
import { installRuntimeLogging } from '../../workers/logging.js';
import { median } from '../measure.js';
import { attributeIdle, type LabelledSpan, type Span } from '../timeline.js';
import type { BenchCase, BenchResult } from '../types.js';

// As the w2s command does (bin/w2s.ts): the embedded default runs its workers through the host.
provideWorkerHost(async () => workerHost);

const TARGET_PERCENT = 3;

/** Activities that run no stage compute and write no lineage record, charged to overhead by name. */
const BOOKKEEPING: Readonly<Record<string, string>> = { validateRun: 'validate activity', summarizeRunLineage: 'lineage-summary activity' };

type History = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>;
type HistoryEvent = NonNullable<History['events']>[number];
type Timestamp = HistoryEvent['eventTime'];

/** One activity as the history saw it; times in ms since the epoch, server clock (the same host's). */
interface ActivityTimes {
  readonly type: string;
  /** The `stage` field of its input, for stage activities. */
  readonly stage: string | undefined;
  readonly scheduled: number;
  started?: number;
  attempt?: number;
  closed?: number;
}

interface WorkflowTimes {
  readonly started: number;
  readonly completed: number;
  readonly activities: ActivityTimes[];
}

/** The preset as `w2s quickstart` runs it; `shrunk` cuts the data and epochs for a fast check of the case itself. */
function presetConfig(storage: string, shrunk: boolean): RunConfigInput {
  const preset = parseRunConfig('preset quick', PRESETS.quick!({ data: FASHION_MNIST, storage, seed: 0 }));
  if (!shrunk) return preset;
  return {
    ...preset,
    dataset: { ...preset.dataset, limit: { train: 1000, test: 500 }, shardSize: 250 },
    teacher: { ...preset.teacher, epochs: 1 },
    strong: { ...preset.strong, epochs: 1 },
  };
}

export const orchestrationCase: BenchCase = {
  name: 'orchestration/quick',
  description: 'quick preset through the embedded path; workflow wall time minus the union of stage compute (lineage), overhead attributed from the Temporal history',
  async run(context) {
    const prefix = context.quick ? 'orchestration/quick-shrunk' : 'orchestration/quick';
    const storage = join(context.scratchDir, 'storage');
    const config = parseRunConfig(`preset quick${context.quick ? ' (shrunk)' : ''}`, presetConfig(storage, context.quick));
    await checkRunWorld(config);
    const runId = `bench-orchestration-${Date.now()}`;

    // The runtime's logger must be in place before the first native connection, which runEmbedded makes.
    installRuntimeLogging();
    const begun = performance.now();
    const server = await startDevServer();
    const serverMs = performance.now() - begun;
    const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
    const previousAddress = process.env.TEMPORAL_ADDRESS;
    let embeddedMs: number;
    let times: WorkflowTimes;
    try {
      // The embedded default uses TEMPORAL_ADDRESS when set: this server, so its history outlives the run.
      process.env.TEMPORAL_ADDRESS = server.address;
      const embeddedStart = performance.now();
      await runEmbedded(planRunConfig(config, { runId }), { bars: false, runId });
      embeddedMs = performance.now() - embeddedStart;
      const connection = await Connection.connect({ address: server.address });
      try {
        const history = await new Client({ connection, namespace }).workflow.getHandle(runId).fetchHistory();
        times = workflowTimes(history, runId);
      } finally {
        await connection.close();
      }
    } finally {
      if (previousAddress === undefined) delete process.env.TEMPORAL_ADDRESS;
      else process.env.TEMPORAL_ADDRESS = previousAddress;
      await server.stop();
    }
    const records = await readLineage(openStore(storage), runId);
    await rm(storage, { recursive: true, force: true });
    return overheadRows(prefix, times, records, { serverMs, embeddedMs }, context.log);
  },
};

function overheadRows(prefix: string, times: WorkflowTimes, records: readonly LineageRecord[], setup: { serverMs: number; embeddedMs: number }, log: (line: string) => void): BenchResult[] {
  const window: Span = { start: times.started, end: times.completed };
  const wallMs = window.end - window.start;
  const compute = records.map((r) => ({ start: Date.parse(r.startedAt), end: Date.parse(r.endedAt) }));
  const recordOf = new Map(records.map((r) => [`${r.stage}#${r.attempt}`, r]));

  const labelled: LabelledSpan[] = [];
  const stageGaps: Array<{ stage: string; queuedMs: number; dispatchMs: number; computeMs: number; afterMs: number }> = [];
  const firstScheduled = Math.min(...times.activities.map((a) => a.scheduled));
  const lastClosed = Math.max(...times.activities.map((a) => a.closed ?? window.end));
  labelled.push({ label: 'first workflow task', start: window.start, end: firstScheduled });
  labelled.push({ label: 'last workflow task', start: lastClosed, end: window.end });
  for (const activity of times.activities) {
    const started = activity.started ?? activity.closed ?? activity.scheduled;
    const closed = activity.closed ?? window.end;
    const bookkeeping = BOOKKEEPING[activity.type];
    if (bookkeeping) {
      labelled.push({ label: bookkeeping, start: activity.scheduled, end: closed });
      continue;
    }
    labelled.push({ label: 'queued for a worker', start: activity.scheduled, end: started });
    const record = activity.stage !== undefined ? recordOf.get(`${activity.stage}#${activity.attempt ?? 1}`) : undefined;
    if (!record) continue;
    const computeStart = Date.parse(record.startedAt);
    const computeEnd = Date.parse(record.endedAt);
    labelled.push({ label: 'dispatch to stage code', start: started, end: computeStart });
    labelled.push({ label: 'lineage write + completion', start: computeEnd, end: closed });
    stageGaps.push({
      stage: record.stage,
      queuedMs: Math.round(started - activity.scheduled),
      dispatchMs: Math.round(computeStart - started),
      computeMs: Math.round(computeEnd - computeStart),
      afterMs: Math.round(closed - computeEnd),
    });
  }
  // Precedence: the first and last workflow tasks and the bookkeeping activities, then the stage-side phases, queueing last.
  const order = ['first workflow task', 'last workflow task', 'validate activity', 'lineage-summary activity', 'dispatch to stage code', 'lineage write + completion', 'queued for a worker'];
  labelled.sort((a, b) => order.indexOf(a.label) - order.indexOf(b.label));
  const split = attributeIdle(window, compute, labelled, 'workflow tasks between stages');

  const seconds = (ms: number) => (ms / 1000).toFixed(2);
  const parts = Object.entries(split.byLabel)
    .sort((a, b) => b[1] - a[1])
    .map(([label, ms]) => `${label} ${seconds(ms)} s`)
    .join(', ');
  log('  per stage, ms: scheduled -> started (queued) | started -> compute start | compute | compute end -> completed');
  for (const g of stageGaps) log(`    ${g.stage.padEnd(24)} ${[g.queuedMs, g.dispatchMs, g.computeMs, g.afterMs].map((ms) => String(ms).padStart(7)).join(' |')}`);
  log(`  overhead by cause: ${parts}`);

  const beforeGaps = stageGaps.map((g) => g.queuedMs + g.dispatchMs);
  const afterGaps = stageGaps.map((g) => g.afterMs);
  const overheadPercent = (100 * split.idleMs) / wallMs;
  return [
    {
      name: `${prefix}/overhead`,
      value: split.idleMs / 1000,
      unit: 's',
      note: `workflow wall minus the union of ${records.length} stage attempts' compute (lineage); ${parts}`,
    },
    {
      name: `${prefix}/overhead-share`,
      value: overheadPercent,
      unit: '%',
      note: `of ${seconds(wallMs)} s workflow wall (target < ${TARGET_PERCENT}%${overheadPercent < TARGET_PERCENT ? ', met' : ', MISSED'})`,
    },
    {
      name: `${prefix}/stage-gap`,
      value: median(beforeGaps),
      unit: 'ms',
      note:
        `median scheduled -> compute start over ${stageGaps.length} stages (max ${Math.max(...beforeGaps)}, queue waits behind busy slots included); ` +
        `compute end -> completed median ${median(afterGaps)}, max ${Math.max(...afterGaps)} ms; ` +
        `per stage before+after: ${stageGaps.map((g) => `${g.stage} ${g.queuedMs + g.dispatchMs}+${g.afterMs}`).join(', ')}`,
    },
    { name: `${prefix}/compute`, value: split.computeMs / 1000, unit: 's', note: `union of stage compute spans; their sum ${seconds(compute.reduce((t, s) => t + s.end - s.start, 0))} s` },
    { name: `${prefix}/workflow-wall`, value: wallMs / 1000, unit: 's', note: 'WorkflowExecutionStarted -> WorkflowExecutionCompleted' },
    {
      name: `${prefix}/end-to-end`,
      value: (setup.serverMs + setup.embeddedMs) / 1000,
      unit: 's',
      note: `dev server start ${seconds(setup.serverMs)} s + embedded run ${seconds(setup.embeddedMs)} s (workers and workflow bundle, run, shutdown); one run, --repeats ignored`,
    },
  ];
}

function workflowTimes(history: History, runId: string): WorkflowTimes {
  let started: number | undefined;
  let completed: number | undefined;
  const activities = new Map<string, ActivityTimes>();
  const closeActivity = (scheduledEventId: unknown, at: number) => {
    const activity = activities.get(String(scheduledEventId));
    if (activity) activity.closed = at;
  };
  for (const event of history.events ?? []) {
    const at = timestampMs(event.eventTime);
    if (event.workflowExecutionStartedEventAttributes) started = at;
    else if (event.workflowExecutionCompletedEventAttributes) completed = at;
    else if (event.activityTaskScheduledEventAttributes) {
      const attributes = event.activityTaskScheduledEventAttributes;
      const input = attributes.input?.payloads?.[0];
      activities.set(String(event.eventId), { type: attributes.activityType?.name ?? '', stage: input ? stageOf(input) : undefined, scheduled: at });
    } else if (event.activityTaskStartedEventAttributes) {
      const activity = activities.get(String(event.activityTaskStartedEventAttributes.scheduledEventId));
      if (activity) {
        activity.started = at;
        activity.attempt = event.activityTaskStartedEventAttributes.attempt ?? 1;
      }
    } else if (event.activityTaskCompletedEventAttributes) closeActivity(event.activityTaskCompletedEventAttributes.scheduledEventId, at);
    else if (event.activityTaskFailedEventAttributes) closeActivity(event.activityTaskFailedEventAttributes.scheduledEventId, at);
    else if (event.activityTaskTimedOutEventAttributes) closeActivity(event.activityTaskTimedOutEventAttributes.scheduledEventId, at);
  }
  if (started === undefined || completed === undefined) throw new Error(`workflow ${runId}: its history has no ${started === undefined ? 'start' : 'completion'} event`);
  return { started, completed, activities: [...activities.values()] };
}

function stageOf(payload: Payload): string | undefined {
  const input = defaultPayloadConverter.fromPayload<unknown>(payload);
  return typeof input === 'object' && input !== null && 'stage' in input && typeof input.stage === 'string' ? input.stage : undefined;
}

function timestampMs(timestamp: Timestamp): number {
  if (!timestamp) throw new Error('history event without an eventTime');
  return Number(timestamp.seconds ?? 0) * 1000 + (timestamp.nanos ?? 0) / 1e6;
}
