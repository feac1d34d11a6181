/**
 * The `features` stage of probe-mode students: the frozen backbone runs
 * once over every image shard a student trains on, and its feature vectors
 * go to Arrow feature shards (storage/arrow/feature-shard.ts), one per image
 * shard with the same rows in the same order. Its cache key is the
 * backbone's and the image shards' content hashes, the student's
 * architecture and the code version, never the run, the student or its
 * seed: every probe student on the same backbone and data reads the same
 * shards, and only the first computes them.
 *
 * It runs inside the probe student's `train` activity, on the training
 * queue: running a backbone over the split is the same kind of work as
 * training (the accelerator's), and the student cannot start without it.
 */
import * as tf from '@tensorflow/tfjs';
import { sha256Hex } from '../core/hash.js';
import { computeFeatures, type FeatureExtractor } from '../ml/backbones/features.js';
import { isSavedFrozenBackbone, savedFrozenFeatures } from '../ml/backbones/frozen-saved.js';
import type { Normalization } from '../ml/data/array-source.js';
import { savedBackboneFeatures } from '../ml/backbones/saved.js';
import type { BatchSource, ImageShape } from '../ml/data/batches.js';
import { backboneFeatureExtractor } from '../ml/pretrain/index.js';
import type { ObjectRef, ShardRef, StageContext } from '../schemas/stages.js';
import { decodeFeatureShard, encodeFeatureShard } from '../storage/arrow/feature-shard.js';
import { sharedObjectKey } from '../storage/layout.js';
import type { ObjectStore } from '../storage/object-store.js';
import { manifestOf, openShardSource } from './data.js';
import type { StageDeps } from './deps.js';
import { StageStoppedError, type StageRuntime } from './runtime.js';
import { fillCache, readCache } from './cache.js';
import { lineageObject, runStage, stageCacheKey } from './stage.js';
import { ShardOrderedFeatures } from './shard-ordered-features.js';
import { getVerified, putObject } from './stores.js';

export const FEATURE_SHARD_ROLE = 'feature-shard';

export interface FeaturesInput extends StageContext {
  /** The students' zoo model: the backbone's architecture. */
  readonly model: string;
  readonly manifest: ObjectRef;
  /** The image shards to compute features of. */
  readonly shards: readonly ShardRef[];
  readonly backbone: ObjectRef;
  /** `backbone` is a saved imported backbone (`import-layers` output: Layers, or frozen ONNX or graph model) rather than a zoo model of `model`. */
  readonly imported?: boolean;
}

export interface FeaturesOutput {
  /** One feature shard per image shard, in the same order (same split, index and rows). */
  readonly shards: readonly ShardRef[];
  readonly featureDim: number;
  readonly cached: boolean;
  /** Shards whose features an earlier attempt or stage had already computed (see SHARD_KIND). */
  readonly shardsReused?: number;
}

/** The feature width the reused shards were written with (their Arrow metadata). */
async function featureDimOf(store: ObjectStore, done: ReadonlyArray<ShardRef | undefined>): Promise<number> {
  const first = done.find((s) => s !== undefined)!;
  return decodeFeatureShard(await getVerified(store, first, 'feature shard'), store.uriOf(first.key)).metadata.featureDim;
}

/** Images per forward pass of the backbone: inference only, so larger than a training batch. */
const FEATURE_BATCH = 256;

export async function computeFeatureShards(input: FeaturesInput, runtime: StageRuntime): Promise<FeaturesOutput> {
  const inputs = [lineageObject(input.manifest, 'manifest'), lineageObject(input.backbone, 'backbone'), ...input.shards.map((s) => lineageObject(s, 'shard'))];
  // An imported backbone carries its own architecture and input settings, all pinned by its hash.
  const config = input.imported ? { backbone: 'imported' } : { model: input.model };
  return runStage({
    context: input,
    kind: 'features',
    config,
    inputs,
    cacheable: true,
    outputsOf: (out) => out.shards.map((s) => lineageObject(s, FEATURE_SHARD_ROLE)),
    metricsOf: (out) => ({ shards: out.shards.length, rows: out.shards.reduce((n, s) => n + s.rows, 0), featureDim: out.featureDim, shardsReused: out.shardsReused ?? 0 }),
    runSpecific: { shardsReused: 0 },
    run: (store) => extractAll(store, input, config, runtime),
  }, runtime);
}

