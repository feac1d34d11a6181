/**
 * Every stage activity: a thin adapter that runs the stage's body (stages/)
 * with the Temporal runtime. `createActivities(deps)` builds them over the
 * dependencies the worker process hands in (stores, caches, its identity,
 * settings from its environment); workers register the result, workflows
 * import its type only and call each activity by its name here, so the
 * names are part of recorded histories: never rename one.
 */
import type { EvaluateInput, ImportLayersInput, IngestInput, LabelInput, LineageSummaryInput, PretrainInput, PromoteInput, ReportInput, TrainInput } from '../schemas/stages.js';
import type { StageDeps } from '../stages/deps.js';
import { evaluateModel } from '../stages/evaluate.js';
import { importLayersModel } from '../stages/import-layers.js';
import { importModel, type ImportModelInput } from '../stages/import-model.js';
import { ingest } from '../stages/ingest.js';
import { labelShard } from '../stages/label.js';
import { pretrainBackbone } from '../stages/pretrain.js';
import { promote } from '../stages/promote.js';
import { writeReport } from '../stages/report.js';
import { trainModel } from '../stages/train.js';
import { validateRun, type ValidateRunInput } from '../stages/validate-run.js';
import { summarizeRunLineage } from './lineage-summary.js';
import { activityRuntime } from './runtime.js';

/** What activities share within a worker process; built once by the worker with `createActivityDeps`. */
export type ActivityDeps = StageDeps;
export { createStageDeps as createActivityDeps, stageSettingsFrom, type StageDepsOptions as ActivityDepsOptions, type StageSettings } from '../stages/deps.js';

export function createActivities(deps: ActivityDeps) {
  const runtime = () => activityRuntime(deps);
  return {
    validateRun: (input: ValidateRunInput) => validateRun(input, runtime()),
    ingest: (input: IngestInput) => ingest(input, runtime()),
    importModel: (input: ImportModelInput) => importModel(input, runtime()),
    importLayersModel: (input: ImportLayersInput) => importLayersModel(input, runtime()),
    trainModel: (input: TrainInput) => trainModel(input, runtime()),
    pretrainBackbone: (input: PretrainInput) => pretrainBackbone(input, runtime()),
    labelShard: (input: LabelInput) => labelShard(input, runtime()),
    evaluateModel: (input: EvaluateInput) => evaluateModel(input, runtime()),
    writeReport: (input: ReportInput) => writeReport(input, runtime()),
    promote: (input: PromoteInput) => promote(input, runtime()),
    summarizeRunLineage: (input: LineageSummaryInput) => summarizeRunLineage(deps, input),
  };
}

/** The activities by name, as workflows' `proxyActivities` sees them. */
export type Activities = ReturnType<typeof createActivities>;
