/**
 * A sweep over AdaptConf's theta through `w2s sweep`: one child pipeline
 * per point, one table, and the second child reuses every stage the two
 * points share. On the same server and storage: `w2s run` (its success path),
 * `w2s status` and `w2s report` on the finished run, and runs whose weak
 * teacher is imported (`teacher.checkpoint`), well and badly. Last, the
 * recorded histories (this file's, and the committed ones in
 * test/fixtures/histories) replay against the current workflow code: any
 * nondeterminism fails here rather than in a user's running pipeline.
 * Set W2S_RECORD_HISTORIES=1 to refresh the committed histories after an
 * intended change to workflow code.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { RunConfig } from '../../schemas/pipeline.js';
import type { RunView } from '../../cli/run-view.js';
import type { PipelineResult, ResultRow } from '../../schemas/stages.js';
import type { SweepRow } from '../../workflows/sweep.js';
import { workflowBundlePath } from '../../workers/bundle.js';
import { committedHistories, recordHistory } from '../harness/histories.js';
import { lineageOf, localStorageRoot, startRun, tinyConfig } from '../harness/pipeline.js';
import { CLI, type InProcessWorkers, TemporalHarness } from '../harness/temporal.js';
import { objectUri } from '../../storage/uri.js';

const exec = promisify(execFile);

let temporal: TemporalHarness;
let workers: InProcessWorkers;
let storage: string;
let base: RunConfig;
/** Histories of this file's runs, replayed at the end. */
const handles: WorkflowHandle[] = [];

before(async () => {
  temporal = await TemporalHarness.start();
  workers = await temporal.inProcessWorkers();
  storage = await localStorageRoot();
  base = tinyConfig(storage);
});

after(async () => {
  await workers.shutdown();
  await temporal.stop();
});

const w2s = async (...args: string[]) => (await exec(process.execPath, [CLI, ...args, '--address', temporal.address])).stdout;

async function configFile(config: unknown, name = 'config.json'): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'w2s-cli-')), name);
  await writeFile(file, JSON.stringify(config));
  return file;
}

let th2: readonly SweepRow[] = [];

test('w2s sweep: --theta list, --parallelism 1; cached stages are shared across points', async () => {
  const out = await w2s('sweep', '--config', await configFile(base), '--theta', '0.25,2', '--parallelism', '1', '--id', 'thresholds', '--wait', '--json');
  const rows = JSON.parse(out) as SweepRow[];
  assert.deepEqual(
    rows.map((r) => [r.point.theta, r.name, r.runId]),
    [
      [0.25, 'weak', 'thresholds-theta0p25'],
      [0.25, 'ceiling', 'thresholds-theta0p25'],
      [0.25, 'adaptconf', 'thresholds-theta0p25'],
      [2, 'weak', 'thresholds-theta2'],
      [2, 'ceiling', 'thresholds-theta2'],
      [2, 'adaptconf', 'thresholds-theta2'],
    ],
  );
  th2 = rows.filter((r) => r.runId === 'thresholds-theta2');
  const first = await lineageOf(storage, 'thresholds-theta0p25');
  const second = await lineageOf(storage, 'thresholds-theta2');
  const cached = (stage: string) => second.find((r) => r.stage === stage && r.status === 'completed')?.cached;
  assert.equal(cached('train-weak'), true, 'the teacher is shared');
  assert.equal(cached('label-transfer-00000'), true, 'soft labels are shared');
  assert.equal(cached('train-ceiling'), true, 'the ceiling is shared');
  assert.equal(cached('train-adaptconf'), false, 'a new threshold trains a new student');
  // --parallelism 1: the second point started only after the first had finished.
  const endOfFirst = Math.max(...first.map((r) => Date.parse(r.endedAt)));
  const startOfSecond = Math.min(...second.map((r) => Date.parse(r.startedAt)));
  assert.ok(startOfSecond >= endOfFirst, 'one point at a time');
  for (const id of ['thresholds', 'thresholds-theta0p25', 'thresholds-theta2']) handles.push(temporal.client.workflow.getHandle(id));
});

