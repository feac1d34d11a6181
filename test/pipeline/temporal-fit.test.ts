/**
 * How a run looks in Temporal, on a real dev server: activities named after
 * their stages with a summary each, a memo and search attributes that
 * `w2s list` filters on, `w2s status` with every planned stage, the attempt
 * and last error of a retried training and its progress from heartbeats,
 * and a history whose length does not grow with the length of training.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { absoluteStorageUri } from '../../storage/uri.js';
import type { RunSummary } from '../../cli/commands/list.js';
import type { RunView } from '../../cli/run-view.js';
import { CPU_QUEUE, GPU_QUEUE } from '../../schemas/names.js';
import type { RunConfig } from '../../schemas/pipeline.js';
import type { PipelineResult } from '../../schemas/stages.js';
import { BEST_PGR, CONFIG_NAME, DATASET_ID, METHODS } from '../../workflows/run-metadata.js';
import { lineageOf, localStorageRoot, startRun, tinyConfig, waitForProgress } from '../harness/pipeline.js';
import { CLI, type InProcessWorkers, TemporalHarness } from '../harness/temporal.js';

const exec = promisify(execFile);

let temporal: TemporalHarness;
let cpuWorkers: InProcessWorkers;
let storage: string;

before(async () => {
  temporal = await TemporalHarness.start();
  // Workflows and short stages in this process; training in `w2s worker` processes a test can stop.
  cpuWorkers = await temporal.inProcessWorkers('cpu', [CPU_QUEUE]);
  storage = await localStorageRoot();
});

after(async () => {
  await cpuWorkers.shutdown();
  await temporal.stop();
});

const w2s = async (...args: string[]) => (await exec(process.execPath, [CLI, ...args, '--address', temporal.address])).stdout;

/** Polls `read` until `ready` holds: visibility is updated shortly after the run changes, not with it. */
async function eventually<T>(read: () => Promise<T>, ready: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (ready(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what}: not seen in ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
}

/** Activity ids and summaries, in the order the run scheduled them. */
async function scheduledActivities(handle: WorkflowHandle): Promise<Array<{ id: string; type: string; summary: string | undefined }>> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (!scheduled) return [];
    const summary = event.userMetadata?.summary;
    return [{ id: scheduled.activityId ?? '', type: scheduled.activityType?.name ?? '', summary: summary ? defaultPayloadConverter.fromPayload<string>(summary) : undefined }];
  });
}

// Small batches give the strong `cnn` over a hundred steps, so the training is still early on when its worker stops.
// A teacher of two steps leaves a quick MLP ceiling a gap to recover, so the student has a PGR.
const liveConfig = (): RunConfig =>
  tinyConfig(storage, {
    name: 'fit-live',
    teacher: { model: 'linear', epochs: 1, batchSize: 128 },
    strong: { model: 'cnn', epochs: 3, batchSize: 8 },
    students: [{ method: 'adaptconf' }, { method: 'ceiling', model: 'mlp', epochs: 3, batchSize: 16 }],
    execution: { heartbeatSeconds: 0.2 },
  });

let live: { handle: WorkflowHandle; result: PipelineResult };

