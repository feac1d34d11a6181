/**
 * The storage layer's public surface: object stores, Arrow shards, dataset
 * ingestion and manifests, and the loader's shard order and fetching. No
 * tensors: importing it loads no TensorFlow.js (the batch source that turns
 * shards into tensors is stages/shard-source.ts).
 */
export { openStore, type OpenStoreOptions } from './open.js';
export type { ObjectInfo, ObjectStore, PointerValue, PutOptions } from './object-store.js';
export { ObjectConflictError, ObjectNotFoundError, PreconditionFailedError } from './errors.js';
export { LocalStore } from './local.js';
export { GcsStore, type GcsStoreOptions } from './gcs/store.js';
export { DEFAULT_GCS_RETRY, type GcsRetryPolicy } from './gcs/retry.js';
export { markStorageRoot, ROOT_MARKER_KEY, storageRootProblem } from './root.js';
export { checkKey, joinKey, parseStorageUri, type StorageLocation } from './uri.js';

export { decodeImageShard, encodeImageShard, type ImageShard, type ImageShardExpectation, type ImageShardInput } from './arrow/image-shard.js';
export {
  decodeSoftLabelShard,
  encodeSoftLabelShard,
  joinSoftLabels,
  type SoftLabelExpectation,
  type SoftLabelShard,
  type SoftLabelShardInput,
} from './arrow/soft-label-shard.js';
export {
  decodeFeatureShard,
  encodeFeatureShard,
  featureShardSchema,
  FEATURE_SHARD_FORMAT,
  type FeatureShard,
  type FeatureShardExpectation,
  type FeatureShardInput,
  type FeatureShardMetadata,
} from './arrow/feature-shard.js';
export { readSoftLabels, writeSoftLabels } from './soft-labels.js';

export { IdxReader, readIdxImages, readIdxLabels, type IdxChunk, type IdxHeader, type IdxImages } from './readers/idx.js';
export { isStoreSource, LocalTree, openSourceTree, StoreTree, type OpenSourceOptions, type SourceEntry, type SourceTree } from './readers/source-tree.js';
export { sourceProblems } from './readers/source-check.js';
export { ingestDataset, type DataFormat, type IngestProgress, type IngestRequest } from './ingest/ingest.js';

export { datasetRefs, parseManifest, readManifest, serializeManifest, shardsOf } from './ingest/manifest-io.js';

// The loader's tensor-free parts; the batch source that turns shards into tensors is stages/shard-source.ts.
export { EpochOrder, type OrderKey } from './loader/epoch-order.js';
export { ShardFetcher } from './loader/shard-fetcher.js';
export { ReadBuffer } from './local-read.js';
