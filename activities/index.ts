/**
 * Every stage activity: a thin adapter that runs the stage's body (stages/)
 * with the Temporal runtime. Workers register this module; workflows import
 * its types only.
 */
import type { EvaluateInput, ImportLayersInput, IngestInput, LabelInput, PretrainInput, PromoteInput, ReportInput, TrainInput } from '../schemas/stages.js';
import * as stages from '../stages/index.js';
import { activityRuntime } from './runtime.js';

export { summarizeRunLineage } from './lineage-summary.js';

export const validateRun = (input: stages.ValidateRunInput) => stages.validateRun(input, activityRuntime());
export const ingest = (input: IngestInput) => stages.ingest(input, activityRuntime());
export const importModel = (input: stages.ImportModelInput) => stages.importModel(input, activityRuntime());
export const importLayersModel = (input: ImportLayersInput) => stages.importLayersModel(input, activityRuntime());
export const trainModel = (input: TrainInput) => stages.trainModel(input, activityRuntime());
export const pretrainBackbone = (input: PretrainInput) => stages.pretrainBackbone(input, activityRuntime());
export const labelShard = (input: LabelInput) => stages.labelShard(input, activityRuntime());
export const evaluateModel = (input: EvaluateInput) => stages.evaluateModel(input, activityRuntime());
export const writeReport = (input: ReportInput) => stages.writeReport(input, activityRuntime());
export const promote = (input: PromoteInput) => stages.promote(input, activityRuntime());
