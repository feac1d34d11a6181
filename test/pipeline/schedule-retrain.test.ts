/**
 * Scheduled retraining through the `w2s schedule` command: a trigger starts
 * `retrain`; with unchanged data every training, labeling and evaluation
 * stage is a cache hit; the promotion decision and its reason are recorded.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import { promisify } from 'node:util';
import { EXIT_CODES } from '../../cli/failure.js';
import type { RunOutcome } from '../../cli/schedule-outcomes.js';
import type { PromotionDecision } from '../../schemas/stages.js';
import { openStore } from '../../storage/index.js';
import type { RetrainResult } from '../../workflows/retrain.js';
import { recordHistory } from '../harness/histories.js';
import { FASHION_MNIST, lineageOf, localStorageRoot, tinyConfig } from '../harness/pipeline.js';
import { CLI, type InProcessWorkers, TemporalHarness } from '../harness/temporal.js';

const exec = promisify(execFile);

/** Polls `condition` until it holds; fails with `what` once the deadline passes, so nothing that never happens can hang the suite. */
async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await pause(200);
  }
}

interface Described {
  readonly paused: boolean;
  readonly note?: string;
  readonly timing: string;
  readonly timezone: string;
  readonly overlap: string;
  readonly catchupWindowMs: number;
  readonly configName?: string;
  readonly spec: { intervals?: Array<{ every: number }>; calendars?: unknown[]; cronExpressions?: string[] };
  readonly recentActions: Array<{ workflowId?: string; outcome?: RunOutcome }>;
  readonly runningActions: string[];
}

let temporal: TemporalHarness;
let workers: InProcessWorkers;

before(async () => {
  temporal = await TemporalHarness.start();
  workers = await temporal.inProcessWorkers();
});

after(async () => {
  await workers.shutdown();
  await temporal.stop();
});

const w2s = async (...args: string[]) => (await exec(process.execPath, [CLI, ...args, '--address', temporal.address])).stdout;
const describe = async (id: string) => JSON.parse(await w2s('schedule', 'describe', id, '--json')) as Described;

async function configFile(config: unknown): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'w2s-schedule-')), 'retrain.json');
  await writeFile(file, JSON.stringify(config));
  return file;
}

