/**
 * The Temporal server goes away mid-run and comes back on the same database:
 * workers reconnect, the workflow resumes from its history, the run completes.
 *
 * A training is in flight (observed with a checkpoint, well before its end)
 * when the server stops. Whether its attempt outlives the outage or times out
 * and is retried depends on how long the restart takes; either way it must
 * end in one model, and a retry must resume from the checkpoint rather than
 * start over.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as outage } from 'node:timers/promises';
import type { PipelineResult } from '../../schemas/stages.js';
import { lineageOf, localStorageRoot, startRun, tinyConfig, waitForProgress } from '../harness/pipeline.js';
import { TemporalHarness } from '../harness/temporal.js';

/** Step of a checkpoint object, from its name (`ckpt-<step>-<hash>.bin`). */
function checkpointStep(uri: string): number {
  const match = /ckpt-(\d+)-/.exec(uri);
  assert.ok(match, `a checkpoint uri: ${uri}`);
  return Number(match[1]);
}

test('the Temporal server is stopped and restarted mid-run; the run completes', async () => {
  const temporal = await TemporalHarness.start();
  const worker = await temporal.spawnWorker({ identity: 'survivor' });
  try {
    const storage = await localStorageRoot();
    // Enough steps (a few hundred) that the training is still far from its end when the server stops.
    const config = tinyConfig(storage, { strong: { model: 'cnn', epochs: 4, batchSize: 8 }, students: [{ method: 'adaptconf' }] });
    const handle = await startRun(temporal.client, config, 'restart');
    const seen = await waitForProgress(handle, (p) => p.training.adaptconf?.checkpoint !== undefined);
    const inFlight = seen.training.adaptconf!;
    assert.ok(inFlight.step < inFlight.totalSteps / 4, `the training is early on when the server stops (step ${inFlight.step} of ${inFlight.totalSteps})`);
    const before = await handle.describe();
    const stoppedAt = Date.now();
    // Down for longer than the training's heartbeat timeout (4 s): the server comes back to an attempt it has not heard from.
    await temporal.restartServer(() => outage(5000));
    const result = (await handle.result()) as PipelineResult;

    assert.equal((await handle.describe()).runId, before.runId, 'the same workflow execution finished: no restart from scratch');
    assert.deepEqual(result.rows.map((r) => r.name), ['weak', 'adaptconf']);
    const records = await lineageOf(storage, 'restart');
    assert.equal(records.filter((r) => r.stage === 'ingest').length, 1, 'ingest ran once: the restart did not replay finished stages');

    const training = records.filter((r) => r.stage === 'train-adaptconf');
    const completed = training.filter((r) => r.status === 'completed');
    assert.ok(completed.length >= 1, 'the in-flight training completed');
    const model = result.rows.find((r) => r.name === 'adaptconf')!.model;
    for (const record of completed) {
      assert.equal(record.outputs[0]?.sha256, model.sha256, `attempt ${record.attempt} ended with the run's model`);
      assert.equal(record.worker.identity, 'survivor');
      if (record.attempt === 1) {
        assert.equal(record.resumedFromStep, 0, 'the attempt that outlived the outage never restarted');
      } else if (record.cached) {
        // The first attempt finished its training after all and filled the stage cache: the retry trained nothing.
        assert.ok(training.some((r) => r.attempt < record.attempt && !r.cached), `attempt ${record.attempt} is a cache hit on an earlier attempt's training`);
      } else {
        // A retry after the outage resumes from a checkpoint at least as late as the one seen before it.
        assert.ok((record.resumedFromStep ?? 0) >= checkpointStep(inFlight.checkpoint!), `attempt ${record.attempt} resumed from step ${record.resumedFromStep}, checkpoint seen at ${inFlight.checkpoint}`);
      }
    }

    // Stages scheduled after the outage ran on the worker that reconnected (a busy machine may retry one: every attempt counts).
    const after = records.filter((r) => r.stage === 'evaluate-adaptconf' || r.stage === 'report');
    for (const stage of ['evaluate-adaptconf', 'report']) assert.ok(after.some((r) => r.stage === stage && r.status === 'completed'), `${stage} completed`);
    for (const record of after) {
      assert.ok(Date.parse(record.startedAt) > stoppedAt, `${record.stage} attempt ${record.attempt} started after the server stopped`);
      assert.equal(record.worker.identity, 'survivor');
    }
  } finally {
    await worker.terminate();
    await temporal.stop();
  }
});
