/**
 * `w2s run --wait` and `w2s sweep --wait` wait through `waitForResult`: the
 * Temporal server goes away while a client waits for a run, stays away until
 * the client has noticed, and comes back; the wait ends with the run's result.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitForResult } from '../../cli/wait-result.js';
import type { PipelineResult } from '../../schemas/stages.js';
import { localStorageRoot, startRun, tinyConfig, waitForProgress } from '../harness/pipeline.js';
import { TemporalHarness } from '../harness/temporal.js';

test('a client waiting for a run rides out a server outage', async () => {
  const temporal = await TemporalHarness.start();
  const worker = await temporal.spawnWorker({ identity: 'survivor' });
  try {
    const storage = await localStorageRoot();
    const handle = await startRun(temporal.client, tinyConfig(storage, { strong: { model: 'cnn', epochs: 2, batchSize: 32 } }), 'waited');
    await waitForProgress(handle, (p) => p.phase === 'train-students' && Object.values(p.training).some((t) => t.step > 0));
    let noticed!: () => void;
    const outageNoticed = new Promise<void>((resolve) => (noticed = resolve));
    const events: string[] = [];
    const waiting = waitForResult<PipelineResult>(handle, {
      onOutage: () => {
        events.push('outage');
        noticed();
      },
      onReconnect: () => events.push('reconnect'),
    });
    // The server stays down until the waiting client has seen it gone.
    await temporal.restartServer(() => outageNoticed);
    const result = await waiting;
    assert.deepEqual(result.rows.map((r) => r.name), ['weak', 'ceiling', 'adaptconf']);
    assert.deepEqual(events, ['outage', 'reconnect']);
  } finally {
    await worker.terminate();
    await temporal.stop();
  }
});
