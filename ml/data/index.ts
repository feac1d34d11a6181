export { ArraySource } from './array-source.js';
export type { ArrayDataset, Normalization } from './array-source.js';
export { disposeBatch } from './dispose.js';
export { batchesPerEpoch } from './batches.js';
export type { Batch, BatchSource, EpochOptions, ImageShape } from './batches.js';
export { FeatureSource } from './feature-source.js';
export type { FeatureDataset } from './feature-source.js';