test('w2s status shows every stage, pending ones too, and a retried training with its attempt, last error and heartbeat progress', async () => {
  const first = await temporal.spawnWorker({ identity: 'trainer-1', queues: [GPU_QUEUE] });
  const handle = await startRun(temporal.client, liveConfig(), 'fit-live');
  const seen = await waitForProgress(handle, (p) => (p.training.adaptconf?.step ?? 0) >= 2 && p.training.adaptconf?.checkpoint !== undefined);
  const early = seen.training.adaptconf!;
  assert.equal(early.epochs, 3);
  assert.ok(early.totalSteps > 100 && early.step < early.totalSteps, `step ${early.step} of ${early.totalSteps}`);
  assert.ok(early.imagesPerSecond > 0 && early.elapsedSeconds > 0 && Number.isFinite(early.loss), JSON.stringify(early));

  // SIGTERM: the training checkpoints and fails retryably; with no training worker left, attempt 2 waits, holding attempt 1's error and heartbeat.
  await first.terminate();
  const view = await eventually(
    async () => JSON.parse(await w2s('status', 'fit-live', '--json')) as RunView,
    (v) => (v.stages.find((s) => s.name === 'train-adaptconf')?.attempt ?? 0) >= 2,
    'attempt 2 of train-adaptconf',
  );
  const stage = (name: string) => view.stages.find((s) => s.name === name);
  assert.equal(view.status, 'RUNNING');
  assert.equal(view.phase, 'train-students');
  assert.deepEqual(
    view.stages.map((s) => s.name).filter((n) => !n.startsWith('label-')),
    ['validate', 'ingest', 'train-weak', 'train-adaptconf', 'train-ceiling', 'evaluate-weak', 'evaluate-adaptconf', 'evaluate-ceiling', 'report', 'lineage'],
    'every stage of the run, in pipeline order',
  );
  assert.equal(view.stages.filter((s) => s.name.startsWith('label-transfer-')).length, 2, 'the two transfer shards (300 images in shards of 150)');
  for (const name of ['evaluate-weak', 'evaluate-adaptconf', 'evaluate-ceiling', 'report', 'lineage']) assert.equal(stage(name)?.status, 'pending', name);
  assert.equal(stage('train-weak')?.status, 'completed');
  assert.ok(stage('train-weak')?.startedAt && stage('train-weak')?.endedAt, 'a finished stage has its start and end');
  const training = stage('train-adaptconf')!;
  assert.equal(training.status, 'running');
  assert.equal(training.attempt, 2);
  assert.match(training.lastError ?? '', /worker shut down during train-adaptconf/);
  assert.ok(training.training && training.training.step >= early.step && training.training.epochs === 3, `progress from attempt 1's heartbeat: ${JSON.stringify(training.training)}`);

  const text = await w2s('status', 'fit-live');
  console.log(`$ w2s status fit-live\n${text}`);
  assert.match(text, /^fit-live: RUNNING, phase train-students \(started .* UTC, .* so far\)$/m);
  assert.match(text, /^ {2}train-adaptconf +running +\d.*s +2 +epoch [1-3]\/3, step \d+\/\d+, loss \d+\.\d{4}, \d+ img\/s, elapsed \d.*, ETA \d.*$/m);
  assert.match(text, /^ {4}last error \(attempt 1\): .*worker shut down during train-adaptconf/m);
  assert.match(text, /^ {2}evaluate-adaptconf +pending$/m);
  assert.match(text, /^ {2}label-transfer \(2 shards\) +completed +\d.*s +2\/2 labeled$/m);

  const second = await temporal.spawnWorker({ identity: 'trainer-2', queues: [GPU_QUEUE] });
  try {
    live = { handle, result: (await handle.result()) as PipelineResult };
  } finally {
    await second.terminate();
  }
  // --watch redraws until the run ends: on a finished run, one view and out.
  const watched = (await w2s('status', 'fit-live', '--watch', '--json')).trimEnd().split('\n');
  assert.equal(watched.length, 1, 'one compact JSON view per refresh');
  const done = JSON.parse(watched[0]!) as RunView;
  assert.equal(done.status, 'COMPLETED');
  assert.ok(done.stages.every((s) => s.status === 'completed' || s.status === 'cached'), JSON.stringify(done.stages.map((s) => [s.name, s.status])));
  const retried = done.stages.find((s) => s.name === 'train-adaptconf')!;
  assert.equal(retried.attempt, 2, 'the attempt that finished the training');
  assert.match(retried.lastError ?? '', /worker shut down/);
});

