/**
 * Everything a run's report shows, gathered by the report stage from the
 * run's stored outputs: the results table, what the trainings and
 * evaluations recorded for the plots, the dataset's class names, the stage
 * graph from lineage, and the configuration.
 */
import type { EvaluationDetails, TrainingRecord } from '../schemas/report-data.js';
import type { ResultRow } from '../schemas/stages.js';

export interface TrainedModel {
  /** The model's name in the results table (`weak`, `ceiling`, `adaptconf`...). */
  readonly name: string;
  readonly role: ResultRow['role'];
  readonly record: TrainingRecord;
}

export interface EvaluatedDetails {
  readonly name: string;
  readonly role: ResultRow['role'];
  readonly details: EvaluationDetails;
}

/** One stage of the run, as its latest attempt's lineage record describes it. */
export interface StageRow {
  readonly stage: string;
  readonly kind: string;
  readonly status: string;
  readonly attempts: number;
  readonly cached: boolean;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly durationMs: number;
  readonly worker: string;
  /** `name/device`, for stages that computed with a backend. */
  readonly backend?: string;
  /** Stages whose outputs this one read. */
  readonly after: readonly string[];
}

/** One split of the run's dataset, from its manifest. */
export interface SplitRow {
  readonly name: string;
  readonly examples: number;
}

export interface ReportContent {
  readonly runId: string;
  readonly runName: string;
  readonly datasetId: string;
  readonly classNames: readonly string[];
  readonly rows: readonly ResultRow[];
  readonly trainings: readonly TrainedModel[];
  readonly evaluations: readonly EvaluatedDetails[];
  readonly stages: readonly StageRow[];
  /** The dataset's splits in manifest order; absent when the manifest was not there to read. */
  readonly splits?: readonly SplitRow[];
  readonly config: unknown;
  /** sha256 of the configuration's canonical JSON. */
  readonly configHash: string;
  /** When the run's stages ran (first start, last end, from lineage: the same on a retry) and the code versions that ran them. */
  readonly ran?: { readonly startedAt: string; readonly endedAt: string; readonly codeVersions: readonly string[] };
}
