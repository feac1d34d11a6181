/**
 * Every stage activity: a thin adapter that runs the stage's body (stages/)
 * with the Temporal runtime. `createActivities(deps)` builds them over the
 * dependencies the worker process hands in (stores, caches, its identity,
 * settings from its environment); workers register the result, workflows
 * import its type only and call each activity by its name here, so the
 * names are part of recorded histories: never rename one.
 */
import type { EvaluateInput, ImportLayersInput, IngestInput, LabelInput, LineageSummaryInput, PretrainInput, PromoteInput, ReportInput, TrainInput } from '../schemas/stages.js';
import * as stages from '../stages/index.js';
import { summarizeRunLineage } from './lineage-summary.js';
import { activityRuntime } from './runtime.js';

/** What activities share within a worker process; built once by the worker with `createActivityDeps`. */
export type ActivityDeps = stages.StageDeps;
export { createStageDeps as createActivityDeps, stageSettingsFrom, type StageDepsOptions as ActivityDepsOptions, type StageSettings } from '../stages/index.js';

export function createActivities(deps: ActivityDeps) {
  const runtime = () => activityRuntime(deps);
  return {
    validateRun: (input: stages.ValidateRunInput) => stages.validateRun(input, runtime()),
    ingest: (input: IngestInput) => stages.ingest(input, runtime()),
    importModel: (input: stages.ImportModelInput) => stages.importModel(input, runtime()),
    importLayersModel: (input: ImportLayersInput) => stages.importLayersModel(input, runtime()),
    trainModel: (input: TrainInput) => stages.trainModel(input, runtime()),
    pretrainBackbone: (input: PretrainInput) => stages.pretrainBackbone(input, runtime()),
    labelShard: (input: LabelInput) => stages.labelShard(input, runtime()),
    evaluateModel: (input: EvaluateInput) => stages.evaluateModel(input, runtime()),
    writeReport: (input: ReportInput) => stages.writeReport(input, runtime()),
    promote: (input: PromoteInput) => stages.promote(input, runtime()),
    summarizeRunLineage: (input: LineageSummaryInput) => summarizeRunLineage(deps, input),
  };
}

/** The activities by name, as workflows' `proxyActivities` sees them. */
export type Activities = ReturnType<typeof createActivities>;
