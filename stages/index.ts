/**
 * The body of every pipeline stage as a plain async function of its input and
 * a `StageRuntime`: runnable from a Temporal activity (activities/) or from
 * plain code with `localRuntime()`.
 */
export { ingest } from './ingest.js';
export { importModel, type ImportModelInput } from './import-model.js';
export { importLayersModel, IMPORTED_BACKBONE_ROLE } from './import-layers.js';
export { trainModel } from './train.js';
export { computeFeatureShards, FEATURE_SHARD_ROLE, type FeaturesInput, type FeaturesOutput } from './features.js';
export { pretrainBackbone } from './pretrain.js';
export { labelShard, type LabeledShard } from './label.js';
export { evaluateModel, measure, type Evaluation } from './evaluate.js';
export { writeReport } from './report.js';
export { promote, type Promotion } from './promote.js';
export { storeSourceProblems } from './validate.js';
export { validateRun, type ValidateRunInput, type ValidatedRun } from './validate-run.js';
export { createStageDeps, stageSettingsFrom, type StageDeps, type StageDepsOptions, type StageSettings } from './deps.js';
export { localRuntime, RaceLostError, StageStoppedError, type AttemptInfo, type StageRuntime, type StopReason } from './runtime.js';
