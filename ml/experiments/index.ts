export { runWeakToStrong, formatResultTable } from './weak-to-strong.js';
export type { WeakToStrongConfig, WeakToStrongData, WeakToStrongHooks, WeakToStrongResult, ModelOutcome, StudentSpec, LabeledImages } from './weak-to-strong.js';
export { fashionMnistProtocol, ALL_STUDENTS } from './protocols.js';
export type { FashionMnistOptions } from './protocols.js';
export { measureTrainThroughput } from './train-throughput.js';
export type { ThroughputOptions } from './train-throughput.js';