test('w2s sweep refuses bad list options before starting anything', async () => {
  const file = await configFile(base);
  const refused = async (args: string[], message: RegExp) => {
    await assert.rejects(w2s('sweep', '--config', file, ...args), (error: Error & { stderr?: string }) => message.test(error.stderr ?? ''));
  };
  await refused(['--theta', '0.5,abc'], /--theta 0\.5,abc: expected comma-separated numbers/);
  await refused(['--final-alpha', '1,x'], /--final-alpha 1,x: expected comma-separated numbers/);
  // The axis of earlier releases set theta and finalAlpha at once; it is refused with the flags that replace it.
  await refused(['--threshold', '0.5'], /--threshold 0\.5: is split into the loss parameters it set: give --theta 0\.5 \(adaptconf\) and\/or --final-alpha 0\.5 \(augconf\)/);
  await refused(['--method', 'adaptconf,nope'], /--method adaptconf,nope: unknown method nope/);
  await refused(['--weight-decay', '0.1,-1'], /--weight-decay 0\.1,-1: weight decays must be 0 or more/);
  await refused(['--patience', '2,0.5'], /--patience 2,0\.5: patience is a whole number of epochs, 1 or more/);
  await refused(['--patience', '2'], /--patience 2: early stopping watches the validation split, and the config has none/);
  await refused([], /give at least one of --method, --theta, --final-alpha, --temperature, --seed, --weight-decay, --patience/);
});

test('w2s run --wait --json --id: the results of a run whose every stage is cached from the sweep', async () => {
  // The sweep's second point, as a config of its own: every stage is a cache hit.
  const config = { ...base, students: [{ method: 'ceiling' }, { method: 'adaptconf', threshold: 2 }] };
  const out = await w2s('run', '--config', await configFile(config), '--id', 'cli-run', '--wait', '--json');
  const result = JSON.parse(out) as PipelineResult;
  assert.equal(result.runId, 'cli-run');
  assert.deepEqual(
    result.rows.map((r) => [r.name, r.accuracy, r.model.sha256]),
    th2.map((r) => [r.name, r.accuracy, r.model.sha256]),
  );
  assert.equal(result.report.html.key, 'runs/cli-run/report/report.html');
  const records = await lineageOf(storage, 'cli-run');
  assert.ok(records.filter((r) => r.kind === 'train').every((r) => r.cached));
});

test('w2s status and w2s report describe the finished run', async () => {
  const status = JSON.parse(await w2s('status', 'cli-run', '--json')) as RunView;
  assert.equal(status.status, 'COMPLETED');
  assert.equal(status.phase, 'done');
  const stage = (name: string) => status.stages.find((s) => s.name === name);
  assert.equal(stage('train-adaptconf')?.status, 'cached');
  assert.equal(stage('report')?.status, 'completed');
  assert.deepEqual(status.rows.map((r) => r.name), ['weak', 'ceiling', 'adaptconf']);
  const text = await w2s('status', 'cli-run');
  assert.match(text, /^cli-run: COMPLETED, phase done \(started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, [\dms. ]+\)$/m);
  assert.match(text, /^ {2}train-adaptconf +cached +\d+\.\ds +1$/m, 'a cached training, its duration and its one attempt');
  assert.match(text, /^adaptconf +student +\d+\.\d\d%/m, 'the results table');

  const report = (await exec(process.execPath, [CLI, 'report', 'cli-run', '--storage', storage])).stdout;
  for (const row of th2) assert.match(report, new RegExp(`\\| ${row.name} \\| ${row.role} \\|`));
  assert.match(report, new RegExp(`^html: ${join(storage, 'runs', 'cli-run', 'report', 'report.html')}$`, 'm'));
  const table = JSON.parse((await exec(process.execPath, [CLI, 'report', 'cli-run', '--storage', storage, '--json'])).stdout) as ResultRow[];
  assert.deepEqual(table.map((r) => [r.name, r.accuracy]), th2.map((r) => [r.name, r.accuracy]));
  await assert.rejects(exec(process.execPath, [CLI, 'report', 'no-such-run', '--storage', storage]), (error: Error & { stderr?: string }) =>
    /run no-such-run: has no report under .*runs\/no-such-run\/report, and no runs no-such-run-\* of a sweep have one \(not finished, or another --storage\?\)/.test(error.stderr ?? ''),
  );
});

