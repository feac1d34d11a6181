/**
 * The ml layer's public surface: backends, models, losses, training,
 * metrics, the batch-source contract with in-memory sources, imported
 * backbones, pretraining, and a training-throughput measurement
 * (experiments). No storage: batches over stored shards are stages/'
 * (stages/shard-source.ts). Namespaces keep the
 * full surface of each part; the names a user reaches for first are also
 * exported directly.
 */
export { initBackend, activeBackend, BACKEND_NAMES } from './backend.js';
export type { BackendInfo, BackendName } from './backend.js';

export * as losses from './losses/index.js';
export { kdLoss, hardLoss, augConfLoss, adaptConfLoss, logConfLoss, studentLoss } from './losses/index.js';

export * as metrics from './metrics/index.js';

export * as models from './models/index.js';
export { buildModel, loadModel, serializeModel, MODEL_NAMES } from './models/index.js';
export type { Model, ModelSpec } from './models/index.js';

export * as training from './train/index.js';
export { train, predictLogits } from './train/index.js';
export type { TrainOptions, TrainResult, StepProgress } from './train/index.js';

export * as data from './data/index.js';
export { ArraySource } from './data/index.js';

export * as backbones from './backbones/index.js';
export { importBackbone, buildImportedModel } from './backbones/index.js';

export * as pretrain from './pretrain/index.js';
export { pretrainContrastive, ntXentLoss } from './pretrain/index.js';

export * as experiments from './experiments/index.js';
