/**
 * Training survives losing its worker. A worker killed outright (SIGKILL)
 * mid-training, or asked to stop (SIGTERM), hands the training over to a
 * new worker, which resumes from the last checkpoint and ends with weights
 * bit-identical to a run that was never interrupted.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LineageRecord } from '../../schemas/lineage.js';
import type { PipelineResult } from '../../schemas/stages.js';
import { localStorageRoot, startRun, tinyConfig } from '../harness/pipeline.js';
import { TemporalHarness, type WorkerProcess } from '../harness/temporal.js';
import { interruptedTraining, resumedStage } from '../harness/worker-loss.js';

// Small batches give the strong `cnn` over a hundred steps: the interrupt follows the first checkpoint (step 4)
// within milliseconds, while most of the training is still ahead on any machine.
const overrides = { strong: { model: 'cnn', epochs: 3, batchSize: 8 }, students: [{ method: 'adaptconf' as const }] };

let temporal: TemporalHarness;
let reference: PipelineResult;

before(async () => {
  temporal = await TemporalHarness.start();
  const workers = await temporal.inProcessWorkers('reference');
  try {
    reference = (await (await startRun(temporal.client, tinyConfig(await localStorageRoot(), overrides), 'uninterrupted')).result()) as PipelineResult;
  } finally {
    await workers.shutdown();
  }
});

after(async () => {
  await temporal.stop();
});

async function interruptedRun(runId: string, interrupt: (worker: WorkerProcess) => Promise<unknown>): Promise<LineageRecord[]> {
  const storage = await localStorageRoot();
  const start = () => startRun(temporal.client, tinyConfig(storage, overrides), runId);
  const result = (await interruptedTraining(temporal, { runId, training: 'adaptconf', start, interrupt })) as PipelineResult;
  const student = result.rows.find((r) => r.name === 'adaptconf');
  const uninterrupted = reference.rows.find((r) => r.name === 'adaptconf');
  assert.equal(student?.model.sha256, uninterrupted?.model.sha256, 'resumed training must end with the uninterrupted weights, bit for bit');
  assert.equal(student?.accuracy, uninterrupted?.accuracy);
  return resumedStage(storage, runId, 'train-adaptconf');
}

test('a worker killed with SIGKILL mid-training: a new worker resumes from the checkpoint, same final weights', async () => {
  const attempts = await interruptedRun('killed', (worker) => worker.kill());
  const fromKilled = attempts.filter((r) => r.worker.identity === 'killed-first');
  assert.deepEqual(fromKilled, [], 'a killed attempt cannot report anything');
});

test('a worker stopped with SIGTERM checkpoints and exits; a new worker resumes, same final weights', async () => {
  const attempts = await interruptedRun('terminated', async (worker) => {
    assert.equal(await worker.terminate(), 0, 'graceful shutdown exits cleanly');
  });
  const stopped = attempts.find((r) => r.status === 'failed');
  assert.equal(stopped?.error?.type, 'WorkerShutdown', 'the stopped attempt records why it ended');
  assert.equal(stopped?.worker.identity, 'terminated-first');
});