test('teacher.checkpoint: an imported weak teacher is copied into the run and used; a bad URI or a non-model fails the run, naming it', async () => {
  const weak = th2.find((r) => r.name === 'weak')!.model;
  const config = (checkpoint: string): RunConfig => ({ ...base, name: 'imported', teacher: { ...base.teacher, checkpoint }, students: [{ method: 'adaptconf', theta: 2, temperature: 1, gtWeight: 0 }] });

  const imported = await startRun(temporal.client, config(objectUri(storage, weak.key)), 'imported-teacher');
  handles.push(imported);
  const result = (await imported.result()) as PipelineResult;
  const teacher = result.rows.find((r) => r.name === 'weak')!;
  assert.equal(teacher.model.sha256, weak.sha256, 'the imported bytes are the teacher');
  assert.ok(teacher.model.key.startsWith('runs/imported-teacher/train-weak/'), `copied into the run: ${teacher.model.key}`);
  assert.equal(teacher.accuracy, th2.find((r) => r.name === 'weak')!.accuracy);
  const importRecord = (await lineageOf(storage, 'imported-teacher')).find((r) => r.stage === 'train-weak');
  assert.equal(importRecord?.kind, 'import');
  assert.equal((importRecord?.config as { sha256?: string } | undefined)?.sha256, weak.sha256);
  assert.deepEqual(importRecord?.inputs, [], 'the source may be outside the root: lineage names it in the config, not as an input');
  assert.equal(importRecord?.outputs[0]?.sha256, weak.sha256);
  // Same teacher, same soft labels, same student config as the sweep's second point: the student is a cache hit.
  assert.equal(result.rows.find((r) => r.name === 'adaptconf')!.model.sha256, th2.find((r) => r.name === 'adaptconf')!.model.sha256);

  const failed = async (runId: string, checkpoint: string, message: RegExp) => {
    const handle = await startRun(temporal.client, config(checkpoint), runId);
    handles.push(handle);
    const error = await handle.result().then(
      () => assert.fail(`${runId} completed`),
      (e: unknown) => e,
    );
    assert.ok(error instanceof WorkflowFailedError, String(error));
    const cause = String(error.cause?.cause ?? error.cause);
    assert.match(cause, message);
    const records = await lineageOf(storage, runId);
    assert.deepEqual(records.filter((r) => r.stage.startsWith('train-') && r.status === 'completed'), [], 'nothing was trained');
  };
  const missing = `${storage}/runs/no-such-run/train-weak/model-000000000000.bin`;
  await failed('missing-teacher', missing, new RegExp(`teacher\\.checkpoint ${missing}: cannot be read`));
  await failed('not-a-model', objectUri(storage, result.manifest.key), /teacher\.checkpoint .*manifest\.json/);
});

test('the histories of this file and the committed ones replay deterministically', async () => {
  const histories = await Promise.all(handles.map(async (h) => ({ workflowId: h.workflowId, history: await h.fetchHistory() })));
  for (const handle of handles) {
    const name = { 'imported-teacher': 'import-teacher', 'missing-teacher': 'failed-run' }[handle.workflowId] ?? (handle.workflowId.startsWith('thresholds') ? handle.workflowId : undefined);
    if (name) await recordHistory(handle, name);
  }
  const committed = await committedHistories();
  const names = committed.map((c) => c.name);
  for (const expected of ['thresholds', 'thresholds-theta2', 'retrain', 'cancelled', 'failed-run', 'import-teacher']) assert.ok(names.includes(expected), `committed history ${expected} (have ${names.join(', ')})`);

  const replayed: string[] = [];
  const all = [...histories, ...committed.map(({ workflowId, history }) => ({ workflowId, history }))];
  for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: await workflowBundlePath() } }, all)) {
    assert.equal(result.error, undefined, `${result.workflowId}: ${String(result.error)}`);
    replayed.push(result.workflowId);
  }
  assert.equal(replayed.length, histories.length + committed.length);
});
