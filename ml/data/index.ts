export { ArraySource } from './array-source.js';
export type { ArrayDataset, Normalization } from './array-source.js';
export { disposeBatch } from './dispose.js';
