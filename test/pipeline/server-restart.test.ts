/**
 * The Temporal server goes away mid-run and comes back on the same database:
 * workers reconnect, the workflow resumes from its history, the run completes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PipelineResult } from '../../schemas/stages.js';
import { lineageOf, localStorageRoot, startRun, tinyConfig, waitForProgress } from '../harness/pipeline.js';
import { TemporalHarness } from '../harness/temporal.js';

test('the Temporal server is stopped and restarted mid-run; the run completes', async () => {
  const temporal = await TemporalHarness.start();
  const worker = await temporal.spawnWorker({ identity: 'survivor' });
  try {
    const storage = await localStorageRoot();
    const handle = await startRun(temporal.client, tinyConfig(storage, { strong: { model: 'cnn', epochs: 2, batchSize: 32 } }), 'restart');
    await waitForProgress(handle, (p) => p.phase === 'train-students' && Object.values(p.training).some((t) => t.step > 0));
    const before = await handle.describe();
    await temporal.restartServer();
    const result = (await handle.result()) as PipelineResult;

    assert.equal((await handle.describe()).runId, before.runId, 'the same workflow execution finished: no restart from scratch');
    assert.deepEqual(result.rows.map((r) => r.name), ['weak', 'ceiling', 'adaptconf']);
    const records = await lineageOf(storage, 'restart');
    assert.ok(records.some((r) => r.stage === 'report' && r.status === 'completed'));
    assert.equal(records.filter((r) => r.stage === 'ingest').length, 1, 'ingest ran once: the restart did not replay finished stages');
  } finally {
    await worker.terminate();
    await temporal.stop();
  }
});
