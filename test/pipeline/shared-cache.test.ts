/**
 * Many runs, one storage root: concurrent runs of one config on two worker
 * processes all complete and share their cached outputs; a deleted or
 * corrupted cached object is recomputed by the next run, which heals the
 * cache entry instead of failing on it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PipelineResult } from '../../schemas/stages.js';
import { CacheEntrySchema } from '../../schemas/cache.js';
import { readCache } from '../../stages/cache.js';
import { cacheEntryKey, isSharedObjectKey } from '../../storage/layout.js';
import { openStore } from '../../storage/open.js';
import { CPU_QUEUE } from '../../workers/worker.js';
import { lineageOf, localStorageRoot, startRun, tinyConfig } from '../harness/pipeline.js';
import { TemporalHarness } from '../harness/temporal.js';

const CACHEABLE = new Set(['train', 'label', 'evaluate']);

test('concurrent runs share one cache; a broken cached output is recomputed and its entry healed', async () => {
  const temporal = await TemporalHarness.start();
  const first = await temporal.spawnWorker({ identity: 'worker-a' });
  const second = await temporal.spawnWorker({ identity: 'worker-b', queues: [CPU_QUEUE] });
  try {
    const storage = await localStorageRoot();
    const store = openStore(storage);
    const config = tinyConfig(storage, { students: [{ method: 'ceiling' }] });

    // Three runs of one config at once: each computes or reuses every stage, and none may fail on another's cache entry.
    const runs = ['same-a', 'same-b', 'same-c'];
    const results = (await Promise.all(runs.map(async (id) => (await startRun(temporal.client, config, id)).result()))) as PipelineResult[];
    const table = (result: PipelineResult | undefined) => result?.rows.map((r) => ({ name: r.name, accuracy: r.accuracy, agreement: r.agreement, model: r.model?.sha256 }));
    for (const result of results) assert.deepEqual(table(result), table(results[0]), 'identical configs give identical tables');

    const records = (await Promise.all(runs.map((id) => lineageOf(storage, id)))).flat().filter((r) => CACHEABLE.has(r.kind) && r.status === 'completed');
    const cacheKeys = [...new Set(records.map((r) => r.cacheKey))];
    assert.ok(cacheKeys.length > 0);
    for (const key of cacheKeys) {
      const entry = CacheEntrySchema.parse(JSON.parse(await readFile(join(storage, cacheEntryKey(key)), 'utf8')));
      assert.ok(entry.objects.every((o) => isSharedObjectKey(o.key)), `entry ${key} names only shared objects: ${JSON.stringify(entry.objects)}`);
      assert.doesNotMatch(JSON.stringify(entry), /runs\/|file:|imagesPerSecond/, 'an entry holds nothing of the run that wrote it');
      assert.ok(await readCache(store, key), `entry ${key} is intact`);
    }

    // Break the teacher's shared model (deleted) and a shared soft-label shard (corrupted in place).
    const weak = records.find((r) => r.stage === 'train-weak');
    const label = records.find((r) => r.stage === 'label-transfer-00000');
    assert.ok(weak && label);
    const entryOf = async (key: string) => CacheEntrySchema.parse(JSON.parse(await readFile(join(storage, cacheEntryKey(key)), 'utf8')));
    const model = (await entryOf(weak.cacheKey)).objects[0];
    const labels = (await entryOf(label.cacheKey)).objects[0];
    assert.ok(model && labels);
    await rm(join(storage, model.key));
    const bytes = await readFile(join(storage, labels.key));
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    await writeFile(join(storage, labels.key), bytes);
    assert.equal(await readCache(store, weak.cacheKey), undefined, 'a missing object is a miss');
    assert.equal(await readCache(store, label.cacheKey), undefined, 'a corrupted object is a miss');

    const healed = (await (await startRun(temporal.client, config, 'after-damage')).result()) as PipelineResult;
    assert.deepEqual(table(healed), table(results[0]), 'the recomputed stages give the same table');
    const after = await lineageOf(storage, 'after-damage');
    const completed = (stage: string) => after.find((r) => r.stage === stage && r.status === 'completed');
    assert.equal(completed('train-weak')?.cached, false, 'the teacher is trained again');
    assert.equal(completed('label-transfer-00000')?.cached, false, 'the shard is labelled again');
    assert.equal(completed('train-ceiling')?.cached, true, 'untouched entries are still used');
    assert.equal(after.filter((r) => r.status === 'failed').length, 0, 'no attempt failed on the broken entries');
    assert.ok(await readCache(store, weak.cacheKey), 'the teacher entry is healed');
    assert.ok(await readCache(store, label.cacheKey), 'the soft-label entry is healed');
  } finally {
    await first.terminate();
    await second.terminate();
    await temporal.stop();
  }
});
