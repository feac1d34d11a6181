/**
 * One storage root, wherever it lives. A relative root given to `w2s run` is
 * resolved where the command runs, so workers in other folders all write to
 * it, and `report`/`verify` from another folder find the run. The root, moved
 * elsewhere, verifies as itself and serves a new run from its cache; an
 * edited lineage record naming a file outside it is refused. An imported
 * teacher that does not fit the data fails the run at once, naming what
 * differs; a sweep point that fails leaves its sibling to finish; an input
 * shard deleted mid-run fails its stage at once, naming it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { WorkflowFailedError } from '@temporalio/client';
import { submittedConfig } from '../../cli/start-run.js';
import { initBackend } from '../../ml/backend.js';
import { buildModel, serializeModel } from '../../ml/models/index.js';
import type { RunConfig } from '../../schemas/pipeline.js';
import type { PipelineResult } from '../../schemas/stages.js';
import { lineageRecordKey } from '../../storage/layout.js';
import { objectUri } from '../../storage/uri.js';
import { CPU_QUEUE, GPU_QUEUE } from '../../workers/worker.js';
import { sweep, type SweepRow } from '../../workflows/sweep.js';
import { lineageOf, startRun, tinyConfig, waitForProgress } from '../harness/pipeline.js';
import { CLI, TemporalHarness, type WorkerProcess } from '../harness/temporal.js';

const exec = promisify(execFile);

let temporal: TemporalHarness;
let cpuWorker: WorkerProcess;
let gpuWorker: WorkerProcess;
/** Folders: `submit` (where `w2s run` is run), `a` and `b` (where the two workers run). */
let base: string;
let submit: string;
let a: string;
let b: string;
/** The root after it has been moved away from `submit/.w2s`. */
let moved: string;
let first: PipelineResult;

before(async () => {
  await initBackend();
  temporal = await TemporalHarness.start();
  base = await mkdtemp(join(tmpdir(), 'w2s-portable-'));
  [submit, a, b] = ['submit', 'a', 'b'].map((name) => join(base, name)) as [string, string, string];
  for (const folder of [submit, a, b]) await mkdir(folder);
  moved = join(base, 'moved-root');
  cpuWorker = await temporal.spawnWorker({ identity: 'cpu-in-a', queues: [CPU_QUEUE], cwd: a });
  gpuWorker = await temporal.spawnWorker({ identity: 'gpu-in-b', queues: [GPU_QUEUE], cwd: b });
});

after(async () => {
  await cpuWorker.terminate();
  await gpuWorker.terminate();
  await temporal.stop();
  await rm(base, { recursive: true, force: true });
});

const w2s = async (cwd: string, ...args: string[]) => (await exec(process.execPath, [CLI, ...args], { cwd })).stdout;

async function configFile(config: RunConfig, name: string): Promise<string> {
  const file = join(base, `${name}.json`);
  await writeFile(file, JSON.stringify(config));
  return file;
}

const small = (storage: string, overrides: Parameters<typeof tinyConfig>[1] = {}) => tinyConfig(storage, { students: [{ method: 'ceiling' }], ...overrides });