/**
 * Each shard's features are also cached on their own, keyed by the
 * backbone, that image shard and the code: an attempt that stopped midway
 * (a lost worker, a shutdown) resumes after the last shard it finished, and
 * a stage over other shards of the same data reuses those they share.
 */
const SHARD_KIND = 'features-shard';

async function cachedShard(store: ObjectStore, key: string, shard: ShardRef): Promise<ShardRef | undefined> {
  const hit = await readCache(store, key);
  const ref = hit?.result.features as ObjectRef | undefined;
  const rows = hit?.result.rows;
  if (!ref || typeof rows !== 'number') return undefined;
  return { key: ref.key, sha256: ref.sha256, bytes: ref.bytes, split: shard.split, index: shard.index, rows };
}

async function extractAll(store: ObjectStore, input: FeaturesInput, config: Readonly<Record<string, unknown>>, runtime: StageRuntime): Promise<FeaturesOutput> {
  const shardKeys = input.shards.map((shard) => stageCacheKey(SHARD_KIND, config, [lineageObject(input.backbone, 'backbone'), lineageObject(shard, 'shard')]));
  const done = await Promise.all(input.shards.map((shard, i) => cachedShard(store, shardKeys[i]!, shard)));
  if (done.length > 0 && done.every((s) => s !== undefined)) return { shards: done as ShardRef[], featureDim: await featureDimOf(store, done), cached: false, shardsReused: done.length };
  const manifest = await manifestOf(runtime.deps, store, input.manifest);
  const backboneBytes = await getVerified(store, input.backbone, 'backbone');
  // The seed only initialises the classifier the extractor replaces with an identity: the features do not depend on it.
  const spec = { inputShape: manifest.shape, numClasses: manifest.classes.length, seed: 0 };
  const where = `backbone ${store.uriOf(input.backbone.key)}`;
  const backbone = input.imported ? await importedFeatures(backboneBytes, where, manifest.normalization, manifest.shape) : backboneFeatureExtractor(input.model, spec, backboneBytes, where);
  try {
    const shards: ShardRef[] = [];
    for (const [i, shard] of input.shards.entries()) {
      const reused = done[i];
      if (reused) {
        shards.push(reused);
        continue;
      }
      if (runtime.cancellation.aborted) throw new StageStoppedError(`${input.stage} features stopped before shard ${store.uriOf(shard.key)}`, runtime.stopReason());
      // Keeps what the last attempt of the enclosing stage reported (its checkpoint), for its resume.
      runtime.heartbeat(runtime.lastHeartbeat);
      const source = await openShardSource(runtime.deps, store, { manifest: input.manifest, shards: [shard] });
      // A large frozen model can take minutes over one shard: every batch tells the server the worker is alive.
      const computed = await computeFeatures(backbone.extract, source, backbone.featureDim, FEATURE_BATCH, () => runtime.heartbeat(runtime.lastHeartbeat));
      const bytes = encodeFeatureShard({
        metadata: { backboneSha256: input.backbone.sha256, featureDim: backbone.featureDim, datasetId: manifest.datasetId, split: shard.split },
        index: computed.index,
        features: computed.features,
      });
      // Content-addressed: the same features are the same object, whichever run computed them.
      const ref = await putObject(store, sharedObjectKey(sha256Hex(bytes), '.arrow'), bytes, 'application/vnd.apache.arrow.file');
      await fillCache(store, shardKeys[i]!, { features: ref, rows: computed.index.length }, [lineageObject(ref, FEATURE_SHARD_ROLE)], []);
      shards.push({ ...ref, split: shard.split, index: shard.index, rows: computed.index.length });
    }
    return { shards, featureDim: backbone.featureDim, cached: false, shardsReused: done.filter((s) => s !== undefined).length };
  } finally {
    backbone.dispose();
  }
}

