export { ArraySource } from './array-source.js';
export type { ArrayDataset, Normalization } from './array-source.js';
export { disposeBatch } from './dispose.js';
export { FeatureSource } from './feature-source.js';
export type { FeatureDataset } from './feature-source.js';
