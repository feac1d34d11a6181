export { DataParallelTrainer, shardRanges, weightedSum } from './data-parallel.js';
export type { ParallelStepResult, ReplicaSpec, ShardBatch } from './data-parallel.js';