test('a schedule trigger runs retrain: cached stages, a recorded promotion decision', async () => {
  const storage = await localStorageRoot();
  const config = tinyConfig(storage, { promotion: { registry: 'fashion', student: 'adaptconf', split: 'test', minGain: 0 } });
  const file = await configFile(config);

  await w2s('schedule', 'create', 'nightly', '--config', file, '--every', '24h', '--paused');
  // Schedule listings come from the visibility store, which catches up shortly after a change.
  await until(async () => /^nightly \(paused\)/m.test(await w2s('schedule', 'list')), 'the schedule is listed');
  const created = await describe('nightly');
  assert.equal(created.paused, true);
  assert.deepEqual(created.spec.intervals?.map((i) => i.every), [24 * 3600 * 1000], 'the interval is the one given, 24h');

  const retrainOnce = async (already: number): Promise<{ id: string; result: RetrainResult }> => {
    await w2s('schedule', 'trigger', 'nightly');
    let started: string[] = [];
    // The schedule starts the workflow asynchronously: follow its recorded actions until the new one appears.
    await until(async () => {
      started = (await describe('nightly')).recentActions.flatMap((a) => (a.workflowId ? [a.workflowId] : []));
      return started.length > already;
    }, `retrain ${already + 1} is started by the schedule`);
    const id = started[started.length - 1] as string;
    return { id, result: (await temporal.client.workflow.getHandle(id).result()) as RetrainResult };
  };

  const first = await retrainOnce(0);
  await recordHistory(temporal.client.workflow.getHandle(first.id), 'retrain');
  assert.ok(first.id.startsWith('nightly-retrain'), first.id);
  assert.equal(first.result.decision.promoted, true);
  assert.match(first.result.decision.reason, /no champion/);

  const second = await retrainOnce(1);
  assert.notEqual(second.id, first.id);
  const decision: PromotionDecision = second.result.decision;
  assert.equal(decision.promoted, false);
  assert.match(decision.reason, /champion's own model/);
  assert.equal(decision.champion?.runId, first.result.run.runId);
  assert.equal(decision.champion?.accuracy, decision.challenger.accuracy);

  const rerun = await lineageOf(storage, second.result.run.runId);
  const reusable = rerun.filter((r) => ['train', 'label', 'evaluate'].includes(r.kind));
  assert.ok(reusable.length >= 9);
  assert.deepEqual(reusable.filter((r) => !r.cached).map((r) => r.stage), [], 'unchanged stages come from the cache');
  const ingest = rerun.find((r) => r.stage === 'ingest');
  assert.equal(ingest?.cached, false, 'the source is re-read on every retrain');

  const store = openStore(storage);
  const pointer = JSON.parse(new TextDecoder().decode(await store.get('registry/fashion.json'))) as { runId: string };
  assert.equal(pointer.runId, first.result.run.runId, 'the champion is still the first run');
  const decisions = await store.list('registry/fashion/decisions/');
  assert.equal(decisions.length, 2);
  const recorded = JSON.parse(new TextDecoder().decode(await store.get(decisions.find((k) => k.includes(second.result.run.runId)) as string))) as PromotionDecision;
  assert.equal(recorded.reason, decision.reason);

  // `describe` reads each retrain's decision back from Temporal: the first had no champion, the second met its own model.
  const outcomes = new Map((await describe('nightly')).recentActions.map((a) => [a.workflowId, a.outcome]));
  assert.equal(outcomes.get(first.id)?.promotion?.promoted, true);
  assert.equal(outcomes.get(first.id)?.promotion?.champion, null);
  const kept = outcomes.get(second.id)?.promotion;
  assert.deepEqual([kept?.promoted, kept?.champion?.runId, kept?.gain, kept?.minGain], [false, first.result.run.runId, 0, 0]);
  const text = await w2s('schedule', 'describe', 'nightly');
  assert.match(text, /fires: every 24h \(UTC\)/);
  assert.match(text, /overlap: skip {3}catch-up window: 1h/);
  assert.match(text, new RegExp(`${first.id}  promoted: challenger \\d+\\.\\d\\d%, no champion yet in registry fashion`));
  assert.match(text, new RegExp(`${second.id}  not promoted: challenger (\\S+) vs champion \\1 \\(${first.result.run.runId}\\), gain \\+0\\.00% against minGain 0\\.00%; challenger is the champion's own model`));
  // `w2s status` of the retrain itself says the same.
  assert.match(await w2s('status', second.id), /\n {2}not promoted: challenger \S+ vs champion \S+ \(.+\), gain \+0\.00% against minGain 0\.00%/);

  await w2s('schedule', 'delete', 'nightly');
  await until(async () => !/nightly/.test(await w2s('schedule', 'list')), 'the schedule is gone from the listing');
});

test('a cron schedule; trigger --overlap skip is refused while a retrain runs, allow-all starts another', async () => {
  // Training goes to a queue no worker polls: each retrain stays running until the test terminates it, whatever the machine's speed.
  const config = tinyConfig(await localStorageRoot(), { execution: { trainQueue: 'w2s-held' } });
  await w2s('schedule', 'create', 'weekly', '--config', await configFile(config), '--cron', '0 3 * * 1', '--paused');
  const handle = temporal.client.schedule.getHandle('weekly');
  const started: string[] = [];
  try {
    const created = await describe('weekly');
    assert.equal(created.paused, true);
    assert.equal(created.spec.intervals?.length ?? 0, 0);
    const next = (await handle.describe()).info.nextActionTimes;
    assert.ok(next.length > 0, 'a paused cron schedule still says when it would fire');
    for (const at of next) assert.deepEqual([at.getUTCDay(), at.getUTCHours(), at.getUTCMinutes()], [1, 3, 0], `fires Mondays at 03:00 UTC: ${at.toISOString()}`);

    // Polled through the client: the CLI's describe is checked above, and each CLI start costs seconds.
    const recent = async (n: number) => {
      const ids = (await handle.describe()).info.recentActions.flatMap((a) => (a.action.type === 'startWorkflow' ? [a.action.workflow.workflowId] : []));
      started.splice(0, started.length, ...ids);
      return ids.length === n;
    };
    // Started under `skip`, the schedule keeps track of the run, so the next `skip` can see it.
    await w2s('schedule', 'trigger', 'weekly', '--overlap', 'skip');
    await until(() => recent(1), 'the first retrain is started');
    await w2s('schedule', 'trigger', 'weekly', '--overlap', 'skip');
    await until(async () => (await handle.describe()).info.numActionsSkippedOverlap === 1, 'the overlapping trigger is skipped');
    assert.ok(await recent(1), 'nothing new started');
    await w2s('schedule', 'trigger', 'weekly', '--overlap', 'allow-all');
    await until(() => recent(2), 'allow-all starts a second retrain beside the first');
    for (const id of started) assert.equal((await temporal.client.workflow.getHandle(id).describe()).status.name, 'RUNNING', `${id} runs`);
    assert.equal((await handle.describe()).info.numActionsSkippedOverlap, 1);
  } finally {
    for (const id of started) await temporal.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
    await w2s('schedule', 'delete', 'weekly');
  }
});

test('pause, unpause and update keep the schedule; describe shows its policies, time zone and why a retrain failed', async () => {
  // The source is a folder of links to the real files, so the test can take it away and make the next retrain fail.
  const source = await mkdtemp(join(tmpdir(), 'w2s-source-'));
  for (const file of await readdir(FASHION_MNIST)) await symlink(join(FASHION_MNIST, file), join(source, file));
  const config = tinyConfig(await localStorageRoot(), { dataset: { source, format: 'idx', limit: { train: 600, test: 200 }, shardSize: 150 } });
  await w2s('schedule', 'create', 'ops', '--config', await configFile(config), '--cron', '0 3 * * *', '--timezone', 'Europe/Paris', '--overlap', 'buffer-one', '--catchup-window', '10m', '--paused');
  try {
    const created = await describe('ops');
    assert.deepEqual(
      [created.paused, created.timing, created.timezone, created.overlap, created.catchupWindowMs, created.configName],
      [true, 'cron 0 3 * * *', 'Europe/Paris', 'buffer-one', 600_000, 'test'],
    );
    assert.match(await w2s('schedule', 'describe', 'ops'), /fires: cron 0 3 \* \* \* \(Europe\/Paris\)\n {2}overlap: buffer-one {3}catch-up window: 10m/);

    await w2s('schedule', 'unpause', 'ops');
    assert.equal((await describe('ops')).paused, false);
    await w2s('schedule', 'pause', 'ops', '--note', 'data migration');
    const paused = await describe('ops');
    assert.deepEqual([paused.paused, paused.note], [true, 'data migration']);

    await w2s('schedule', 'update', 'ops', '--config', await configFile({ ...config, name: 'renamed' }), '--overlap', 'skip');
    const updated = await describe('ops');
    assert.deepEqual(
      [updated.configName, updated.overlap, updated.timing, updated.timezone, updated.catchupWindowMs, updated.paused],
      ['renamed', 'skip', 'cron 0 3 * * *', 'Europe/Paris', 600_000, true],
      'only the config and the overlap policy changed',
    );

    await rm(source, { recursive: true });
    await w2s('schedule', 'trigger', 'ops');
    let outcome: RunOutcome | undefined;
    await until(async () => {
      outcome = (await describe('ops')).recentActions[0]?.outcome;
      return outcome !== undefined && outcome.status !== 'RUNNING';
    }, 'the retrain on a missing source ends', 120_000);
    assert.equal(outcome?.status, 'FAILED');
    assert.match(outcome?.failure ?? '', new RegExp(`stage \\w+: .*dataset\\.source: ${source.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} does not exist`));
    assert.match(await w2s('schedule', 'describe', 'ops'), / {2}failed: .*does not exist/);
    assert.match(await w2s('status', outcome?.workflowId ?? ''), /\n {2}failed: .*does not exist/, '`w2s status` of the failed retrain says why');
  } finally {
    await w2s('schedule', 'delete', 'ops');
  }
});

test('describe, pause and trigger of an unknown schedule print one line and exit with the bad-input code', async () => {
  for (const command of ['describe', 'pause', 'trigger']) {
    const failed = await exec(process.execPath, [CLI, 'schedule', command, 'no-such-schedule', '--address', temporal.address]).then(
      () => assert.fail(`schedule ${command} of an unknown schedule succeeded`),
      (error: Error & { code?: number; stderr?: string }) => error,
    );
    assert.equal(failed.code, EXIT_CODES.badInput);
    assert.deepEqual(failed.stderr?.trim().split('\n'), ['error: schedule no-such-schedule: not found (w2s schedule list shows the schedules)']);
  }
});
