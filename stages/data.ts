/**
 * Datasets as stages see them: the manifest a reference pins (parsed once per
 * set of stage dependencies) and batch sources over its shards.
 */
import { mapBatches, type BatchSource } from '../ml/data/batches.js';
import type { Manifest } from '../schemas/manifest.js';
import type { ObjectRef, ShardRef } from '../schemas/stages.js';
import { parseManifest, type ObjectStore } from '../storage/index.js';
import { isEmbeddingDataset, openEmbeddingSource } from './embedding-source.js';
import { ShardBatchSource } from './shard-source.js';
import type { StageDeps } from './deps.js';
import { getVerified } from './stores.js';

export async function manifestOf(deps: StageDeps, store: ObjectStore, ref: ObjectRef): Promise<Manifest> {
  let manifest = deps.manifests.get(ref.sha256);
  if (!manifest) {
    manifest = parseManifest(await getVerified(store, ref, 'dataset manifest'), store.uriOf(ref.key));
    deps.manifests.set(ref.sha256, manifest);
  }
  return manifest;
}

export interface ShardSourceRequest {
  readonly manifest: ObjectRef;
  readonly shards: readonly ShardRef[];
  readonly softLabels?: readonly ShardRef[];
  readonly teacherSha256?: string;
}

export async function openShardSource(deps: StageDeps, store: ObjectStore, request: ShardSourceRequest): Promise<BatchSource> {
  const manifest = await manifestOf(deps, store, request.manifest);
  if (isEmbeddingDataset(manifest)) return yieldingBetweenBatches(await openEmbeddingSource(store, manifest, request));
  return yieldingBetweenBatches(new ShardBatchSource({
    store,
    manifest,
    shards: request.shards,
    ...(request.softLabels ? { softLabels: request.softLabels } : {}),
    ...(request.teacherSha256 ? { teacherSha256: request.teacherSha256 } : {}),
    ...(deps.settings.shardCacheDir ? { cacheDir: deps.settings.shardCacheDir } : {}),
  }));
}

/**
 * A batch of training is seconds of synchronous tensor work, and a loader
 * whose shards are in memory resolves without ever returning to the event
 * loop. Yielding to it before each batch lets the worker answer workflow
 * tasks, send heartbeats and deliver progress signals while a stage computes,
 * which matters most when both task queues share one process.
 */
export function yieldingBetweenBatches(source: BatchSource): BatchSource {
  return mapBatches(source, async (batch) => {
    await new Promise((resolve) => setImmediate(resolve));
    return batch;
  });
}