/** An imported backbone's features: a saved Layers backbone runs in TensorFlow.js, a frozen one (ONNX, graph model) as shipped. */
async function importedFeatures(bytes: Uint8Array, where: string, normalization: Normalization, shape: ImageShape): Promise<{ extract: FeatureExtractor; featureDim: number; dispose(): void }> {
  return isSavedFrozenBackbone(bytes, where) ? savedFrozenFeatures(bytes, where, normalization, shape) : savedBackboneFeatures(bytes, where, normalization, shape);
}

export interface ProbeDataRequest {
  readonly manifest: ObjectRef;
  readonly shards: readonly ShardRef[];
  readonly softLabels?: readonly ShardRef[];
  readonly features: FeaturesOutput;
  readonly backbone: ObjectRef;
}

/**
 * The training data of a probe student: the stored features, with the
 * labels and teacher logits of the image shards they were computed from
 * (read in the same unshuffled order, and checked to be the same examples),
 * served in the image shards' epoch order.
 */
export async function openFeatureSource(deps: StageDeps, store: ObjectStore, request: ProbeDataRequest): Promise<BatchSource> {
  const manifest = await manifestOf(deps, store, request.manifest);
  const { featureDim } = request.features;
  const rows = request.features.shards.reduce((n, s) => n + s.rows, 0);
  const features = new Float32Array(rows * featureDim);
  const index = new Uint32Array(rows);
  let at = 0;
  for (const ref of request.features.shards) {
    const shard = decodeFeatureShard(await getVerified(store, ref, 'feature shard'), store.uriOf(ref.key), { backboneSha256: request.backbone.sha256, featureDim, datasetId: manifest.datasetId, split: ref.split, rows: ref.rows });
    features.set(shard.features, at * featureDim);
    index.set(shard.index, at);
    at += shard.rows;
  }
  const images = await openShardSource(deps, store, { manifest: request.manifest, shards: request.shards, ...(request.softLabels ? { softLabels: request.softLabels } : {}) });
  let labels: Int32Array | undefined;
  let teacherLogits: Float32Array | undefined;
  let row = 0;
  for await (const batch of images.batches({ epoch: 0, batchSize: FEATURE_BATCH, seed: 0, stream: 'features', shuffle: false, dropLast: false })) {
    try {
      for (let i = 0; i < batch.index.length; i++) {
        if (batch.index[i] !== index[row + i]) throw new Error(`feature shards and image shards disagree at row ${row + i}: example ${index[row + i]} against ${batch.index[i]}`);
      }
      if (batch.labels) (labels ??= new Int32Array(rows)).set((await batch.labels.data()) as Int32Array, row);
      if (batch.teacherLogits) {
        teacherLogits ??= new Float32Array(rows * manifest.classes.length);
        teacherLogits.set((await batch.teacherLogits.data()) as Float32Array, row * manifest.classes.length);
      }
      row += batch.index.length;
    } finally {
      tf.dispose([batch.x, ...(batch.labels ? [batch.labels] : []), ...(batch.teacherLogits ? [batch.teacherLogits] : [])]);
    }
  }
  if (row !== rows) throw new Error(`image shards hold ${row} examples, their feature shards ${rows}`);
  const data = { features, featureDim, numClasses: manifest.classes.length, index, ...(labels ? { labels } : {}), ...(teacherLogits ? { teacherLogits } : {}) };
  return new ShardOrderedFeatures(data, request.features.shards.map((s) => s.rows));
}
