export { measureTrainThroughput } from './train-throughput.js';
export type { ThroughputOptions } from './train-throughput.js';
