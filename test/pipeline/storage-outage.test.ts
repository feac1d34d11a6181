/**
 * Storage (the GCS API) is unreachable for several seconds while labeling
 * fans out: stages retry, the run completes, and every object the run
 * recorded is there with the recorded hash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as outage } from 'node:timers/promises';
import { verifyRun } from '../../lineage/index.js';
import type { PipelineResult } from '../../schemas/stages.js';
import { openStore } from '../../storage/index.js';
import { FakeGcs } from '../harness/fake-gcs.js';
import { lineageOf, startRun, tinyConfig, waitForProgress } from '../harness/pipeline.js';
import { TemporalHarness } from '../harness/temporal.js';

const OUTAGE_MS = 5000;

test('storage goes away for several seconds during labeling; the run retries and completes with nothing lost', async () => {
  const gcs = await FakeGcs.start({ buckets: ['w2s-outage'] });
  process.env.STORAGE_EMULATOR_HOST = gcs.url;
  const temporal = await TemporalHarness.start();
  const workers = await temporal.inProcessWorkers();
  try {
    const storage = 'gs://w2s-outage/root';
    // Many small shards labelled one at a time: labeling lasts long enough to be interrupted.
    const config = tinyConfig(storage, {
      dataset: { source: '/usr/share/datasets/fashion-mnist', format: 'idx', limit: { train: 600, test: 200 }, shardSize: 20 },
      execution: { labelParallelism: 1 },
    });
    const handle = await startRun(temporal.client, config, 'outage');
    const during = await waitForProgress(handle, (p) => p.phase === 'label' && p.labeling.done >= 1);
    await gcs.stop();
    const stoppedAt = Date.now();
    await outage(OUTAGE_MS);
    await gcs.restart();
    const restartedAt = Date.now();
    assert.ok(during.labeling.done < during.labeling.total, 'the outage began while shards were still being labelled');

    const result = (await handle.result()) as PipelineResult;
    assert.equal(result.rows.length, 3);

    const records = await lineageOf(storage, 'outage');
    const labels = records.filter((r) => r.kind === 'label' && r.status === 'completed');
    // An attempt that outlived its heartbeat timeout may finish after its retry did: count shards, not records.
    assert.equal(new Set(labels.map((r) => r.stage)).size, during.labeling.total, 'every shard was labelled');
    const hit = labels.filter((r) => r.attempt > 1 || (Date.parse(r.startedAt) < stoppedAt + OUTAGE_MS && Date.parse(r.endedAt) >= restartedAt));
    assert.ok(hit.length > 0, 'some labeling waited out the outage or was retried');

    const verification = await verifyRun(openStore(storage), 'outage');
    const bad = verification.objects.filter((o) => o.verdict !== 'ok');
    assert.deepEqual(bad.map((o) => o.uri), [], 'nothing lost or changed');
  } finally {
    await workers.shutdown();
    await temporal.stop();
    await gcs.dispose();
    delete process.env.STORAGE_EMULATOR_HOST;
  }
});
