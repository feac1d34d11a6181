/**
 * Evaluation metrics on logits and labels: plain numbers out, tensors or
 * arrays in, and a streaming accumulator for evaluation over shards.
 */
export { accuracy, topKAccuracy, agreement, confusionMatrix } from './classification.js';
export { expectedCalibrationError, DEFAULT_CALIBRATION_BINS } from './calibration.js';
export { performanceGapRecovered, type PgrAccuracies } from './pgr.js';
export { MetricAccumulator, type MetricOptions, type MetricState, type Metrics, type ReliabilityBin } from './accumulator.js';
export type { FlatLogits, LabelsInput, LogitsInput } from './inputs.js';
export { teacherSplit, perClassAccuracy, type TeacherSplit, type SplitCounts } from './teacher-split.js';