/** The failure a failed run's result rejects with: the stage's own, under the activity's. */
async function stageFailure(result: Promise<unknown>): Promise<{ message: string; type?: string; nonRetryable?: boolean }> {
  const error = await result.then(
    () => assert.fail('the run completed'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof WorkflowFailedError, String(error));
  const failure = (error.cause as { cause?: { message: string; type?: string; nonRetryable?: boolean } } | undefined)?.cause;
  assert.ok(failure, `a stage failure under ${String(error.cause)}`);
  return failure;
}

test('a relative root is resolved where w2s run is run: workers in two other folders write there, and report and verify find it from elsewhere', async () => {
  const file = await configFile(small('.w2s'), 'relative');
  first = JSON.parse(await w2s(submit, 'run', '--config', file, '--id', 'relative-root', '--wait', '--json', '--address', temporal.address)) as PipelineResult;
  const root = join(submit, '.w2s');
  assert.ok(existsSync(join(root, first.report.markdown.key)), 'the report is under the submitting folder');
  for (const folder of [a, b]) assert.equal(existsSync(join(folder, '.w2s')), false, `nothing under the worker's folder ${folder}`);
  const workers = new Set((await lineageOf(root, 'relative-root')).map((r) => r.worker.identity));
  assert.ok([...workers].some((w) => w.includes('cpu-in-a')) && [...workers].some((w) => w.includes('gpu-in-b')), `both workers ran stages: ${[...workers].join(', ')}`);

  assert.match(await w2s(a, 'report', 'relative-root', '--storage', root), /\| ceiling \| ceiling \|/);
  assert.match(await w2s(b, 'verify', 'relative-root', '--storage', relative(b, root)), /^verify relative-root: \d+ objects, \d+ ok, 0 mismatched, 0 missing$/m);
});

test('a moved root verifies as itself and serves a new run from its cache', async () => {
  await cp(join(submit, '.w2s'), moved, { recursive: true });
  await rm(join(submit, '.w2s'), { recursive: true, force: true });
  assert.match(await w2s(a, 'verify', 'relative-root', '--storage', moved), /0 mismatched, 0 missing$/m);

  const again = JSON.parse(await w2s(a, 'run', '--config', await configFile(small(moved), 'moved'), '--id', 'from-moved', '--wait', '--json', '--address', temporal.address)) as PipelineResult;
  const table = (result: PipelineResult) => result.rows.map((r) => [r.name, r.accuracy, r.model.sha256]);
  assert.deepEqual(table(again), table(first), 'the same results, from the moved root');
  const trainings = (await lineageOf(moved, 'from-moved')).filter((r) => r.kind === 'train');
  assert.ok(trainings.length > 0 && trainings.every((r) => r.cached), 'every training is a cache hit in the moved root');
  assert.match(await w2s(b, 'verify', 'from-moved', '--storage', moved), /0 mismatched, 0 missing$/m);
  assert.equal(existsSync(join(submit, '.w2s')), false, 'nothing went back to the old place');
});

test('verify refuses a lineage record edited to name a file outside the root, naming the record and the reference', async () => {
  const key = lineageRecordKey('from-moved', 'ingest', 1);
  const path = join(moved, key);
  const record = JSON.parse(await readFile(path, 'utf8')) as { outputs: { key: string }[] };
  record.outputs[0]!.key = '../../../../../../etc/passwd';
  await rm(path, { force: true });
  await writeFile(path, JSON.stringify(record));
  const failed = await w2s(b, 'verify', 'from-moved', '--storage', moved).then(
    () => assert.fail('verify accepted the edited record'),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
  assert.notEqual(failed.code, 0);
  assert.equal(failed.stdout, '', 'nothing was checked');
  assert.match(failed.stderr, /lineage record file:\/\/.*\/lineage\/from-moved\/ingest-1\.json: outputs\[0\] names "\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd", which leaves the storage root/);
  assert.equal(failed.stderr.trim().split('\n').length, 1, `one line, no stack: ${failed.stderr}`);
});

test('an imported teacher that does not fit the data fails at once, naming the checkpoint and what differs', async () => {
  const teachers = join(base, 'teachers');
  await mkdir(teachers);
  const saved = async (name: string, inputShape: [number, number, number], numClasses: number) => {
    const model = buildModel('linear', { inputShape, numClasses, seed: 0 });
    await writeFile(join(teachers, name), serializeModel(model));
    model.dispose();
    return join(teachers, name);
  };
  const weak = objectUri(moved, first.rows.find((r) => r.name === 'weak')!.model.key);
  const cases: Array<[string, string, string, RegExp]> = [
    ['teacher-classes', await saved('seven.bin', [28, 28, 1], 7), 'linear', /it predicts 7 classes, the dataset has 10/],
    ['teacher-shape', await saved('color.bin', [32, 32, 3], 10), 'linear', /it takes 32x32x3 images, the dataset has 28x28x1/],
    ['teacher-model', weak, 'cnn-small', /it is a linear model, but teacher\.model is cnn-small/],
  ];
  for (const [runId, checkpoint, model, problem] of cases) {
    const config = small(moved, { teacher: { model, epochs: 2, batchSize: 32, checkpoint } });
    const failure = await stageFailure((await startRun(temporal.client, config, runId)).result());
    assert.equal(failure.type, 'BadInputError', failure.message);
    assert.equal(failure.nonRetryable, true);
    assert.ok(failure.message.startsWith(`teacher.checkpoint ${checkpoint}: does not fit this run`), failure.message);
    assert.match(failure.message, problem);
    const records = await lineageOf(moved, runId);
    assert.deepEqual(records.filter((r) => r.stage === 'train-weak').map((r) => [r.attempt, r.status]), [[1, 'failed']], 'one attempt, not retried');
    assert.deepEqual(records.filter((r) => r.kind === 'train' || r.kind === 'label'), [], 'nothing trained or labelled');
  }
});

test('a batch larger than the split it trains on fails the run after ingest, before any training', async () => {
  const config = small(moved, { strong: { model: 'cnn-small', epochs: 2, batchSize: 5000 } });
  const error = await (await startRun(temporal.client, config, 'batch-too-big')).result().then(
    () => assert.fail('the run completed'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof WorkflowFailedError);
  const failure = error.cause as { message: string; type?: string; nonRetryable?: boolean };
  assert.equal(failure.type, 'BadInputError');
  assert.equal(failure.nonRetryable, true);
  assert.match(failure.message, /students\.0 \(ceiling\) batchSize: batch size 5000 is larger than the transfer split it trains on \(\d+ examples\)/);
  const records = await lineageOf(moved, 'batch-too-big');
  assert.deepEqual(records.filter((r) => r.kind !== 'ingest'), [], 'nothing after ingest ran');
});

test('a sweep point that fails leaves its sibling to finish; the sweep names the failed point and why', async () => {
  const config = submittedConfig(small(moved, { students: [{ method: 'adaptconf' }] }));
  // 5000 is out of theta's range: only the child's own validation sees it, since this sweep skips the CLI's checks.
  const handle = await temporal.client.workflow.start(sweep, { taskQueue: CPU_QUEUE, workflowId: 'one-bad-point', args: [{ config, grid: { theta: [0.5, 5000] }, parallelism: 2 }] });
  const error = await handle.result().then(
    () => assert.fail('the sweep succeeded'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof WorkflowFailedError);
  const failure = error.cause as { message: string; type?: string; details?: unknown[] };
  assert.equal(failure.type, 'SweepPointsFailed');
  assert.match(failure.message, /^1 of 2 sweep points failed \(the others completed\): one-bad-point-theta5000: run config: [\s\S]*students\.0\.theta: Too big/);
  const sibling = temporal.client.workflow.getHandle('one-bad-point-theta0p5');
  assert.equal((await sibling.describe()).status.name, 'COMPLETED', 'the sibling ran to its end');
  const rows = (failure.details?.[0] as { rows: SweepRow[] }).rows;
  assert.deepEqual(rows.map((r) => [r.runId, r.name]), [['one-bad-point-theta0p5', 'weak'], ['one-bad-point-theta0p5', 'adaptconf']]);
});

test('an input shard deleted mid-run fails the stage at once, naming it', async () => {
  // No training worker: the run waits at the teacher's training while its input is deleted.
  await gpuWorker.terminate();
  const config = small(moved, { teacher: { model: 'linear', epochs: 1, batchSize: 32 } });
  const handle = await startRun(temporal.client, config, 'shard-deleted');
  await waitForProgress(handle, (p) => p.stages.ingest !== undefined && p.stages.ingest !== 'running' && p.phase === 'train-weak');
  const shard = first.splits.weak?.[0];
  assert.ok(shard);
  await rm(join(moved, shard.key));
  gpuWorker = await temporal.spawnWorker({ identity: 'gpu-again', queues: [GPU_QUEUE], cwd: b });

  const failure = await stageFailure(handle.result());
  assert.equal(failure.type, 'ObjectNotFoundError', failure.message);
  assert.equal(failure.nonRetryable, true);
  assert.ok(failure.message.includes(shard.key), failure.message);
  const attempts = (await lineageOf(moved, 'shard-deleted')).filter((r) => r.stage === 'train-weak');
  assert.deepEqual(attempts.map((r) => [r.attempt, r.status, r.error?.type]), [[1, 'failed', 'ObjectNotFoundError']], 'one attempt, not retried');
});
