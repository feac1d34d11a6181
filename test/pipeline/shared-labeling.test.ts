/**
 * Labeling fans out one activity per shard across every CPU worker: two
 * worker processes both label shards of one run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PipelineResult } from '../../schemas/stages.js';
import { CPU_QUEUE } from '../../workers/worker.js';
import { lineageOf, localStorageRoot, startRun, tinyConfig } from '../harness/pipeline.js';
import { TemporalHarness } from '../harness/temporal.js';

test('two worker processes share the labeling fan-out', async () => {
  const temporal = await TemporalHarness.start();
  // One short stage at a time per worker: while one labels a shard, the next shard must go to the other.
  const first = await temporal.spawnWorker({ identity: 'labeler-a', cpuConcurrency: 1 });
  const second = await temporal.spawnWorker({ identity: 'labeler-b', queues: [CPU_QUEUE], cpuConcurrency: 1 });
  try {
    const storage = await localStorageRoot();
    const config = tinyConfig(storage, {
      dataset: { source: '/usr/share/datasets/fashion-mnist', format: 'idx', limit: { train: 600, test: 200 }, shardSize: 50 },
      execution: { labelParallelism: 4 },
    });
    const result = (await (await startRun(temporal.client, config, 'shared')).result()) as PipelineResult;
    assert.equal(result.rows.length, 3);

    const labels = (await lineageOf(storage, 'shared')).filter((r) => r.kind === 'label' && r.status === 'completed');
    const byWorker = new Map<string, number>();
    for (const r of labels) byWorker.set(r.worker.identity, (byWorker.get(r.worker.identity) ?? 0) + 1);
    assert.deepEqual([...byWorker.keys()].sort(), ['labeler-a', 'labeler-b'], `shards per worker: ${JSON.stringify([...byWorker])}`);
    assert.equal(new Set(labels.map((r) => r.stage)).size, 6 + 4, 'every transfer and test shard was labelled once');
  } finally {
    await first.terminate();
    await second.terminate();
    await temporal.stop();
  }
});
