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
import { lineageOf, localStorageRoot, startRun, tinyConfig, waitForProgress } from '../harness/pipeline.js';
import { TemporalHarness } from '../harness/temporal.js';

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

async function interruptedRun(runId: string, interrupt: (worker: { kill(): Promise<void>; terminate(): Promise<number | null> }) => Promise<unknown>): Promise<LineageRecord[]> {
  const storage = await localStorageRoot();
  const first = await temporal.spawnWorker({ identity: `${runId}-first` });
  const handle = await startRun(temporal.client, tinyConfig(storage, overrides), runId);
  const seen = await waitForProgress(handle, (p) => p.training.adaptconf?.checkpoint !== undefined);
  assert.ok(seen.training.adaptconf!.step < seen.training.adaptconf!.totalSteps / 4, `training is early on when the worker goes (step ${seen.training.adaptconf!.step} of ${seen.training.adaptconf!.totalSteps})`);
  await interrupt(first);
  const second = await temporal.spawnWorker({ identity: `${runId}-second` });
  try {
    const result = (await handle.result()) as PipelineResult;
    const student = result.rows.find((r) => r.name === 'adaptconf');
    const uninterrupted = reference.rows.find((r) => r.name === 'adaptconf');
    assert.equal(student?.model.sha256, uninterrupted?.model.sha256, 'resumed training must end with the uninterrupted weights, bit for bit');
    assert.equal(student?.accuracy, uninterrupted?.accuracy);

    const attempts = (await lineageOf(storage, runId)).filter((r) => r.stage === 'train-adaptconf');
    const finished = attempts.find((r) => r.status === 'completed');
    assert.ok(finished, 'the training stage completed');
    assert.ok((finished.resumedFromStep ?? 0) > 0, `the final attempt resumed from a checkpoint (resumedFromStep ${finished.resumedFromStep})`);
    assert.ok(finished.attempt >= 2, `a retry finished the training (attempt ${finished.attempt})`);
    assert.equal(finished.worker.identity, `${runId}-second`);
    return attempts;
  } finally {
    await second.terminate();
  }
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
