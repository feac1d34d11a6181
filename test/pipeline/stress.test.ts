/**
 * Many runs and sweeps on one root at once, on two worker processes: six
 * runs of one config and two sweeps of three points at parallelism 3, on a
 * local root and on GCS. Every pipeline completes, none fails on another's
 * writes, identical configs give identical models, and every run verifies.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PipelineResult } from '../../schemas/stages.js';
import { submittedConfig } from '../../cli/start-run.js';
import { verifyRun } from '../../lineage/index.js';
import { openStore } from '../../storage/open.js';
import { CPU_QUEUE } from '../../workers/worker.js';
import { sweep, type SweepRow } from '../../workflows/sweep.js';
import { FakeGcs } from '../harness/fake-gcs.js';
import { lineageOf, localStorageRoot, startRun, tinyConfig } from '../harness/pipeline.js';
import { TemporalHarness, type WorkerProcess } from '../harness/temporal.js';

const BUCKET = 'w2s-stress';
/** Failures that would mean one pipeline broke another's objects. */
const CLASHES = ['ObjectConflictError', 'ObjectNotFoundError', 'BadInputError'];
let gcs: FakeGcs;
let temporal: TemporalHarness;
let workers: WorkerProcess[] = [];

before(async () => {
  gcs = await FakeGcs.start({ buckets: [BUCKET] });
  // The workers inherit it: the same two processes serve the local root and the bucket.
  process.env.STORAGE_EMULATOR_HOST = gcs.url;
  temporal = await TemporalHarness.start();
  workers = [await temporal.spawnWorker({ identity: 'stress-a' }), await temporal.spawnWorker({ identity: 'stress-b', queues: [CPU_QUEUE] })];
});

after(async () => {
  for (const worker of workers) await worker.terminate();
  await temporal.stop();
  await gcs.stop();
});

async function manyAtOnce(storage: string, prefix: string): Promise<void> {
  // A loaded machine may retry a training whose heartbeat is late: that is allowed, so the timeout is generous.
  const config = submittedConfig(tinyConfig(storage, { students: [{ method: 'ceiling' }, { method: 'adaptconf', theta: 0.5 }], execution: { heartbeatTimeoutSeconds: 30 } }));
  const runIds = Array.from({ length: 6 }, (_, i) => `${prefix}-run-${i}`);
  const runs = runIds.map(async (id) => (await (await startRun(temporal.client, config, id)).result()) as PipelineResult);
  const sweeps = ['a', 'b'].map(async (name) => {
    const handle = await temporal.client.workflow.start(sweep, { taskQueue: CPU_QUEUE, workflowId: `${prefix}-sweep-${name}`, args: [{ config, grid: { theta: [0.5, 1, 2] }, parallelism: 3 }] });
    return await handle.result();
  });
  const [results, swept] = await Promise.all([Promise.all(runs), Promise.all(sweeps)]);

  const table = (rows: readonly { name: string; accuracy: number; model: { sha256: string } }[]) => rows.map((r) => [r.name, r.accuracy, r.model.sha256]);
  for (const result of results) assert.deepEqual(table(result.rows), table(results[0]!.rows), 'identical configs give identical tables');
  const [a, b] = swept as [SweepRow[], SweepRow[]];
  assert.deepEqual(a.map((r) => [r.point.theta, ...table([r])[0]!]), b.map((r) => [r.point.theta, ...table([r])[0]!]), 'the two sweeps agree point by point');
  const student = (rows: readonly SweepRow[], threshold: number) => rows.find((r) => r.name === 'adaptconf' && r.point.theta === threshold)?.model.sha256;
  assert.equal(student(a, 0.5), results[0]!.rows.find((r) => r.name === 'adaptconf')?.model.sha256, 'the runs and the sweep point with their theta have one student');
  assert.equal(new Set([0.5, 1, 2].map((t) => student(a, t))).size, 3, 'each threshold trains its own student');

  const store = openStore(storage);
  const pipelines = [...runIds, ...new Set([...a, ...b].map((r) => r.runId))];
  assert.equal(pipelines.length, 12);
  for (const runId of pipelines) {
    const verified = await verifyRun(store, runId);
    assert.equal(verified.ok, true, `${runId}: ${JSON.stringify(verified.counts)}`);
    // Transient retries are allowed; an attempt that failed on another pipeline's writes is not.
    const clashes = (await lineageOf(storage, runId)).filter((r) => r.status === 'failed' && CLASHES.includes(r.error?.type ?? ''));
    assert.deepEqual(clashes.map((r) => `${r.stage}: ${r.error?.type ?? ''} ${r.error?.message ?? ''}`), [], `${runId}: no attempt failed on another's writes`);
  }
}

test('six runs and two sweeps at once on one local root all complete and verify', async () => {
  await manyAtOnce(await localStorageRoot(), 'local');
});

test('six runs and two sweeps at once on one GCS root all complete and verify', async () => {
  await manyAtOnce(`gs://${BUCKET}/shared`, 'gcs');
});
