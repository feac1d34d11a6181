/**
 * Datasets as stages see them: the manifest a reference pins (parsed once per
 * process) and batch sources over its shards.
 */
import { loadTrainedModel } from '../ml/backbones/saved.js';
import type { Model } from '../ml/models/index.js';
import type { BatchSource } from '../ml/data/batches.js';
import type { Manifest } from '../schemas/manifest.js';
import type { ObjectRef, ShardRef } from '../schemas/stages.js';
import { parseManifest, type ObjectStore } from '../storage/index.js';
import { ShardBatchSource } from './shard-source.js';
import { getVerified } from './stores.js';

const manifests = new Map<string, Manifest>();

export async function manifestOf(store: ObjectStore, ref: ObjectRef): Promise<Manifest> {
  let manifest = manifests.get(ref.sha256);
  if (!manifest) {
    manifest = parseManifest(await getVerified(store, ref, 'dataset manifest'), store.uriOf(ref.key));
    manifests.set(ref.sha256, manifest);
  }
  return manifest;
}

export interface ShardSourceRequest {
  readonly manifest: ObjectRef;
  readonly shards: readonly ShardRef[];
  readonly softLabels?: readonly ShardRef[];
  readonly teacherSha256?: string;
}

export async function openShardSource(store: ObjectStore, request: ShardSourceRequest): Promise<BatchSource> {
  const manifest = await manifestOf(store, request.manifest);
  return yieldingBetweenBatches(new ShardBatchSource({
    store,
    manifest,
    shards: request.shards,
    ...(request.softLabels ? { softLabels: request.softLabels } : {}),
    ...(request.teacherSha256 ? { teacherSha256: request.teacherSha256 } : {}),
    ...(process.env.W2S_CACHE_DIR ? { cacheDir: process.env.W2S_CACHE_DIR } : {}),
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
  return {
    size: source.size,
    shape: source.shape,
    numClasses: source.numClasses,
    async *batches(options) {
      for await (const batch of source.batches(options)) {
        await new Promise((resolve) => setImmediate(resolve));
        yield batch;
      }
    },
  };
}

/**
 * Runs `fn` with the model a reference pins. Labeling runs one activity per
 * shard with the same teacher, so loaded models stay cached (a few, by last
 * use); a model is disposed only when no activity is using it.
 */
const models = new Map<string, { model: Model; users: number }>();
const KEEP_IDLE_MODELS = 2;

export async function withModel<T>(store: ObjectStore, ref: ObjectRef, fn: (model: Model) => Promise<T>): Promise<T> {
  let entry = models.get(ref.sha256);
  if (!entry) {
    // A student on an imported backbone carries its topology: any trained model loads from its own bytes.
    const model = await loadTrainedModel(await getVerified(store, ref, 'model weights'), store.uriOf(ref.key));
    entry = models.get(ref.sha256) ?? { model, users: 0 };
    if (entry.model !== model) model.dispose();
  }
  models.delete(ref.sha256);
  models.set(ref.sha256, entry);
  entry.users++;
  try {
    return await fn(entry.model);
  } finally {
    entry.users--;
    evictIdle();
  }
}

/** Disposes every cached model no activity is using; workers call it once they have stopped. */
export function releaseCachedModels(): void {
  for (const [sha, e] of [...models]) {
    if (e.users > 0) continue;
    models.delete(sha);
    e.model.dispose();
  }
}

function evictIdle(): void {
  const idle = [...models].filter(([, e]) => e.users === 0);
  for (const [sha, e] of idle.slice(0, Math.max(0, idle.length - KEEP_IDLE_MODELS))) {
    models.delete(sha);
    e.model.dispose();
  }
}