test('activities are named after their stages, uniquely, with a summary each', async () => {
  const activities = await scheduledActivities(live.handle);
  const ids = activities.map((a) => a.id);
  assert.equal(new Set(ids).size, ids.length, `unique ids: ${ids.join(', ')}`);
  const labels = ids.filter((id) => id.startsWith('label-'));
  assert.deepEqual(
    ids.filter((id) => !id.startsWith('label-')),
    ['validate', 'ingest', 'train-weak', 'train-adaptconf', 'train-ceiling', 'evaluate-weak', 'evaluate-adaptconf', 'evaluate-ceiling', 'report', 'lineage'],
  );
  assert.deepEqual([...labels].sort(), ['label-test-00000', 'label-test-00001', 'label-transfer-00000', 'label-transfer-00001']);
  const byId = new Map(activities.map((a) => [a.id, a]));
  assert.equal(byId.get('train-adaptconf')?.type, 'trainModel');
  assert.equal(byId.get('train-adaptconf')?.summary, 'train student adaptconf (adaptconf, cnn, 3 epochs)');
  assert.equal(byId.get('label-transfer-00001')?.summary, 'label transfer shard 1 with the weak teacher');
  assert.equal(byId.get('evaluate-weak')?.summary, 'evaluate weak on the test split');
  for (const a of activities) assert.ok(a.summary, `${a.id} has a summary`);
});

test('a run carries its memo and search attributes, and w2s list filters on them', async () => {
  const description = await live.handle.describe();
  const memo = description.memo as { configName?: string; storageRoot?: string; configHash?: string; bestStudent?: string };
  assert.equal(memo.configName, 'fit-live');
  assert.equal(memo.storageRoot, absoluteStorageUri(storage, process.cwd()), 'the root as resolved when the run was submitted');
  assert.match(memo.configHash ?? '', /^[0-9a-f]{64}$/);
  const rows = JSON.stringify(live.result.rows.map((r) => [r.name, r.accuracy, r.pgr]));
  assert.equal(typeof live.result.rows.find((r) => r.name === 'adaptconf')?.pgr, 'number', `the run has a PGR to record: ${rows}`);
  assert.equal(memo.bestStudent, 'adaptconf', rows);
  const attributes = description.typedSearchAttributes;
  assert.equal(attributes.get(CONFIG_NAME), 'fit-live');
  assert.deepEqual(attributes.get(METHODS), ['adaptconf', 'ceiling']);
  assert.equal(attributes.get(DATASET_ID), live.result.datasetId);
  assert.equal(attributes.get(BEST_PGR), live.result.rows.find((r) => r.name === 'adaptconf')?.pgr);

  // A second run, of another name, failing at validation: listed too, under its own name and status.
  const bad = tinyConfig(storage, { name: 'fit-other', dataset: { source: join(storage, 'no-such-dataset'), format: 'idx' } });
  const failed = await startRun(temporal.client, bad, 'fit-other');
  await assert.rejects(failed.result());

  const list = async (...args: string[]) => JSON.parse(await w2s('list', '--json', ...args)) as RunSummary[];
  const ids = (runs: RunSummary[]) => runs.map((r) => r.runId).sort();
  const all = await eventually(() => list(), (runs) => runs.some((r) => r.runId === 'fit-other' && r.status === 'FAILED') && runs.some((r) => r.runId === 'fit-live' && r.bestPgr !== undefined), 'both runs in visibility');
  const row = all.find((r) => r.runId === 'fit-live')!;
  assert.equal(row.name, 'fit-live');
  assert.equal(row.status, 'COMPLETED');
  assert.equal(row.datasetId, live.result.datasetId);
  assert.equal(row.bestStudent, 'adaptconf');
  assert.equal(row.bestPgr, live.result.rows.find((r) => r.name === 'adaptconf')?.pgr);
  assert.ok(row.durationSeconds > 0);
  assert.deepEqual(ids(await list('--name', 'fit-live')), ['fit-live']);
  assert.deepEqual(ids(await list('--status', 'failed', '--name', 'fit-other')), ['fit-other']);
  assert.deepEqual(ids(await list('--dataset', live.result.datasetId.slice(0, 12))), ['fit-live']);
  assert.deepEqual(ids(await list('--method', 'adaptconf')), ['fit-live', 'fit-other']);
  assert.deepEqual(ids(await list('--method', 'kd')), []);
  assert.deepEqual(ids(await list('--query', 'W2sBestPgr < 100')), ['fit-live'], 'only runs with a PGR');
  assert.equal((await list('--limit', '1')).length, 1);

  const text = await w2s('list', '--name', 'fit-live');
  console.log(`$ w2s list --name fit-live\n${text}\n$ w2s list\n${await w2s('list')}`);
  assert.match(text, /^RUN +NAME +STATUS +STARTED +DURATION +DATASET +BEST +PGR$/m);
  assert.match(text, new RegExp(`^fit-live +fit-live +COMPLETED +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC +\\S+( \\S+)? +${live.result.datasetId.slice(0, 12)} +adaptconf +-?\\d+\\.\\d{3}$`, 'm'));
  await assert.rejects(exec(process.execPath, [CLI, 'list', '--status', 'sleeping', '--address', temporal.address]), (error: Error & { stderr?: string }) =>
    /^error: --status sleeping: expected one of running, completed, failed/.test(error.stderr ?? ''),
  );
});

