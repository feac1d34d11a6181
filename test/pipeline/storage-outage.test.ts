/**
 * Storage (the GCS API) is unreachable for several seconds while labeling
 * fans out: stages retry, the run completes, and every object the run
 * recorded is there with the recorded hash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as outage } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { verifyRun } from '../../lineage/index.js';
import type { PipelineResult } from '../../schemas/stages.js';
import { openStore } from '../../storage/index.js';
import { FakeGcs } from '../harness/fake-gcs.js';
import { lineageOf, startRun, tinyConfig, waitForProgress } from '../harness/pipeline.js';
import { TemporalHarness } from '../harness/temporal.js';

const OUTAGE_MS = 5000;

interface RetriedActivity {
  readonly type: string;
  readonly attempt: number;
  readonly lastFailure: string;
}

/** Activities whose final attempt was not the first, from the workflow history (the started event carries attempt and last failure). */
async function retriedActivities(handle: WorkflowHandle): Promise<RetriedActivity[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Map(events.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [[Number(e.eventId), e.activityTaskScheduledEventAttributes.activityType?.name ?? '']] : [])));
  return events.flatMap((e) => {
    const started = e.activityTaskStartedEventAttributes;
    if (!started || (started.attempt ?? 1) <= 1) return [];
    return [{ type: scheduled.get(Number(started.scheduledEventId)) ?? '', attempt: started.attempt ?? 1, lastFailure: started.lastFailure?.message ?? '' }];
  });
}

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
    // Longer than the heartbeat timeout: an attempt stuck on storage is timed out and retried.
    await outage(OUTAGE_MS);
    await gcs.restart();
    assert.ok(during.labeling.done < during.labeling.total, 'the outage began while shards were still being labelled');

    const result = (await handle.result()) as PipelineResult;
    assert.equal(result.rows.length, 3);

    const records = await lineageOf(storage, 'outage');
    const labels = records.filter((r) => r.kind === 'label' && r.status === 'completed');
    // An attempt that outlived its heartbeat timeout may finish after its retry did: count shards, not records.
    assert.equal(new Set(labels.map((r) => r.stage)).size, during.labeling.total, 'every shard was labelled');
    // Temporal's own record of the retry: a label activity started again after an attempt failed during the outage.
    const retried = await retriedActivities(handle);
    const labelRetries = retried.filter((r) => r.type === 'labelShard');
    assert.ok(labelRetries.length > 0, `a labeling attempt failed and was retried; retried activities: ${JSON.stringify(retried)}`);
    assert.ok(labelRetries.every((r) => r.lastFailure.length > 0), `each retry names the failure before it: ${JSON.stringify(labelRetries)}`);

    const verification = await verifyRun(openStore(storage), 'outage');
    const bad = verification.objects.filter((o) => o.verdict !== 'ok');
    assert.deepEqual(bad.map((o) => o.key), [], 'nothing lost or changed');
  } finally {
    await workers.shutdown();
    await temporal.stop();
    await gcs.dispose();
    delete process.env.STORAGE_EMULATOR_HOST;
  }
});