test('w2s status of an unknown run prints one line naming the run and the server, and exits non-zero', async () => {
  await assert.rejects(exec(process.execPath, [CLI, 'status', 'no-such-run', '--address', temporal.address]), (error: Error & { stderr?: string; code?: number }) => {
    assert.ok(typeof error.code === 'number' && error.code !== 0, `exit code ${error.code}`);
    assert.equal(error.stderr, `error: run no-such-run: no such run on the Temporal server at ${temporal.address} (w2s list shows the runs there)\n`);
    return true;
  });
});

test('the history does not grow with the length of training: heartbeats are not events', async () => {
  const trainer = await temporal.spawnWorker({ identity: 'trainer-3', queues: [GPU_QUEUE] });
  // The same stages (ingest, teacher and labels are cache hits); the long run trains eight times as many steps, heartbeating every 20 ms.
  const run = async (runId: string, epochs: number) => {
    const config = tinyConfig(storage, { name: runId, strong: { model: 'mlp', epochs, batchSize: 16 }, students: [{ method: 'adaptconf' }], execution: { heartbeatSeconds: 0.02 } });
    const handle = await startRun(temporal.client, config, runId);
    await handle.result();
    const events = (await handle.fetchHistory()).events ?? [];
    const steps = (await lineageOf(storage, runId)).find((r) => r.stage === 'train-adaptconf' && r.status === 'completed')?.metrics?.steps;
    const workflowTask = events.filter((e) => e.workflowTaskScheduledEventAttributes || e.workflowTaskStartedEventAttributes || e.workflowTaskCompletedEventAttributes).length;
    return { events: events.length, other: events.length - workflowTask, steps: Number(steps), activities: (await scheduledActivities(handle)).length };
  };
  let short;
  let long;
  try {
    short = await run('fit-short', 1);
    long = await run('fit-long', 8);
  } finally {
    await trainer.terminate();
  }
  console.log(`history events: ${JSON.stringify({ short, long })}`);
  assert.ok(long.steps >= 8 * short.steps - 8, `the long run trained ${long.steps} steps, the short one ${short.steps}`);
  assert.equal(long.activities, short.activities);
  // Apart from workflow tasks (whose batching depends on timing), the two histories have the same events, however long the training.
  assert.equal(long.other, short.other, 'events other than workflow tasks');
  // Each activity adds 3 events (scheduled, started, closed) and wakes the workflow at most once (3 more); then start, upserts and end.
  const bound = 6 * long.activities + 12;
  assert.ok(long.events <= bound && short.events <= bound, `${short.events} and ${long.events} events, bound ${bound}`);
});
